import fs from 'node:fs';
import * as path from 'node:path';
import { ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND, CompressionType, batchAttributes, batchBaseOffset, batchSizeAt, checkBatch, BatchProblem } from '@runnel/records';
import { parseLogConfig } from './config';
import { BatchTooLargeError, CorruptBatchError, DiskFullError, InvalidOffsetError, LogClosedError, OffsetOutOfRangeError } from './errors';
import { LogManager } from './log-manager';
import { PartitionLog } from './partition-log';
import { buildBatch, buildValueBatch } from './testing/batch-builder';
import { useLogManager } from './testing/log-manager-fixture';

/** Splits a fetched buffer into [baseOffset, lastOffset] per batch. */
function batchesOf(records: Buffer): { base: bigint; size: number }[] {
  const out: { base: bigint; size: number }[] = [];
  for (let at = 0; at < records.length; at += batchSizeAt(records, at)) out.push({ base: batchBaseOffset(records, at), size: batchSizeAt(records, at) });
  return out;
}

describe('PartitionLog', () => {
  const f = useLogManager();
  const clock = f.clock;

  const small = (overrides: Record<string, string> = {}) => parseLogConfig({ 'segment.bytes': '1000', 'index.interval.bytes': '100', 'file.delete.delay.ms': '0', ...overrides });

  it('assigns offsets, stamps them into the stored bytes, and reads them back', async () => {
    const log = await f.manager.createLog('t', 0);
    const first = await log.append(buildValueBatch(3, 10));
    const second = await log.append(buildValueBatch(2, 10));
    expect(first).toMatchObject({ firstOffset: 0n, lastOffset: 2n, recordCount: 3, batchCount: 1, logAppendTimeMs: -1n });
    expect(second).toMatchObject({ firstOffset: 3n, lastOffset: 4n });
    expect(log.logEndOffset).toBe(5n);
    expect(log.highWatermark).toBe(5n);
    const fetched = log.read(0n, 1 << 20);
    expect(batchesOf(fetched.records).map((b) => b.base)).toEqual([0n, 3n]);
    expect(fetched.nextOffset).toBe(5n);
    expect(checkBatch(fetched.records, 0, fetched.records.length)).toBe(BatchProblem.Ok);
    const fromMiddle = log.read(4n, 1 << 20);
    expect(fromMiddle.firstOffset).toBe(3n);
    expect(log.read(5n, 100).records.length).toBe(0);
    expect(() => log.read(6n, 100)).toThrow(OffsetOutOfRangeError);
  });

  it('returns whole batches within the byte budget, and the first batch even if larger', async () => {
    const log = await f.manager.createLog('t', 0);
    for (let i = 0; i < 5; i++) await log.append(buildValueBatch(1, 100));
    const size = batchSizeAt(log.read(0n, 1).records, 0);
    expect(log.read(0n, 1).records.length).toBe(size);
    expect(batchesOf(log.read(0n, size * 2 + 5).records)).toHaveLength(2);
    expect(batchesOf(log.read(1n, size * 10).records).map((b) => b.base)).toEqual([1n, 2n, 3n, 4n]);
    const bounded = log.read(0n, 1 << 20, { maxOffset: 3n });
    expect(batchesOf(bounded.records).map((b) => b.base)).toEqual([0n, 1n, 2n]);
    expect(bounded.nextOffset).toBe(3n);
  });

  it('rolls segments on segment.bytes and reads across them', async () => {
    const log = await f.manager.createLog('t', 0, small());
    for (let i = 0; i < 30; i++) await log.append(buildValueBatch(2, 50));
    const infos = log.segmentInfos();
    expect(infos.length).toBeGreaterThan(3);
    for (const info of infos.slice(0, -1)) expect(info.sizeBytes).toBeLessThanOrEqual(1000);
    let offset = 0n;
    let seen = 0;
    while (offset < log.logEndOffset) {
      const r = log.read(offset, 300);
      seen += batchesOf(r.records).length;
      offset = r.nextOffset;
    }
    expect(seen).toBe(30);
    for (let o = 0n; o < 60n; o++) {
      const r = log.read(o, 1);
      const first = batchesOf(r.records)[0]!;
      expect(first.base <= o && o < first.base + 2n).toBe(true);
    }
  });

  it('rolls on segment.ms and on a full offset index', async () => {
    const timed = await f.manager.createLog('timed', 0, parseLogConfig({ 'segment.ms': '1000' }));
    await timed.append(buildValueBatch(1, 10));
    await timed.append(buildValueBatch(1, 10));
    expect(timed.segmentInfos()).toHaveLength(1);
    clock.advance(1001);
    await timed.append(buildValueBatch(1, 10));
    expect(timed.segmentInfos().map((s) => s.baseOffset)).toEqual([0n, 2n]);
    const indexed = await f.manager.createLog('indexed', 0, parseLogConfig({ 'segment.index.bytes': '16', 'index.interval.bytes': '0' }));
    for (let i = 0; i < 9; i++) await indexed.append(buildValueBatch(1, 10));
    expect(indexed.segmentInfos().length).toBeGreaterThanOrEqual(3);
    for (let o = 0n; o < 9n; o++) expect(indexed.read(o, 1).firstOffset).toBe(o);
  });

  it('flushes by flush.messages and flush.ms, advancing the recovery point', async () => {
    const counted = await f.manager.createLog('counted', 0, parseLogConfig({ 'flush.messages': '3' }));
    await counted.append(buildValueBatch(2, 10));
    expect(counted.recoveryPoint).toBe(0n);
    await counted.append(buildValueBatch(2, 10));
    expect(counted.recoveryPoint).toBe(4n);
    const timed = await f.manager.createLog('timed', 0, parseLogConfig({ 'flush.ms': '500' }));
    await timed.append(buildValueBatch(2, 10));
    await timed.maybeFlushByTime(clock.now + 100);
    expect(timed.recoveryPoint).toBe(0n);
    await timed.maybeFlushByTime(clock.now + 600);
    expect(timed.recoveryPoint).toBe(2n);
  });

  it('refuses a corrupt or oversized append as a whole, writing nothing', async () => {
    const log = await f.manager.createLog('t', 0, parseLogConfig({ 'max.message.bytes': '500' }));
    const good = buildValueBatch(1, 10);
    const bad = buildValueBatch(1, 10);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    await expect(log.append(Buffer.concat([good, bad]))).rejects.toThrow(CorruptBatchError);
    await expect(log.append(good.subarray(0, 30))).rejects.toThrow(CorruptBatchError);
    await expect(log.append(buildValueBatch(10, 100))).rejects.toThrow(BatchTooLargeError);
    expect(log.logEndOffset).toBe(0n);
    expect(log.sizeBytes()).toBe(0);
  });

  it('with crcVerified skips only the CRC pass, still refusing bad framing', async () => {
    const log = await f.manager.createLog('t', 0);
    const flipped = buildValueBatch(1, 10);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 0xff, flipped.length - 1);
    await expect(log.append(flipped)).rejects.toThrow(CorruptBatchError);
    expect((await log.append(flipped, { crcVerified: true })).firstOffset).toBe(0n); // the caller vouched for it
    const badMagic = buildValueBatch(1, 10);
    badMagic.writeInt8(1, 16);
    await expect(log.append(badMagic, { crcVerified: true })).rejects.toThrow(CorruptBatchError);
    await expect(log.append(buildValueBatch(1, 10).subarray(0, 70), { crcVerified: true })).rejects.toThrow(CorruptBatchError);
    expect(log.logEndOffset).toBe(1n);
  });

  it('stamps LogAppendTime and rewrites the CRC', async () => {
    const log = await f.manager.createLog('t', 0, parseLogConfig({ 'message.timestamp.type': 'LogAppendTime' }));
    const info = await log.append(buildValueBatch(2, 10, 5));
    expect(info.logAppendTimeMs).toBe(BigInt(clock.now));
    const records = log.read(0n, 1000).records;
    expect(batchAttributes(records) & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND).not.toBe(0);
    expect(records.readBigInt64BE(35)).toBe(BigInt(clock.now));
    expect(checkBatch(records, 0, records.length)).toBe(BatchProblem.Ok);
  });

  it('keeps offsets on follower appends and refuses going back', async () => {
    const log = await f.manager.createLog('t', 0);
    await log.append(buildBatch([{ value: 'a' }], { baseOffset: 10n }), { assignOffsets: false, leaderEpoch: 3 });
    expect(log.logEndOffset).toBe(11n);
    await expect(log.append(buildBatch([{ value: 'b' }], { baseOffset: 5n }), { assignOffsets: false })).rejects.toThrow(InvalidOffsetError);
    expect(log.leaderEpoch).toBe(3);
    expect(log.leaderEpochCache.all()).toEqual([{ epoch: 3, startOffset: 10n }]);
  });

  it('truncates to an offset at batch granularity', async () => {
    const log = await f.manager.createLog('t', 0, small());
    for (let i = 0; i < 20; i++) await log.append(buildValueBatch(2, 50), { leaderEpoch: i < 10 ? 1 : 2 });
    await log.truncateTo(21n); // mid-batch [20, 21]: the whole batch goes
    expect(log.logEndOffset).toBe(20n);
    expect(log.leaderEpochCache.all()).toEqual([{ epoch: 1, startOffset: 0n }]);
    const next = await log.append(buildValueBatch(1, 5));
    expect(next.firstOffset).toBe(20n);
    await log.truncateTo(0n);
    expect(log.logEndOffset).toBe(0n);
    expect(log.sizeBytes()).toBe(0);
    expect((await log.append(buildValueBatch(1, 5))).firstOffset).toBe(0n);
  });

  it('DeleteRecords advances the log start offset and drops whole segments', async () => {
    const log = await f.manager.createLog('t', 0, small());
    for (let i = 0; i < 30; i++) await log.append(buildValueBatch(2, 50));
    const before = log.segmentInfos().length;
    expect(await log.deleteRecordsBefore(31n)).toBe(31n);
    expect(log.logStartOffset).toBe(31n);
    expect(log.segmentInfos().length).toBeLessThan(before);
    expect(log.segmentInfos()[0]!.baseOffset).toBeLessThanOrEqual(31n);
    expect(() => log.read(30n, 100)).toThrow(OffsetOutOfRangeError);
    expect(log.read(31n, 100).firstOffset).toBe(30n);
    await expect(log.deleteRecordsBefore(61n)).rejects.toThrow(OffsetOutOfRangeError);
    expect(await log.deleteRecordsBefore(60n)).toBe(60n);
    expect(log.read(60n, 100).records.length).toBe(0);
    expect((await log.append(buildValueBatch(1, 5))).firstOffset).toBe(60n);
  });

  it('finds the first offset at or after a timestamp', async () => {
    const log = await f.manager.createLog('t', 0, small());
    for (let i = 0; i < 40; i++) {
      await log.append(buildBatch([{ value: 'x'.repeat(30), timestampMs: 1000 + i * 10 }, { value: 'y', timestampMs: 1005 + i * 10 }]));
    }
    expect(log.offsetForTimestamp(0n)).toBe(0n);
    expect(log.offsetForTimestamp(1000n)).toBe(0n);
    expect(log.offsetForTimestamp(1001n)).toBe(1n);
    expect(log.offsetForTimestamp(1005n)).toBe(1n);
    expect(log.offsetForTimestamp(1006n)).toBe(2n);
    expect(log.offsetForTimestamp(1200n)).toBe(40n);
    expect(log.offsetForTimestamp(1395n)).toBe(79n);
    expect(log.offsetForTimestamp(1396n)).toBeNull();
    const gz = await f.manager.createLog('gz', 0);
    await gz.append(buildBatch([{ value: 'a', timestampMs: 10 }, { value: 'b', timestampMs: 20 }], { compression: CompressionType.Gzip }));
    expect(gz.offsetForTimestamp(15n)).toBe(1n);
  });

  it('notifies listeners after each append and unsubscribes', async () => {
    const log = await f.manager.createLog('t', 0);
    const seen: bigint[] = [];
    const off = log.onAppend((info) => seen.push(info.firstOffset));
    await log.append(buildValueBatch(2, 1));
    off();
    await log.append(buildValueBatch(2, 1));
    expect(seen).toEqual([0n]);
  });

  it('group-commits concurrent durable appends into few fdatasyncs', async () => {
    const log = await f.manager.createLog('t', 0);
    const spy = jest.spyOn(fs, 'fdatasync');
    try {
      const infos = await Promise.all(Array.from({ length: 64 }, () => log.append(buildValueBatch(1, 10), { durable: true })));
      expect(new Set(infos.map((i) => i.firstOffset)).size).toBe(64);
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('resolves a durable append only after an fdatasync that started after its write', async () => {
    const log = await f.manager.createLog('t', 0);
    const pending: (() => void)[] = [];
    const spy = jest.spyOn(fs, 'fdatasync').mockImplementation((_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      pending.push(() => callback(null));
    });
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    try {
      let firstDone = false;
      let secondDone = false;
      const first = log.append(buildValueBatch(1, 10), { durable: true }).then(() => (firstDone = true));
      await tick();
      expect(pending).toHaveLength(1);
      expect(firstDone).toBe(false);
      const second = log.append(buildValueBatch(1, 10), { durable: true }).then(() => (secondDone = true));
      await tick();
      expect(pending).toHaveLength(2); // written after the first sync started: needs its own
      pending[0]!();
      await first;
      await tick();
      expect(secondDone).toBe(false);
      pending[1]!();
      await second;
      expect(secondDone).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('maps ENOSPC to DiskFullError and leaves no partial batch behind', async () => {
    const log = await f.manager.createLog('t', 0);
    await log.append(buildValueBatch(1, 10));
    const size = log.sizeBytes();
    const original = fs.writeSync;
    const spy = jest.spyOn(fs, 'writeSync').mockImplementationOnce(((fd: number, buf: Buffer, off: number, len: number, pos: number) => {
      original(fd, buf, off, Math.floor(len / 2), pos); // half written, then the disk is full
      const error = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
      error.code = 'ENOSPC';
      throw error;
    }) as unknown as typeof fs.writeSync);
    try {
      await expect(log.append(buildValueBatch(3, 100))).rejects.toThrow(DiskFullError);
    } finally {
      spy.mockRestore();
    }
    expect(log.sizeBytes()).toBe(size);
    expect(fs.statSync(path.join(log.dir, '00000000000000000000.log')).size).toBe(size);
    expect((await log.append(buildValueBatch(1, 10))).firstOffset).toBe(1n);
  });

  it('applies retention by time and by bytes, never deleting the active segment', async () => {
    const log = await f.manager.createLog('t', 0, small({ 'retention.ms': '1000', 'retention.bytes': '-1' }));
    for (let i = 0; i < 20; i++) await log.append(buildValueBatch(2, 50, clock.now));
    const segments = log.segmentInfos().length;
    expect(await f.manager.runRetentionOnce(clock.now)).toBe(0);
    clock.advance(5000);
    expect(await f.manager.runRetentionOnce()).toBe(segments - 1);
    expect(log.segmentInfos()).toHaveLength(1);
    expect(log.logStartOffset).toBe(log.segmentInfos()[0]!.baseOffset);
    const sized = await f.manager.createLog('s', 0, small({ 'retention.bytes': '2000', 'retention.ms': '-1' }));
    for (let i = 0; i < 40; i++) await sized.append(buildValueBatch(2, 50, clock.now));
    await f.manager.runRetentionOnce();
    expect(sized.sizeBytes()).toBeLessThanOrEqual(2000 + 1000);
    expect(sized.sizeBytes()).toBeGreaterThanOrEqual(2000 - 1000);
    expect(fs.readdirSync(sized.dir).filter((f) => f.endsWith('.log')).length).toBe(sized.segmentInfos().length);
  });

  it('renames deleted segments to .deleted and removes them after file.delete.delay.ms', async () => {
    const log = await f.manager.createLog('t', 0, small({ 'retention.bytes': '0', 'file.delete.delay.ms': '60000' }));
    for (let i = 0; i < 20; i++) await log.append(buildValueBatch(2, 50));
    await f.manager.runRetentionOnce();
    expect(fs.readdirSync(log.dir).some((f) => f.endsWith('.log.deleted'))).toBe(true);
    await log.close();
    expect(fs.readdirSync(log.dir).some((f) => f.endsWith('.deleted'))).toBe(false);
    expect(() => log.read(0n, 1)).toThrow(LogClosedError);
  });

  it('survives a clean reopen with the same contents', async () => {
    const log = await f.manager.createLog('t', 0, small());
    for (let i = 0; i < 25; i++) await log.append(buildValueBatch(2, 40));
    await log.deleteRecordsBefore(3n);
    const before = log.read(3n, 1 << 20);
    const infos = log.segmentInfos();
    await f.manager.close();
    f.manager = await LogManager.open({ dataDir: f.dir, clock, topicConfigs: () => small() });
    const again = f.manager.getLog('t', 0) as PartitionLog;
    expect(again.logStartOffset).toBe(3n);
    expect(again.logEndOffset).toBe(50n);
    expect(again.segmentInfos()).toEqual(infos);
    expect(again.read(3n, 1 << 20).records.equals(before.records)).toBe(true);
    expect(again.recovery.segmentsRecovered).toBe(0);
  });
});
