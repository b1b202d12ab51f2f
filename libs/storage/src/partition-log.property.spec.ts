/**
 * Property test: random sequences of append / read / truncate / roll / compact / DeleteRecords /
 * clean reopen / crash reopen against a simple in-memory model of batches and records. Tiny
 * segment.bytes forces many rolls; a tiny cleaner key map forces multi-pass compaction.
 */
import fc from 'fast-check';
import { batchSizeAt } from '@runnel/records';
import { parseLogConfig } from './config';
import { cleanLog } from './log-cleaner';
import { LogManager } from './log-manager';
import { PartitionLog } from './partition-log';
import { buildBatch } from './testing/batch-builder';
import { decodeRecords } from './testing/decode';
import { ManualClock, makeTempDir, removeDir } from './testing/temp-dir';

interface ModelRecord {
  offset: bigint;
  key: string;
  value: string | null;
}
interface ModelBatch {
  base: bigint;
  last: bigint;
  records: ModelRecord[];
}

const config = parseLogConfig({
  'cleanup.policy': 'compact',
  'segment.bytes': '700',
  'index.interval.bytes': '150',
  'min.cleanable.dirty.ratio': '0',
  'file.delete.delay.ms': '0',
});

const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('append' as const), records: fc.array(fc.record({ key: fc.integer({ min: 0, max: 6 }), size: fc.integer({ min: 0, max: 60 }), tombstone: fc.boolean() }), { minLength: 1, maxLength: 4 }) }) },
  // Appends of one turn, written together by the log's write gathering.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('burst' as const), appends: fc.array(fc.array(fc.record({ key: fc.integer({ min: 0, max: 6 }), size: fc.integer({ min: 0, max: 60 }) }), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), maxBytes: fc.integer({ min: 1, max: 800 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('roll' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), keyMap: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), crash: fc.boolean() }) },
);

function pick(from: bigint, to: bigint, at: number): bigint {
  if (to <= from) return from;
  return from + BigInt(Math.floor(Number(to - from + 1n) * Math.min(at, 0.999999)));
}

describe('PartitionLog against an in-memory model', () => {
  it('behaves like the model under random operation sequences', async () => {
    const root = makeTempDir('runnel-property-', true);
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 45 }), async (ops) => {
          const clock = new ManualClock();
          const dataDir = `${root}/run-${run++}`;
          let manager = await LogManager.open({ dataDir, clock, defaults: config });
          let log: PartitionLog = await manager.createLog('p', 0);
          let batches: ModelBatch[] = [];
          let logStart = 0n;
          let logEnd = 0n;
          let value = 0;
          try {
            for (const step of ops) {
              switch (step.kind) {
                case 'append': {
                  const records = step.records.map((r) => ({ key: `k${r.key}`, value: r.tombstone ? null : `v${value++}-`.padEnd(r.size, '.'), timestampMs: clock.now }));
                  const info = await log.append(buildBatch(records));
                  expect(info.firstOffset).toBe(logEnd);
                  batches.push({ base: logEnd, last: logEnd + BigInt(records.length - 1), records: records.map((r, i) => ({ offset: logEnd + BigInt(i), key: r.key, value: r.value })) });
                  logEnd += BigInt(records.length);
                  break;
                }
                case 'burst': {
                  const bursts = step.appends.map((spec) => spec.map((r) => ({ key: `k${r.key}`, value: `v${value++}-`.padEnd(r.size, '.'), timestampMs: clock.now })));
                  const infos = await Promise.all(bursts.map((records) => log.append(buildBatch(records))));
                  bursts.forEach((records, i) => {
                    expect(infos[i]!.firstOffset).toBe(logEnd);
                    batches.push({ base: logEnd, last: logEnd + BigInt(records.length - 1), records: records.map((r, j) => ({ offset: logEnd + BigInt(j), key: r.key, value: r.value })) });
                    logEnd += BigInt(records.length);
                  });
                  break;
                }
                case 'read': {
                  const offset = pick(logStart, logEnd, step.at);
                  const result = log.read(offset, step.maxBytes);
                  const first = batches.findIndex((b) => b.last >= offset);
                  if (first < 0) {
                    expect(result.records.length).toBe(0);
                    break;
                  }
                  expect(result.firstOffset).toBe(batches[first]!.base);
                  const returned: ModelBatch[] = [];
                  for (let at = 0; at < result.records.length; at += batchSizeAt(result.records, at)) returned.push(batches[first + returned.length]!);
                  expect(returned.length).toBeGreaterThan(0);
                  const firstSize = batchSizeAt(result.records, 0);
                  expect(result.records.length).toBeLessThanOrEqual(Math.max(step.maxBytes, firstSize));
                  const got = decodeRecords(result.records).map((r) => ({ offset: r.offset, key: r.key, tombstone: r.tombstone }));
                  const want = returned.flatMap((b) => b.records).map((r) => ({ offset: r.offset, key: r.key, tombstone: r.value === null }));
                  expect(got).toEqual(want);
                  expect(result.nextOffset).toBe(returned.at(-1)!.last + 1n);
                  break;
                }
                case 'truncate': {
                  const offset = pick(logStart, logEnd, step.at);
                  await log.truncateTo(offset);
                  batches = batches.filter((b) => b.last < offset);
                  const floor = batches.length > 0 ? batches.at(-1)!.last + 1n : 0n;
                  expect(log.logEndOffset).toBeGreaterThanOrEqual(floor < log.logStartOffset ? log.logStartOffset : floor);
                  expect(log.logEndOffset).toBeLessThanOrEqual(offset);
                  logEnd = log.logEndOffset;
                  expect(log.logStartOffset).toBeLessThanOrEqual(logEnd);
                  logStart = log.logStartOffset;
                  break;
                }
                case 'roll':
                  log.roll();
                  break;
                case 'compact': {
                  const result = await cleanLog(log, { nowMs: clock.now, keyMapEntriesMax: step.keyMap, force: true });
                  if (!result) break;
                  const end = result.cleanedUpTo;
                  const latest = new Map<string, bigint>();
                  for (const b of batches) for (const r of b.records) if (r.offset < end) latest.set(r.key, r.offset);
                  batches = batches
                    .map((b) => ({ ...b, records: b.records.filter((r) => r.offset >= end || latest.get(r.key) === r.offset) }))
                    .filter((b) => b.records.length > 0);
                  break;
                }
                case 'deleteRecords': {
                  const offset = pick(logStart, logEnd, step.at);
                  expect(await log.deleteRecordsBefore(offset)).toBe(offset);
                  logStart = offset;
                  break;
                }
                case 'reopen': {
                  if (step.crash) manager.abandon();
                  else await manager.close();
                  manager = await LogManager.open({ dataDir, clock, defaults: config });
                  log = manager.getLog('p', 0)!;
                  expect(log.logEndOffset).toBe(logEnd);
                  // Without a checkpoint since the last DeleteRecords a crash may bring the start back (as in Kafka), never forward.
                  expect(log.logStartOffset).toBeLessThanOrEqual(logStart);
                  if (!step.crash) expect(log.logStartOffset).toBe(logStart);
                  logStart = log.logStartOffset;
                  break;
                }
              }
              expect(log.logEndOffset).toBe(logEnd);
              expect(log.logStartOffset).toBe(logStart);
            }
            // Finally the whole visible log equals the model.
            const all: ModelRecord[] = [];
            let offset = logStart;
            while (offset < logEnd) {
              const r = log.read(offset, 4096);
              if (r.records.length === 0) break;
              for (const d of decodeRecords(r.records)) all.push({ offset: d.offset, key: d.key!, value: d.tombstone ? null : 'x' });
              offset = r.nextOffset;
            }
            const want = batches.filter((b) => b.last >= logStart).flatMap((b) => b.records);
            expect(all.map((r) => [r.offset, r.key, r.value === null])).toEqual(want.map((r) => [r.offset, r.key, r.value === null]));
          } finally {
            manager.abandon();
            removeDir(dataDir);
          }
        }),
        { numRuns: 200, seed: 20261121 },
      );
    } finally {
      removeDir(root);
    }
  }, 60_000);
});
