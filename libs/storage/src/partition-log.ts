/**
 * PartitionLog: the log of one topic partition, a sorted list of LogSegments in
 * `<dataDir>/<topic>-<partition>/`; the last segment is the active one (all appends go there).
 *
 * Offsets: logStartOffset <= highWatermark <= logEndOffset. On one node the high watermark follows
 * the log end offset; replication (later) sets it explicitly. The recovery point is the offset below
 * which every segment is known to be flushed (fsync of log and indexes); after an unclean stop only
 * segments from the recovery point on are re-validated.
 *
 * Append path: synchronously validate every batch (framing, CRC unless the caller verified it, size
 * limit) and stamp offsets (and leader epoch, LogAppendTime + CRC) in place, then queue it. The appends
 * of one event-loop turn are written together at its end (earlier once the queue is large), one writev
 * per segment touched, then indexed and listeners notified; their promises settle in that end-of-turn
 * callback. Durable appends (acks=all) then wait for a group commit: one fdatasync covers every append
 * written before it started, and appends arriving while a sync runs share the next one.
 *
 * Read path (synchronous): floor segment by base offset, sparse index lookup, short header walk,
 * one pread of up to maxBytes, cut at the last whole batch.
 *
 * Structural changes (roll, truncation, retention, segment swaps by the cleaner) are synchronous
 * between awaits, so reads and appends never see a half-changed segment list.
 */
import fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import * as records from '@runnel/records';
import { BatchProblem } from '@runnel/records';
import { Clock, StorageLogger } from './clock';
import { LogConfig } from './config';
import {
  APPEND_LISTENERS_MAX,
  WRITE_GATHER_APPENDS_MAX,
  WRITE_GATHER_BYTES,
  SYNCS_IN_FLIGHT_MAX,
  BATCH_BYTES_MAX,
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  SWAP_FILE_SUFFIX,
  TEMP_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
} from './constants';
import { fsyncDir } from './checkpoint';
import {
  BatchTooLargeError,
  CorruptBatchError,
  InvalidOffsetError,
  LogClosedError,
  OffsetOutOfRangeError,
  StorageError,
  ioError,
} from './errors';
import { LeaderEpochCache } from './leader-epoch-cache';
import { BatchInfo, LogSegment, SegmentOptions, segmentFileName } from './log-segment';
import { batchRecordsPayload, forEachRecord } from './record-reader';

// Module-level copies of what the append path uses from @runnel/records. In the CommonJS output a
// name re-exported through a library index is read through a getter that all re-exports share
// (`return m[k]`, a megamorphic keyed load) on every use; the append path uses ~20 per batch.
// Copying them once took the engine's own work per append from 1.62 to 1.33 µs (write stubbed, dist/).
// Fixing it in the library instead (named re-exports in libs/records/src/index.ts, one getter per
// name, plain imports here) measured 1.43-1.73 µs against 1.25-1.44 with these copies, so they stay.
const {
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_BASE_TIMESTAMP,
  BATCH_OFFSET_LAST_OFFSET_DELTA,
  BATCH_OFFSET_LEADER_EPOCH,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAX_TIMESTAMP,
  BATCH_OFFSET_RECORDS_COUNT,
  LOG_OVERHEAD_BYTES,
  checkBatch,
  setBatchBaseOffset,
  setBatchPartitionLeaderEpoch,
  writeBatchCrc,
} = records;

export interface AppendOptions {
  /** acks=all: resolve only after the data is fdatasync'ed (group-committed). */
  durable?: boolean;
  /** Stamped into every batch's partitionLeaderEpoch (leader appends). */
  leaderEpoch?: number;
  /** Default true. false = follower/replica append: keep the batches' offsets (must not go back). */
  assignOffsets?: boolean;
  /**
   * The caller already ran checkBatch (CRC included) on exactly these bytes, as the wire door does
   * on produce: the log then checks framing, magic, lengths and offsets but skips its own CRC pass,
   * the dominant cost of a large append (CRC-32C runs at a few GB/s here, page-cache writes faster).
   */
  crcVerified?: boolean;
}

export interface AppendInfo {
  firstOffset: bigint;
  lastOffset: bigint;
  /** The broker time stamped into the batches with LogAppendTime, else -1n. */
  logAppendTimeMs: bigint;
  recordCount: number;
  batchCount: number;
}

export interface FetchResult {
  /** Whole stored batches; empty when there is nothing to read. */
  records: Buffer;
  /** Base offset of the first returned batch (may be below the requested offset), null if none. */
  firstOffset: bigint | null;
  /** The offset to fetch next. */
  nextOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
  logEndOffset: bigint;
}

export interface SegmentInfo {
  baseOffset: bigint;
  sizeBytes: number;
  nextOffset: bigint;
  firstTimestampMs: bigint | null;
  lastTimestampMs: bigint | null;
}

export interface RecoveryReport {
  segmentsRecovered: number;
  bytesTruncated: number;
  segmentsDropped: number;
  problems: string[];
}

export interface PartitionLogLoadOptions {
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  clock: Clock;
  logger: StorageLogger;
  recoveryPoint: bigint;
  logStartOffset: bigint | undefined;
  cleanerCheckpoint: bigint | undefined;
  cleanShutdown: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Resolves written appends, or rejects them all with the write's error. */
function settle(entries: readonly QueuedAppend[], error: StorageError | null): void {
  if (error) {
    for (const entry of entries) entry.reject?.(error);
  } else {
    for (const entry of entries) entry.resolve?.(entry.result);
  }
}

/** A stamped append waiting for the gathered write. */
interface QueuedAppend {
  buf: Buffer;
  infos: BatchInfo[];
  result: AppendInfo;
  nowMs: number;
  resolve: ((info: AppendInfo) => void) | null;
  reject: ((error: unknown) => void) | null;
}

interface SyncWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

function segmentOptions(config: LogConfig): SegmentOptions {
  return { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes };
}

function fsyncDirAsync(dir: string): Promise<void> {
  return new Promise((resolve) => {
    fs.open(dir, 'r', (openError, fd) => {
      if (openError) return resolve();
      fs.fsync(fd, () => fs.close(fd, () => resolve()));
    });
  });
}

export class PartitionLog {
  config: LogConfig;
  /** Offset below which everything is flushed (log and indexes). */
  recoveryPoint: bigint;
  /** The cleaner's first dirty offset: everything below was compacted at least once. */
  cleanerCheckpoint: bigint;
  readonly leaderEpochCache: LeaderEpochCache;
  /** What load() had to drop, for logs and tests. */
  readonly recovery: RecoveryReport;
  private segments: LogSegment[];
  private logStart: bigint;
  private explicitHighWatermark: bigint | null = null;
  private readonly listeners = new Set<(info: AppendInfo) => void>();
  private syncWaiters: SyncWaiter[] = [];
  private syncsInFlight = 0;
  private syncScheduled = false;
  private dirUnsynced = false;
  private flushChain: Promise<void> = Promise.resolve();
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private readonly pendingDeletes = new Map<string, NodeJS.Timeout | null>();
  private closedFlag = false;
  /** Appends validated and stamped but not yet written (write gathering, see append()). */
  private queued: QueuedAppend[] = [];
  private queuedBytes = 0;
  private writeScheduled = false;
  /**
   * Appends written (by the end-of-turn callback, at the gather threshold, or by a sync, flush or
   * structural change) whose promises settle in the end-of-turn callback, in offset order, never
   * inside the caller's own call: a loop of `await log.append()` then always returns to the event
   * loop once a turn.
   */
  private writtenUnsettled: { entries: readonly QueuedAppend[]; error: StorageError | null }[] = [];

  private constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    config: LogConfig,
    private readonly clock: Clock,
    private readonly logger: StorageLogger,
    segments: LogSegment[],
    logStartOffset: bigint,
    recoveryPoint: bigint,
    cleanerCheckpoint: bigint,
    recovery: RecoveryReport,
  ) {
    assert(segments.length > 0);
    this.config = config;
    this.segments = segments;
    this.logStart = logStartOffset;
    this.recoveryPoint = recoveryPoint;
    this.cleanerCheckpoint = cleanerCheckpoint;
    this.recovery = recovery;
    this.leaderEpochCache = new LeaderEpochCache(dir);
    this.leaderEpochCache.truncateFromEnd(this.logEndOffset);
    this.lastFlushMs = clock.nowMs();
  }

  /** Opens (and if needed recovers) the partition directory; creates it when missing. */
  static load(options: PartitionLogLoadOptions): PartitionLog {
    const { dir, config, clock, logger } = options;
    fs.mkdirSync(dir, { recursive: true });
    const nowMs = clock.nowMs();
    const segOptions = segmentOptions(config);
    const report: RecoveryReport = { segmentsRecovered: 0, bytesTruncated: 0, segmentsDropped: 0, problems: [] };
    const rebuild = new Set<string>();
    const names = fs.readdirSync(dir);
    // Leftovers of interrupted operations first: deletions finish, unfinished cleanings are dropped,
    // committed swaps (.swap) replace the segment they cleaned.
    for (const name of names) {
      const file = path.join(dir, name);
      if (name.endsWith(DELETED_FILE_SUFFIX) || name.endsWith(CLEANED_FILE_SUFFIX) || name.endsWith(TEMP_FILE_SUFFIX)) {
        fs.rmSync(file, { force: true });
      }
    }
    for (const name of names) {
      if (!name.endsWith(LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX)) continue;
      const base = name.slice(0, -(LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX).length);
      for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) fs.rmSync(path.join(dir, base + suffix), { force: true });
      fs.renameSync(path.join(dir, name), path.join(dir, base + LOG_FILE_SUFFIX));
      rebuild.add(base);
      report.problems.push(`completed an interrupted compaction swap of segment ${base}`);
    }
    const bases = fs
      .readdirSync(dir)
      .filter((name) => /^\d+\.log$/.test(name))
      .map((name) => BigInt(name.slice(0, -LOG_FILE_SUFFIX.length)))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

    const segments: LogSegment[] = [];
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const segment = LogSegment.open(dir, base, segOptions, nowMs);
      const nextBase = bases[i + 1];
      const afterRecoveryPoint = nextBase === undefined || nextBase > options.recoveryPoint;
      const previous = segments.at(-1);
      const minOffset = previous ? previous.nextOffset : base;
      const mustRecover =
        (!options.cleanShutdown && afterRecoveryPoint) ||
        rebuild.has(segmentFileName(base, '')) ||
        base < minOffset ||
        !segment.loadIndexes();
      if (!mustRecover) {
        segments.push(segment);
        continue;
      }
      const result = segment.recover(BATCH_BYTES_MAX, minOffset);
      report.segmentsRecovered++;
      report.bytesTruncated += result.truncatedBytes;
      // Without compaction offsets are contiguous across segments: a recovered segment ending
      // before the next one starts lost its tail (a cut exactly at a batch boundary).
      const gap = nextBase !== undefined && !config.cleanupPolicy.compact && segment.nextOffset < nextBase;
      if (gap && result.problem === null) result.problem = `segment ends at offset ${segment.nextOffset} but the next starts at ${nextBase}`;
      if (result.problem === null && base >= minOffset) {
        segments.push(segment);
        continue;
      }
      // The log ends in this segment: keep its valid prefix (unless empty and not first), drop every later segment.
      report.problems.push(`segment ${segment.path}: ${result.problem ?? 'overlaps the previous segment'} at byte ${result.validBytes}, truncated ${result.truncatedBytes} bytes`);
      if (segment.sizeBytes === 0 && (segments.length > 0 || gap)) {
        segment.markDeleted().forEach((file) => fs.rmSync(file, { force: true }));
        report.segmentsDropped++;
      } else {
        segments.push(segment);
      }
      for (let j = i + 1; j < bases.length; j++) {
        const later = LogSegment.open(dir, bases[j]!, segOptions, nowMs);
        report.bytesTruncated += later.sizeBytes;
        later.markDeleted().forEach((file) => fs.rmSync(file, { force: true }));
        report.segmentsDropped++;
      }
      break;
    }
    const firstBase = segments[0]?.baseOffset;
    if (segments.length === 0) {
      segments.push(LogSegment.create(dir, options.logStartOffset ?? 0n, segOptions, nowMs));
    }
    const logEndOffset = segments.at(-1)!.nextOffset;
    let logStartOffset = options.logStartOffset ?? firstBase ?? 0n;
    if (firstBase !== undefined && logStartOffset < firstBase) logStartOffset = firstBase;
    if (logStartOffset > logEndOffset) logStartOffset = logEndOffset;
    const recoveryPoint = options.recoveryPoint < logEndOffset ? options.recoveryPoint : logEndOffset;
    let cleanerCheckpoint = options.cleanerCheckpoint ?? logStartOffset;
    if (cleanerCheckpoint > logEndOffset) cleanerCheckpoint = logStartOffset;
    if (report.problems.length > 0 || report.bytesTruncated > 0) {
      logger.warn(
        `recovered ${options.topic}-${options.partition}: ${report.segmentsRecovered} segment(s) re-validated, ` +
          `${report.bytesTruncated} byte(s) truncated, ${report.segmentsDropped} segment(s) dropped; ${report.problems.join('; ')}`,
      );
    } else if (report.segmentsRecovered > 0) {
      logger.info(`recovered ${options.topic}-${options.partition}: ${report.segmentsRecovered} segment(s) re-validated, nothing lost`);
    }
    return new PartitionLog(
      dir,
      options.topic,
      options.partition,
      config,
      clock,
      logger,
      segments,
      logStartOffset,
      recoveryPoint,
      cleanerCheckpoint,
      report,
    );
  }

  // ----- offsets -----

  get logStartOffset(): bigint {
    return this.logStart;
  }

  get logEndOffset(): bigint {
    return this.segments.at(-1)!.nextOffset;
  }

  get highWatermark(): bigint {
    const leo = this.logEndOffset;
    if (this.explicitHighWatermark === null) return leo;
    return this.explicitHighWatermark < leo ? this.explicitHighWatermark : leo;
  }

  /** Set by replication; clamped to [logStartOffset, logEndOffset]. */
  set highWatermark(offset: bigint) {
    let value = offset;
    if (value < this.logStart) value = this.logStart;
    if (value > this.logEndOffset) value = this.logEndOffset;
    this.explicitHighWatermark = value;
  }

  get leaderEpoch(): number {
    return this.leaderEpochCache.latestEpoch();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private get active(): LogSegment {
    return this.segments.at(-1)!;
  }

  private checkOpen(): void {
    if (this.closedFlag) throw new LogClosedError(`partition log ${this.topic}-${this.partition}`);
  }

  // ----- append -----

  /**
   * Appends whole batches. Validation, offset assignment and stamping happen now (a bad batch
   * rejects before anything is queued); the write is gathered: appends of one event-loop turn go to
   * the file as one `writev` at the end of the turn (earlier once WRITE_GATHER_BYTES or
   * WRITE_GATHER_APPENDS_MAX appends are queued), and the promise resolves in that end-of-turn
   * callback once the bytes are written to the OS (and fdatasync'ed when durable).
   * Until it resolves the log owns `batches`: the caller must not reuse the buffer. Readers never
   * see queued bytes (read() returns only written ones); truncation, record deletion, roll,
   * appendSync, sync, flush and close write the queue out first.
   */
  append(batches: Buffer, options: AppendOptions = {}): Promise<AppendInfo> {
    // Not an async function: the common case returns the write's own promise, one per append.
    let entry: QueuedAppend;
    try {
      entry = this.prepareAppend(batches, options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const written = new Promise<AppendInfo>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    // A durable append joins the group commit now: the next sync writes the queue out first.
    const synced = options.durable ? this.requestSync() : null;
    this.queued.push(entry);
    this.queuedBytes += entry.buf.length;
    if (this.queuedBytes >= WRITE_GATHER_BYTES || this.queued.length >= WRITE_GATHER_APPENDS_MAX) {
      this.writeQueued();
      // Start the sync of what is written now, so the disk works while this turn's later appends are written.
      this.runSync();
    } else {
      this.scheduleWrite();
    }
    if (synced) return Promise.all([written, synced]).then(() => entry.result);
    if (this.config.flushMessages === null) return written;
    return written.then(async (info) => {
      if (this.config.flushMessages !== null && this.unflushedMessages >= this.config.flushMessages) await this.flush();
      return info;
    });
  }

  /**
   * The synchronous form of append (validate, stamp, write, index, notify), for callers that need
   * the write done on return; it writes any gathered appends first, so order is kept.
   */
  appendSync(buf: Buffer, options: AppendOptions = {}): AppendInfo {
    this.checkOpenAndWriteQueued();
    const entry = this.prepareAppend(buf, options);
    const error = this.writeEntries([entry]);
    if (error) throw error;
    return entry.result;
  }

  /**
   * The offset the next append gets: the log end offset plus the appends queued for the gathered
   * write. Offsets are assigned synchronously, so a caller can read the range an append() call took
   * right after the call (nothing is taken when the call rejects at once).
   */
  get nextAppendOffset(): bigint {
    const last = this.queued.at(-1);
    return last ? last.result.lastOffset + 1n : this.logEndOffset;
  }

  /** Validate everything (nothing is touched on a bad batch), then stamp offsets, epoch, LogAppendTime. */
  private prepareAppend(buf: Buffer, options: AppendOptions): QueuedAppend {
    this.checkOpen();
    const assign = options.assignOffsets ?? true;
    const infos: BatchInfo[] = [];
    let position = 0;
    let expected = this.nextAppendOffset;
    let recordCount = 0;
    while (position < buf.length) {
      const index = infos.length;
      if (buf.length - position < BATCH_HEADER_BYTES) {
        throw new CorruptBatchError(`batch ${index} is truncated: ${buf.length - position} bytes left, a batch header needs ${BATCH_HEADER_BYTES}; send whole batches`, index, 'Truncated');
      }
      const sizeBytes = buf.readInt32BE(position + BATCH_OFFSET_LENGTH) + LOG_OVERHEAD_BYTES;
      if (sizeBytes > this.config.maxMessageBytes) {
        throw new BatchTooLargeError(
          `batch ${index} is ${sizeBytes} bytes, larger than max.message.bytes=${this.config.maxMessageBytes} of ${this.topic}-${this.partition}; send smaller batches or raise max.message.bytes`,
          sizeBytes,
          this.config.maxMessageBytes,
        );
      }
      const problem = checkBatch(buf, position, buf.length, BATCH_BYTES_MAX, !options.crcVerified);
      if (problem !== BatchProblem.Ok) {
        throw new CorruptBatchError(`batch ${index} at byte ${position} is invalid (${BatchProblem[problem]}); nothing was written, resend the batch`, index, BatchProblem[problem]);
      }
      const delta = buf.readInt32BE(position + BATCH_OFFSET_LAST_OFFSET_DELTA);
      let baseOffset: bigint;
      if (assign) {
        baseOffset = expected;
      } else {
        baseOffset = buf.readBigInt64BE(position);
        if (baseOffset < expected) {
          throw new InvalidOffsetError(
            `follower append of batch ${index} at offset ${baseOffset} is below the log end offset ${expected} of ${this.topic}-${this.partition}; truncate the log first`,
          );
        }
      }
      const lastOffset = baseOffset + BigInt(delta);
      infos.push({ position, sizeBytes, baseOffset, lastOffset, maxTimestampMs: 0 });
      recordCount += buf.readInt32BE(position + BATCH_OFFSET_RECORDS_COUNT);
      expected = lastOffset + 1n;
      position += sizeBytes;
    }
    if (infos.length === 0) throw new CorruptBatchError('append of an empty buffer: send at least one batch', 0, 'Truncated');
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    const nowMs = this.clock.nowMs();
    for (const info of infos) {
      if (assign) setBatchBaseOffset(buf, info.baseOffset, info.position);
      if (options.leaderEpoch !== undefined) setBatchPartitionLeaderEpoch(buf, options.leaderEpoch, info.position);
      if (logAppendTime) {
        const attributes = buf.readInt16BE(info.position + BATCH_OFFSET_ATTRIBUTES);
        buf.writeInt16BE(attributes | ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND, info.position + BATCH_OFFSET_ATTRIBUTES);
        buf.writeBigInt64BE(BigInt(nowMs), info.position + BATCH_OFFSET_MAX_TIMESTAMP);
        writeBatchCrc(buf, info.position);
      }
      // int64 as a number without a BigInt: timestamps are far below 2^53.
      info.maxTimestampMs = buf.readInt32BE(info.position + BATCH_OFFSET_MAX_TIMESTAMP) * 0x1_0000_0000 + buf.readUInt32BE(info.position + BATCH_OFFSET_MAX_TIMESTAMP + 4);
      const epoch = buf.readInt32BE(info.position + BATCH_OFFSET_LEADER_EPOCH);
      if (epoch > this.leaderEpochCache.latestEpoch()) this.leaderEpochCache.assign(epoch, info.baseOffset);
    }
    const result: AppendInfo = {
      firstOffset: infos[0]!.baseOffset,
      lastOffset: infos.at(-1)!.lastOffset,
      logAppendTimeMs: logAppendTime ? BigInt(nowMs) : -1n,
      recordCount,
      batchCount: infos.length,
    };
    return { buf, infos, result, nowMs, resolve: null, reject: null };
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    // Every append of this turn of the event loop joins the write; every append written this turn settles here.
    setImmediate(() => {
      this.writeQueued(); // writeScheduled still set: no second callback for these
      this.writeScheduled = false;
      this.settleWritten();
      if (this.queued.length > 0) this.scheduleWrite(); // appended by a listener during the write
    });
  }

  /**
   * Writes the gathered appends out now (no-op when none). Their promises settle in the end-of-turn
   * callback, never inside the caller's own call (see writtenUnsettled).
   */
  private writeQueued(): void {
    if (this.queued.length === 0) return;
    const entries = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    // Recorded before the write, so appends a listener writes during it settle after these.
    const written: { entries: readonly QueuedAppend[]; error: StorageError | null } = { entries, error: null };
    this.writtenUnsettled.push(written);
    this.scheduleWrite();
    written.error = this.writeEntries(entries);
  }

  /** Settles the appends written so far, in offset order. */
  private settleWritten(): void {
    const written = this.writtenUnsettled;
    if (written.length === 0) return;
    this.writtenUnsettled = [];
    for (const { entries, error } of written) settle(entries, error);
  }

  /** Checks the log is open and writes every gathered append out, before a structural change or appendSync. */
  private checkOpenAndWriteQueued(): void {
    this.checkOpen();
    this.writeQueued();
  }

  /**
   * Writes `entries` (stamped appends, in offset order) as one vectored write per segment touched,
   * indexes them and notifies listeners; the caller settles the entries' promises (writeQueued through
   * writtenUnsettled; appendSync throws the error). On a failed write the log is cut back to where
   * these entries began and the typed error is returned.
   */
  private writeEntries(entries: readonly QueuedAppend[]): StorageError | null {
    const startOffset = this.logEndOffset;
    try {
      this.writeBatches(entries);
    } catch (error) {
      if (this.logEndOffset > startOffset) this.truncateSync(startOffset);
      this.leaderEpochCache.truncateFromEnd(this.logEndOffset);
      return error instanceof StorageError ? error : ioError(error, `appending to ${this.topic}-${this.partition}`);
    }
    for (const entry of entries) {
      this.unflushedMessages += entry.result.recordCount;
      for (const listener of this.listeners) {
        try {
          listener(entry.result);
        } catch (error) {
          this.logger.error(`onAppend listener of ${this.topic}-${this.partition} threw: ${String(error)}`);
        }
      }
    }
    return null;
  }

  /** Whether a batch of `bytes` (ending at `lastOffset`) must go to a new segment, `groupBytes` (`batches` - 1 batches) being due before it. */
  private needsRoll(segment: LogSegment, groupBytes: number, bytes: number, batches: number, lastOffset: bigint, nowMs: number): boolean {
    if (segment.sizeBytes + groupBytes === 0) return segment.offsetOverflows(lastOffset);
    return (
      segment.sizeBytes + groupBytes + bytes > this.config.segmentBytes ||
      nowMs - segment.createdMs > this.config.segmentMs ||
      !segment.indexRoomFor(batches) ||
      segment.offsetOverflows(lastOffset)
    );
  }

  /** One vectored write per segment touched; rolls between batches where a roll is due. */
  private writeBatches(entries: readonly QueuedAppend[]): void {
    const nowMs = entries.at(-1)!.nowMs;
    let chunks: Buffer[] = [];
    let infos: BatchInfo[] = [];
    let groupBytes = 0;
    // The chunk being extended: contiguous batches of one buffer are written as one slice.
    let chunkBuf: Buffer | null = null;
    let chunkStart = 0;
    let chunkEnd = 0;
    const closeChunk = (): void => {
      if (chunkBuf !== null) chunks.push(chunkStart === 0 && chunkEnd === chunkBuf.length ? chunkBuf : chunkBuf.subarray(chunkStart, chunkEnd));
      chunkBuf = null;
    };
    const writeGroup = (): void => {
      closeChunk();
      if (infos.length > 0) this.active.appendChunks(chunks, groupBytes, infos);
      chunks = [];
      infos = [];
      groupBytes = 0;
    };
    for (const entry of entries) {
      for (const info of entry.infos) {
        if (this.needsRoll(this.active, groupBytes, info.sizeBytes, infos.length + 1, info.lastOffset, nowMs)) {
          writeGroup();
          if (this.needsRoll(this.active, 0, info.sizeBytes, 1, info.lastOffset, nowMs)) this.rollSegment(info.baseOffset, nowMs);
        }
        if (chunkBuf !== entry.buf || chunkEnd !== info.position) {
          closeChunk();
          chunkBuf = entry.buf;
          chunkStart = info.position;
        }
        chunkEnd = info.position + info.sizeBytes;
        infos.push(info);
        groupBytes += info.sizeBytes;
      }
    }
    writeGroup();
  }

  /** Rolls the active segment now if it is not empty (tests, admin). */
  roll(): void {
    this.checkOpenAndWriteQueued();
    if (this.active.sizeBytes > 0) this.rollSegment(this.logEndOffset, this.clock.nowMs());
  }

  /** Starts a new active segment at `baseOffset`; the old one is flushed in the background. */
  private rollSegment(baseOffset: bigint, nowMs: number): void {
    const old = this.active;
    old.offsetIndex.persist();
    old.timeIndex.persist();
    this.segments.push(LogSegment.create(this.dir, baseOffset, segmentOptions(this.config), nowMs));
    this.dirUnsynced = true;
    this.flushUpTo(baseOffset).catch((error: unknown) => this.logger.error(`flush after roll of ${this.topic}-${this.partition} failed: ${String(error)}`));
  }

  // ----- durability -----

  /** Resolves after an fdatasync that started after this call (group commit). */
  private requestSync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      this.scheduleSync();
    });
  }

  /**
   * Runs a sync at the end of this turn. When every slot is busy nothing is scheduled: the completion
   * of a sync in flight schedules the next one while waiters remain.
   */
  private scheduleSync(): void {
    if (this.syncsInFlight >= SYNCS_IN_FLIGHT_MAX || this.syncScheduled) return;
    this.syncScheduled = true;
    // Let every append of this turn of the event loop join the sync.
    setImmediate(() => {
      this.syncScheduled = false;
      this.runSync();
    });
  }

  /** Starts a sync for every waiter so far, unless there is none or every slot is busy (see scheduleSync). */
  private runSync(): void {
    if (this.syncWaiters.length === 0 || this.syncsInFlight >= SYNCS_IN_FLIGHT_MAX) return;
    this.writeQueued();
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    this.syncsInFlight++;
    const work: Promise<void>[] = this.segments.filter((segment) => segment.unsynced).map((segment) => segment.syncData());
    if (this.dirUnsynced) {
      this.dirUnsynced = false;
      work.push(fsyncDirAsync(this.dir));
    }
    Promise.all(work).then(
      () => {
        this.syncsInFlight--;
        for (const waiter of waiters) waiter.resolve();
        if (this.syncWaiters.length > 0) this.scheduleSync();
      },
      (error: unknown) => {
        this.syncsInFlight--;
        for (const waiter of waiters) waiter.reject(error);
        if (this.syncWaiters.length > 0) this.scheduleSync();
      },
    );
  }

  /** Flushes (fsync log + indexes) every segment below `offset` and advances the recovery point. */
  private flushUpTo(offset: bigint): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.closedFlag) return;
      const from = this.recoveryPoint;
      const segments = this.segments.filter((segment) => segment.baseOffset < offset && (segment.nextOffset > from || segment.unsynced));
      const work = segments.map((segment) => segment.flush());
      if (this.dirUnsynced) {
        this.dirUnsynced = false;
        work.push(fsyncDirAsync(this.dir));
      }
      await Promise.all(work);
      const end = this.logEndOffset;
      const target = offset < end ? offset : end;
      if (target > this.recoveryPoint) this.recoveryPoint = target;
    };
    this.flushChain = this.flushChain.then(run, run);
    return this.flushChain;
  }

  /** fsyncs everything written so far; the recovery point becomes the log end offset. */
  async flush(): Promise<void> {
    this.writeQueued();
    this.unflushedMessages = 0;
    this.lastFlushMs = this.clock.nowMs();
    await this.flushUpTo(this.logEndOffset);
  }

  /** flush.ms policy: called by the LogManager's timer. */
  async maybeFlushByTime(nowMs: number): Promise<void> {
    if (this.closedFlag || this.config.flushMs === null) return;
    if (this.recoveryPoint >= this.logEndOffset && !this.active.unsynced) {
      this.lastFlushMs = nowMs;
      return;
    }
    if (nowMs - this.lastFlushMs >= this.config.flushMs) await this.flush();
  }

  // ----- read -----

  private floorSegmentIndex(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  read(offset: bigint, maxBytes: number, options: { maxOffset?: bigint } = {}): FetchResult {
    this.checkOpen();
    const logEndOffset = this.logEndOffset;
    const logStartOffset = this.logStart;
    const highWatermark = this.highWatermark;
    if (offset < logStartOffset || offset > logEndOffset) {
      throw new OffsetOutOfRangeError(
        `offset ${offset} is out of range for ${this.topic}-${this.partition}: valid offsets are [${logStartOffset}, ${logEndOffset}]; reset the position to one of them`,
        offset,
        logStartOffset,
        logEndOffset,
      );
    }
    const maxOffset = options.maxOffset !== undefined && options.maxOffset < logEndOffset ? options.maxOffset : logEndOffset;
    const empty: FetchResult = { records: EMPTY, firstOffset: null, nextOffset: offset, highWatermark, logStartOffset, logEndOffset };
    if (offset >= maxOffset) return empty;
    for (let i = this.floorSegmentIndex(offset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      const batch = segment.findBatch(offset);
      if (!batch) continue;
      if (batch.lastOffset >= maxOffset) return empty;
      let limit = segment.sizeBytes;
      if (maxOffset < segment.nextOffset) {
        const stop = segment.findBatch(maxOffset, batch.position);
        if (stop) limit = stop.position;
      }
      const want = Math.min(Math.max(maxBytes, batch.sizeBytes), limit - batch.position);
      const data = segment.read(batch.position, want);
      let at = 0;
      let lastStart = 0;
      while (at + BATCH_HEADER_BYTES <= data.length) {
        const size = data.readInt32BE(at + BATCH_OFFSET_LENGTH) + LOG_OVERHEAD_BYTES;
        if (at + size > data.length) break;
        lastStart = at;
        at += size;
      }
      assert(at >= batch.sizeBytes, 'read must return at least the first batch');
      const lastOffset = data.readBigInt64BE(lastStart) + BigInt(data.readInt32BE(lastStart + BATCH_OFFSET_LAST_OFFSET_DELTA));
      return {
        records: at === data.length ? data : data.subarray(0, at),
        firstOffset: batch.baseOffset,
        nextOffset: lastOffset + 1n,
        highWatermark,
        logStartOffset,
        logEndOffset,
      };
    }
    return empty;
  }

  /** First offset whose record timestamp is >= `timestampMs` (time index, then a scan); null if none. */
  offsetForTimestamp(timestampMs: bigint): bigint | null {
    this.checkOpen();
    const target = Number(timestampMs);
    for (const segment of this.segments) {
      if (segment.maxTimestampMs < target || segment.nextOffset <= this.logStart) continue;
      const relative = segment.timeIndex.lookup(target);
      const start = segment.offsetIndex.lookup(relative);
      let answer: bigint | null = null;
      segment.walkHeaders(start, (batch) => {
        if (batch.maxTimestampMs < target || batch.lastOffset < this.logStart) return true;
        answer = this.firstRecordAtOrAfter(segment, batch.position, batch.sizeBytes, target);
        return answer === null;
      });
      if (answer !== null) return answer;
    }
    return null;
  }

  private firstRecordAtOrAfter(segment: LogSegment, position: number, sizeBytes: number, target: number): bigint | null {
    const batch = segment.read(position, sizeBytes);
    const baseOffset = batch.readBigInt64BE(0);
    const floor = baseOffset > this.logStart ? baseOffset : this.logStart;
    const attributes = batch.readInt16BE(BATCH_OFFSET_ATTRIBUTES);
    if ((attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0) return floor;
    const payload = batchRecordsPayload(batch);
    if (!payload) return floor;
    const baseTimestamp = Number(batch.readBigInt64BE(BATCH_OFFSET_BASE_TIMESTAMP));
    let answer: bigint | null = null;
    forEachRecord(payload, batch.readInt32BE(BATCH_OFFSET_RECORDS_COUNT), (record) => {
      const offset = baseOffset + BigInt(record.offsetDelta);
      if (offset >= this.logStart && baseTimestamp + record.timestampDelta >= target) {
        answer = offset;
        return false;
      }
      return true;
    });
    return answer;
  }

  // ----- truncation, log start, retention -----

  /** Removes every batch holding an offset >= `offset` (batch granularity, as Kafka). */
  async truncateTo(offset: bigint): Promise<void> {
    this.checkOpenAndWriteQueued();
    this.truncateSync(offset);
  }

  private truncateSync(offset: bigint): void {
    if (offset >= this.logEndOffset) return;
    if (offset <= this.segments[0]!.baseOffset || offset < this.logStart) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    while (this.segments.length > 1 && this.active.baseOffset >= offset) this.deleteSegment(this.active);
    this.active.truncateTo(offset);
    this.afterTruncation();
  }

  /** Deletes every segment and starts an empty log at `offset` (log start = `offset`). */
  private truncateFullyAndStartAt(offset: bigint): void {
    const old = this.segments;
    for (const segment of old) {
      if (segment.baseOffset === offset) segment.close(); // its files are reused (truncated) by create() below
      else this.deleteSegmentFiles(segment);
    }
    this.segments = [LogSegment.create(this.dir, offset, segmentOptions(this.config), this.clock.nowMs())];
    this.dirUnsynced = true;
    this.logStart = offset;
    this.afterTruncation();
  }

  private afterTruncation(): void {
    const end = this.logEndOffset;
    if (this.recoveryPoint > end) this.recoveryPoint = end;
    if (this.cleanerCheckpoint > end) this.cleanerCheckpoint = end;
    if (this.logStart > end) this.logStart = end;
    if (this.explicitHighWatermark !== null && this.explicitHighWatermark > end) this.explicitHighWatermark = end;
    this.leaderEpochCache.truncateFromEnd(end);
  }

  /**
   * DeleteRecords: advances the log start offset to `offset` (at most the high watermark) and
   * deletes the segments wholly below it. Returns the new log start offset.
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    this.checkOpenAndWriteQueued();
    const highWatermark = this.highWatermark;
    if (offset > highWatermark || offset < 0n) {
      throw new OffsetOutOfRangeError(
        `cannot delete records before ${offset} in ${this.topic}-${this.partition}: the offset must be in [0, ${highWatermark}] (the high watermark)`,
        offset,
        this.logStart,
        this.logEndOffset,
      );
    }
    if (offset <= this.logStart) return this.logStart;
    this.logStart = offset;
    if (offset >= this.logEndOffset && this.active.sizeBytes > 0) this.roll();
    this.deleteOldSegments(() => false);
    return this.logStart;
  }

  /** Applies retention.ms / retention.bytes (when cleanup.policy has delete) and the log start offset. */
  applyRetention(nowMs: number): number {
    if (this.closedFlag) return 0;
    const { retentionMs, retentionBytes, cleanupPolicy } = this.config;
    let total = this.sizeBytes();
    return this.deleteOldSegments((segment) => {
      if (!cleanupPolicy.delete) return false;
      const timestampMs = segment.maxTimestampMs >= 0 ? segment.maxTimestampMs : segment.createdMs;
      const byTime = retentionMs >= 0 && nowMs - timestampMs > retentionMs;
      const bySize = retentionBytes >= 0 && total - segment.sizeBytes >= retentionBytes;
      if (byTime || bySize) total -= segment.sizeBytes;
      return byTime || bySize;
    });
  }

  /** Deletes segments from the oldest while `shouldDelete` (or the log start offset) says so; never the active one. */
  private deleteOldSegments(shouldDelete: (segment: LogSegment) => boolean): number {
    let deleted = 0;
    while (this.segments.length > 1) {
      const segment = this.segments[0]!;
      const next = this.segments[1]!;
      if (!(next.baseOffset <= this.logStart || shouldDelete(segment))) break;
      this.deleteSegment(segment);
      deleted++;
    }
    if (deleted > 0) {
      const first = this.segments[0]!.baseOffset;
      if (this.logStart < first) this.logStart = first;
      if (this.cleanerCheckpoint < this.logStart) this.cleanerCheckpoint = this.logStart;
      this.leaderEpochCache.truncateFromStart(this.logStart);
      this.logger.info(`deleted ${deleted} segment(s) of ${this.topic}-${this.partition}; log start offset is ${this.logStart}`);
    }
    return deleted;
  }

  private deleteSegment(segment: LogSegment): void {
    const index = this.segments.indexOf(segment);
    assert(index >= 0);
    this.segments.splice(index, 1);
    this.deleteSegmentFiles(segment);
  }

  /** Renames the files to `.deleted` (crash safe), removes them after file.delete.delay.ms. */
  private deleteSegmentFiles(segment: LogSegment): void {
    const files = segment.markDeleted();
    for (const file of files) {
      if (this.config.fileDeleteDelayMs === 0) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const timer = setTimeout(() => {
        this.pendingDeletes.delete(file);
        fs.rm(file, { force: true }, () => {});
      }, this.config.fileDeleteDelayMs);
      timer.unref();
      this.pendingDeletes.set(file, timer);
    }
  }

  // ----- cleaner support -----

  /** The segments, oldest first (the last is active). Read-only view for the cleaner and tests. */
  allSegments(): readonly LogSegment[] {
    return this.segments;
  }

  /**
   * Swaps a cleaned copy in for `old` (crash safe): `.cleaned` -> `.swap` (the commit point; on
   * open a `.swap` replaces its segment), old files removed, `.swap` -> `.log`, indexes rebuilt.
   * Returns false (and drops the copy) when `old` is no longer a non-active segment of this log.
   */
  async swapCleanedSegment(old: LogSegment, cleanedPath: string): Promise<boolean> {
    const index = this.segments.indexOf(old);
    if (this.closedFlag || index < 0 || index === this.segments.length - 1) {
      fs.rmSync(cleanedPath, { force: true });
      return false;
    }
    const swapPath = old.path + SWAP_FILE_SUFFIX;
    fs.renameSync(cleanedPath, swapPath);
    fsyncDir(this.dir);
    old.close();
    for (const file of old.filePaths()) fs.rmSync(file, { force: true });
    fs.renameSync(swapPath, old.path);
    const segment = LogSegment.open(this.dir, old.baseOffset, segmentOptions(this.config), old.createdMs);
    const result = segment.recover(BATCH_BYTES_MAX, old.baseOffset);
    assert(result.problem === null, `cleaned segment ${old.path} failed validation: ${result.problem}`);
    this.segments[index] = segment;
    fsyncDir(this.dir);
    await segment.flush();
    return true;
  }

  // ----- misc -----

  updateConfig(config: LogConfig): void {
    this.config = config;
    for (const segment of this.segments) segment.setOptions(segmentOptions(config));
  }

  onAppend(listener: (info: AppendInfo) => void): () => void {
    assert(this.listeners.size < APPEND_LISTENERS_MAX, `more than ${APPEND_LISTENERS_MAX} append listeners`);
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes;
    return total;
  }

  segmentInfos(): SegmentInfo[] {
    return this.segments.map((segment) => ({
      baseOffset: segment.baseOffset,
      sizeBytes: segment.sizeBytes,
      nextOffset: segment.nextOffset,
      firstTimestampMs: segment.firstTimestampMs === null ? null : BigInt(segment.firstTimestampMs),
      lastTimestampMs: segment.maxTimestampMs < 0 && segment.sizeBytes === 0 ? null : BigInt(segment.maxTimestampMs),
    }));
  }

  /** Flushes everything and closes the files. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    await this.flush();
    await this.waitForSyncs();
    this.closeFiles();
  }

  /** Closes without flushing (tests simulate a crash with it; the page cache keeps what was written). */
  abandon(): void {
    if (this.closedFlag) return;
    this.closeFiles();
  }

  private async waitForSyncs(): Promise<void> {
    while (this.syncsInFlight > 0 || this.syncScheduled || this.syncWaiters.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.flushChain;
  }

  private closeFiles(): void {
    this.closedFlag = true;
    // Appends not yet written were never acknowledged: they fail, as in a crash.
    // Appends already written (or failed) settle now, as their write went.
    this.settleWritten();
    const lost = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    for (const entry of lost) entry.reject?.(new LogClosedError(`partition log ${this.topic}-${this.partition}`));
    for (const segment of this.segments) segment.close();
    for (const [file, timer] of this.pendingDeletes) {
      if (timer) clearTimeout(timer);
      fs.rmSync(file, { force: true });
    }
    this.pendingDeletes.clear();
    this.listeners.clear();
  }
}
