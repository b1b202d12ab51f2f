import { assert } from './assert';
import { OFFSET_MAX, VOTERS_MAX } from './constants';

/**
 * The replicated log as the Raft core sees it: `RaftLog` is the only interface between consensus and
 * storage (Kafka's ReplicatedLog). Offsets are dense from `startOffset()` (the end of the latest
 * snapshot, 0 without one) to `endOffset()` (exclusive). Epochs never decrease along the log.
 *
 * Entries are immutable values: the core, the in-memory log and the simulator share them by
 * reference and never copy them. Three kinds, as in KRaft's `__cluster_metadata`:
 * - `data`: an opaque application record (a metadata record batch later);
 * - `leaderChange`: the first entry of every epoch (KIP-595 LeaderChangeMessage); committing it is
 *   how a new leader learns the high watermark;
 * - `voters`: the voter set (KIP-853 VotersRecord), effective as soon as it is appended.
 */
export type LogEntry = DataEntry | LeaderChangeEntry | VotersEntry;

export interface DataEntry {
  readonly type: 'data';
  readonly epoch: number;
  readonly data: Uint8Array;
}

export interface LeaderChangeEntry {
  readonly type: 'leaderChange';
  readonly epoch: number;
  readonly leaderId: number;
  readonly voters: readonly number[];
}

export interface VotersEntry {
  readonly type: 'voters';
  readonly epoch: number;
  readonly voters: readonly number[];
}

/** FetchSnapshotRequest.SnapshotId: the snapshot covers offsets [0, endOffset); `epoch` is that of endOffset - 1. */
export interface SnapshotId {
  readonly endOffset: number;
  readonly epoch: number;
}

/** A snapshot: application state up to `snapshotId.endOffset` plus the voter set at that point (KIP-853). */
export interface Snapshot {
  readonly snapshotId: SnapshotId;
  readonly voters: readonly number[];
  readonly data: Uint8Array;
}

export interface OffsetAndEpoch {
  readonly offset: number;
  readonly epoch: number;
}

export interface RaftLog {
  startOffset(): number;
  endOffset(): number;
  /** Epoch of the last entry, else of the snapshot, else 0. */
  lastFetchedEpoch(): number;
  /** Epoch of `offset`, for offset in [startOffset() - 1, endOffset()) (startOffset() - 1 is the snapshot's). */
  epochAt(offset: number): number;
  entryAt(offset: number): LogEntry;
  /** Entries in [from, to); a fresh array. */
  slice(from: number, to: number): LogEntry[];
  append(entry: LogEntry): void;
  /** Removes offsets >= offset. */
  truncateTo(offset: number): void;
  /**
   * Kafka's endOffsetForEpoch: the largest epoch <= `epoch` known to the log and the offset where it
   * ends (the start of the next epoch, or the log end). `{ epoch: -1, offset: -1 }` when `epoch` is
   * older than everything the log still knows (it is inside the snapshot).
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch;
  latestSnapshot(): Snapshot | null;
  /** A follower takes the leader's snapshot: the whole log is replaced, start = end = snapshot end. */
  installSnapshot(snapshot: Snapshot): void;
  /** A local snapshot of a prefix of this log: entries before its end are deleted. */
  compactTo(snapshot: Snapshot): void;
}

/**
 * `RaftLog` in memory: an array of entries from `base` plus the epoch ranges (Kafka's leader epoch
 * cache: epoch -> start offset), whose first range stands for the snapshot (or epoch 0 at offset 0).
 * The simulator also uses it as each node's "disk", so it must be cheap to copy.
 */
export class MemoryRaftLog implements RaftLog {
  private entries: LogEntry[] = [];
  private base = 0;
  private rangeEpochs: number[] = [0];
  private rangeStarts: number[] = [0];
  private snapshot: Snapshot | null = null;

  startOffset(): number {
    return this.base;
  }

  endOffset(): number {
    return this.base + this.entries.length;
  }

  lastFetchedEpoch(): number {
    return this.rangeEpochs[this.rangeEpochs.length - 1]!;
  }

  epochAt(offset: number): number {
    if (offset === this.base - 1 && this.snapshot !== null) return this.snapshot.snapshotId.epoch;
    return this.entryAt(offset).epoch;
  }

  entryAt(offset: number): LogEntry {
    const entry = this.entries[offset - this.base];
    assert(entry !== undefined, `offset ${offset} outside the log [${this.base}, ${this.endOffset()})`);
    return entry;
  }

  slice(from: number, to: number): LogEntry[] {
    assert(from >= this.base && from <= to && to <= this.endOffset(), `slice [${from}, ${to}) outside the log`);
    return this.entries.slice(from - this.base, to - this.base);
  }

  append(entry: LogEntry): void {
    const last = this.lastFetchedEpoch();
    assert(entry.epoch >= last, `append epoch ${entry.epoch} after epoch ${last}`);
    assert(this.endOffset() < OFFSET_MAX, 'log full');
    if (entry.epoch > last) {
      this.rangeEpochs.push(entry.epoch);
      this.rangeStarts.push(this.endOffset());
    }
    this.entries.push(entry);
  }

  truncateTo(offset: number): void {
    assert(offset >= this.base && offset <= this.endOffset(), `truncate to ${offset} outside the log`);
    this.entries.length = offset - this.base;
    while (this.rangeStarts.length > 1 && this.rangeStarts[this.rangeStarts.length - 1]! >= offset) {
      this.rangeStarts.pop();
      this.rangeEpochs.pop();
    }
  }

  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    if (epoch < this.rangeEpochs[0]!) return { offset: -1, epoch: -1 };
    let index = this.rangeEpochs.length - 1;
    while (this.rangeEpochs[index]! > epoch) index -= 1;
    const offset = index + 1 < this.rangeStarts.length ? this.rangeStarts[index + 1]! : this.endOffset();
    return { offset, epoch: this.rangeEpochs[index]! };
  }

  latestSnapshot(): Snapshot | null {
    return this.snapshot;
  }

  installSnapshot(snapshot: Snapshot): void {
    checkSnapshot(snapshot);
    this.snapshot = snapshot;
    this.entries = [];
    this.base = snapshot.snapshotId.endOffset;
    this.rangeEpochs = [snapshot.snapshotId.epoch];
    this.rangeStarts = [this.base];
  }

  compactTo(snapshot: Snapshot): void {
    checkSnapshot(snapshot);
    const end = snapshot.snapshotId.endOffset;
    assert(end > this.base && end <= this.endOffset(), `snapshot end ${end} outside the log`);
    assert(this.epochAt(end - 1) === snapshot.snapshotId.epoch, 'snapshot epoch differs from the log');
    const epochs: number[] = [snapshot.snapshotId.epoch];
    const starts: number[] = [end];
    for (let i = 0; i < this.rangeStarts.length; i += 1) {
      if (this.rangeStarts[i]! >= end && this.rangeEpochs[i]! > snapshot.snapshotId.epoch) {
        epochs.push(this.rangeEpochs[i]!);
        starts.push(this.rangeStarts[i]!);
      }
    }
    this.entries = this.entries.slice(end - this.base);
    this.base = end;
    this.rangeEpochs = epochs;
    this.rangeStarts = starts;
    this.snapshot = snapshot;
  }

  /** An independent copy sharing the (immutable) entries. */
  copy(): MemoryRaftLog {
    const log = new MemoryRaftLog();
    log.entries = this.entries.slice();
    log.base = this.base;
    log.rangeEpochs = this.rangeEpochs.slice();
    log.rangeStarts = this.rangeStarts.slice();
    log.snapshot = this.snapshot;
    return log;
  }
}

function checkSnapshot(snapshot: Snapshot): void {
  assert(snapshot.snapshotId.endOffset > 0 && snapshot.snapshotId.epoch >= 0, 'snapshot id is positive');
  assert(snapshot.voters.length >= 1 && snapshot.voters.length <= VOTERS_MAX, 'snapshot voter set size');
}

/**
 * Snapshot bytes as FetchSnapshot ships them: the voter set first (KIP-853 puts a VotersRecord in the
 * snapshot), then the application data.
 *   u32 voterCount | i32 voterId * voterCount | data
 */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * snapshot.voters.length + snapshot.data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, snapshot.voters.length);
  snapshot.voters.forEach((voter, i) => view.setInt32(4 + 4 * i, voter));
  bytes.set(snapshot.data, 4 + 4 * snapshot.voters.length);
  return bytes;
}

export function decodeSnapshot(snapshotId: SnapshotId, bytes: Uint8Array): Snapshot {
  assert(bytes.length >= 4, 'snapshot shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0);
  assert(count >= 1 && count <= VOTERS_MAX && bytes.length >= 4 + 4 * count, 'snapshot voter count');
  const voters: number[] = [];
  for (let i = 0; i < count; i += 1) voters.push(view.getInt32(4 + 4 * i));
  return { snapshotId, voters, data: bytes.slice(4 + 4 * count) };
}
