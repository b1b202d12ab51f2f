/**
 * LogSegment: one `.log` file of whole v2 record batches plus its sparse `.index` and `.timeindex`.
 *
 *   <dir>/<baseOffset, 20 digits>.log        batches back to back, exactly as Kafka stores them
 *   <dir>/<baseOffset, 20 digits>.index      OffsetIndex (see indexes.ts)
 *   <dir>/<baseOffset, 20 digits>.timeindex  TimeIndex
 *
 * An index entry is added for a batch when more than index.interval.bytes were appended since the
 * last entry (Kafka's rule): offset entry = (batch lastOffset - base, batch position), time entry =
 * (max timestamp so far, offset of that max). Lookups binary-search the in-memory entries, then walk
 * batch headers from the entry's position, reading the file in small chunks.
 *
 * All file work is synchronous (page cache) except fsync. An fd is never closed while an fsync on it
 * is in flight: close() defers until pending I/O drains, so a reused fd number is never synced by
 * mistake.
 */
import fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import {
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_LAST_OFFSET_DELTA,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAX_TIMESTAMP,
  BatchProblem,
  LOG_OVERHEAD_BYTES,
  checkBatch,
} from '@runnel/records';
import {
  DELETED_FILE_SUFFIX,
  HEADER_SCAN_CHUNK_BYTES,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  OFFSET_INDEX_ENTRY_BYTES,
  SCAN_CHUNK_BYTES,
  SEGMENT_NAME_DIGITS,
  SEGMENT_RELATIVE_OFFSET_MAX,
  TIME_INDEX_ENTRY_BYTES,
  TIME_INDEX_FILE_SUFFIX,
} from './constants';
import { ioError } from './errors';
import { OffsetIndex, TimeIndex } from './indexes';

export function segmentFileName(baseOffset: bigint, suffix: string): string {
  return baseOffset.toString().padStart(SEGMENT_NAME_DIGITS, '0') + suffix;
}

/** Per batch facts the segment needs to index an append. */
export interface BatchInfo {
  /** Position of the batch within the buffer being appended. */
  position: number;
  sizeBytes: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestampMs: number;
}

/** A batch found by a header walk: where it is in the file. */
export interface BatchLocation {
  position: number;
  sizeBytes: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestampMs: number;
}

export interface SegmentRecovery {
  validBytes: number;
  truncatedBytes: number;
  batches: number;
  /** Why validation stopped before the end of the file, if it did. */
  problem: string | null;
}

/** SEGMENT_RELATIVE_OFFSET_MAX as a BigInt, made once (the append path compares against it per batch). */
const RELATIVE_OFFSET_MAX_BIG = BigInt(SEGMENT_RELATIVE_OFFSET_MAX);

/** Shared scratch for header walks (the engine is single threaded and walks never interleave). */
const headerScratch = Buffer.allocUnsafe(HEADER_SCAN_CHUNK_BYTES);

function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export interface SegmentOptions {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

export class LogSegment {
  sizeBytes = 0;
  nextOffset: bigint;
  /** Max batch timestamp in the segment, -1 when empty or unknown. */
  maxTimestampMs = -1;
  offsetOfMaxTimestamp: bigint;
  /** Max timestamp of the first batch (used for segment infos), null when empty. */
  firstTimestampMs: number | null = null;
  /** Wall clock time the segment became active, for segment.ms rolls. */
  createdMs: number;
  /** Data written but not yet fdatasync'ed (group commit / flush). */
  unsynced = false;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  private bytesSinceIndexEntry = 0;
  private fd: number;
  private pendingIo = 0;
  private closeRequested = false;
  private closedFlag = false;
  private logPath: string;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    private options: SegmentOptions,
    nowMs: number,
    truncate: boolean,
  ) {
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
    this.createdMs = nowMs;
    this.logPath = path.join(dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX));
    try {
      this.fd = fs.openSync(this.logPath, fs.constants.O_RDWR | fs.constants.O_CREAT | (truncate ? fs.constants.O_TRUNC : 0), 0o644);
    } catch (error) {
      throw ioError(error, `opening segment ${this.logPath}`);
    }
    const entriesMax = Math.max(1, Math.floor(options.segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES));
    const timeEntriesMax = Math.max(1, Math.floor(options.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES));
    this.offsetIndex = new OffsetIndex(path.join(dir, segmentFileName(baseOffset, INDEX_FILE_SUFFIX)), entriesMax);
    this.timeIndex = new TimeIndex(path.join(dir, segmentFileName(baseOffset, TIME_INDEX_FILE_SUFFIX)), timeEntriesMax);
    if (truncate) {
      this.offsetIndex.reset();
      this.timeIndex.reset();
    } else {
      this.sizeBytes = fs.fstatSync(this.fd).size;
    }
  }

  /** A new, empty segment (any leftover files with this base offset are truncated). */
  static create(dir: string, baseOffset: bigint, options: SegmentOptions, nowMs: number): LogSegment {
    return new LogSegment(dir, baseOffset, options, nowMs, true);
  }

  /** An existing segment; call `loadIndexes()` (trusted state) or `recover()` (re-validate) next. */
  static open(dir: string, baseOffset: bigint, options: SegmentOptions, nowMs: number): LogSegment {
    return new LogSegment(dir, baseOffset, options, nowMs, false);
  }

  get path(): string {
    return this.logPath;
  }

  get closed(): boolean {
    return this.closeRequested || this.closedFlag;
  }

  setOptions(options: SegmentOptions): void {
    this.options = options;
  }

  relativeOffset(offset: bigint): number {
    const relative = offset - this.baseOffset;
    if (relative <= 0n) return 0;
    return relative > RELATIVE_OFFSET_MAX_BIG ? SEGMENT_RELATIVE_OFFSET_MAX : Number(relative);
  }

  /** True when a batch ending at `lastOffset` cannot be stored here (relative offset overflow). */
  offsetOverflows(lastOffset: bigint): boolean {
    return lastOffset - this.baseOffset > RELATIVE_OFFSET_MAX_BIG || lastOffset < this.baseOffset;
  }

  /** Index entries this append may add at most (one per batch). */
  indexRoomFor(batches: number): boolean {
    return this.offsetIndex.entries + batches <= this.offsetIndex.entriesMax && this.timeIndex.entries + batches <= this.timeIndex.entriesMax;
  }

  /**
   * Appends `chunks` (together `bytes` long: the whole batches described by `batches`, back to back,
   * in order) at the end of the file with vectored writes. On a
   * failed write the file is cut back to its previous size, so no partial batch stays behind, and
   * the error is rethrown typed.
   */
  appendChunks(chunks: readonly Buffer[], bytes: number, batches: readonly BatchInfo[]): void {
    assert(!this.closed, 'append to a closed segment');
    assert(bytes > 0);
    const basePosition = this.sizeBytes;
    try {
      writeAll(this.fd, chunks, bytes, basePosition);
    } catch (error) {
      try {
        fs.ftruncateSync(this.fd, basePosition);
      } catch {
        // The segment is re-validated on the next open anyway (not a clean shutdown).
      }
      throw ioError(error, `writing ${this.logPath}`);
    }
    // The batches lie back to back from basePosition.
    let position = basePosition;
    for (const batch of batches) {
      this.indexBatch(batch, position);
      position += batch.sizeBytes;
    }
    this.sizeBytes = basePosition + bytes;
    this.unsynced = true;
  }

  private indexBatch(batch: BatchInfo, position: number): void {
    assert(batch.baseOffset >= this.nextOffset || this.sizeBytes === 0 || position === 0, 'offsets must increase within a segment');
    if (this.firstTimestampMs === null) this.firstTimestampMs = batch.maxTimestampMs;
    if (batch.maxTimestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = batch.maxTimestampMs;
      this.offsetOfMaxTimestamp = batch.lastOffset;
    }
    if (this.bytesSinceIndexEntry > this.options.indexIntervalBytes && !this.offsetIndex.isFull()) {
      const relative = this.relativeOffset(batch.lastOffset);
      if (relative > this.offsetIndex.lastRelativeOffset() && position > this.offsetIndex.lastPosition()) {
        this.offsetIndex.append(relative, position);
        this.timeIndex.maybeAppend(this.maxTimestampMs, this.relativeOffset(this.offsetOfMaxTimestamp));
        this.bytesSinceIndexEntry = 0;
      }
    }
    this.bytesSinceIndexEntry += batch.sizeBytes;
    this.nextOffset = batch.lastOffset + 1n;
  }

  /**
   * Walks batch headers from `from` to `to` (or the end), calling `visit` with each; stops when it
   * returns false and returns that batch's location, or null at the end.
   */
  walkHeaders(from: number, visit: (batch: BatchLocation) => boolean, to: number = this.sizeBytes): BatchLocation | null {
    let position = from;
    while (position + BATCH_HEADER_BYTES <= to) {
      const n = readFully(this.fd, headerScratch, 0, Math.min(HEADER_SCAN_CHUNK_BYTES, to - position), position);
      let at = 0;
      while (at + BATCH_HEADER_BYTES <= n) {
        const sizeBytes = headerScratch.readInt32BE(at + BATCH_OFFSET_LENGTH) + LOG_OVERHEAD_BYTES;
        assert(sizeBytes >= BATCH_HEADER_BYTES, `corrupt batch length at ${position + at} in ${this.logPath}`);
        const baseOffset = headerScratch.readBigInt64BE(at);
        const location: BatchLocation = {
          position: position + at,
          sizeBytes,
          baseOffset,
          lastOffset: baseOffset + BigInt(headerScratch.readInt32BE(at + BATCH_OFFSET_LAST_OFFSET_DELTA)),
          maxTimestampMs: Number(headerScratch.readBigInt64BE(at + BATCH_OFFSET_MAX_TIMESTAMP)),
        };
        if (!visit(location)) return location;
        at += sizeBytes;
      }
      if (at === 0) break;
      position += at;
    }
    return null;
  }

  /** The first batch whose last offset is >= `offset`, or null when there is none. */
  findBatch(offset: bigint, from?: number): BatchLocation | null {
    const start = from ?? (offset <= this.baseOffset ? 0 : this.offsetIndex.lookup(this.relativeOffset(offset)));
    return this.walkHeaders(start, (batch) => batch.lastOffset < offset);
  }

  /** Reads `length` bytes at `position` (short at the end of the file). */
  read(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    const n = readFully(this.fd, buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  /**
   * Streams whole batches from `from` in chunks of SCAN_CHUNK_BYTES (a batch bigger than a chunk
   * is read alone). `visit(buf, at, size, position)` returns false to stop. Returns where and why
   * the scan stopped: 'end' (clean end of file), 'stopped', or a framing problem.
   */
  scanBatches(
    from: number,
    batchBytesMax: number,
    visit: (buf: Buffer, at: number, sizeBytes: number, position: number) => boolean,
  ): { position: number; reason: 'end' | 'stopped' | 'truncated' | 'bad-length' } {
    const fileBytes = fs.fstatSync(this.fd).size;
    const chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(BATCH_HEADER_BYTES, fileBytes - from)));
    let position = from;
    while (position < fileBytes) {
      const n = readFully(this.fd, chunk, 0, Math.min(chunk.length, fileBytes - position), position);
      let at = 0;
      while (at < n) {
        if (n - at < BATCH_HEADER_BYTES) {
          if (position + n >= fileBytes) return { position: position + at, reason: 'truncated' };
          break;
        }
        const sizeBytes = chunk.readInt32BE(at + BATCH_OFFSET_LENGTH) + LOG_OVERHEAD_BYTES;
        if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > batchBytesMax) return { position: position + at, reason: 'bad-length' };
        if (position + at + sizeBytes > fileBytes) return { position: position + at, reason: 'truncated' };
        if (n - at < sizeBytes) {
          if (sizeBytes <= chunk.length) break;
          const big = this.read(position + at, sizeBytes);
          if (!visit(big, 0, sizeBytes, position + at)) return { position: position + at, reason: 'stopped' };
          at += sizeBytes;
          continue;
        }
        if (!visit(chunk, at, sizeBytes, position + at)) return { position: position + at, reason: 'stopped' };
        at += sizeBytes;
      }
      position += at;
    }
    return { position, reason: 'end' };
  }

  /**
   * Trusted open (clean shutdown, or before the recovery point): loads the indexes and derives
   * nextOffset and timestamps from the tail. Returns false when the indexes are unusable (the
   * caller then calls recover()).
   */
  loadIndexes(): boolean {
    if (!this.offsetIndex.load() || !this.timeIndex.load()) return false;
    if (!this.offsetIndex.fitsLog(this.sizeBytes)) return false;
    if (this.timeIndex.lastRelativeOffset() > this.offsetIndex.lastRelativeOffset() + SEGMENT_RELATIVE_OFFSET_MAX) return false;
    if (this.offsetIndex.entries === 0 && this.sizeBytes > SCAN_CHUNK_BYTES) return false;
    this.recomputeTail();
    return true;
  }

  /** Recomputes nextOffset, max timestamp and the index-interval counter from the last index entry on. */
  private recomputeTail(): void {
    const lastTimestamp = this.timeIndex.lastTimestamp();
    this.maxTimestampMs = lastTimestamp ?? -1;
    this.offsetOfMaxTimestamp = this.baseOffset + BigInt(Math.max(0, this.timeIndex.lastRelativeOffset()));
    this.nextOffset = this.baseOffset;
    const from = Math.max(0, this.offsetIndex.lastPosition());
    let bytes = 0;
    this.walkHeaders(from, (batch) => {
      if (batch.maxTimestampMs > this.maxTimestampMs) {
        this.maxTimestampMs = batch.maxTimestampMs;
        this.offsetOfMaxTimestamp = batch.lastOffset;
      }
      this.nextOffset = batch.lastOffset + 1n;
      bytes += batch.sizeBytes;
      return true;
    });
    this.bytesSinceIndexEntry = this.offsetIndex.entries === 0 ? bytes : Math.max(0, bytes);
    this.firstTimestampMs = null;
    if (this.sizeBytes >= BATCH_HEADER_BYTES) {
      this.walkHeaders(0, (batch) => {
        this.firstTimestampMs = batch.maxTimestampMs;
        return false;
      });
    }
  }

  /**
   * Re-validates every batch (framing, CRC, magic, offsets increasing from `minOffset`), rebuilds
   * both indexes, and cuts the file at the first invalid byte.
   */
  recover(batchBytesMax: number, minOffset: bigint): SegmentRecovery {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.sizeBytes = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestampMs = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.firstTimestampMs = null;
    this.bytesSinceIndexEntry = 0;
    let expected = minOffset > this.baseOffset ? minOffset : this.baseOffset;
    let problem: string | null = null;
    let batches = 0;
    const fileBytes = fs.fstatSync(this.fd).size;
    const result = this.scanBatches(0, batchBytesMax, (buf, at, sizeBytes, position) => {
      const check = checkBatch(buf, at, at + sizeBytes, batchBytesMax);
      if (check !== BatchProblem.Ok) {
        problem = `${BatchProblem[check]} batch`;
        return false;
      }
      const baseOffset = buf.readBigInt64BE(at);
      const lastOffset = baseOffset + BigInt(buf.readInt32BE(at + BATCH_OFFSET_LAST_OFFSET_DELTA));
      if (baseOffset < expected || this.offsetOverflows(lastOffset)) {
        problem = `out-of-order offset ${baseOffset} (expected >= ${expected})`;
        return false;
      }
      const info: BatchInfo = {
        position,
        sizeBytes,
        baseOffset,
        lastOffset,
        maxTimestampMs: Number(buf.readBigInt64BE(at + BATCH_OFFSET_MAX_TIMESTAMP)),
      };
      if (this.offsetIndex.isFull() && this.bytesSinceIndexEntry > this.options.indexIntervalBytes) {
        problem = 'offset index full';
        return false;
      }
      this.indexBatch(info, position);
      this.sizeBytes = position + sizeBytes;
      expected = lastOffset + 1n;
      batches++;
      return true;
    });
    if (result.reason === 'truncated') problem = 'truncated batch';
    if (result.reason === 'bad-length') problem = 'bad batch length';
    if (this.sizeBytes < fileBytes) {
      fs.ftruncateSync(this.fd, this.sizeBytes);
      this.unsynced = true;
    }
    return { validBytes: this.sizeBytes, truncatedBytes: fileBytes - this.sizeBytes, batches, problem };
  }

  /**
   * Cuts the segment before the batch holding `offset` (batch granularity, as Kafka). Returns the
   * bytes removed.
   */
  truncateTo(offset: bigint): number {
    const batch = this.findBatch(offset);
    if (!batch) return 0;
    const removed = this.sizeBytes - batch.position;
    fs.ftruncateSync(this.fd, batch.position);
    this.sizeBytes = batch.position;
    this.offsetIndex.truncateToPosition(batch.position);
    this.timeIndex.truncateToRelativeOffset(this.relativeOffset(batch.baseOffset));
    this.recomputeTail();
    this.unsynced = true;
    return removed;
  }

  /** fdatasync of the log file only (group commit for acks=all). */
  syncData(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.unsynced = false;
    this.pendingIo++;
    return new Promise<void>((resolve, reject) => {
      fs.fdatasync(this.fd, (error) => {
        this.ioDone();
        if (error) reject(ioError(error, `syncing ${this.logPath}`));
        else resolve();
      });
    });
  }

  /** Writes pending index entries, then fsyncs the log and both indexes. */
  async flush(): Promise<void> {
    if (this.closed) return;
    this.offsetIndex.persist();
    this.timeIndex.persist();
    this.unsynced = false;
    this.pendingIo++;
    try {
      await Promise.all([
        new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (e) => (e ? reject(ioError(e, `syncing ${this.logPath}`)) : resolve()))),
        this.offsetIndex.flush(),
        this.timeIndex.flush(),
      ]);
    } finally {
      this.ioDone();
    }
  }

  private ioDone(): void {
    this.pendingIo--;
    if (this.pendingIo === 0 && this.closeRequested && !this.closedFlag) this.closeNow();
  }

  /** Persists index entries and closes the files (deferred until in-flight syncs finish). */
  close(): void {
    if (this.closed) return;
    this.offsetIndex.persist();
    this.timeIndex.persist();
    this.closeRequested = true;
    if (this.pendingIo === 0) this.closeNow();
  }

  private closeNow(): void {
    this.closedFlag = true;
    fs.closeSync(this.fd);
    this.offsetIndex.close();
    this.timeIndex.close();
  }

  /** Names of this segment's files (log, index, timeindex). */
  filePaths(): string[] {
    return [this.logPath, this.offsetIndex.path, this.timeIndex.path];
  }

  /** Closes and renames every file to `<name>.deleted`; returns the new paths (remove them later). */
  markDeleted(): string[] {
    this.close();
    const renamed: string[] = [];
    for (const file of this.filePaths()) {
      try {
        fs.renameSync(file, file + DELETED_FILE_SUFFIX);
        renamed.push(file + DELETED_FILE_SUFFIX);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(error, `renaming ${file}`);
      }
    }
    return renamed;
  }

  /** Number of unwritten or written index entries; used by tests and infos. */
  indexEntries(): number {
    return this.offsetIndex.entries;
  }
}

/** Writes all of `chunks` (`bytes` in total) at `position`, going on after short writes (or more chunks than IOV_MAX). */
function writeAll(fd: number, chunks: readonly Buffer[], bytes: number, position: number): void {
  let rest = chunks;
  let done = 0;
  while (done < bytes) {
    const first = rest[0]!;
    const n = rest.length === 1 ? fs.writeSync(fd, first, 0, first.length, position + done) : fs.writevSync(fd, rest, position + done);
    if (n <= 0) throw new Error(`write returned ${n} with ${bytes - done} bytes left`);
    done += n;
    if (done === bytes) return;
    let skip = n;
    let index = 0;
    while (skip >= rest[index]!.length) skip -= rest[index++]!.length;
    rest = [rest[index]!.subarray(skip), ...rest.slice(index + 1)];
  }
}
