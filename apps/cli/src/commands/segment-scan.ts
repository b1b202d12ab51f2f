/**
 * The checks behind `runnel dump-log` (DumpLogSegments), offline. Reads segment files directly (no broker) and
 * checks every batch: enough bytes, a sane length, magic 2, the CRC-32C, a consistent offset delta
 * and count, and offsets that only go up (and start at or after the file's base offset, from its
 * name). A bad CRC is reported and the scan goes on (the length still frames the next batch); a bad
 * length or a truncated batch ends it, since nothing after it can be framed. Any problem: exit 1.
 *
 * Segment layout (DESIGN.md, "On disk"): `<base offset, 20 digits>.log` holds record batches back to
 * back; `.index` holds 8-byte entries (4-byte relative offset, 4-byte position) and `.timeindex`
 * 12-byte entries (8-byte timestamp, 4-byte relative offset). Index files are dumped and checked
 * for order too.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  ATTRIBUTE_DELETE_HORIZON,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_HEADER_BYTES,
  BatchProblem,
  batchSizeAt,
  checkBatch,
  compressionName,
  compressionOf,
  computeBatchCrc,
  decodeBatch,
  isControlBatch,
  isTransactionalBatch,
  LOG_OVERHEAD_BYTES,
  readBatchHeader,
  type BatchHeader,
  type DecodedRecord,
} from '@runnel/records';
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  OFFSET_INDEX_ENTRY_BYTES,
  SEGMENT_NAME_DIGITS,
  TIME_INDEX_ENTRY_BYTES,
  TIME_INDEX_FILE_SUFFIX,
} from '@runnel/storage';
import { DUMP_PAYLOAD_CHARS_MAX } from '../constants';

export interface SegmentFile {
  /** What the file holds, from its suffix (anything but .index and .timeindex is read as a log). */
  kind: 'log' | 'offset' | 'time';
  /** The base offset in a `<20 digits>.log|.index|.timeindex` name; null for any other name. */
  baseOffset: bigint | null;
}

/** What a segment file's path says: its kind and base offset. */
export function segmentFile(path: string): SegmentFile {
  const kind = path.endsWith(TIME_INDEX_FILE_SUFFIX) ? 'time' : path.endsWith(INDEX_FILE_SUFFIX) ? 'offset' : 'log';
  const name = basename(path);
  const suffix = [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX].find((x) => name.endsWith(x));
  const digits = suffix === undefined ? '' : name.slice(0, -suffix.length);
  return { kind, baseOffset: digits.length === SEGMENT_NAME_DIGITS && /^\d+$/.test(digits) ? BigInt(digits) : null };
}

export interface BatchReport {
  position: number;
  base_offset: string;
  last_offset: string;
  count: number;
  size_bytes: number;
  magic: number;
  crc: number;
  compression: string;
  timestamp_type: 'CreateTime' | 'LogAppendTime';
  max_timestamp: string;
  base_sequence: number;
  producer_id: string;
  producer_epoch: number;
  partition_leader_epoch: number;
  is_transactional: boolean;
  is_control: boolean;
  delete_horizon_ms: string | null;
  valid: boolean;
  problem: string | null;
  records?: RecordReport[];
}

export interface RecordReport {
  offset: string;
  timestamp: string;
  key_size: number;
  value_size: number;
  sequence: number;
  header_keys: string[];
  key: string | null;
  payload: string | null;
}

export interface FileProblem {
  position: number;
  problem: string;
}

export interface SegmentReport {
  file: string;
  base_offset: string | null;
  size_bytes: number;
  batches: BatchReport[];
  records: number;
  problems: FileProblem[];
}

export interface ScanOptions {
  /** Decode every valid batch's records (always on with printData). */
  deep: boolean;
  /** Keep the records (key, payload) in the report. */
  printData: boolean;
  /** Called for each batch as it is checked (the human output streams; JSON collects). */
  onBatch?: (batch: BatchReport) => void;
  onProgress?: (position: number) => void;
  /** Called once the file is open, with its size (before any batch is read). */
  onOpen?: (size: number) => void;
}

const PROBLEM_TEXT: Record<BatchProblem, string> = {
  [BatchProblem.Ok]: 'ok',
  [BatchProblem.Truncated]: 'truncated',
  [BatchProblem.BadLength]: 'bad batch length',
  [BatchProblem.BadMagic]: 'bad magic',
  [BatchProblem.BadCrc]: 'CRC mismatch',
  [BatchProblem.BadOffsets]: 'offset delta and record count disagree',
};

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function shown(b: Buffer | null): string | null {
  if (b === null) return null;
  const s = b.toString('utf8');
  return s.length > DUMP_PAYLOAD_CHARS_MAX ? `${s.slice(0, DUMP_PAYLOAD_CHARS_MAX)}...` : s;
}

function recordReport(r: DecodedRecord, printData: boolean): RecordReport {
  return {
    offset: r.offset.toString(),
    timestamp: r.timestampMs.toString(),
    key_size: r.key === null ? -1 : r.key.length,
    value_size: r.value === null ? -1 : r.value.length,
    sequence: r.sequence,
    header_keys: r.headers.map((h) => h.key),
    key: printData ? shown(r.key) : null,
    payload: printData ? shown(r.value) : null,
  };
}

function batchReport(h: BatchHeader, position: number, size: number, lastOffset: bigint): BatchReport {
  return {
    position,
    base_offset: h.baseOffset.toString(),
    last_offset: lastOffset.toString(),
    count: h.recordsCount,
    size_bytes: size,
    magic: h.magic,
    crc: h.crc,
    compression: compressionName(compressionOf(h.attributes)),
    timestamp_type: (h.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? 'LogAppendTime' : 'CreateTime',
    max_timestamp: h.maxTimestamp.toString(),
    base_sequence: h.baseSequence,
    producer_id: h.producerId.toString(),
    producer_epoch: h.producerEpoch,
    partition_leader_epoch: h.partitionLeaderEpoch,
    is_transactional: isTransactionalBatch(h.attributes),
    is_control: isControlBatch(h.attributes),
    delete_horizon_ms: (h.attributes & ATTRIBUTE_DELETE_HORIZON) !== 0 ? h.baseTimestamp.toString() : null,
    valid: true,
    problem: null,
  };
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Checks (and optionally decodes) every batch of a .log segment file, reading one batch at a time. */
export async function scanSegment(path: string, options: ScanOptions): Promise<SegmentReport> {
  const fileBase = segmentFile(path).baseOffset;
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    options.onOpen?.(size);
    const report: SegmentReport = { file: path, base_offset: fileBase === null ? null : fileBase.toString(), size_bytes: size, batches: [], records: 0, problems: [] };
    let position = 0;
    let previousLast: bigint | null = null;
    while (position < size) {
      options.onProgress?.(position);
      const left = size - position;
      if (left < BATCH_HEADER_BYTES) {
        report.problems.push({ position, problem: `${left} trailing byte(s) at position ${position}, fewer than a ${BATCH_HEADER_BYTES}-byte batch header (a torn write)` });
        break;
      }
      const head = await readAt(fh, position, BATCH_HEADER_BYTES);
      const header = readBatchHeader(head);
      const total = batchSizeAt(head);
      if (header.batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) {
        report.problems.push({ position, problem: `batch at position ${position} has batchLength ${header.batchLength} (below the ${BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES}-byte minimum): the ${left} bytes from here cannot be framed` });
        break;
      }
      if (total > left) {
        report.problems.push({ position, problem: `batch at position ${position} says it is ${total} bytes but only ${left} remain in the file (truncated)` });
        break;
      }
      const buf = await readAt(fh, position, total);
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      const batch = batchReport(header, position, total, lastOffset);
      const problem = checkBatch(buf, 0, total);
      if (problem !== BatchProblem.Ok) {
        batch.valid = false;
        batch.problem = problem === BatchProblem.BadCrc ? `CRC mismatch: stored ${hex(header.crc)}, computed ${hex(computeBatchCrc(buf, 0))}` : PROBLEM_TEXT[problem];
      } else if (previousLast !== null && header.baseOffset <= previousLast) {
        batch.valid = false;
        batch.problem = `offsets go backwards: base offset ${header.baseOffset} is not above the previous batch's last offset ${previousLast}`;
      } else if (fileBase !== null && header.baseOffset < fileBase) {
        batch.valid = false;
        batch.problem = `base offset ${header.baseOffset} is below the segment's base offset ${fileBase} (from its file name)`;
      }
      if (batch.valid && (options.deep || options.printData)) {
        try {
          const decoded = await decodeBatch(buf, 0, { verifyCrc: false });
          batch.records = decoded.records.map((r) => recordReport(r, options.printData));
        } catch (e) {
          batch.valid = false;
          batch.problem = `records cannot be decoded: ${(e as Error).message}`;
        }
      }
      if (!batch.valid) report.problems.push({ position, problem: `batch at position ${position} (offsets ${batch.base_offset}..${batch.last_offset}): ${batch.problem}` });
      else {
        report.records += header.recordsCount;
        previousLast = lastOffset;
      }
      report.batches.push(batch);
      options.onBatch?.(batch);
      position += total;
    }
    return report;
  } finally {
    await fh.close();
  }
}

export interface IndexReport {
  file: string;
  kind: 'offset' | 'time';
  base_offset: string | null;
  entries: { offset: string; position?: number; timestamp?: string }[];
  problems: FileProblem[];
}

/** Dumps an .index or .timeindex file; entries must increase, and a zero-filled tail (preallocation) ends it. */
export async function scanIndex(path: string, kind: 'offset' | 'time'): Promise<IndexReport> {
  const fileBase = segmentFile(path).baseOffset;
  const base = fileBase ?? 0n;
  const fh = await open(path, 'r');
  try {
    const buf = await readAt(fh, 0, (await fh.stat()).size);
    const entryBytes = kind === 'offset' ? OFFSET_INDEX_ENTRY_BYTES : TIME_INDEX_ENTRY_BYTES;
    const report: IndexReport = { file: path, kind, base_offset: fileBase === null ? null : fileBase.toString(), entries: [], problems: [] };
    let previous: { key: bigint; value: bigint } | null = null;
    for (let pos = 0; pos + entryBytes <= buf.length; pos += entryBytes) {
      const key = kind === 'offset' ? BigInt(buf.readInt32BE(pos)) : buf.readBigInt64BE(pos);
      const value = kind === 'offset' ? BigInt(buf.readInt32BE(pos + 4)) : BigInt(buf.readInt32BE(pos + 8));
      if (pos > 0 && key === 0n && value === 0n) break;
      if (kind === 'offset') report.entries.push({ offset: (base + key).toString(), position: Number(value) });
      else report.entries.push({ timestamp: key.toString(), offset: (base + value).toString() });
      if (previous !== null && (key < previous.key || value < previous.value)) {
        report.problems.push({ position: pos, problem: `entry ${pos / entryBytes} at byte ${pos} goes backwards (${key}, ${value} after ${previous.key}, ${previous.value})` });
      }
      previous = { key, value };
    }
    if (buf.length % entryBytes !== 0) report.problems.push({ position: buf.length - (buf.length % entryBytes), problem: `${buf.length % entryBytes} trailing byte(s): the file size is not a multiple of ${entryBytes}` });
    return report;
  } finally {
    await fh.close();
  }
}

export function batchLine(b: BatchReport): string {
  const lastSequence = b.base_sequence < 0 ? -1 : b.base_sequence + Number(BigInt(b.last_offset) - BigInt(b.base_offset));
  return (
    `baseOffset: ${b.base_offset} lastOffset: ${b.last_offset} count: ${b.count} baseSequence: ${b.base_sequence} lastSequence: ${lastSequence} ` +
    `producerId: ${b.producer_id} producerEpoch: ${b.producer_epoch} partitionLeaderEpoch: ${b.partition_leader_epoch} isTransactional: ${b.is_transactional} ` +
    `isControl: ${b.is_control} deleteHorizonMs: ${b.delete_horizon_ms ?? 'none'} position: ${b.position} ${b.timestamp_type}: ${b.max_timestamp} size: ${b.size_bytes} ` +
    `magic: ${b.magic} compresscodec: ${b.compression} crc: ${b.crc} isvalid: ${b.valid}${b.problem === null ? '' : ` problem: ${b.problem}`}`
  );
}

export function recordLine(r: RecordReport, printData: boolean, timestampType: string): string {
  const base = `| offset: ${r.offset} ${timestampType}: ${r.timestamp} keySize: ${r.key_size} valueSize: ${r.value_size} sequence: ${r.sequence} headerKeys: [${r.header_keys.join(',')}]`;
  return printData ? `${base} key: ${r.key ?? 'null'} payload: ${r.payload ?? 'null'}` : base;
}

