/**
 * LogCleaner: compaction of `cleanup.policy=compact` logs (Kafka's log cleaner, simplified).
 *
 * A log is [clean section | dirty section | active segment]. `cleanerCheckpoint` is the first dirty
 * offset. A pass:
 *   1. picks the cleanable end: the active segment is never cleaned, nor any segment newer than
 *      min.compaction.lag.ms; skips the log when dirty bytes / (clean + dirty bytes) is below
 *      min.cleanable.dirty.ratio;
 *   2. builds an OffsetMap (key -> latest offset) over the dirty section, bounded to
 *      `keyMapEntriesMax` keys; when the dirty section has more keys the map stops at a batch boundary
 *      and the rest is cleaned by the next pass;
 *   3. rewrites every segment below the map's end, streaming batch by batch: a record survives if no
 *      later record in the map has its key; a surviving tombstone (null value) is dropped once its
 *      timestamp is older than delete.retention.ms; batches keep their base offset and
 *      lastOffsetDelta, so offsets never change; an emptied batch disappears;
 *   4. swaps each rewritten segment in crash-safely (PartitionLog.swapCleanedSegment).
 *
 * Control batches and batches compressed with codecs this module cannot read (snappy, lz4, zstd
 * until libs/records exports its codec) are kept whole.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import {
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_BASE_TIMESTAMP,
  BATCH_OFFSET_LAST_OFFSET_DELTA,
  BATCH_OFFSET_RECORDS_COUNT,
  isControlBatch,
} from '@runnel/records';
import { BATCH_BYTES_MAX, CLEANED_FILE_SUFFIX, CLEANER_KEY_INLINE_BYTES_MAX, CLEANER_KEY_MAP_ENTRIES_MAX } from './constants';
import { ioError } from './errors';
import { LogSegment } from './log-segment';
import { PartitionLog } from './partition-log';
import { RecordView, batchRecordsPayload, forEachRecord, rebuildBatch } from './record-reader';

/** key -> latest offset, with a hard cap on entries. Long keys are stored as their MD5. */
export class OffsetMap {
  private readonly map = new Map<string, number>();

  constructor(readonly entriesMax: number) {}

  static keyOf(key: Buffer): string {
    if (key.length <= CLEANER_KEY_INLINE_BYTES_MAX) return 'k' + key.toString('latin1');
    return 'h' + createHash('md5').update(key).digest('base64');
  }

  get size(): number {
    return this.map.size;
  }

  /** False when the map is full and `key` is new (nothing changed), unless `force`. */
  put(key: string, offset: number, force = false): boolean {
    if (!force && !this.map.has(key) && this.map.size >= this.entriesMax) return false;
    this.map.set(key, offset);
    return true;
  }

  get(key: string): number | undefined {
    return this.map.get(key);
  }
}

export interface CleanerResult {
  topic: string;
  partition: number;
  segmentsCleaned: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRemoved: number;
  /** The new first dirty offset. */
  cleanedUpTo: bigint;
}

export interface CleanOptions {
  nowMs: number;
  keyMapEntriesMax?: number;
  /** Ignore min.cleanable.dirty.ratio (tests, admin). */
  force?: boolean;
}

function toNumberOffset(offset: bigint): number {
  const n = Number(offset);
  if (!Number.isSafeInteger(n)) throw new Error(`offset ${offset} beyond the cleaner's safe integer range`);
  return n;
}

/** Cleans one log once; null when there was nothing (worth) cleaning. */
export async function cleanLog(log: PartitionLog, options: CleanOptions): Promise<CleanerResult | null> {
  const config = log.config;
  if (!config.cleanupPolicy.compact) return null;
  const segments = log.allSegments().slice();
  if (segments.length < 2) return null;
  // 1. Cleanable range.
  const lagHorizonMs = options.nowMs - config.minCompactionLagMs;
  let endIndex = 0; // segments [0, endIndex) are cleanable
  while (endIndex < segments.length - 1) {
    const segment = segments[endIndex]!;
    if (config.minCompactionLagMs > 0 && segment.maxTimestampMs > lagHorizonMs) break;
    endIndex++;
  }
  if (endIndex === 0) return null;
  let firstDirty = log.cleanerCheckpoint > log.logStartOffset ? log.cleanerCheckpoint : log.logStartOffset;
  const cleanableEnd = segments[endIndex]!.baseOffset;
  if (firstDirty >= cleanableEnd) return null;
  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (let i = 0; i < endIndex; i++) {
    const segment = segments[i]!;
    if (segment.nextOffset <= firstDirty) cleanBytes += segment.sizeBytes;
    else dirtyBytes += segment.sizeBytes;
  }
  if (dirtyBytes === 0) return null;
  if (!options.force && dirtyBytes / (cleanBytes + dirtyBytes) < config.minCleanableDirtyRatio) return null;

  // 2. Key map over the dirty section.
  const keyMap = new OffsetMap(options.keyMapEntriesMax ?? CLEANER_KEY_MAP_ENTRIES_MAX);
  let mapEnd = firstDirty;
  let bytesRead = 0;
  let full = false;
  for (let i = 0; i < endIndex && !full; i++) {
    const segment = segments[i]!;
    if (segment.nextOffset <= firstDirty) continue;
    segment.scanBatches(0, BATCH_BYTES_MAX, (buf, at, sizeBytes) => {
      const baseOffset = buf.readBigInt64BE(at);
      const lastOffset = baseOffset + BigInt(buf.readInt32BE(at + BATCH_OFFSET_LAST_OFFSET_DELTA));
      if (lastOffset < firstDirty) return true;
      bytesRead += sizeBytes;
      const batch = buf.subarray(at, at + sizeBytes);
      const keys: [string, number][] = [];
      if (!isControlBatch(batch.readInt16BE(BATCH_OFFSET_ATTRIBUTES))) {
        const payload = batchRecordsPayload(batch);
        if (payload) {
          forEachRecord(payload, batch.readInt32BE(BATCH_OFFSET_RECORDS_COUNT), (record) => {
            if (record.key) keys.push([OffsetMap.keyOf(record.key), toNumberOffset(baseOffset + BigInt(record.offsetDelta))]);
          });
        }
      }
      const newKeys = keys.filter(([key]) => keyMap.get(key) === undefined).length;
      if (keyMap.size + newKeys > keyMap.entriesMax && mapEnd > firstDirty) {
        full = true;
        return false;
      }
      for (const [key, offset] of keys) {
        // A single batch with more keys than the map holds still gets mapped, so a pass always progresses.
        keyMap.put(key, offset, true);
      }
      mapEnd = lastOffset + 1n;
      return true;
    });
  }
  if (mapEnd <= firstDirty) return null;

  // 3 + 4. Rewrite and swap every segment below the map's end.
  const deleteHorizonMs = options.nowMs - config.deleteRetentionMs;
  let segmentsCleaned = 0;
  let bytesWritten = 0;
  let recordsRemoved = 0;
  for (let i = 0; i < endIndex; i++) {
    const segment = segments[i]!;
    if (segment.baseOffset >= mapEnd) break;
    // Retention, truncation or deleteLog may have removed the segment while a swap was awaited;
    // every path that takes a segment out of the log closes it.
    if (segment.closed) continue;
    const outcome = cleanSegment(segment, keyMap, deleteHorizonMs);
    bytesRead += outcome.bytesRead;
    if (outcome.cleanedPath === null) continue;
    recordsRemoved += outcome.recordsRemoved;
    bytesWritten += outcome.bytesWritten;
    if (await log.swapCleanedSegment(segment, outcome.cleanedPath)) segmentsCleaned++;
  }
  if (mapEnd > log.cleanerCheckpoint) log.cleanerCheckpoint = mapEnd;
  firstDirty = mapEnd;
  return { topic: log.topic, partition: log.partition, segmentsCleaned, bytesRead, bytesWritten, recordsRemoved, cleanedUpTo: firstDirty };
}

interface SegmentOutcome {
  cleanedPath: string | null;
  bytesRead: number;
  bytesWritten: number;
  recordsRemoved: number;
}

/** Writes `<segment>.log.cleaned` without shadowed records and expired tombstones; null path when nothing changes. */
function cleanSegment(segment: LogSegment, keyMap: OffsetMap, deleteHorizonMs: number): SegmentOutcome {
  const cleanedPath = segment.path + CLEANED_FILE_SUFFIX;
  let fd: number | null = null;
  let bytesRead = 0;
  let bytesWritten = 0;
  let recordsRemoved = 0;
  let changed = false;
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  const write = (data: Buffer): void => {
    pending.push(data);
    pendingBytes += data.length;
    if (pendingBytes >= 1024 * 1024) drain();
  };
  const drain = (): void => {
    if (pending.length === 0) return;
    fd ??= fs.openSync(cleanedPath, 'w', 0o644);
    const data = Buffer.concat(pending);
    fs.writeSync(fd, data, 0, data.length, bytesWritten);
    bytesWritten += data.length;
    pending.length = 0;
    pendingBytes = 0;
  };
  try {
    fd = fs.openSync(cleanedPath, 'w', 0o644);
    segment.scanBatches(0, BATCH_BYTES_MAX, (buf, at, sizeBytes) => {
      bytesRead += sizeBytes;
      const batch = buf.subarray(at, at + sizeBytes);
      const attributes = batch.readInt16BE(BATCH_OFFSET_ATTRIBUTES);
      const payload = isControlBatch(attributes) ? null : batchRecordsPayload(batch);
      if (!payload) {
        write(Buffer.from(batch));
        return true;
      }
      const baseOffset = batch.readBigInt64BE(0);
      const baseTimestamp = Number(batch.readBigInt64BE(BATCH_OFFSET_BASE_TIMESTAMP));
      const count = batch.readInt32BE(BATCH_OFFSET_RECORDS_COUNT);
      const kept: RecordView[] = [];
      forEachRecord(payload, count, (record) => {
        if (record.key) {
          const latest = keyMap.get(OffsetMap.keyOf(record.key));
          const offset = toNumberOffset(baseOffset + BigInt(record.offsetDelta));
          if (latest !== undefined && offset < latest) return;
          if (record.valueIsNull && baseTimestamp + record.timestampDelta < deleteHorizonMs) return;
        }
        kept.push(record);
      });
      recordsRemoved += count - kept.length;
      if (kept.length === count) write(Buffer.from(batch));
      else {
        changed = true;
        if (kept.length > 0) write(rebuildBatch(batch, payload, kept));
      }
      return true;
    });
    drain();
    if (!changed) {
      fs.closeSync(fd);
      fd = null;
      fs.rmSync(cleanedPath, { force: true });
      return { cleanedPath: null, bytesRead, bytesWritten: 0, recordsRemoved: 0 };
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    return { cleanedPath, bytesRead, bytesWritten, recordsRemoved };
  } catch (error) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(cleanedPath, { force: true });
    throw ioError(error, `cleaning ${segment.path}`);
  }
}
