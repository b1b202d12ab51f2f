import fs from 'node:fs';
import * as path from 'node:path';
import { BatchProblem, batchBaseOffset, batchSizeAt, checkBatch } from '@runnel/records';
import { parseLogConfig } from './config';
import { SYNCS_IN_FLIGHT_MAX, WRITE_GATHER_APPENDS_MAX } from './constants';
import { DiskFullError, LogClosedError } from './errors';
import { AppendInfo } from './partition-log';
import { buildValueBatch } from './testing/batch-builder';
import { useLogManager } from './testing/log-manager-fixture';

function baseOffsetsOf(records: Buffer): bigint[] {
  const out: bigint[] = [];
  for (let at = 0; at < records.length; at += batchSizeAt(records, at)) {
    expect(checkBatch(records, at, records.length)).toBe(BatchProblem.Ok);
    out.push(batchBaseOffset(records, at));
  }
  return out;
}

/** Counts the write syscalls the log makes while `run` is pending. */
async function countWrites<T>(run: () => Promise<T>): Promise<{ result: T; writes: number }> {
  const writev = jest.spyOn(fs, 'writevSync');
  const write = jest.spyOn(fs, 'writeSync');
  try {
    const result = await run();
    return { result, writes: writev.mock.calls.length + write.mock.calls.length };
  } finally {
    writev.mockRestore();
    write.mockRestore();
  }
}

describe('PartitionLog write gathering', () => {
  const f = useLogManager();

  it('writes the appends of one turn with one write, in order, and shows nothing before it', async () => {
    const log = await f.manager.createLog('t', 0);
    const seen: bigint[] = [];
    log.onAppend((info) => seen.push(info.firstOffset));
    const { result, writes } = await countWrites(async () => {
      const pending = Array.from({ length: 50 }, (_, i) => log.append(buildValueBatch(1 + (i % 3), 20)));
      // Offsets are assigned at once, but nothing is written or visible until the turn ends.
      expect(log.logEndOffset).toBe(0n);
      expect(log.read(0n, 1 << 20).records.length).toBe(0);
      expect(seen).toEqual([]);
      return Promise.all(pending);
    });
    expect(writes).toBe(1);
    let next = 0n;
    for (const info of result) {
      expect(info.firstOffset).toBe(next);
      next = info.lastOffset + 1n;
    }
    expect(log.logEndOffset).toBe(next);
    expect(seen).toEqual(result.map((info) => info.firstOffset));
    expect(baseOffsetsOf(log.read(0n, 1 << 20).records)).toEqual(result.map((info) => info.firstOffset));
  });

  it('writes early once the queue holds WRITE_GATHER_APPENDS_MAX appends', async () => {
    const log = await f.manager.createLog('t', 0);
    const { result, writes } = await countWrites(() => Promise.all(Array.from({ length: WRITE_GATHER_APPENDS_MAX * 2 + 5 }, () => log.append(buildValueBatch(1, 10)))));
    expect(writes).toBe(3);
    expect(result.at(-1)!.lastOffset).toBe(BigInt(WRITE_GATHER_APPENDS_MAX * 2 + 4));
    expect(log.read(0n, 1 << 24).records.length).toBe(log.sizeBytes());
  });

  it('settles early writes in the end-of-turn callback, so a loop of awaited appends lets the event loop run', async () => {
    const log = await f.manager.createLog('t', 0);
    const appenders = WRITE_GATHER_APPENDS_MAX + 100;
    const limit = appenders * 40;
    const batch = buildValueBatch(1, 10);
    let appended = 0;
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    // Every turn fills the queue past WRITE_GATHER_APPENDS_MAX, so a write happens inside append();
    // were those appends settled there, the appenders would go on in microtasks and the timer would
    // only run after `limit` appends.
    await Promise.all(
      Array.from({ length: appenders }, async () => {
        while (!timerRan && appended < limit) {
          await log.append(Buffer.from(batch));
          appended++;
        }
      }),
    );
    expect(timerRan).toBe(true);
    expect(appended).toBeLessThan(appenders * 4);
    expect(log.logEndOffset).toBe(BigInt(appended));
  });

  it('writes and settles, in offset order, an append a listener makes during the end-of-turn write', async () => {
    const log = await f.manager.createLog('t', 0);
    const order: bigint[] = [];
    let inner: Promise<AppendInfo> | null = null;
    log.onAppend(() => {
      inner ??= log.append(buildValueBatch(1, 10)).then((info) => (order.push(info.firstOffset), info));
    });
    const outer = await log.append(buildValueBatch(1, 10)).then((info) => (order.push(info.firstOffset), info));
    expect(outer.firstOffset).toBe(0n);
    expect((await inner!).firstOffset).toBe(1n);
    expect(order).toEqual([0n, 1n]);
    expect(log.logEndOffset).toBe(2n);
  });

  it('rolls segments inside one gathered write and indexes every segment', async () => {
    const log = await f.manager.createLog('t', 0, parseLogConfig({ 'segment.bytes': '1000', 'index.interval.bytes': '100' }));
    const infos = await Promise.all(Array.from({ length: 40 }, () => log.append(buildValueBatch(2, 40))));
    expect(log.segmentInfos().length).toBeGreaterThan(5);
    for (const segment of log.segmentInfos()) expect(segment.sizeBytes).toBeLessThanOrEqual(1000);
    for (const info of infos) {
      const fetched = log.read(info.firstOffset, 1);
      expect(fetched.firstOffset).toBe(info.firstOffset);
    }
    expect(log.logEndOffset).toBe(80n);
  });

  it('keeps several batches of one buffer together and mixes them with other appends', async () => {
    const log = await f.manager.createLog('t', 0);
    const many = Buffer.concat([buildValueBatch(2, 10), buildValueBatch(3, 10), buildValueBatch(1, 10)]);
    const [a, b, c] = await Promise.all([log.append(buildValueBatch(1, 10)), log.append(many), log.append(buildValueBatch(4, 10))]);
    expect([a.firstOffset, b.firstOffset, b.lastOffset, c.firstOffset]).toEqual([0n, 1n, 6n, 7n]);
    expect(baseOffsetsOf(log.read(0n, 1 << 20).records)).toEqual([0n, 1n, 3n, 6n, 7n]);
  });

  it('on a failed gathered write rejects every append of it, cuts back the file and reuses the offsets', async () => {
    const log = await f.manager.createLog('t', 0);
    await log.append(buildValueBatch(1, 10));
    const size = log.sizeBytes();
    const seen: AppendInfo[] = [];
    log.onAppend((info) => seen.push(info));
    const original = fs.writevSync;
    const spy = jest.spyOn(fs, 'writevSync').mockImplementationOnce(((fd: number, buffers: Buffer[], position: number) => {
      original(fd, buffers.slice(0, 1), position); // part written, then the disk is full
      const error = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
      error.code = 'ENOSPC';
      throw error;
    }) as unknown as typeof fs.writevSync);
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => log.append(buildValueBatch(2, 100))));
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DiskFullError);
      }
    } finally {
      spy.mockRestore();
    }
    expect(seen).toEqual([]);
    expect(log.logEndOffset).toBe(1n);
    expect(log.sizeBytes()).toBe(size);
    expect(fs.statSync(path.join(log.dir, '00000000000000000000.log')).size).toBe(size);
    expect((await log.append(buildValueBatch(1, 10))).firstOffset).toBe(1n);
    expect(baseOffsetsOf(log.read(0n, 1 << 20).records)).toEqual([0n, 1n]);
  });

  it('writes queued appends before a truncation, a roll, a flush and a close', async () => {
    const log = await f.manager.createLog('t', 0);
    const queued = [log.append(buildValueBatch(3, 10)), log.append(buildValueBatch(3, 10))];
    await log.truncateTo(3n); // the queue is written first, then cut at offset 3
    await Promise.all(queued);
    expect(log.logEndOffset).toBe(3n);
    const more = log.append(buildValueBatch(2, 10));
    log.roll();
    expect((await more).firstOffset).toBe(3n);
    expect(log.segmentInfos().map((s) => s.baseOffset)).toEqual([0n, 5n]);
    const beforeClose = log.append(buildValueBatch(1, 10));
    await log.close();
    expect((await beforeClose).firstOffset).toBe(5n);
    const reopened = await f.manager.createLog('t', 0);
    expect(reopened.logEndOffset).toBe(6n);
  });

  it('fails appends still queued when the log is abandoned (a crash: never acknowledged)', async () => {
    const log = await f.manager.createLog('t', 0);
    await log.append(buildValueBatch(1, 10));
    const queued = log.append(buildValueBatch(1, 10));
    log.abandon();
    await expect(queued).rejects.toThrow(LogClosedError);
  });

  it('never runs more than SYNCS_IN_FLIGHT_MAX syncs, also when a threshold write starts one, and strands no durable append', async () => {
    const log = await f.manager.createLog('t', 0);
    const held: (() => void)[] = [];
    let mostHeld = 0;
    const spy = jest.spyOn(fs, 'fdatasync').mockImplementation((_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      held.push(() => callback(null));
      mostHeld = Math.max(mostHeld, held.length);
    });
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const done: Promise<AppendInfo>[] = [log.append(buildValueBatch(1, 10), { durable: true })];
      await tick();
      expect(held).toHaveLength(1);
      // One turn: a durable append schedules a sync, the threshold write starts one, a later durable append waits.
      done.push(log.append(buildValueBatch(1, 10), { durable: true }));
      for (let i = 1; i < WRITE_GATHER_APPENDS_MAX; i++) done.push(log.append(buildValueBatch(1, 10)));
      done.push(log.append(buildValueBatch(1, 10), { durable: true }));
      let settled = false;
      const all = Promise.all(done).then(() => (settled = true));
      for (let turn = 0; turn < 20 && !settled; turn++) {
        await tick();
        held.shift()?.();
      }
      await all;
      expect(mostHeld).toBe(SYNCS_IN_FLIGHT_MAX);
      expect(log.logEndOffset).toBe(BigInt(WRITE_GATHER_APPENDS_MAX + 2));
    } finally {
      spy.mockRestore();
    }
  });

  it('durable appends of one turn share the write and one sync', async () => {
    const log = await f.manager.createLog('t', 0);
    const sync = jest.spyOn(fs, 'fdatasync');
    try {
      const infos = await Promise.all(Array.from({ length: 20 }, () => log.append(buildValueBatch(1, 10), { durable: true })));
      expect(infos.at(-1)!.lastOffset).toBe(19n);
      expect(sync.mock.calls.length).toBe(1);
    } finally {
      sync.mockRestore();
    }
  });
});
