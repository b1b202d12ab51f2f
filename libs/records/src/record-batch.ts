/**
 * RecordBatch v2 encode/decode, byte for byte as Kafka writes it. The 61-byte header is described
 * in batch-header.ts; after it come `recordsCount` records, compressed as a whole when the
 * attributes say so. One record:
 *
 *   length          varint   bytes of the rest of the record
 *   attributes      int8     unused, 0
 *   timestampDelta  varlong  from baseTimestamp
 *   offsetDelta     varint   from baseOffset
 *   keyLength       varint   -1 = null key
 *   key             bytes
 *   valueLength     varint   -1 = null value (a tombstone)
 *   value           bytes
 *   headersCount    varint
 *   headers         [keyLength varint, key utf-8, valueLength varint (-1 = null), value]
 *
 * Encoding sizes every field first and allocates the output once (uncompressed batches) or twice
 * (records section, then header + compressed section). Decoding returns keys, values and header
 * values as views into the input (or into the decompressed section): no copies. Callers that keep
 * them longer than the input buffer's lifetime must copy.
 *
 * Timestamps: with CreateTime each record's timestamp is baseTimestamp + timestampDelta; with
 * LogAppendTime (attribute bit 3) every record reads as maxTimestamp. With the delete-horizon bit
 * (6) set, baseTimestamp holds the horizon the cleaner stamped and deltas are taken from it.
 */
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_CONTROL,
  ATTRIBUTE_DELETE_HORIZON,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  ATTRIBUTE_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_CRC,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  BatchHeader,
  CompressionType,
  LOG_OVERHEAD_BYTES,
  MAGIC_V2,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  readBatchHeader,
} from './batch-header';
import { compress, compressSync, decompress, decompressSync, DecompressOptions, compressionName } from './compression';
import { BATCH_BYTES_MAX, BATCH_RECORDS_MAX, RECORD_BYTES_MIN, RECORD_HEADERS_MAX } from './constants';
import { crc32c } from './crc32c';
import { RecordsErrorCode, recordsError } from './errors';
import { ByteReader, sizeOfVarint, sizeOfVarlong, sizeOfVarlongNumber, writeVarintUnchecked, writeVarlong, writeVarlongNumber } from './varint';

/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1n;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | null;
  /** null = tombstone. */
  value: Buffer | null;
  headers?: RecordHeader[];
  /** CreateTime of the record; defaults to the batch's `nowMs`. */
  timestampMs?: bigint;
  /**
   * Offset relative to the batch's base offset; defaults to the record's index. Only the cleaner
   * needs gaps (it keeps offsets of the records it retains). Must strictly increase.
   */
  offsetDelta?: number;
}

export interface BatchInput {
  records: RecordInput[];
  compression?: CompressionType;
  /** gzip / zstd level; codec default when absent. */
  compressionLevel?: number;
  /** Default 0: the log stamps the real base offset on append. */
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Sets the LogAppendTime bit; maxTimestamp becomes `nowMs`. */
  logAppendTime?: boolean;
  /** The clock: default timestamp for records without one, and the log append time. Default Date.now(). */
  nowMs?: bigint;
  /** Sets the delete-horizon bit; baseTimestamp becomes this value (the cleaner's tombstone horizon). */
  deleteHorizonMs?: bigint;
  /** Default: the last record's offsetDelta (0 for an empty batch). May be larger (cleaned batches). */
  lastOffsetDelta?: number;
}

export interface DecodedRecord {
  offset: bigint;
  timestampMs: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** Producer sequence of this record, or -1 (NO_SEQUENCE) for non-idempotent batches. */
  sequence: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  compression: CompressionType;
  logAppendTime: boolean;
  transactional: boolean;
  control: boolean;
  /** Set when the delete-horizon bit is (then it equals header.baseTimestamp). */
  deleteHorizonMs: bigint | null;
  /** Bytes of the whole batch in the input (header included). */
  sizeBytes: number;
  records: DecodedRecord[];
}

export interface DecodeOptions extends DecompressOptions {
  /** Verify the CRC-32C (default true). Turn off only for bytes already checked (e.g. by checkBatch). */
  verifyCrc?: boolean;
}

const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const EMPTY_HEADERS: readonly RecordHeader[] = Object.freeze([]);

function invalid(message: string): never {
  throw recordsError(RecordsErrorCode.InvalidArgument, message);
}

function checkInt(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) invalid(`${name} ${value} is outside [${min}, ${max}]`);
  return value;
}

function checkLong(value: bigint, name: string): bigint {
  if (value < INT64_MIN || value > INT64_MAX) invalid(`${name} ${value} is not an int64`);
  return value;
}

/** A planned batch: every size computed, ready to write in one pass. */
interface Plan {
  input: BatchInput;
  compression: CompressionType;
  attributes: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  lastOffsetDelta: number;
  /** Per record: body bytes (after the length varint). */
  bodyBytes: Int32Array;
  /** Per record: timestamp delta as a number when exact, else bigint. */
  timestampDeltas: (number | bigint)[];
  offsetDeltas: Int32Array;
  recordsBytes: number;
}

function planBatch(input: BatchInput): Plan {
  const records = input.records;
  const count = records.length;
  if (count > BATCH_RECORDS_MAX) invalid(`batch of ${count} records is over BATCH_RECORDS_MAX (${BATCH_RECORDS_MAX})`);
  const compression = input.compression ?? CompressionType.None;
  if (!(Number.isInteger(compression) && compression >= CompressionType.None && compression <= CompressionType.Zstd)) {
    throw recordsError(RecordsErrorCode.UnsupportedCompression, `unsupported compression type ${compression as number}`);
  }
  const nowMs = checkLong(input.nowMs ?? BigInt(Date.now()), 'nowMs');
  let attributes = compression;
  if (input.logAppendTime === true) attributes |= ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND;
  if (input.transactional === true) attributes |= ATTRIBUTE_TRANSACTIONAL;
  if (input.control === true) attributes |= ATTRIBUTE_CONTROL;
  if (input.deleteHorizonMs !== undefined) attributes |= ATTRIBUTE_DELETE_HORIZON;

  // Timestamps: base = delete horizon, else the first record's; max over records.
  let maxTimestamp = NO_TIMESTAMP;
  let firstTimestamp = NO_TIMESTAMP;
  for (let i = 0; i < count; i++) {
    const ts = records[i]!.timestampMs ?? nowMs;
    if (i === 0) firstTimestamp = ts;
    if (i === 0 || ts > maxTimestamp) maxTimestamp = ts;
  }
  const baseTimestamp = checkLong(input.deleteHorizonMs ?? firstTimestamp, 'baseTimestamp');
  if (input.logAppendTime === true) maxTimestamp = nowMs;
  const baseNumber = Number(baseTimestamp);
  const baseIsSafe = Number.isSafeInteger(baseNumber);
  const nowNumber = Number(nowMs);

  const bodyBytes = new Int32Array(count);
  const offsetDeltas = new Int32Array(count);
  const timestampDeltas: (number | bigint)[] = new Array<number | bigint>(count);
  let recordsBytes = 0;
  let previousDelta = -1;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const offsetDelta = record.offsetDelta ?? i;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= previousDelta || offsetDelta > INT32_MAX) {
      invalid(`record ${i}: offsetDelta ${offsetDelta} must be an int32 above the previous record's (${previousDelta})`);
    }
    previousDelta = offsetDelta;
    offsetDeltas[i] = offsetDelta;

    let timestampDelta: number | bigint;
    const ts = record.timestampMs;
    const tsNumber = ts === undefined ? nowNumber : Number(ts);
    if (baseIsSafe && Number.isSafeInteger(tsNumber) && Number.isSafeInteger(tsNumber - baseNumber)) {
      timestampDelta = tsNumber - baseNumber;
    } else {
      timestampDelta = checkLong((ts ?? nowMs) - baseTimestamp, `record ${i}: timestamp delta`);
    }
    timestampDeltas[i] = timestampDelta;

    let body = 1; // attributes
    body += typeof timestampDelta === 'number' ? sizeOfVarlongNumber(timestampDelta) : sizeOfVarlong(timestampDelta);
    body += sizeOfVarint(offsetDelta);
    const key = record.key;
    body += key == null ? 1 : sizeOfVarint(key.length) + key.length;
    const value = record.value;
    body += value === null ? 1 : sizeOfVarint(value.length) + value.length;
    const headers = record.headers ?? EMPTY_HEADERS;
    if (headers.length > RECORD_HEADERS_MAX) invalid(`record ${i}: ${headers.length} headers is over RECORD_HEADERS_MAX (${RECORD_HEADERS_MAX})`);
    body += sizeOfVarint(headers.length);
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      if (typeof header.key !== 'string') invalid(`record ${i}: header ${h} key must be a string`);
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      body += sizeOfVarint(keyBytes) + keyBytes;
      body += header.value === null ? 1 : sizeOfVarint(header.value.length) + header.value.length;
    }
    if (body > BATCH_BYTES_MAX) invalid(`record ${i} is too large (${body} bytes)`);
    bodyBytes[i] = body;
    recordsBytes += sizeOfVarint(body) + body;
    if (recordsBytes > BATCH_BYTES_MAX - BATCH_HEADER_BYTES) invalid(`batch records take more than ${BATCH_BYTES_MAX} bytes`);
  }
  const lastOffsetDelta = input.lastOffsetDelta ?? (count === 0 ? 0 : previousDelta);
  checkInt(lastOffsetDelta, Math.max(0, previousDelta), INT32_MAX, 'lastOffsetDelta');
  return { input, compression, attributes, baseTimestamp, maxTimestamp, lastOffsetDelta, bodyBytes, timestampDeltas, offsetDeltas, recordsBytes };
}

function writeRecords(plan: Plan, buf: Buffer, start: number): number {
  const records = plan.input.records;
  let pos = start;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    pos = writeVarintUnchecked(buf, pos, plan.bodyBytes[i]!);
    buf[pos++] = 0; // attributes
    const timestampDelta = plan.timestampDeltas[i]!;
    pos = typeof timestampDelta === 'number' ? writeVarlongNumber(buf, pos, timestampDelta) : writeVarlong(buf, pos, timestampDelta);
    pos = writeVarintUnchecked(buf, pos, plan.offsetDeltas[i]!);
    const key = record.key;
    if (key == null) {
      buf[pos++] = 1; // zigzag(-1)
    } else {
      pos = writeVarintUnchecked(buf, pos, key.length);
      buf.set(key, pos);
      pos += key.length;
    }
    const value = record.value;
    if (value === null) {
      buf[pos++] = 1;
    } else {
      pos = writeVarintUnchecked(buf, pos, value.length);
      buf.set(value, pos);
      pos += value.length;
    }
    const headers = record.headers ?? EMPTY_HEADERS;
    pos = writeVarintUnchecked(buf, pos, headers.length);
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      pos = writeVarintUnchecked(buf, pos, keyBytes);
      pos += buf.write(header.key, pos, keyBytes, 'utf8');
      if (header.value === null) {
        buf[pos++] = 1;
      } else {
        pos = writeVarintUnchecked(buf, pos, header.value.length);
        buf.set(header.value, pos);
        pos += header.value.length;
      }
    }
  }
  if (pos - start !== plan.recordsBytes) throw new Error(`records encoder wrote ${pos - start} bytes, planned ${plan.recordsBytes}`);
  return pos;
}

function writeHeader(plan: Plan, buf: Buffer, recordsSectionBytes: number): void {
  const input = plan.input;
  const total = BATCH_HEADER_BYTES + recordsSectionBytes;
  if (total > BATCH_BYTES_MAX) invalid(`batch of ${total} bytes is over ${BATCH_BYTES_MAX}`);
  buf.writeBigInt64BE(checkLong(input.baseOffset ?? 0n, 'baseOffset'), 0);
  buf.writeInt32BE(total - LOG_OVERHEAD_BYTES, 8);
  buf.writeInt32BE(checkInt(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, INT32_MIN, INT32_MAX, 'partitionLeaderEpoch'), 12);
  buf.writeInt8(MAGIC_V2, 16);
  buf.writeInt16BE(plan.attributes, 21);
  buf.writeInt32BE(plan.lastOffsetDelta, 23);
  buf.writeBigInt64BE(plan.baseTimestamp, 27);
  buf.writeBigInt64BE(checkLong(plan.maxTimestamp, 'maxTimestamp'), 35);
  buf.writeBigInt64BE(checkLong(input.producerId ?? NO_PRODUCER_ID, 'producerId'), 43);
  buf.writeInt16BE(checkInt(input.producerEpoch ?? NO_PRODUCER_EPOCH, INT16_MIN, INT16_MAX, 'producerEpoch'), 51);
  buf.writeInt32BE(checkInt(input.baseSequence ?? NO_SEQUENCE, INT32_MIN, INT32_MAX, 'baseSequence'), 53);
  buf.writeInt32BE(input.records.length, 57);
  buf.writeUInt32BE(crc32c(buf.subarray(BATCH_OFFSET_ATTRIBUTES, total)), BATCH_OFFSET_CRC);
}

function assembleCompressed(plan: Plan, section: Buffer): Buffer {
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + section.length);
  section.copy(out, BATCH_HEADER_BYTES);
  writeHeader(plan, out, section.length);
  return out;
}

/**
 * Encodes a batch synchronously. Uncompressed: one allocation, no intermediate buffers (the
 * produce hot path). Throws `RecordsError(SyncUnsupported)` for zstd: use `encodeBatch`.
 */
export function encodeBatchSync(input: BatchInput): Buffer {
  const plan = planBatch(input);
  if (plan.compression === CompressionType.None) {
    const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + plan.recordsBytes);
    writeRecords(plan, out, BATCH_HEADER_BYTES);
    writeHeader(plan, out, plan.recordsBytes);
    return out;
  }
  if (plan.compression === CompressionType.Zstd) {
    throw recordsError(RecordsErrorCode.SyncUnsupported, 'encodeBatchSync cannot compress with zstd (async only): use encodeBatch');
  }
  const records = Buffer.allocUnsafe(plan.recordsBytes);
  writeRecords(plan, records, 0);
  return assembleCompressed(plan, compressSync(plan.compression, records, levelOption(input)));
}

function levelOption(input: BatchInput): { level?: number } {
  return input.compressionLevel === undefined ? {} : { level: input.compressionLevel };
}

/** Encodes a batch with any codec (compression off the main thread where the codec allows). */
export async function encodeBatch(input: BatchInput): Promise<Buffer> {
  const compression = input.compression ?? CompressionType.None;
  if (compression === CompressionType.None) return encodeBatchSync(input);
  const plan = planBatch(input);
  const records = Buffer.allocUnsafe(plan.recordsBytes);
  writeRecords(plan, records, 0);
  return assembleCompressed(plan, await compress(plan.compression, records, levelOption(input)));
}

// ---------------------------------------------------------------------------------------------
// decoding

/** Validates the frame of the batch at `pos` and returns its header; the records are not read. */
function readFrame(buf: Buffer, pos: number, verifyCrc: boolean): BatchHeader {
  if (!Number.isInteger(pos) || pos < 0 || pos > buf.length) invalid(`position ${pos} is outside a ${buf.length}-byte buffer`);
  const available = buf.length - pos;
  if (available < BATCH_HEADER_BYTES) {
    throw recordsError(RecordsErrorCode.Truncated, `truncated batch header at position ${pos}: ${available} of ${BATCH_HEADER_BYTES} bytes`);
  }
  const batchLength = buf.readInt32BE(pos + BATCH_OFFSET_LENGTH);
  if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) {
    throw recordsError(RecordsErrorCode.BadLength, `batch at position ${pos} has batchLength ${batchLength}, below the ${BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES}-byte minimum`);
  }
  const size = batchLength + LOG_OVERHEAD_BYTES;
  if (size > available) throw recordsError(RecordsErrorCode.Truncated, `truncated batch at position ${pos}: ${available} of ${size} bytes`);
  const magic = buf.readInt8(pos + BATCH_OFFSET_MAGIC);
  if (magic !== MAGIC_V2) throw recordsError(RecordsErrorCode.BadMagic, `batch at position ${pos} has magic ${magic}; only v2 (magic 2) is supported`);
  const header = readBatchHeader(buf, pos);
  if (verifyCrc) {
    const actual = crc32c(buf.subarray(pos + BATCH_OFFSET_ATTRIBUTES, pos + size));
    if (actual !== header.crc) {
      throw recordsError(RecordsErrorCode.BadCrc, `batch at position ${pos}: CRC-32C mismatch (stored 0x${header.crc.toString(16)}, computed 0x${actual.toString(16)})`);
    }
  }
  const compression = header.attributes & ATTRIBUTE_COMPRESSION_MASK;
  if (compression > (CompressionType.Zstd as number)) {
    throw recordsError(RecordsErrorCode.UnsupportedCompression, `batch at position ${pos} uses unknown compression type ${compression}`);
  }
  if (header.recordsCount < 0) throw recordsError(RecordsErrorCode.BadRecordCount, `batch at position ${pos} has negative recordsCount ${header.recordsCount}`);
  if (header.recordsCount > BATCH_RECORDS_MAX) {
    throw recordsError(RecordsErrorCode.TooManyRecords, `batch at position ${pos} claims ${header.recordsCount} records, over BATCH_RECORDS_MAX (${BATCH_RECORDS_MAX})`);
  }
  if (header.lastOffsetDelta < 0 || header.lastOffsetDelta < header.recordsCount - 1) {
    throw recordsError(RecordsErrorCode.BadRecordCount, `batch at position ${pos}: lastOffsetDelta ${header.lastOffsetDelta} cannot hold ${header.recordsCount} records`);
  }
  return header;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from INT32_MAX to 0. */
function sequenceAt(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return NO_SEQUENCE;
  return baseSequence > INT32_MAX - delta ? delta - (INT32_MAX - baseSequence) - 1 : baseSequence + delta;
}

function readRecords(section: Buffer, header: BatchHeader): DecodedRecord[] {
  const count = header.recordsCount;
  if (count * RECORD_BYTES_MIN > section.length) {
    // Refuse an absurd count before building anything for it.
    throw recordsError(RecordsErrorCode.BadRecordCount, `recordsCount ${count} cannot fit in ${section.length} bytes of records (at least ${RECORD_BYTES_MIN} bytes each)`);
  }
  const reader = new ByteReader(section);
  const records: DecodedRecord[] = [];
  const logAppendTime = (header.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const baseOffset = header.baseOffset;
  const baseTimestamp = header.baseTimestamp;
  // One reader for the record bodies, narrowed to each record in turn.
  const body = new ByteReader(section);
  let previousDelta = -1;
  for (let i = 0; i < count; i++) {
    const length = reader.varint('record length');
    if (length < 0) throw recordsError(RecordsErrorCode.BadRecord, `record ${i} has negative length ${length}`);
    reader.need(length, `record ${i}`);
    const bodyEnd = reader.pos + length;
    body.pos = reader.pos;
    body.end = bodyEnd;
    body.int8('record attributes');
    const timestampDelta = body.varlongNumber('record timestampDelta');
    const offsetDelta = body.varint('record offsetDelta');
    if (offsetDelta <= previousDelta || offsetDelta > header.lastOffsetDelta) {
      throw recordsError(RecordsErrorCode.BadRecord, `record ${i}: offsetDelta ${offsetDelta} is not in (${previousDelta}, ${header.lastOffsetDelta}]`);
    }
    previousDelta = offsetDelta;
    const keyLength = body.varint('record key length');
    let key: Buffer | null = null;
    if (keyLength >= 0) key = body.bytes(keyLength, 'record key');
    else if (keyLength !== -1) throw recordsError(RecordsErrorCode.BadRecord, `record ${i}: key length ${keyLength}`);
    const valueLength = body.varint('record value length');
    let value: Buffer | null = null;
    if (valueLength >= 0) value = body.bytes(valueLength, 'record value');
    else if (valueLength !== -1) throw recordsError(RecordsErrorCode.BadRecord, `record ${i}: value length ${valueLength}`);
    const headerCount = body.varint('record headers count');
    if (headerCount < 0) throw recordsError(RecordsErrorCode.BadRecord, `record ${i}: negative headers count ${headerCount}`);
    if (headerCount > RECORD_HEADERS_MAX) throw recordsError(RecordsErrorCode.TooManyHeaders, `record ${i}: ${headerCount} headers, over RECORD_HEADERS_MAX (${RECORD_HEADERS_MAX})`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKeyLength = body.varint('header key length');
      if (headerKeyLength < 0) throw recordsError(RecordsErrorCode.BadRecord, `record ${i}: header ${h} has key length ${headerKeyLength}`);
      const headerKey = body.utf8(headerKeyLength, 'header key');
      const headerValueLength = body.varint('header value length');
      let headerValue: Buffer | null = null;
      if (headerValueLength >= 0) headerValue = body.bytes(headerValueLength, 'header value');
      else if (headerValueLength !== -1) throw recordsError(RecordsErrorCode.BadRecord, `record ${i}: header ${h} has value length ${headerValueLength}`);
      headers.push({ key: headerKey, value: headerValue });
    }
    if (body.pos !== bodyEnd) {
      throw recordsError(RecordsErrorCode.BadRecord, `record ${i} declares ${length} bytes but its fields take ${body.pos - (bodyEnd - length)}`);
    }
    reader.pos = bodyEnd;
    records.push({
      offset: baseOffset + BigInt(offsetDelta),
      timestampMs: logAppendTime ? header.maxTimestamp : baseTimestamp + (typeof timestampDelta === 'number' ? BigInt(timestampDelta) : timestampDelta),
      key,
      value,
      headers,
      sequence: sequenceAt(header.baseSequence, offsetDelta),
    });
  }
  if (reader.remaining !== 0) {
    throw recordsError(RecordsErrorCode.BadRecordCount, `${reader.remaining} bytes remain after the batch's ${count} records`);
  }
  return records;
}

function finish(header: BatchHeader, records: DecodedRecord[]): DecodedBatch {
  const attributes = header.attributes;
  return {
    header,
    compression: attributes & ATTRIBUTE_COMPRESSION_MASK,
    logAppendTime: (attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0,
    transactional: (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0,
    control: (attributes & ATTRIBUTE_CONTROL) !== 0,
    deleteHorizonMs: (attributes & ATTRIBUTE_DELETE_HORIZON) !== 0 ? header.baseTimestamp : null,
    sizeBytes: header.batchLength + LOG_OVERHEAD_BYTES,
    records,
  };
}

function sectionOf(buf: Buffer, pos: number, header: BatchHeader): Buffer {
  return buf.subarray(pos + BATCH_HEADER_BYTES, pos + header.batchLength + LOG_OVERHEAD_BYTES);
}

/** Decodes the whole batch at `pos`, synchronously (every codec but zstd). */
export function decodeBatchSync(buf: Buffer, pos = 0, options?: DecodeOptions): DecodedBatch {
  const header = readFrame(buf, pos, options?.verifyCrc ?? true);
  const compression = (header.attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType;
  let section = sectionOf(buf, pos, header);
  if (compression !== CompressionType.None) {
    if (compression === CompressionType.Zstd) {
      throw recordsError(RecordsErrorCode.SyncUnsupported, `decodeBatchSync cannot decompress ${compressionName(compression)} (async only): use decodeBatch`);
    }
    section = decompressSync(compression, section, options);
  }
  return finish(header, readRecords(section, header));
}

/** Decodes the whole batch at `pos`, with any codec. */
export async function decodeBatch(buf: Buffer, pos = 0, options?: DecodeOptions): Promise<DecodedBatch> {
  const header = readFrame(buf, pos, options?.verifyCrc ?? true);
  const compression = (header.attributes & ATTRIBUTE_COMPRESSION_MASK) as CompressionType;
  let section = sectionOf(buf, pos, header);
  if (compression !== CompressionType.None) section = await decompress(compression, section, options);
  return finish(header, readRecords(section, header));
}

/**
 * Start positions of the whole batches in `buf` (concatenated, as a Fetch or a segment read returns
 * them). A trailing partial batch is not included; a batchLength below the header size throws.
 */
export function batchPositions(buf: Buffer): number[] {
  const positions: number[] = [];
  let pos = 0;
  while (buf.length - pos >= LOG_OVERHEAD_BYTES) {
    const batchLength = buf.readInt32BE(pos + BATCH_OFFSET_LENGTH);
    if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) {
      throw recordsError(RecordsErrorCode.BadLength, `batch at position ${pos} has batchLength ${batchLength}, below the ${BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES}-byte minimum`);
    }
    const size = batchLength + LOG_OVERHEAD_BYTES;
    if (size > buf.length - pos) break;
    positions.push(pos);
    pos += size;
  }
  return positions;
}

export function decodeBatchesSync(buf: Buffer, options?: DecodeOptions): DecodedBatch[] {
  return batchPositions(buf).map((pos) => decodeBatchSync(buf, pos, options));
}

export async function decodeBatches(buf: Buffer, options?: DecodeOptions): Promise<DecodedBatch[]> {
  const batches: DecodedBatch[] = [];
  for (const pos of batchPositions(buf)) batches.push(await decodeBatch(buf, pos, options));
  return batches;
}
