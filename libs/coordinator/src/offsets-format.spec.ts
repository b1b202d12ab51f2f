import { BinaryWriter } from './binary';
import { CoordinatorError } from './errors';
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  encodeGroupKey,
  encodeGroupValue,
  encodeOffsetKey,
  encodeOffsetValue,
  type GroupMetadataValue,
} from './offsets-format';

describe('__consumer_offsets keys', () => {
  it("lays out the OffsetCommit key as Kafka's v1: int16 1, group, topic, int32 partition", () => {
    const bytes = encodeOffsetKey('g', 'tp', 3);
    expect(bytes.toString('hex')).toBe('0001' + '0001' + '67' + '0002' + '7470' + '00000003');
    expect(decodeKey(bytes)).toEqual({ kind: 'offset', groupId: 'g', topic: 'tp', partition: 3 });
  });

  it('lays out the group key as v2: int16 2, group', () => {
    const bytes = encodeGroupKey('grp');
    expect(bytes.toString('hex')).toBe('0002' + '0003' + '677270');
    expect(decodeKey(bytes)).toEqual({ kind: 'group', groupId: 'grp' });
  });

  it('reads v0 offset keys and rejects unknown key versions', () => {
    const v0 = new BinaryWriter().int16(0).string('g').string('t').int32(1).finish();
    expect(decodeKey(v0)).toEqual({ kind: 'offset', groupId: 'g', topic: 't', partition: 1 });
    expect(() => decodeKey(new BinaryWriter().int16(9).string('g').finish())).toThrow(CoordinatorError);
  });
});

describe('OffsetCommit values', () => {
  it('writes v3 (offset, leader epoch, metadata, commit timestamp) and reads it back', () => {
    const bytes = encodeOffsetValue({ offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1000 });
    expect(bytes.toString('hex')).toBe('0003' + '000000000000002a' + '00000005' + '0001' + '6d' + '00000000000003e8');
    expect(decodeOffsetValue(bytes)).toEqual({ offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1000, expireTimestampMs: null });
  });

  it('reads older versions v0-v2 that Kafka wrote', () => {
    const v0 = new BinaryWriter().int16(0).int64(7n).string('a').int64(10n).finish();
    const v1 = new BinaryWriter().int16(1).int64(8n).string('b').int64(11n).int64(99n).finish();
    const v2 = new BinaryWriter().int16(2).int64(9n).string('c').int64(12n).finish();
    expect(decodeOffsetValue(v0)).toEqual({ offset: 7n, leaderEpoch: -1, metadata: 'a', commitTimestampMs: 10, expireTimestampMs: null });
    expect(decodeOffsetValue(v1)).toEqual({ offset: 8n, leaderEpoch: -1, metadata: 'b', commitTimestampMs: 11, expireTimestampMs: 99 });
    expect(decodeOffsetValue(v2)).toEqual({ offset: 9n, leaderEpoch: -1, metadata: 'c', commitTimestampMs: 12, expireTimestampMs: null });
    expect(() => decodeOffsetValue(v2.subarray(0, 5))).toThrow(CoordinatorError);
  });
});

describe('GroupMetadata values', () => {
  const value: GroupMetadataValue = {
    protocolType: 'consumer',
    generationId: 4,
    protocol: 'range',
    leader: 'm1',
    currentStateTimestampMs: 123456,
    members: [
      {
        memberId: 'm1',
        groupInstanceId: 'i1',
        clientId: 'c1',
        clientHost: '/127.0.0.1',
        rebalanceTimeoutMs: 60000,
        sessionTimeoutMs: 10000,
        subscription: Buffer.from([1, 2]),
        assignment: Buffer.from([3]),
      },
      {
        memberId: 'm2',
        groupInstanceId: null,
        clientId: 'c2',
        clientHost: 'h',
        rebalanceTimeoutMs: 1,
        sessionTimeoutMs: 2,
        subscription: Buffer.alloc(0),
        assignment: Buffer.alloc(0),
      },
    ],
  };

  it('round-trips v3', () => {
    expect(decodeGroupValue(encodeGroupValue(value))).toEqual(value);
  });

  it('writes an empty group with null protocol and leader', () => {
    const empty: GroupMetadataValue = { protocolType: 'consumer', generationId: 9, protocol: null, leader: null, currentStateTimestampMs: -1, members: [] };
    const bytes = encodeGroupValue(empty);
    expect(bytes.toString('hex')).toBe('0003' + '0008' + Buffer.from('consumer').toString('hex') + '00000009' + 'ffff' + 'ffff' + 'ffffffffffffffff' + '00000000');
    expect(decodeGroupValue(bytes)).toEqual(empty);
  });

  it('reads a v0 value (no rebalance timeout: the session timeout stands in, as in Kafka)', () => {
    const w = new BinaryWriter().int16(0).string('consumer').int32(2).nullableString('roundrobin').nullableString('m');
    w.int32(1).string('m').string('cid').string('host').int32(30000).bytes(Buffer.from([7])).bytes(Buffer.from([8]));
    const decoded = decodeGroupValue(w.finish());
    expect(decoded.members).toEqual([
      { memberId: 'm', groupInstanceId: null, clientId: 'cid', clientHost: 'host', rebalanceTimeoutMs: 30000, sessionTimeoutMs: 30000, subscription: Buffer.from([7]), assignment: Buffer.from([8]) },
    ]);
    expect(decoded.currentStateTimestampMs).toBe(-1);
  });

  it('rejects every truncation with CoordinatorError', () => {
    const bytes = encodeGroupValue(value);
    for (let cut = 0; cut < bytes.length; cut += 3) expect(() => decodeGroupValue(bytes.subarray(0, cut))).toThrow(CoordinatorError);
  });
});
