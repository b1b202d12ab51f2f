import { AssignerProtocol } from 'kafkajs';
import fc from 'fast-check';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  flattenTopicPartitions,
  groupTopicPartitions,
} from './consumer-protocol';
import { CoordinatorError } from './errors';

describe('ConsumerProtocolSubscription', () => {
  it.each([0, 1, 2, 3])('round-trips version %i with the fields that version has', (version) => {
    const input = {
      topics: ['orders', 'payments'],
      userData: Buffer.from([1, 2, 3]),
      ownedPartitions: [{ topic: 'orders', partitions: [0, 2] }],
      generationId: 7,
      rackId: 'rack-a',
    };
    const decoded = decodeSubscription(encodeSubscription(input, version));
    expect(decoded.version).toBe(version);
    expect(decoded.topics).toEqual(['orders', 'payments']);
    expect(decoded.userData).toEqual(Buffer.from([1, 2, 3]));
    expect(decoded.ownedPartitions).toEqual(version >= 1 ? input.ownedPartitions : []);
    expect(decoded.generationId).toBe(version >= 2 ? 7 : -1);
    expect(decoded.rackId).toBe(version >= 3 ? 'rack-a' : null);
  });

  it('encodes v0 byte for byte: int16 version, int32 count, int16-length strings, int32 userData length', () => {
    const bytes = encodeSubscription({ topics: ['ab'] }, 0);
    expect(bytes.toString('hex')).toBe('0000' + '00000001' + '0002' + '6162' + 'ffffffff');
  });

  it('reads a newer version with the newest layout it knows, ignoring appended fields', () => {
    const v3 = encodeSubscription({ topics: ['t'], rackId: 'r' }, 3);
    const v4 = Buffer.concat([v3, Buffer.from([9, 9, 9])]);
    v4.writeInt16BE(4, 0);
    const decoded = decodeSubscription(v4);
    expect(decoded.version).toBe(4);
    expect(decoded.topics).toEqual(['t']);
    expect(decoded.rackId).toBe('r');
  });

  it('rejects truncated and absurd input with CoordinatorError', () => {
    const bytes = encodeSubscription({ topics: ['orders'] }, 1);
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeSubscription(bytes.subarray(0, cut))).toThrow(CoordinatorError);
    }
    const huge = Buffer.from('0000' + '7fffffff', 'hex');
    expect(() => decodeSubscription(huge)).toThrow(CoordinatorError);
    expect(() => encodeSubscription({ topics: [] }, 4)).toThrow(CoordinatorError);
  });

  it('decodes what kafkajs MemberMetadata.encode writes, and kafkajs decodes ours', () => {
    const kafkajsBytes = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['a', 'b'], userData: Buffer.alloc(0) });
    const decoded = decodeSubscription(kafkajsBytes);
    expect(decoded).toMatchObject({ version: 0, topics: ['a', 'b'] });
    expect(decoded.userData).toEqual(Buffer.alloc(0));
    const ours = AssignerProtocol.MemberMetadata.decode(encodeSubscription({ topics: ['x'], userData: Buffer.from('u') }, 3));
    expect(ours).toMatchObject({ version: 3, topics: ['x'] });
    expect(ours!.userData).toEqual(Buffer.from('u'));
  });

  it('round-trips arbitrary subscriptions (property)', () => {
    const tp = fc.record({ topic: fc.string({ maxLength: 20 }), partitions: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 5 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 8 }),
        fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }),
        fc.array(tp, { maxLength: 4 }),
        fc.integer({ min: -1, max: 1000 }),
        fc.option(fc.string({ maxLength: 10 }), { nil: null }),
        (version, topics, userData, ownedPartitions, generationId, rackId) => {
          const input = { topics, userData: userData === null ? null : Buffer.from(userData), ownedPartitions, generationId, rackId };
          const d = decodeSubscription(encodeSubscription(input, version));
          expect(d.topics).toEqual(topics);
          expect(d.userData).toEqual(input.userData);
          if (version >= 1) expect(d.ownedPartitions).toEqual(ownedPartitions);
          if (version >= 2) expect(d.generationId).toBe(generationId);
          if (version >= 3) expect(d.rackId).toBe(rackId);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ConsumerProtocolAssignment', () => {
  it.each([0, 1, 2, 3])('round-trips version %i', (version) => {
    const input = { assignedPartitions: [{ topic: 'orders', partitions: [1, 3] }, { topic: 'x', partitions: [] }], userData: null };
    expect(decodeAssignment(encodeAssignment(input, version))).toEqual({ version, ...input });
  });

  it('reads an empty buffer as an empty assignment (what the coordinator gives members the leader left out)', () => {
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ version: 0, assignedPartitions: [], userData: null });
  });

  it('decodes what kafkajs MemberAssignment.encode writes, and kafkajs decodes ours', () => {
    const kafkajsBytes = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { 'topic-A': [0, 2, 4], 'topic-B': [1] }, userData: Buffer.alloc(0) });
    const decoded = decodeAssignment(kafkajsBytes);
    expect(decoded.version).toBe(0);
    expect(decoded.assignedPartitions).toEqual([
      { topic: 'topic-A', partitions: [0, 2, 4] },
      { topic: 'topic-B', partitions: [1] },
    ]);
    const ours = AssignerProtocol.MemberAssignment.decode(encodeAssignment({ assignedPartitions: [{ topic: 't', partitions: [5, 6] }] }, 0));
    expect(ours).toMatchObject({ version: 0, assignment: { t: [5, 6] } });
  });

  it('flattens and regroups topic-partitions in sorted order', () => {
    const flat = flattenTopicPartitions([{ topic: 'b', partitions: [2, 0] }, { topic: 'a', partitions: [1] }]);
    expect(flat).toEqual([
      { topic: 'a', partition: 1 },
      { topic: 'b', partition: 0 },
      { topic: 'b', partition: 2 },
    ]);
    expect(groupTopicPartitions(flat)).toEqual([
      { topic: 'a', partitions: [1] },
      { topic: 'b', partitions: [0, 2] },
    ]);
  });
});
