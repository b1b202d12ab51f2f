/**
 * A minimal, private reader of the records inside a v2 batch: what the cleaner (keys, tombstones)
 * and offsetForTimestamp (record timestamps) need, without depending on the full codec that
 * libs/records is still growing. Payloads are (de)compressed with libs/records' synchronous codecs
 * (none, gzip, snappy, lz4); for zstd, which has no synchronous codec, `batchRecordsPayload` returns
 * null and callers treat the batch as opaque (the cleaner keeps it whole, offsetForTimestamp
 * answers with the batch's first offset). Kept records are copied byte for byte, never re-encoded.
 *
 * Record layout (Kafka v2): length varint, attributes int8, timestampDelta varlong,
 * offsetDelta varint, keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 * headerCount varint, headers. Varints are zigzag encoded.
 */
import { strict as assert } from 'node:assert';
import {
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_RECORDS_COUNT,
  LOG_OVERHEAD_BYTES,
  compressSync,
  compressionOf,
  decompressSync,
  hasSyncCodec,
  writeBatchCrc,
} from '@runnel/records';

export interface RecordView {
  offsetDelta: number;
  timestampDelta: number;
  /** null for a null key. A view into the payload: copy it to keep it. */
  key: Buffer | null;
  /** True for a tombstone (null value). */
  valueIsNull: boolean;
  /** The record's bytes within the payload, length prefix included. */
  start: number;
  end: number;
}

class Cursor {
  constructor(readonly buf: Buffer, public pos: number) {}

  /** Zigzag varint up to 64 bits, as a number (record fields are small in practice). */
  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      assert(this.pos < this.buf.length, 'record varint runs past the batch');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      multiplier *= 128;
    }
    throw new Error('record varint longer than 10 bytes');
  }
}

/** The records section of the batch at `batch[0..]`, decompressed; null when the codec is not understood here. */
export function batchRecordsPayload(batch: Buffer): Buffer | null {
  const attributes = batch.readInt16BE(BATCH_OFFSET_ATTRIBUTES);
  const size = batch.readInt32BE(BATCH_OFFSET_LENGTH) + LOG_OVERHEAD_BYTES;
  const body = batch.subarray(BATCH_HEADER_BYTES, size);
  const compression = compressionOf(attributes);
  if (!hasSyncCodec(compression)) return null;
  return decompressSync(compression, body);
}

/** Calls `visit` for each record of the payload (stop by returning false). Throws on malformed records. */
export function forEachRecord(payload: Buffer, count: number, visit: (record: RecordView) => boolean | void): void {
  const cursor = new Cursor(payload, 0);
  for (let i = 0; i < count; i++) {
    const start = cursor.pos;
    const length = cursor.varint();
    const bodyStart = cursor.pos;
    const end = bodyStart + length;
    assert(length >= 0 && end <= payload.length, 'record length runs past the batch');
    cursor.pos += 1; // attributes
    const timestampDelta = cursor.varint();
    const offsetDelta = cursor.varint();
    const keyLength = cursor.varint();
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      key = payload.subarray(cursor.pos, cursor.pos + keyLength);
      cursor.pos += keyLength;
    }
    const valueLength = cursor.varint();
    cursor.pos = end;
    if (visit({ offsetDelta, timestampDelta, key, valueIsNull: valueLength < 0, start, end }) === false) return;
  }
}

/**
 * A copy of `batch` holding only the records whose byte ranges are in `kept` (in order), with the
 * header kept (same baseOffset, lastOffsetDelta, timestamps, producer fields), the count, length
 * and CRC rewritten, and the original codec. Offsets and timestamps of the kept
 * records do not change because v2 records store deltas against the unchanged header.
 */
export function rebuildBatch(batch: Buffer, payload: Buffer, kept: readonly RecordView[]): Buffer {
  assert(kept.length > 0);
  const parts = kept.map((record) => payload.subarray(record.start, record.end));
  const attributes = batch.readInt16BE(BATCH_OFFSET_ATTRIBUTES);
  const compression = compressionOf(attributes);
  assert(hasSyncCodec(compression));
  const body = compressSync(compression, Buffer.concat(parts));
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  body.copy(out, BATCH_HEADER_BYTES);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, BATCH_OFFSET_LENGTH);
  out.writeInt32BE(kept.length, BATCH_OFFSET_RECORDS_COUNT);
  writeBatchCrc(out, 0);
  return out;
}
