/**
 * The coordinator over real @runnel/storage PartitionLogs of `__consumer_offsets` in a temp data
 * directory, compacted by the storage cleaner between restarts: compaction (last value per key,
 * tombstones) must leave the coordinator's state exactly as it was.
 */
import { LogManager, type PartitionLog, cleanLog, parseLogConfig } from '@runnel/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFFSETS_TOPIC_NAME } from './constants';
import { GroupCoordinator } from './coordinator';
import { ErrorCode } from './errors';
import type { OffsetsLogPort } from './offsets-log';
import { TEST_CONFIG, joinRequest, track } from './testing/harness';
import { FakeScheduler } from './time';

const PARTITIONS = 3;
const offsetsConfig = parseLogConfig({
  'cleanup.policy': 'compact',
  'segment.bytes': '2048',
  'min.cleanable.dirty.ratio': '0',
  'delete.retention.ms': '0',
});

describe('GroupCoordinator over storage PartitionLogs', () => {
  let dataDir: string;
  let manager: LogManager | null = null;

  async function boot(scheduler: FakeScheduler): Promise<{ coordinator: GroupCoordinator; logs: PartitionLog[]; records: number }> {
    manager = await LogManager.open({ dataDir, topicConfigs: (topic) => (topic === OFFSETS_TOPIC_NAME ? offsetsConfig : undefined) });
    const logs: PartitionLog[] = [];
    for (let p = 0; p < PARTITIONS; p++) logs.push(manager.getLog(OFFSETS_TOPIC_NAME, p) ?? (await manager.createLog(OFFSETS_TOPIC_NAME, p, offsetsConfig)));
    const ports: OffsetsLogPort[] = logs; // structural: a PartitionLog is an OffsetsLogPort
    const coordinator = new GroupCoordinator({ logs: ports, clock: scheduler, scheduler, config: TEST_CONFIG });
    const stats = await coordinator.load();
    return { coordinator, logs, records: stats.records };
  }

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'runnel-coordinator-'));
  });
  afterEach(async () => {
    await manager?.close();
    manager = null;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps offsets, deletions and group metadata through compaction and restart', async () => {
    const scheduler = new FakeScheduler();
    const first = await boot(scheduler);
    const c = first.coordinator;
    // Many commits to few keys, so compaction has plenty to drop.
    for (let round = 0; round < 60; round++) {
      const offsets = [0, 1, 2].map((partition) => ({ topic: 'orders', partition, offset: BigInt(round * 10 + partition), metadata: `r${round}` }));
      expect((await c.commitOffsets({ groupId: 'keep', generationId: -1, memberId: '', offsets })).errorCode).toBe(ErrorCode.NONE);
      expect((await c.commitOffsets({ groupId: 'gone', generationId: -1, memberId: '', offsets })).errorCode).toBe(ErrorCode.NONE);
    }
    expect(await c.deleteGroups(['gone'])).toEqual([{ groupId: 'gone', errorCode: ErrorCode.NONE }]);
    // A Kafka member's group, Stable with its assignment.
    const join = track(c.joinGroup(joinRequest('', { groupId: 'live' })));
    await scheduler.advance(TEST_CONFIG.initialRebalanceDelayMs!);
    const memberId = join.value.memberId;
    await c.syncGroup({ groupId: 'live', generationId: 1, memberId, assignments: [{ memberId, assignment: Buffer.from('a') }] });
    c.shutdown();

    let cleaned = 0;
    for (const log of first.logs) {
      const result = await cleanLog(log, { nowMs: scheduler.nowMs() + 60_000, force: true });
      if (result !== null) cleaned++;
    }
    expect(cleaned).toBeGreaterThan(0);
    await manager!.close();
    manager = null;

    const second = await boot(new FakeScheduler(scheduler.nowMs()));
    // 360 commits + tombstones + group records went in; compaction kept the live keys and the
    // uncleaned active segments.
    expect(second.records).toBeLessThan(100);
    expect(second.coordinator.fetchOffsets('keep', null).partitions.map((p) => [p.partition, p.offset, p.metadata])).toEqual([
      [0, 590n, 'r59'],
      [1, 591n, 'r59'],
      [2, 592n, 'r59'],
    ]);
    expect(second.coordinator.fetchOffsets('gone', null).partitions).toEqual([]);
    expect(second.coordinator.listGroups().groups.map((g) => [g.groupId, g.state])).toEqual([
      ['keep', 'Empty'],
      ['live', 'Stable'],
    ]);
    const live = second.coordinator.describeGroups(['live'])[0]!;
    expect(live.members.map((m) => [m.memberId, m.assignment.toString()])).toEqual([[memberId, 'a']]);
    second.coordinator.shutdown();
  });
});
