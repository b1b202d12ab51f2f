/**
 * Sparse offset and time indexes of one segment, byte-compatible with Kafka's:
 *
 *   <base>.index       entries of 8 bytes:  relativeOffset int32 BE, position int32 BE
 *   <base>.timeindex   entries of 12 bytes: timestamp int64 BE, relativeOffset int32 BE
 *
 * Files grow append-only to exactly `entries * entryBytes` (no preallocation, so nothing to trim).
 * All entries are also held in typed arrays in memory (bounded: at most segment.index.bytes / 8
 * entries, and sparse: one per index.interval.bytes of log), so a lookup is a binary search in
 * memory, never a file read. New entries are written to the file lazily, on flush/close/roll:
 * a crash can only lose entries of segments after the recovery point, and recovery rebuilds those.
 */
import fs from 'node:fs';
import { strict as assert } from 'node:assert';
import { OFFSET_INDEX_ENTRY_BYTES, TIME_INDEX_ENTRY_BYTES } from './constants';
import { ioError } from './errors';

const INITIAL_CAPACITY = 64;

abstract class SparseIndex {
  protected count = 0;
  private writtenCount = 0;
  protected fd: number;

  constructor(
    readonly path: string,
    readonly entriesMax: number,
    private readonly entryBytes: number,
  ) {
    assert(entriesMax > 0);
    try {
      this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    } catch (error) {
      throw ioError(error, `opening index ${path}`);
    }
  }

  get entries(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count >= this.entriesMax;
  }

  protected abstract encode(i: number, out: Buffer, at: number): void;
  protected abstract decodeAll(buf: Buffer, entries: number): boolean;
  protected abstract grow(capacity: number): void;
  protected abstract capacity(): number;

  protected ensureCapacity(): void {
    if (this.count < this.capacity()) return;
    this.grow(Math.min(this.entriesMax, Math.max(INITIAL_CAPACITY, this.capacity() * 2)));
  }

  /** Loads the file into memory; false when it is not a valid index (caller rebuilds). */
  load(): boolean {
    const size = fs.fstatSync(this.fd).size;
    if (size % this.entryBytes !== 0 || size / this.entryBytes > this.entriesMax) return false;
    const entries = size / this.entryBytes;
    const buf = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = fs.readSync(this.fd, buf, read, size - read, read);
      if (n === 0) return false;
      read += n;
    }
    this.grow(Math.max(INITIAL_CAPACITY, entries));
    if (!this.decodeAll(buf, entries)) {
      this.count = 0;
      return false;
    }
    this.count = entries;
    this.writtenCount = entries;
    return true;
  }

  /** Drops every entry (in memory and on disk). */
  reset(): void {
    this.count = 0;
    this.writtenCount = 0;
    fs.ftruncateSync(this.fd, 0);
  }

  protected truncateEntries(entries: number): void {
    assert(entries <= this.count);
    this.count = entries;
    if (this.writtenCount > entries) {
      this.writtenCount = entries;
      fs.ftruncateSync(this.fd, entries * this.entryBytes);
    }
  }

  /** Writes entries not yet on disk. */
  persist(): void {
    if (this.writtenCount === this.count) return;
    const n = this.count - this.writtenCount;
    const buf = Buffer.allocUnsafe(n * this.entryBytes);
    for (let i = 0; i < n; i++) this.encode(this.writtenCount + i, buf, i * this.entryBytes);
    try {
      fs.writeSync(this.fd, buf, 0, buf.length, this.writtenCount * this.entryBytes);
    } catch (error) {
      throw ioError(error, `writing index ${this.path}`);
    }
    this.writtenCount = this.count;
  }

  flush(): Promise<void> {
    this.persist();
    return new Promise((resolve, reject) => fs.fsync(this.fd, (error) => (error ? reject(ioError(error, `syncing ${this.path}`)) : resolve())));
  }

  flushSync(): void {
    this.persist();
    fs.fsyncSync(this.fd);
  }

  close(): void {
    this.persist();
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  sizeBytes(): number {
    return this.count * this.entryBytes;
  }
}

export class OffsetIndex extends SparseIndex {
  private relativeOffsets = new Int32Array(0);
  private positions = new Int32Array(0);

  constructor(path: string, entriesMax: number) {
    super(path, entriesMax, OFFSET_INDEX_ENTRY_BYTES);
  }

  protected capacity(): number {
    return this.positions.length;
  }

  protected grow(capacity: number): void {
    const offsets = new Int32Array(capacity);
    const positions = new Int32Array(capacity);
    offsets.set(this.relativeOffsets.subarray(0, this.count));
    positions.set(this.positions.subarray(0, this.count));
    this.relativeOffsets = offsets;
    this.positions = positions;
  }

  protected encode(i: number, out: Buffer, at: number): void {
    out.writeInt32BE(this.relativeOffsets[i]!, at);
    out.writeInt32BE(this.positions[i]!, at + 4);
  }

  protected decodeAll(buf: Buffer, entries: number): boolean {
    for (let i = 0; i < entries; i++) {
      const relativeOffset = buf.readInt32BE(i * 8);
      const position = buf.readInt32BE(i * 8 + 4);
      if (relativeOffset < 0 || position < 0) return false;
      if (i > 0 && (relativeOffset <= this.relativeOffsets[i - 1]! || position <= this.positions[i - 1]!)) return false;
      this.relativeOffsets[i] = relativeOffset;
      this.positions[i] = position;
    }
    return true;
  }

  /** The last entry's position, or -1. */
  lastPosition(): number {
    return this.count === 0 ? -1 : this.positions[this.count - 1]!;
  }

  lastRelativeOffset(): number {
    return this.count === 0 ? -1 : this.relativeOffsets[this.count - 1]!;
  }

  append(relativeOffset: number, position: number): void {
    assert(!this.isFull(), 'offset index full: the segment should have rolled');
    if (this.count > 0) {
      assert(relativeOffset > this.relativeOffsets[this.count - 1]!, 'offset index entries must increase');
      assert(position > this.positions[this.count - 1]!, 'offset index positions must increase');
    }
    this.ensureCapacity();
    this.relativeOffsets[this.count] = relativeOffset;
    this.positions[this.count] = position;
    this.count++;
  }

  /** Position to start scanning for `relativeOffset`: the largest entry <= it, or 0. */
  lookup(relativeOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid]! <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.positions[found]!;
  }

  /** Entries whose position is at or past `position` are dropped (the log is cut there). */
  truncateToPosition(position: number): void {
    let keep = this.count;
    while (keep > 0 && this.positions[keep - 1]! >= position) keep--;
    this.truncateEntries(keep);
  }

  /** True when every entry points inside a log of `logBytes`. */
  fitsLog(logBytes: number): boolean {
    return this.count === 0 || this.positions[this.count - 1]! < logBytes;
  }
}

export class TimeIndex extends SparseIndex {
  private timestamps = new Float64Array(0);
  private relativeOffsets = new Int32Array(0);

  constructor(path: string, entriesMax: number) {
    super(path, entriesMax, TIME_INDEX_ENTRY_BYTES);
  }

  protected capacity(): number {
    return this.timestamps.length;
  }

  protected grow(capacity: number): void {
    const timestamps = new Float64Array(capacity);
    const offsets = new Int32Array(capacity);
    timestamps.set(this.timestamps.subarray(0, this.count));
    offsets.set(this.relativeOffsets.subarray(0, this.count));
    this.timestamps = timestamps;
    this.relativeOffsets = offsets;
  }

  protected encode(i: number, out: Buffer, at: number): void {
    out.writeBigInt64BE(BigInt(this.timestamps[i]!), at);
    out.writeInt32BE(this.relativeOffsets[i]!, at + 8);
  }

  protected decodeAll(buf: Buffer, entries: number): boolean {
    for (let i = 0; i < entries; i++) {
      const timestamp = Number(buf.readBigInt64BE(i * 12));
      const relativeOffset = buf.readInt32BE(i * 12 + 8);
      if (relativeOffset < 0) return false;
      if (i > 0 && (timestamp <= this.timestamps[i - 1]! || relativeOffset < this.relativeOffsets[i - 1]!)) return false;
      this.timestamps[i] = timestamp;
      this.relativeOffsets[i] = relativeOffset;
    }
    return true;
  }

  lastTimestamp(): number | null {
    return this.count === 0 ? null : this.timestamps[this.count - 1]!;
  }

  lastRelativeOffset(): number {
    return this.count === 0 ? -1 : this.relativeOffsets[this.count - 1]!;
  }

  /** Appends when `timestampMs` is newer than the last entry (Kafka's maybeAppend). */
  maybeAppend(timestampMs: number, relativeOffset: number): void {
    if (this.count > 0 && timestampMs <= this.timestamps[this.count - 1]!) return;
    if (this.isFull()) return;
    if (this.count > 0 && relativeOffset < this.relativeOffsets[this.count - 1]!) return;
    this.ensureCapacity();
    this.timestamps[this.count] = timestampMs;
    this.relativeOffsets[this.count] = relativeOffset;
    this.count++;
  }

  /**
   * Relative offset to start scanning from for the first record with timestamp >= `timestampMs`:
   * the largest entry with timestamp strictly below it (every record before that entry's offset is
   * older than the target, since entries hold the max timestamp so far), or 0.
   */
  lookup(timestampMs: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < timestampMs) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.relativeOffsets[found]!;
  }

  /** Drops entries pointing at or past `relativeOffset`. */
  truncateToRelativeOffset(relativeOffset: number): void {
    let keep = this.count;
    while (keep > 0 && this.relativeOffsets[keep - 1]! >= relativeOffset) keep--;
    this.truncateEntries(keep);
  }
}
