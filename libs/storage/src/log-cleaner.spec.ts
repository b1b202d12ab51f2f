import fs from 'node:fs';
import * as path from 'node:path';
import { BatchProblem, CompressionType, checkBatch, decodeBatchesSync, encodeBatchSync } from '@runnel/records';
import { LogConfig, parseLogConfig } from './config';
import { cleanLog } from './log-cleaner';
import { LogManager } from './log-manager';
import { PartitionLog } from './partition-log';
import { buildBatch } from './testing/batch-builder';
import { DecodedRecord, decodeRecords } from './testing/decode';
import { ManualClock, makeTempDir, removeDir } from './testing/temp-dir';

function readAll(log: PartitionLog): Buffer {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 20);
    if (r.records.length === 0) break;
    parts.push(r.records);
    offset = r.nextOffset;
  }
  return Buffer.concat(parts);
}

const compact = (overrides: Record<string, string> = {}): LogConfig =>
  parseLogConfig({
    'cleanup.policy': 'compact',
    'segment.bytes': '1200',
    'index.interval.bytes': '100',
    'min.cleanable.dirty.ratio': '0',
    'file.delete.delay.ms': '0',
    ...overrides,
  });

/** What a full compaction of everything below `end` keeps: the latest record per key below `end`, and all from `end` on. */
function model(all: DecodedRecord[], end: bigint): DecodedRecord[] {
  const latest = new Map<string, bigint>();
  for (const r of all) if (r.offset < end && r.key !== null) latest.set(r.key, r.offset);
  return all.filter((r) => r.offset >= end || r.key === null || latest.get(r.key) === r.offset);
}

describe('LogCleaner', () => {
  let dir: string;
  let manager: LogManager;
  const clock = new ManualClock();

  beforeEach(async () => {
    dir = makeTempDir('runnel-cleaner-', true);
    manager = await LogManager.open({ dataDir: dir, clock });
  });
  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  async function fill(log: PartitionLog, rounds: number, keys: number, gzipEvery = 0): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const records = Array.from({ length: keys }, (_, k) => ({ key: `key-${k}`, value: `v${round}-${k}-`.padEnd(40, 'x'), timestampMs: clock.now }));
      const gzip = gzipEvery > 0 && round % gzipEvery === 0;
      await log.append(buildBatch(records.slice(0, keys / 2), { compression: gzip ? CompressionType.Gzip : CompressionType.None }));
      await log.append(buildBatch(records.slice(keys / 2)));
    }
  }

  it('keeps the latest record per key, preserves offsets, and reads across cleaned segments', async () => {
    const log = await manager.createLog('c', 0, compact());
    await fill(log, 30, 10, 3);
    const before = decodeRecords(readAll(log));
    const result = await cleanLog(log, { nowMs: clock.now });
    expect(result).not.toBeNull();
    expect(result!.recordsRemoved).toBeGreaterThan(0);
    const after = decodeRecords(readAll(log));
    expect(after).toEqual(model(before, result!.cleanedUpTo));
    // Every batch is still valid, every offset is still readable.
    const bytes = readAll(log);
    for (let at = 0; at < bytes.length; at += bytes.readInt32BE(at + 8) + 12) expect(checkBatch(bytes, at, bytes.length)).toBe(BatchProblem.Ok);
    for (const r of after) {
      const got = decodeRecords(log.read(r.offset, 1).records);
      expect(got.some((g) => g.offset === r.offset)).toBe(true);
    }
    expect(log.logEndOffset).toBe(300n);
    expect(log.sizeBytes()).toBeLessThan(before.length * 40);
    // Reopen: the cleaned segments load and the checkpoint is kept.
    await manager.close();
    manager = await LogManager.open({ dataDir: dir, clock, topicConfigs: () => compact() });
    const again = manager.getLog('c', 0)!;
    expect(decodeRecords(readAll(again))).toEqual(after);
    expect(again.cleanerCheckpoint).toBe(result!.cleanedUpTo);
  });

  it.each([
    ['snappy', CompressionType.Snappy],
    ['lz4', CompressionType.Lz4],
    ['gzip', CompressionType.Gzip],
  ])('compacts %s batches written by the records codec, keeping the codec', async (_name, compression) => {
    const log = await manager.createLog('z', 0, compact());
    for (let round = 0; round < 12; round++) {
      const records = Array.from({ length: 6 }, (_, k) => ({ key: Buffer.from(`key-${k}`), value: Buffer.from(`value-${round}-${k}`), timestampMs: BigInt(clock.now) }));
      await log.append(encodeBatchSync({ records, compression, nowMs: BigInt(clock.now) }));
    }
    log.roll();
    const result = await cleanLog(log, { nowMs: clock.now });
    expect(result!.recordsRemoved).toBe(66);
    const batches = decodeBatchesSync(readAll(log));
    expect(batches.every((b) => b.compression === compression)).toBe(true);
    const survivors = batches.flatMap((b) => b.records.map((r) => [r.offset, r.key!.toString(), r.value!.toString()]));
    expect(survivors).toEqual(Array.from({ length: 6 }, (_, k) => [66n + BigInt(k), `key-${k}`, `value-11-${k}`]));
  });

  it('keeps tombstones for delete.retention.ms, then removes them', async () => {
    const log = await manager.createLog('c', 0, compact({ 'delete.retention.ms': '1000' }));
    await fill(log, 5, 4);
    await log.append(buildBatch([{ key: 'key-1', value: null, timestampMs: clock.now }]));
    await fill(log, 5, 2); // keys 0 and 1 only: key-1 gets new values after the tombstone? no: fill uses key-0 / key-1
    await log.append(buildBatch([{ key: 'key-3', value: null, timestampMs: clock.now }]));
    await fill(log, 3, 2);
    await cleanLog(log, { nowMs: clock.now });
    let records = decodeRecords(readAll(log));
    expect(records.filter((r) => r.key === 'key-3')).toEqual([expect.objectContaining({ tombstone: true })]);
    clock.advance(5000);
    await fill(log, 10, 2); // more dirty data so the next pass runs
    await cleanLog(log, { nowMs: clock.now });
    records = decodeRecords(readAll(log));
    expect(records.filter((r) => r.key === 'key-3')).toEqual([]);
    expect(records.filter((r) => r.key === 'key-2')).toHaveLength(1);
  });

  it('cleans in several passes when the key map is smaller than the dirty keys', async () => {
    const log = await manager.createLog('c', 0, compact());
    await fill(log, 20, 20);
    const before = decodeRecords(readAll(log));
    let passes = 0;
    let last: bigint = 0n;
    while (passes < 100) {
      const result = await cleanLog(log, { nowMs: clock.now, keyMapEntriesMax: 7 });
      if (!result) break;
      passes++;
      last = result.cleanedUpTo;
    }
    expect(passes).toBeGreaterThan(1);
    const after = decodeRecords(readAll(log));
    // Each key's latest record below the last cleaned offset survives.
    const latest = new Map<string, bigint>();
    for (const r of before) if (r.offset < last) latest.set(r.key!, r.offset);
    for (const [key, offset] of latest) expect(after.some((r) => r.key === key && r.offset === offset)).toBe(true);
    expect(after.length).toBeLessThan(before.length / 2);
  });

  it('honours min.compaction.lag.ms and min.cleanable.dirty.ratio', async () => {
    const lagged = await manager.createLog('lag', 0, compact({ 'min.compaction.lag.ms': '10000' }));
    await fill(lagged, 10, 4);
    expect(await cleanLog(lagged, { nowMs: clock.now })).toBeNull();
    expect(await cleanLog(lagged, { nowMs: clock.now + 20_000 })).not.toBeNull();
    const ratio = await manager.createLog('ratio', 0, compact({ 'min.cleanable.dirty.ratio': '0.9' }));
    await fill(ratio, 10, 4);
    expect(await cleanLog(ratio, { nowMs: clock.now })).not.toBeNull(); // all dirty: ratio 1
    await fill(ratio, 1, 4);
    ratio.roll();
    expect(await cleanLog(ratio, { nowMs: clock.now })).toBeNull(); // little new dirty data
    expect(await cleanLog(ratio, { nowMs: clock.now, force: true })).not.toBeNull();
  });

  it('runs through LogManager.runCleanerOnce only for compacted logs', async () => {
    const plain = await manager.createLog('plain', 0, compact({ 'cleanup.policy': 'delete' }));
    const both = await manager.createLog('both', 0, compact({ 'cleanup.policy': 'compact,delete' }));
    await fill(plain, 10, 4);
    await fill(both, 10, 4);
    const results = await manager.runCleanerOnce(clock.now);
    expect(results.map((r) => r.topic)).toEqual(['both']);
  });

  it('recovers a crash during the swap: .cleaned is dropped, .swap completes', async () => {
    const log = await manager.createLog('c', 0, compact());
    await fill(log, 20, 6);
    const original = readAll(log);
    const segment = log.allSegments()[0]!;
    const base = path.basename(segment.path);
    await manager.close();
    // A copy to clean, as the "after" state.
    const cleanedDir = dir + '-cleaned';
    fs.cpSync(dir, cleanedDir, { recursive: true });
    const other = await LogManager.open({ dataDir: cleanedDir, clock, topicConfigs: () => compact() });
    await cleanLog(other.getLog('c', 0)!, { nowMs: clock.now });
    await other.close();
    // Crash before the commit point: a half-written .cleaned file is ignored.
    fs.writeFileSync(path.join(dir, 'c-0', base + '.cleaned'), 'garbage');
    // Crash after the commit point: the .swap replaces segment 0 on open (old files still present).
    fs.copyFileSync(path.join(cleanedDir, 'c-0', base), path.join(dir, 'c-0', base + '.swap'));
    fs.rmSync(path.join(dir, '.kafka_cleanshutdown'));
    manager = await LogManager.open({ dataDir: dir, clock, topicConfigs: () => compact() });
    const recovered = manager.getLog('c', 0)!;
    expect(fs.readdirSync(recovered.dir).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
    const got = decodeRecords(readAll(recovered));
    const expectedFirstSegment = decodeRecords(fs.readFileSync(path.join(cleanedDir, 'c-0', base)));
    const originalRest = decodeRecords(original).filter((r) => r.offset >= recovered.allSegments()[1]!.baseOffset);
    expect(got).toEqual([...expectedFirstSegment, ...originalRest]);
    removeDir(cleanedDir);
  });
});
