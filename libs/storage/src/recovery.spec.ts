/**
 * Crash recovery: for hundreds of random cut points, truncate or corrupt a segment's .log, .index or
 * .timeindex at any byte, reopen without the clean-shutdown marker, and check that recovery keeps
 * exactly the longest valid prefix of batches, never throws, and leaves working indexes.
 *
 * Corruption is aimed at the bytes a batch protects (length, magic, CRC and everything it covers).
 * baseOffset and partitionLeaderEpoch are outside the CRC by the format's design (the log stamps
 * them); a flipped bit there is undetectable by Kafka's format too, so those bytes are not aimed at.
 */
import fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { CompressionType, batchSizeAt } from '@runnel/records';
import { parseLogConfig } from './config';
import { LogManager } from './log-manager';
import { PartitionLog } from './partition-log';
import { buildBatch } from './testing/batch-builder';
import { makeTempDir, removeDir } from './testing/temp-dir';

interface Stored {
  segment: bigint;
  position: number;
  bytes: Buffer;
  base: bigint;
  last: bigint;
}

const config = parseLogConfig({ 'segment.bytes': '3000', 'index.interval.bytes': '200', 'file.delete.delay.ms': '0' });

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

describe('crash recovery', () => {
  let root: string;
  let pristine: string;
  const stored: Stored[] = [];

  beforeAll(async () => {
    root = makeTempDir('runnel-recovery-', true);
    pristine = path.join(root, 'pristine');
    const manager = await LogManager.open({ dataDir: pristine, defaults: config });
    const log = await manager.createLog('crash', 0);
    const rng = fc.sample(fc.array(fc.record({ count: fc.integer({ min: 1, max: 5 }), size: fc.integer({ min: 1, max: 300 }), gzip: fc.boolean() }), { minLength: 60, maxLength: 60 }), { numRuns: 1, seed: 42 })[0]!;
    for (const [i, spec] of rng.entries()) {
      const batch = buildBatch(
        Array.from({ length: spec.count }, (_, j) => ({ key: `k${j}`, value: Buffer.alloc(spec.size, i), timestampMs: 1000 + i })),
        { compression: spec.gzip ? CompressionType.Gzip : CompressionType.None },
      );
      await log.append(batch);
    }
    // Map every stored batch to its segment file and position.
    for (const info of log.segmentInfos()) {
      const file = path.join(log.dir, `${info.baseOffset.toString().padStart(20, '0')}.log`);
      const data = fs.readFileSync(file);
      for (let at = 0; at < data.length; at += batchSizeAt(data, at)) {
        const bytes = data.subarray(at, at + batchSizeAt(data, at));
        stored.push({ segment: info.baseOffset, position: at, bytes, base: bytes.readBigInt64BE(0), last: bytes.readBigInt64BE(0) + BigInt(bytes.readInt32BE(23)) });
      }
    }
    expect(log.segmentInfos().length).toBeGreaterThan(5);
    manager.abandon(); // crash: no flush, no checkpoint, no clean-shutdown marker
  });

  afterAll(() => removeDir(root));

  it('keeps exactly the longest valid prefix for hundreds of random cuts and corruptions', async () => {
    const files = fs.readdirSync(path.join(pristine, 'crash-0')).filter((f) => /\.(log|index|timeindex)$/.test(f));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...files),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.constantFrom('truncate', 'corrupt'),
        fc.integer({ min: 1, max: 255 }),
        async (file, where, action, flip) => {
          const work = path.join(root, `run-${run++}`);
          fs.cpSync(pristine, work, { recursive: true });
          const target = path.join(work, 'crash-0', file);
          const size = fs.statSync(target).size;
          const segment = BigInt(file.split('.')[0]!);
          let expected = stored;
          if (size > 0) {
            let at = Math.floor(where * size);
            if (action === 'truncate') {
              fs.truncateSync(target, at);
              if (file.endsWith('.log')) expected = stored.filter((b) => b.segment < segment || (b.segment === segment && b.position + b.bytes.length <= at));
            } else {
              if (file.endsWith('.log')) {
                const hit = stored.find((b) => b.segment === segment && b.position <= at && at < b.position + b.bytes.length)!;
                const rel = at - hit.position;
                if (rel < 8) at = hit.position + 8 + (rel % 4); // length field instead of baseOffset
                else if (rel >= 12 && rel < 16) at = hit.position + 16; // magic instead of leader epoch
                expected = stored.filter((b) => b.segment < segment || (b.segment === segment && b.position < hit.position));
              }
              const fd = fs.openSync(target, 'r+');
              const byte = Buffer.alloc(1);
              fs.readSync(fd, byte, 0, 1, at);
              byte[0] = byte.readUInt8(0) ^ flip;
              fs.writeSync(fd, byte, 0, 1, at);
              fs.closeSync(fd);
            }
          }
          const manager = await LogManager.open({ dataDir: work, defaults: config });
          try {
            const log = manager.getLog('crash', 0)!;
            const want = Buffer.concat(expected.map((b) => b.bytes));
            expect(readAll(log).equals(want)).toBe(true);
            expect(log.logEndOffset).toBe(expected.length === 0 ? 0n : expected.at(-1)!.last + 1n);
            // Indexes work: every offset reads the batch holding it.
            for (const b of expected.filter((_, i) => i % 7 === 0)) {
              const r = log.read(b.last, 1);
              expect(r.records.equals(b.bytes)).toBe(true);
            }
            const next = await log.append(buildBatch([{ value: 'after' }]));
            expect(next.firstOffset).toBe(log.logEndOffset - 1n);
          } finally {
            manager.abandon(); // skip the fsyncs of close(): the next run uses a fresh copy
            removeDir(work);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  }, 60_000);

  it('re-validates only after the recovery point, and loses nothing flushed', async () => {
    const dir = path.join(root, 'rp');
    let manager = await LogManager.open({ dataDir: dir, defaults: config });
    const log = await manager.createLog('rp', 0);
    for (let i = 0; i < 40; i++) await log.append(buildBatch([{ value: Buffer.alloc(200, i) }]));
    await log.flush();
    await manager.checkpoint();
    for (let i = 0; i < 3; i++) await log.append(buildBatch([{ value: Buffer.alloc(10, i) }]), { durable: true });
    const before = readAll(log);
    const segments = log.segmentInfos().length;
    manager.abandon();
    manager = await LogManager.open({ dataDir: dir, defaults: config });
    const again = manager.getLog('rp', 0)!;
    expect(again.recovery.segmentsRecovered).toBeGreaterThan(0);
    expect(again.recovery.segmentsRecovered).toBeLessThan(segments);
    expect(readAll(again).equals(before)).toBe(true);
    await manager.close();
  });
});
