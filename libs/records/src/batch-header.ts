/**
 * Kafka RecordBatch v2 (magic 2) header: the fixed 61 bytes in front of every stored batch.
 *
 *   offset  size  field
 *   0       8     baseOffset            (int64)  -- stamped by the log on append
 *   8       4     batchLength           (int32)  bytes after this field
 *   12      4     partitionLeaderEpoch  (int32)  -- stamped by the log on append
 *   16      1     magic                 (int8)   always 2
 *   17      4     crc                   (uint32) CRC-32C of bytes [21, end)
 *   21      2     attributes            (int16)  bits 0-2 compression, 3 timestamp type,
 *                                                4 transactional, 5 control, 6 delete horizon set
 *   23      4     lastOffsetDelta       (int32)
 *   27      8     baseTimestamp         (int64)
 *   35      8     maxTimestamp          (int64)
 *   43      8     producerId            (int64)
 *   51      2     producerEpoch         (int16)
 *   53      4     baseSequence          (int32)
 *   57      4     recordsCount          (int32)
 *   61      ...   records (possibly compressed)
 *
 * The CRC covers attributes to the end, so stamping baseOffset and partitionLeaderEpoch never
 * invalidates it: the log can assign offsets without recomputing the checksum.
 */
import { crc32c } from './crc32c';

export const BATCH_OFFSET_BASE_OFFSET = 0;
export const BATCH_OFFSET_LENGTH = 8;
export const BATCH_OFFSET_LEADER_EPOCH = 12;
export const BATCH_OFFSET_MAGIC = 16;
export const BATCH_OFFSET_CRC = 17;
export const BATCH_OFFSET_ATTRIBUTES = 21;
export const BATCH_OFFSET_LAST_OFFSET_DELTA = 23;
export const BATCH_OFFSET_BASE_TIMESTAMP = 27;
export const BATCH_OFFSET_MAX_TIMESTAMP = 35;
export const BATCH_OFFSET_PRODUCER_ID = 43;
export const BATCH_OFFSET_PRODUCER_EPOCH = 51;
export const BATCH_OFFSET_BASE_SEQUENCE = 53;
export const BATCH_OFFSET_RECORDS_COUNT = 57;
/** Bytes of the header before the first record. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the part of a batch not counted by batchLength. */
export const LOG_OVERHEAD_BYTES = 12;
export const MAGIC_V2 = 2;

export const ATTRIBUTE_COMPRESSION_MASK = 0x07;
export const ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTRIBUTE_TRANSACTIONAL = 0x10;
export const ATTRIBUTE_CONTROL = 0x20;
export const ATTRIBUTE_DELETE_HORIZON = 0x40;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export interface BatchHeader {
  baseOffset: bigint;
  /** Bytes after the length field; the whole batch is `batchLength + LOG_OVERHEAD_BYTES`. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + BATCH_OFFSET_BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_OFFSET_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + BATCH_OFFSET_LEADER_EPOCH),
    magic: buf.readInt8(pos + BATCH_OFFSET_MAGIC),
    crc: buf.readUInt32BE(pos + BATCH_OFFSET_CRC),
    attributes: buf.readInt16BE(pos + BATCH_OFFSET_ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + BATCH_OFFSET_LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(pos + BATCH_OFFSET_BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + BATCH_OFFSET_MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + BATCH_OFFSET_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + BATCH_OFFSET_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BATCH_OFFSET_BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + BATCH_OFFSET_RECORDS_COUNT),
  };
}

/** Size in bytes of the whole batch starting at `pos` (header included). */
export function batchSizeAt(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH_OFFSET_LENGTH) + LOG_OVERHEAD_BYTES;
}

export function batchBaseOffset(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BATCH_OFFSET_BASE_OFFSET);
}

export function batchLastOffset(buf: Buffer, pos = 0): bigint {
  return batchBaseOffset(buf, pos) + BigInt(buf.readInt32BE(pos + BATCH_OFFSET_LAST_OFFSET_DELTA));
}

export function batchMaxTimestamp(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BATCH_OFFSET_MAX_TIMESTAMP);
}

export function batchAttributes(buf: Buffer, pos = 0): number {
  return buf.readInt16BE(pos + BATCH_OFFSET_ATTRIBUTES);
}

export function compressionOf(attributes: number): CompressionType {
  return (attributes & ATTRIBUTE_COMPRESSION_MASK);
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_CONTROL) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0;
}

const SAFE_OFFSET_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Stamps the offsets assigned by the log. Does not touch the CRC (it does not cover these bytes). */
export function setBatchBaseOffset(buf: Buffer, baseOffset: bigint, pos = 0): void {
  const at = pos + BATCH_OFFSET_BASE_OFFSET;
  if (baseOffset >= 0n && baseOffset <= SAFE_OFFSET_MAX) {
    // Every real offset takes this path: two int32 writes of a Number cost a fraction of writeBigInt64BE's BigInt shifts.
    const value = Number(baseOffset);
    buf.writeUInt32BE(Math.floor(value / 0x1_0000_0000), at);
    buf.writeUInt32BE(value >>> 0, at + 4);
  } else {
    buf.writeBigInt64BE(baseOffset, at);
  }
}

export function setBatchPartitionLeaderEpoch(buf: Buffer, epoch: number, pos = 0): void {
  buf.writeInt32BE(epoch, pos + BATCH_OFFSET_LEADER_EPOCH);
}

/** CRC-32C over attributes..end of the batch at `pos`. */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const end = pos + batchSizeAt(buf, pos);
  return crc32c(buf.subarray(pos + BATCH_OFFSET_ATTRIBUTES, end));
}

/** Recomputes and writes the CRC; needed only after changing bytes from `attributes` on. */
export function writeBatchCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + BATCH_OFFSET_CRC);
}

export enum BatchProblem {
  Ok = 0,
  /** Fewer bytes than a header, or than batchLength says. */
  Truncated = 1,
  /** batchLength too small to hold a header, or larger than the limit. */
  BadLength = 2,
  BadMagic = 3,
  BadCrc = 4,
  /** lastOffsetDelta / recordsCount inconsistent. */
  BadOffsets = 5,
}

/**
 * Checks the batch at `pos` within `buf[pos, end)`: enough bytes, a sane length, magic 2, the CRC,
 * and consistent offset delta / count. Used by the wire door on produce and by recovery on every
 * batch after the recovery point. `verifyCrc` false skips only the CRC comparison (the log's append
 * of bytes the caller already checked); the other checks and their order stay.
 */
export function checkBatch(buf: Buffer, pos: number, end: number, batchBytesMax = 0x7fffffff, verifyCrc = true): BatchProblem {
  if (end - pos < BATCH_HEADER_BYTES) return BatchProblem.Truncated;
  const batchLength = buf.readInt32BE(pos + BATCH_OFFSET_LENGTH);
  const size = batchLength + LOG_OVERHEAD_BYTES;
  if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES || size > batchBytesMax) return BatchProblem.BadLength;
  if (end - pos < size) return BatchProblem.Truncated;
  if (buf.readInt8(pos + BATCH_OFFSET_MAGIC) !== MAGIC_V2) return BatchProblem.BadMagic;
  if (verifyCrc && crc32c(buf.subarray(pos + BATCH_OFFSET_ATTRIBUTES, pos + size)) !== buf.readUInt32BE(pos + BATCH_OFFSET_CRC)) return BatchProblem.BadCrc;
  const lastOffsetDelta = buf.readInt32BE(pos + BATCH_OFFSET_LAST_OFFSET_DELTA);
  const count = buf.readInt32BE(pos + BATCH_OFFSET_RECORDS_COUNT);
  if (lastOffsetDelta < 0 || count < 0 || (count > 0 && lastOffsetDelta < count - 1)) return BatchProblem.BadOffsets;
  return BatchProblem.Ok;
}
