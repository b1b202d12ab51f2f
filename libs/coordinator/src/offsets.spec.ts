import { ErrorCode } from './errors';
import { encodeBatchSync } from '@runnel/records';
import { GroupCoordinator } from './coordinator';
import { FakeScheduler } from './time';
import { type Harness, TEST_CONFIG, joinRequest, logRecords, startCoordinator, track } from './testing/harness';
import type { InMemoryOffsetsLog } from './offsets-log';

const DELAY_MS = TEST_CONFIG.initialRebalanceDelayMs!;

async function stableSingle(h: Harness, extra: Parameters<typeof joinRequest>[1] = {}): Promise<string> {
  const join = track(h.coordinator.joinGroup(joinRequest('', extra)));
  await h.scheduler.advance(DELAY_MS);
  const memberId = join.value.memberId;
  const sync = await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId, assignments: [{ memberId, assignment: Buffer.from('asg') }] });
  expect(sync.errorCode).toBe(ErrorCode.NONE);
  return memberId;
}

async function restart(logs: InMemoryOffsetsLog[], config = {}): Promise<Harness> {
  return startCoordinator({ logs, config });
}

describe('offset commits', () => {
  it('commits durably for a member of the current generation and fetches them back', async () => {
    const h = await startCoordinator();
    const memberId = await stableSingle(h);
    const log = h.logs[h.coordinator.partitionFor('g')]!;
    const durableBefore = log.durableAppendCount;
    const result = await h.coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId,
      offsets: [
        { topic: 't', partition: 0, offset: 10n, metadata: 'meta', leaderEpoch: 3 },
        { topic: 't', partition: 1, offset: 20n },
      ],
    });
    expect(result).toEqual({
      errorCode: ErrorCode.NONE,
      partitions: [
        { topic: 't', partition: 0, errorCode: ErrorCode.NONE },
        { topic: 't', partition: 1, errorCode: ErrorCode.NONE },
      ],
    });
    expect(log.durableAppendCount).toBe(durableBefore + 1);
    const fetched = h.coordinator.fetchOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 5 },
    ]);
    expect(fetched.partitions).toEqual([
      expect.objectContaining({ topic: 't', partition: 0, offset: 10n, leaderEpoch: 3, metadata: 'meta', errorCode: ErrorCode.NONE }),
      expect.objectContaining({ topic: 't', partition: 5, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }),
    ]);
    expect(h.coordinator.fetchOffsets('g', null).partitions.map((p) => p.offset)).toEqual([10n, 20n]);
    expect(h.coordinator.fetchOffsets('unknown', null).partitions).toEqual([]);
  });

  it('refuses commits with the rules of Kafka (generation, member, phase)', async () => {
    const h = await startCoordinator();
    const offsets = [{ topic: 't', partition: 0, offset: 1n }];
    expect((await h.coordinator.commitOffsets({ groupId: 'none', generationId: 3, memberId: 'm', offsets })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const memberId = await stableSingle(h);
    expect((await h.coordinator.commitOffsets({ groupId: 'g', generationId: 2, memberId, offsets })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await h.coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: 'x', offsets })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // A standalone commit is refused while the group has members.
    expect((await h.coordinator.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // Leader rejoin: join phase completes at once (one member), the group awaits the sync.
    const rejoin = await h.coordinator.joinGroup(joinRequest(memberId));
    expect((await h.coordinator.commitOffsets({ groupId: 'g', generationId: rejoin.generationId, memberId, offsets })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.coordinator.fetchOffsets('g', null).partitions).toEqual([]);
  });

  it('checks metadata size and partition existence per partition', async () => {
    const h = await startCoordinator({ partitionExists: (topic, partition) => topic === 't' && partition < 2 });
    const result = await h.coordinator.commitOffsets({
      groupId: 'solo',
      generationId: -1,
      memberId: '',
      offsets: [
        { topic: 't', partition: 0, offset: 1n, metadata: 'x'.repeat(4097) },
        { topic: 't', partition: 1, offset: 2n },
        { topic: 't', partition: 2, offset: 3n },
        { topic: 'ghost', partition: 0, offset: 4n },
      ],
    });
    expect(result.partitions.map((p) => p.errorCode)).toEqual([
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.NONE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(result.errorCode).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
    expect(h.coordinator.fetchOffsets('solo', null).partitions.map((p) => [p.partition, p.offset])).toEqual([[1, 2n]]);
  });

  it('reports COORDINATOR_NOT_AVAILABLE and keeps nothing when the log refuses the append', async () => {
    const h = await startCoordinator();
    for (const log of h.logs) log.failAppendsWith = new Error('disk full');
    const result = await h.coordinator.commitOffsets({ groupId: 'solo', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 1n }] });
    expect(result.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.coordinator.fetchOffsets('solo', null).partitions).toEqual([]);
  });

  it('fails the sync of the whole generation when the assignment cannot be stored', async () => {
    const h = await startCoordinator();
    const join = track(h.coordinator.joinGroup(joinRequest('')));
    await h.scheduler.advance(DELAY_MS);
    h.logs[h.coordinator.partitionFor('g')]!.failAppendsWith = new Error('io');
    const sync = await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: join.value.memberId, assignments: [] });
    expect(sync.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.coordinator.describeGroups(['g'])[0]!.state).toBe('PreparingRebalance');
  });
});

describe('offset deletion (OffsetDelete)', () => {
  it('deletes offsets of topics no member subscribes to, with tombstones, and refuses subscribed ones', async () => {
    const h = await startCoordinator();
    const memberId = await stableSingle(h); // subscribes to 't'
    await h.coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId,
      offsets: [
        { topic: 't', partition: 0, offset: 1n },
        { topic: 'old', partition: 0, offset: 2n },
      ],
    });
    const result = await h.coordinator.deleteOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 'old', partition: 0 },
    ]);
    expect(result.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    expect(h.coordinator.fetchOffsets('g', null).partitions.map((p) => p.topic)).toEqual(['t']);
    expect((await logRecords(h.logs)).filter((r) => r.tombstone).map((r) => r.key)).toEqual([{ kind: 'offset', groupId: 'g', topic: 'old', partition: 0 }]);
    expect((await h.coordinator.deleteOffsets('missing', [{ topic: 't', partition: 0 }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    h.coordinator.shutdown();
    const again = await restart(h.logs);
    expect(again.coordinator.fetchOffsets('g', null).partitions.map((p) => p.topic)).toEqual(['t']);
  });
});

describe('offsets across a restart', () => {
  it('reloads committed offsets (last commit wins) from __consumer_offsets', async () => {
    const h = await startCoordinator();
    const commit = (groupId: string, partition: number, offset: bigint) =>
      h.coordinator.commitOffsets({ groupId, generationId: -1, memberId: '', offsets: [{ topic: 'orders', partition, offset, metadata: `m${offset}` }] });
    await commit('g1', 0, 5n);
    await commit('g1', 0, 7n);
    await commit('g1', 1, 9n);
    await commit('g2', 0, 100n);
    h.coordinator.shutdown();
    const again = await restart(h.logs);
    expect(again.coordinator.fetchOffsets('g1', null).partitions.map((p) => [p.partition, p.offset, p.metadata])).toEqual([
      [0, 7n, 'm7'],
      [1, 9n, 'm9'],
    ]);
    expect(again.coordinator.fetchOffsets('g2', [{ topic: 'orders', partition: 0 }]).partitions[0]!.offset).toBe(100n);
    expect(again.coordinator.listGroups().groups.map((g) => [g.groupId, g.state])).toEqual([
      ['g1', 'Empty'],
      ['g2', 'Empty'],
    ]);
  });

  it('puts each group in the partition abs(hash) % n picks, and every record decodes with the Kafka layouts', async () => {
    const h = await startCoordinator();
    for (const groupId of ['alpha', 'beta', 'gamma', 'delta']) {
      await h.coordinator.commitOffsets({ groupId, generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 1n }] });
    }
    const records = await logRecords(h.logs);
    expect(records).toHaveLength(4);
    for (const r of records) expect(r.partition).toBe(h.coordinator.partitionFor(r.key.groupId));
  });

  it('restores a Stable group of Kafka members, which must heartbeat within their session to stay', async () => {
    const h = await startCoordinator();
    const memberId = await stableSingle(h);
    h.coordinator.shutdown();
    const again = await restart(h.logs);
    const described = again.coordinator.describeGroups(['g'])[0]!;
    expect(described).toMatchObject({ state: 'Stable', generationId: 1, protocol: 'range', leader: memberId });
    expect(described.members.map((m) => [m.memberId, m.assignment.toString()])).toEqual([[memberId, 'asg']]);
    expect(again.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId }).errorCode).toBe(ErrorCode.NONE);
    await again.scheduler.advance(10_000);
    expect(again.coordinator.describeGroups(['g'])[0]).toMatchObject({ state: 'Empty', generationId: 2, members: [] });
  });

  it('drops managed (HTTP/WebSocket) members at load: their owner died with the old process', async () => {
    const h = await startCoordinator();
    await stableSingle(h, { clientId: 'runnel-http:instance-1', clientKind: 'http' });
    h.coordinator.shutdown();
    const again = await restart(h.logs);
    expect(again.coordinator.describeGroups(['g'])[0]).toMatchObject({ state: 'Empty', generationId: 2, members: [] });
  });

  it('writes tombstones for a deleted group and its offsets; they stay deleted after a restart', async () => {
    const h = await startCoordinator();
    const memberId = await stableSingle(h);
    await h.coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId, offsets: [{ topic: 't', partition: 0, offset: 3n }, { topic: 't', partition: 1, offset: 4n }] });
    h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId }] });
    await h.scheduler.advance(0);
    expect(await h.coordinator.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    const tombstones = (await logRecords(h.logs)).filter((r) => r.tombstone).map((r) => r.key);
    expect(tombstones).toEqual(
      expect.arrayContaining([
        { kind: 'offset', groupId: 'g', topic: 't', partition: 0 },
        { kind: 'offset', groupId: 'g', topic: 't', partition: 1 },
        { kind: 'group', groupId: 'g' },
      ]),
    );
    expect(h.coordinator.listGroups().groups).toEqual([]);
    h.coordinator.shutdown();
    const again = await restart(h.logs);
    expect(again.coordinator.fetchOffsets('g', null).partitions).toEqual([]);
    expect(again.coordinator.listGroups().groups).toEqual([]);
  });

  it('resets offsets only while the group has no members', async () => {
    const h = await startCoordinator();
    const memberId = await stableSingle(h);
    const offsets = [{ topic: 't', partition: 0, offset: 0n }];
    expect((await h.coordinator.resetOffsets('g', offsets)).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId }] });
    await h.scheduler.advance(0);
    expect((await h.coordinator.resetOffsets('g', offsets)).errorCode).toBe(ErrorCode.NONE);
    expect(h.coordinator.fetchOffsets('g', null).partitions[0]!.offset).toBe(0n);
  });

  it('expires the offsets of a group Empty for offsets.retention.ms and forgets the group', async () => {
    const h = await startCoordinator({ config: { offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 } });
    await h.coordinator.commitOffsets({ groupId: 'old', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 1n }] });
    await h.scheduler.advance(50_000);
    expect(h.coordinator.fetchOffsets('old', null).partitions).toHaveLength(1);
    await h.scheduler.advance(20_000);
    expect(h.coordinator.fetchOffsets('old', null).partitions).toEqual([]);
    expect(h.coordinator.listGroups().groups).toEqual([]);
    const tombstones = (await logRecords(h.logs)).filter((r) => r.tombstone);
    expect(tombstones.map((r) => r.key.kind).sort()).toEqual(['group', 'offset']);
  });

  it('skips records it cannot decode and counts them', async () => {
    const h = await startCoordinator();
    await h.coordinator.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 1n }] });
    const log = h.logs[h.coordinator.partitionFor('g')]!;
    await log.append(encodeBatchSync({ records: [{ key: Buffer.from([0, 9, 0, 0]), value: Buffer.from('?') }] }), { durable: true });
    h.coordinator.shutdown();
    const scheduler = new FakeScheduler();
    const again = new GroupCoordinator({ logs: h.logs, clock: scheduler, scheduler, config: TEST_CONFIG });
    const stats = await again.load();
    expect(stats).toMatchObject({ groups: 1, offsets: 1, records: 2, skippedRecords: 1 });
  });
});
