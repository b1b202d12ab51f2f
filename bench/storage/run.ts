/**
 * `npm run bench:storage`: the log engine's figures, as `name: value unit` lines on stdout
 * (notes about method and memory state go to stderr).
 *
 * Method:
 * - Everything happens in bench/.work/ (deleted at the end), on the same disk as the repo.
 * - Memory state: WARM. A warm-up pass first writes (and deletes) WARMUP_BYTES so the page cache
 *   runs on memory the guest has touched before; every measurement runs after it.
 * - Record = 100-byte value, no key. MB/s counts stored batch bytes (header + records), 1 MB = 1e6 B.
 * - No-fsync appends of each batch size are interleaved round by round with the raw baseline
 *   (writeSync of 1 MiB buffers to a fresh file on the same disk), so both sides see the same
 *   memory and writeback state; `append_vs_raw_write_ratio` uses the 1000-record batches with the
 *   log checking every CRC itself (the default); `..._crc_verified_by_caller` is the same append
 *   with `crcVerified: true` (the wire door already ran checkBatch on the bytes). The
 *   `..._batch_sized_...` ratios compare with raw writes of the ~110 KB batch buffer itself, i.e.
 *   the same syscall size: what the engine adds on top of the write it has to make.
 *   `crc_then_writev_no_engine_...` does only what any CRC-verifying engine must: CRC-32C each
 *   buffer and writev them in gathered groups, with no engine around it.
 *   `raw_write_1mib_unaligned_...` is the raw side again with its file starting at byte 1000, so no
 *   write starts on a page: how any append log's writes land (each begins where the last batch ended).
 * - Closed loops: C concurrent appenders (1, 16, 64) each loop `await append(batch, { durable })` for
 *   FSYNC_SECONDS or 1 GiB, without fsync and with it (the log group-commits one fdatasync for every
 *   append written before the sync started). Each measurement starts on a fresh log after its own
 *   warm-up pass and sync(1), so all run on warm memory and none pays for another's writeback.
 *   `fsync_c64_vs_nofsync_ratio_*` divides by the interleaved no-fsync figure above;
 *   `fsync_c64_vs_nofsync_c64_ratio_*` by the closed loop at the same concurrency.
 * - The device's ceiling: 4 `dd oflag=direct` processes writing 2 GiB together (no page cache).
 * - Recovery is measured on RECOVERY_BYTES after an unclean stop (no clean-shutdown marker, no
 *   recovery point: every segment re-validated with CRC and indexes rebuilt) and scaled to 1 GiB.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import * as path from 'node:path';
import { BATCH_OFFSET_ATTRIBUTES, crc32c } from '@runnel/records';
import { AppendOptions, LogManager, PartitionLog, WRITE_GATHER_APPENDS_MAX, WRITE_GATHER_BYTES, cleanLog, parseLogConfig } from '@runnel/storage';
import { buildBatch, buildValueBatch } from '../../libs/storage/src/testing/batch-builder';
import { note, print } from '../common';

const WORK_DIR = path.resolve(__dirname, '../.work/storage');
const MiB = 1024 * 1024;
const MB = 1e6;
const VALUE_BYTES = 100;
const WARMUP_BYTES = 1024 * MiB;
/** Raw and append alternate in chunks this big, so both sides see the same memory and writeback state. */
const INTERLEAVE_CHUNK_BYTES = 2 * MiB;
const INTERLEAVE_ROUNDS = 96;
const FSYNC_SECONDS = 2;
/** The unaligned raw baseline starts its file here: not a multiple of the 4 KiB page. */
const UNALIGNED_START = 1000;
const DEVICE_MAX_BYTES = 2048 * MiB;
const CLOSED_LOOP_BYTES = WARMUP_BYTES;
const READ_LOG_BYTES = 256 * MiB;
const LOOKUPS = 20_000;
const RECOVERY_BYTES = 256 * MiB;
const COMPACTION_BYTES = 64 * MiB;

const config = parseLogConfig({ 'segment.bytes': String(256 * MiB), 'max.message.bytes': String(4 * MiB), 'file.delete.delay.ms': '0', 'retention.ms': '-1' });

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function warmUp(): void {
  const file = path.join(WORK_DIR, 'warmup');
  const buf = Buffer.alloc(MiB, 7);
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < WARMUP_BYTES; written += MiB) fs.writeSync(fd, buf);
  fs.closeSync(fd);
  fs.rmSync(file);
}

/** Raw baseline: `bytes` of writeSync calls of all of `buf` (1 MiB, or one batch) appended to `fd` from `position`. */
function rawWrite(fd: number, position: number, bytes: number, buf: Buffer): number {
  const start = process.hrtime.bigint();
  for (let written = 0; written < bytes; written += buf.length) fs.writeSync(fd, buf, 0, buf.length, position + written);
  return seconds(start);
}

/** A raw-file side of the interleaved section: its own file in WORK_DIR, written from `startPosition` on. */
interface RawSide {
  readonly fd: number;
  /** Where the next write goes. */
  position: number;
  /** Time spent writing, summed over the rounds. */
  seconds: number;
  /** One rawWrite of `bytes` from `buf` at `position`, timed and added up. */
  write(bytes: number, buf: Buffer): void;
  /** MB/s over everything written since `startPosition`. */
  mbPerSecond(): number;
  /** Closes and removes the file. */
  close(): void;
}

function rawSide(name: string, startPosition = 0): RawSide {
  const file = path.join(WORK_DIR, name);
  const fd = fs.openSync(file, 'w');
  const side: RawSide = {
    fd,
    position: startPosition,
    seconds: 0,
    write(bytes, buf) {
      side.seconds += rawWrite(fd, side.position, bytes, buf);
      side.position += bytes;
    },
    mbPerSecond: () => (side.position - startPosition) / side.seconds / MB,
    close() {
      fs.closeSync(fd);
      fs.rmSync(file);
    },
  };
  return side;
}

/**
 * Distinct copies of `batch`, as a broker holds distinct request buffers. The log owns an appended
 * buffer until it is written; a gathered write is made at the latest by the append that brings the
 * queue to WRITE_GATHER_BYTES (or WRITE_GATHER_APPENDS_MAX appends), so one more copy than a write
 * holds is never reused too early. Like the raw side's one 1 MiB buffer, the copies stay about a
 * MiB in all, so both sides write from cache-warm memory.
 */
function batchPool(batch: Buffer): Buffer[] {
  const perWrite = Math.min(WRITE_GATHER_APPENDS_MAX, Math.ceil(WRITE_GATHER_BYTES / batch.length));
  return Array.from({ length: perWrite + 1 }, () => Buffer.from(batch));
}

type AppendBytesOptions = AppendOptions & { oneWriteEach?: boolean };

/**
 * `bytes` worth of appends issued back to back (as a broker does with the requests of one turn),
 * timed until the last one resolved (written to the OS). `oneWriteEach` uses appendSync instead:
 * one write per append, no gathering.
 */
async function appendBytes(log: PartitionLog, pool: Buffer[], bytes: number, options: AppendBytesOptions = {}): Promise<{ secondsTaken: number; batches: number }> {
  const batches = Math.max(1, Math.floor(bytes / pool[0]!.length));
  const start = process.hrtime.bigint();
  if (options.oneWriteEach) {
    for (let i = 0; i < batches; i++) log.appendSync(pool[i % pool.length]!, options);
  } else {
    const pending: Promise<unknown>[] = new Array<Promise<unknown>>(batches);
    for (let i = 0; i < batches; i++) pending[i] = log.append(pool[i % pool.length]!, options);
    await Promise.all(pending);
  }
  return { secondsTaken: seconds(start), batches };
}

/** A log side of the interleaved section: appendBytes of one chunk per round, seconds and batches added up. */
interface LogSide {
  readonly log: PartitionLog;
  seconds: number;
  batches: number;
  append(bytes: number): Promise<void>;
  /** MB/s of the batches appended. */
  mbPerSecond(): number;
}

function logSide(log: PartitionLog, pool: Buffer[], options: AppendBytesOptions = {}): LogSide {
  const side: LogSide = {
    log,
    seconds: 0,
    batches: 0,
    async append(bytes) {
      const appended = await appendBytes(log, pool, bytes, options);
      side.seconds += appended.secondsTaken;
      side.batches += appended.batches;
    },
    mbPerSecond: () => (side.batches * pool[0]!.length) / side.seconds / MB,
  };
  return side;
}

/**
 * The most the disk takes for writes that reach it: 4 `dd oflag=direct` processes (no page cache)
 * each writing DEVICE_MAX_BYTES / 4 in 4 MiB blocks, timed together. Bytes per second.
 */
async function deviceMaxWriteRate(): Promise<number> {
  const streams = 4;
  const blocks = DEVICE_MAX_BYTES / streams / (4 * MiB);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: streams }, (_, i) => {
      const file = path.join(WORK_DIR, `device-max-${i}`);
      return new Promise<void>((resolve, reject) => {
        const dd = spawn('dd', ['if=/dev/zero', `of=${file}`, 'bs=4M', `count=${blocks}`, 'oflag=direct'], { stdio: 'ignore' });
        dd.on('error', reject);
        dd.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dd exited with ${code}`))));
      });
    }),
  );
  const rate = DEVICE_MAX_BYTES / seconds(start);
  for (let i = 0; i < streams; i++) fs.rmSync(path.join(WORK_DIR, `device-max-${i}`), { force: true });
  return rate;
}

let topicSeq = 0;
async function freshLog(manager: LogManager, overrides: Record<string, string> = {}): Promise<PartitionLog> {
  return manager.createLog(`bench-${topicSeq++}`, 0, parseLogConfig(overrides, config));
}

async function main(): Promise<void> {
  fs.rmSync(WORK_DIR, { recursive: true, force: true });
  fs.mkdirSync(WORK_DIR, { recursive: true });
  note(`work dir ${WORK_DIR}; memory state: warm (warm-up pass of ${WARMUP_BYTES / MiB} MiB written and deleted first)`);
  warmUp();
  const manager = await LogManager.open({ dataDir: path.join(WORK_DIR, 'data') });
  const results = new Map<string, number>();
  try {
    // --- appends without fsync, interleaved chunk by chunk with the raw 1 MiB write baseline ---
    const rawBuf = Buffer.alloc(MiB, 0x5a);
    let rawSeconds = 0;
    let rawBytes = 0;
    for (const batchRecords of [1, 100, 1000]) {
      const batch = buildValueBatch(batchRecords, VALUE_BYTES);
      const pool = batchPool(batch);
      const append = logSide(await freshLog(manager), pool);
      const raw = rawSide(`raw-${batchRecords}`);
      // The other sides run beside the 1000-record batches only.
      const beside =
        batchRecords === 1000
          ? {
              // The same appends with crcVerified (the caller, e.g. the wire door, already checked the CRC).
              verified: logSide(await freshLog(manager), pool, { crcVerified: true }),
              // ... and with one write per append (appendSync: no write gathering).
              ungathered: logSide(await freshLog(manager), pool, { oneWriteEach: true }),
              // ... and a raw baseline writing the batch-sized buffer itself (same syscall size as the appends).
              sameSize: rawSide('raw-same-size'),
              // ... and raw 1 MiB writes that start where no page starts, as a log's writes do (a write begins
              // where the last batch ended): the same bytes and syscall size as the raw side, unaligned.
              unaligned: rawSide('raw-unaligned', UNALIGNED_START),
              // ... and the same bytes with no engine at all: CRC-32C each buffer, writev them in groups of
              // what one gathered write holds. What any engine that verifies CRCs could reach here.
              bare: rawSide('crc-writev-no-engine'),
            }
          : null;
      let bareCrc = 0;
      // Batches of 1 record are slower: fewer bytes keep the run short.
      const rounds = batchRecords === 1 ? INTERLEAVE_ROUNDS / 4 : INTERLEAVE_ROUNDS;
      const chunkBytes = batchRecords === 1 ? MiB : INTERLEAVE_CHUNK_BYTES;
      // The batch-sized writes of a chunk (at least one).
      const batchesPerChunk = Math.max(1, Math.floor(chunkBytes / batch.length));
      for (let round = 0; round < rounds; round++) {
        // The order of the sides alternates every round, so neither always runs first in a state.
        const steps: (() => Promise<void>)[] = [
          async () => raw.write(chunkBytes, rawBuf),
          async () => {
            await append.append(chunkBytes);
          },
          async () => beside?.unaligned.write(chunkBytes, rawBuf),
          // rawWrite of batchesPerChunk whole batches: batchesPerChunk writes of batch.length each.
          async () => beside?.sameSize.write(batchesPerChunk * batch.length, batch),
          async () => {
            if (beside) await beside.verified.append(chunkBytes);
          },
          async () => {
            if (!beside) return;
            const bare = beside.bare;
            const start = process.hrtime.bigint();
            let group: Buffer[] = [];
            for (let i = 0; i < batchesPerChunk; i++) {
              const buffer = pool[i % pool.length]!;
              bareCrc ^= crc32c(buffer.subarray(BATCH_OFFSET_ATTRIBUTES));
              group.push(buffer);
              if (group.length === pool.length - 1) {
                bare.position += fs.writevSync(bare.fd, group, bare.position);
                group = [];
              }
            }
            if (group.length > 0) bare.position += fs.writevSync(bare.fd, group, bare.position);
            bare.seconds += seconds(start);
          },
          async () => {
            if (beside) await beside.ungathered.append(chunkBytes);
          },
        ];
        if (round % 2 === 1) steps.reverse();
        for (const step of steps) await step();
      }
      raw.close();
      rawSeconds += raw.seconds;
      rawBytes += raw.position;
      const recordsPerSecond = (append.batches * batchRecords) / append.seconds;
      const mbPerSecond = append.mbPerSecond();
      print(`append_batch${batchRecords}_nofsync_records`, recordsPerSecond, 'records/s');
      print(`append_batch${batchRecords}_nofsync_throughput`, mbPerSecond, 'MB/s');
      results.set(`nofsync${batchRecords}`, recordsPerSecond);
      if (beside) {
        const rawHere = raw.mbPerSecond();
        print('raw_write_1mib_throughput_beside_batch1000', rawHere, 'MB/s');
        const bare = beside.bare.mbPerSecond();
        print('crc_then_writev_no_engine_throughput', bare, 'MB/s');
        results.set('ratioNoEngine', bare / rawHere);
        if (bareCrc === 0x7fffffff) note('(crc checksum kept live)');
        results.set('ratio', mbPerSecond / rawHere);
        const verifiedMbPerSecond = beside.verified.mbPerSecond();
        print('append_batch1000_nofsync_crc_verified_by_caller_throughput', verifiedMbPerSecond, 'MB/s');
        results.set('ratioVerified', verifiedMbPerSecond / rawHere);
        const unaligned = beside.unaligned.mbPerSecond();
        print('raw_write_1mib_unaligned_throughput_beside_batch1000', unaligned, 'MB/s');
        results.set('ratioUnaligned', mbPerSecond / unaligned);
        const sameSize = beside.sameSize.mbPerSecond();
        print('raw_write_batch_sized_throughput_beside_batch1000', sameSize, 'MB/s');
        results.set('ratioSameSize', mbPerSecond / sameSize);
        results.set('ratioSameSizeVerified', verifiedMbPerSecond / sameSize);
        const ungatheredMbPerSecond = beside.ungathered.mbPerSecond();
        print('append_batch1000_nofsync_one_write_per_append_throughput', ungatheredMbPerSecond, 'MB/s');
        results.set('ratioUngathered', ungatheredMbPerSecond / rawHere);
        for (const side of [beside.bare, beside.unaligned, beside.sameSize]) side.close();
      }
      for (const side of [append, beside?.verified, beside?.ungathered]) if (side) await manager.deleteLog(side.log.topic, 0);
    }
    print('raw_write_1mib_throughput_all', rawBytes / rawSeconds / MB, 'MB/s');
    print('append_vs_raw_write_ratio', results.get('ratio')!, 'x');
    print('append_vs_raw_write_ratio_crc_verified_by_caller', results.get('ratioVerified')!, 'x');
    print('append_vs_raw_write_ratio_one_write_per_append', results.get('ratioUngathered')!, 'x');
    print('crc_then_writev_no_engine_vs_raw_write_ratio', results.get('ratioNoEngine')!, 'x');
    print('append_vs_raw_unaligned_write_ratio', results.get('ratioUnaligned')!, 'x');
    print('append_vs_raw_batch_sized_write_ratio', results.get('ratioSameSize')!, 'x');
    print('append_vs_raw_batch_sized_write_ratio_crc_verified_by_caller', results.get('ratioSameSizeVerified')!, 'x');

    // --- closed loops at 1, 16 and 64 concurrent appenders, without and with group-committed fsync ---
    // Each appender loops `await append(batch, { durable })` for FSYNC_SECONDS or until CLOSED_LOOP_BYTES
    // are appended. Every measurement starts after the warm-up pass and sync(1) (untimed): warm memory,
    // no writeback of another run's data, and never more bytes than the warm-up freed just before.
    const batches = new Map([1, 100, 1000].map((batchRecords) => [batchRecords, buildValueBatch(batchRecords, VALUE_BYTES)]));
    for (const [batchRecords, batch] of batches) {
      for (const concurrency of [1, 16, 64]) {
        for (const durable of [false, true]) {
          warmUp();
          execFileSync('sync');
          const log = await freshLog(manager);
          let appends = 0;
          const appendsMax = Math.ceil(CLOSED_LOOP_BYTES / batch.length);
          let stop = false;
          const start = process.hrtime.bigint();
          const timer = setTimeout(() => (stop = true), FSYNC_SECONDS * 1000);
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              // Each appender its own buffer: the log owns a buffer until its append resolves.
              const own = Buffer.from(batch);
              while (!stop && appends < appendsMax) {
                await log.append(own, { durable });
                appends++;
              }
            }),
          );
          clearTimeout(timer);
          const taken = seconds(start);
          const recordsPerSecond = (appends * batchRecords) / taken;
          const mode = durable ? 'fsync' : 'nofsync';
          print(`append_batch${batchRecords}_${mode}_c${concurrency}_records`, recordsPerSecond, 'records/s');
          print(`append_batch${batchRecords}_${mode}_c${concurrency}_throughput`, (appends * batch.length) / taken / MB, 'MB/s');
          results.set(`${mode}${batchRecords}c${concurrency}`, recordsPerSecond);
          await manager.deleteLog(log.topic, 0);
        }
      }
    }
    print('fsync_c64_vs_nofsync_ratio_batch100', results.get('fsync100c64')! / results.get('nofsync100')!, 'x');
    print('fsync_c64_vs_nofsync_ratio_batch1000', results.get('fsync1000c64')! / results.get('nofsync1000')!, 'x');
    print('fsync_c64_vs_nofsync_c64_ratio_batch100', results.get('fsync100c64')! / results.get('nofsync100c64')!, 'x');
    print('fsync_c64_vs_nofsync_c64_ratio_batch1000', results.get('fsync1000c64')! / results.get('nofsync1000c64')!, 'x');
    // The device's own ceiling for writes that reach the disk: 4 dd processes writing with O_DIRECT.
    execFileSync('sync');
    const deviceMax = await deviceMaxWriteRate();
    print('device_max_write_o_direct_4_streams_throughput', deviceMax / MB, 'MB/s');
    /** Bytes per second of a records-per-second result. */
    const bytesPerSecond = (key: string, batchRecords: number): number => (results.get(key)! * batches.get(batchRecords)!.length) / batchRecords;
    /** Durable appends by 64 appenders, bytes per second. */
    const durableRate = new Map([100, 1000].map((batchRecords) => [batchRecords, bytesPerSecond(`fsync${batchRecords}c64`, batchRecords)]));
    for (const batchRecords of [100, 1000]) {
      const noFsync = bytesPerSecond(`nofsync${batchRecords}`, batchRecords);
      print(`fsync_c64_vs_device_max_ratio_batch${batchRecords}`, durableRate.get(batchRecords)! / deviceMax, 'x');
      print(`nofsync_half_vs_device_max_ratio_batch${batchRecords}`, noFsync / 2 / deviceMax, 'x');
    }
    // The device's bound for durable appends: a raw loop writing what one group commit of 64
    // appenders writes, then fdatasync, on the same disk.
    for (const batchRecords of [100, 1000]) {
      const groupBytes = 64 * batches.get(batchRecords)!.length;
      const file = path.join(WORK_DIR, 'raw-fdatasync');
      const fd = fs.openSync(file, 'w');
      const buf = Buffer.alloc(groupBytes, 0x33);
      let position = 0;
      const start = process.hrtime.bigint();
      while (seconds(start) < FSYNC_SECONDS) {
        fs.writeSync(fd, buf, 0, buf.length, position);
        position += buf.length;
        fs.fdatasyncSync(fd);
      }
      const rate = position / seconds(start);
      fs.closeSync(fd);
      fs.rmSync(file);
      print(`raw_write_fdatasync_group_of_64_batch${batchRecords}_throughput`, rate / MB, 'MB/s');
      // ... and 4 such loops at once on one file (the threadpool's width): the most the device took here.
      const handle = await fs.promises.open(file, 'w');
      let next = 0;
      let written = 0;
      const parallelStart = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (seconds(parallelStart) < FSYNC_SECONDS) {
            const at = next;
            next += buf.length;
            await handle.write(buf, 0, buf.length, at);
            await handle.datasync();
            written += buf.length;
          }
        }),
      );
      const parallelRate = written / seconds(parallelStart);
      await handle.close();
      fs.rmSync(file);
      print(`raw_write_fdatasync_group_of_64_batch${batchRecords}_4_parallel_throughput`, parallelRate / MB, 'MB/s');
      print(`fsync_c64_vs_raw_write_fdatasync_ratio_batch${batchRecords}`, durableRate.get(batchRecords)! / rate, 'x');
      print(`fsync_c64_vs_raw_write_fdatasync_4_parallel_ratio_batch${batchRecords}`, durableRate.get(batchRecords)! / parallelRate, 'x');
    }

    // --- sequential read and random lookups ---
    {
      const log = await freshLog(manager);
      await appendBytes(log, batchPool(buildValueBatch(100, VALUE_BYTES)), READ_LOG_BYTES);
      const end = log.logEndOffset;
      let offset = 0n;
      let bytes = 0;
      const start = process.hrtime.bigint();
      while (offset < end) {
        const r = log.read(offset, MiB);
        bytes += r.records.length;
        offset = r.nextOffset;
      }
      const taken = seconds(start);
      print('read_sequential_throughput', bytes / taken / MB, 'MB/s');
      print('read_sequential_records', Number(end) / taken, 'records/s');
      const latencies = new Float64Array(LOOKUPS);
      let seed = 12345;
      for (let i = 0; i < LOOKUPS; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const target = BigInt(Math.floor((seed / 0x7fffffff) * Number(end - 1n)));
        const t0 = process.hrtime.bigint();
        const r = log.read(target, 1);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
        if (r.records.length === 0) throw new Error(`lookup of ${target} returned nothing`);
      }
      latencies.sort();
      print('random_lookup_latency_p50', latencies[Math.floor(LOOKUPS * 0.5)]!, 'us');
      print('random_lookup_latency_p99', latencies[Math.floor(LOOKUPS * 0.99)]!, 'us');
      await manager.deleteLog(log.topic, 0);
    }

    // --- recovery after an unclean stop ---
    {
      const dir = path.join(WORK_DIR, 'recovery');
      const crashed = await LogManager.open({ dataDir: dir, defaults: parseLogConfig({ 'segment.bytes': String(64 * MiB) }, config) });
      const log = await crashed.createLog('recover', 0);
      await appendBytes(log, batchPool(buildValueBatch(100, VALUE_BYTES)), RECOVERY_BYTES);
      const size = log.sizeBytes();
      crashed.abandon();
      const start = process.hrtime.bigint();
      const reopened = await LogManager.open({ dataDir: dir, defaults: config });
      const taken = seconds(start);
      const recovered = reopened.getLog('recover', 0)!;
      if (recovered.recovery.segmentsRecovered === 0 || recovered.sizeBytes() !== size) throw new Error('recovery bench did not re-validate the log');
      note(`recovery: ${(size / MiB).toFixed(0)} MiB in ${recovered.recovery.segmentsRecovered} segments re-validated in ${taken.toFixed(3)} s (page cache warm), scaled to 1 GiB`);
      print('recovery_time_per_gib', (taken * (1024 * MiB)) / size, 's');
      reopened.abandon();
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // --- compaction ---
    {
      const log = await freshLog(manager, { 'cleanup.policy': 'compact', 'segment.bytes': String(8 * MiB) });
      const keys = 20_000;
      let n = 0;
      while (log.sizeBytes() < COMPACTION_BYTES) {
        const records = Array.from({ length: 100 }, () => ({ key: `key-${(n++ * 7919) % keys}`, value: Buffer.alloc(VALUE_BYTES, n & 0xff) }));
        log.appendSync(buildBatch(records));
      }
      log.roll();
      const before = log.sizeBytes();
      const start = process.hrtime.bigint();
      const result = await cleanLog(log, { nowMs: Date.now(), force: true });
      const taken = seconds(start);
      if (!result) throw new Error('compaction bench cleaned nothing');
      note(`compaction: ${(before / MiB).toFixed(1)} MiB with ${keys} keys -> ${(log.sizeBytes() / MiB).toFixed(2)} MiB in ${taken.toFixed(2)} s`);
      print('compaction_throughput', before / taken / MB, 'MB/s');
      await manager.deleteLog(log.topic, 0);
    }
  } finally {
    await manager.close();
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  fs.rmSync(WORK_DIR, { recursive: true, force: true });
  process.exitCode = 1;
});
