/**
 * A minimal RecordBatch v2 encoder for storage tests and the storage benchmark (uncompressed or
 * gzip, no headers). Not part of the engine: the real codec is libs/records.
 */
import { gzipSync } from 'node:zlib';
import {
  BATCH_HEADER_BYTES,
  CompressionType,
  LOG_OVERHEAD_BYTES,
  MAGIC_V2,
  writeBatchCrc,
} from '@runnel/records';

export interface TestRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  timestampMs?: number;
}

export interface TestBatchOptions {
  baseOffset?: bigint;
  baseTimestampMs?: number;
  compression?: CompressionType.None | CompressionType.Gzip;
  producerId?: bigint;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function varintBytes(value: number, out: number[]): void {
  let n = zigzag(value);
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function toBuf(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function encodeRecord(offsetDelta: number, timestampDelta: number, key: Buffer | null, value: Buffer | null): Buffer {
  const head: number[] = [0];
  varintBytes(timestampDelta, head);
  varintBytes(offsetDelta, head);
  varintBytes(key ? key.length : -1, head);
  const mid: number[] = [];
  varintBytes(value ? value.length : -1, mid);
  const tail: number[] = [];
  varintBytes(0, tail);
  const bodyLength = head.length + (key?.length ?? 0) + mid.length + (value?.length ?? 0) + tail.length;
  const prefix: number[] = [];
  varintBytes(bodyLength, prefix);
  return Buffer.concat([Buffer.from(prefix), Buffer.from(head), key ?? Buffer.alloc(0), Buffer.from(mid), value ?? Buffer.alloc(0), Buffer.from(tail)]);
}

export function buildBatch(records: readonly TestRecord[], options: TestBatchOptions = {}): Buffer {
  if (records.length === 0) throw new Error('a batch needs at least one record');
  const baseTimestamp = options.baseTimestampMs ?? records[0]?.timestampMs ?? 0;
  let maxTimestamp = baseTimestamp;
  const encoded = records.map((record, i) => {
    const ts = record.timestampMs ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    return encodeRecord(i, ts - baseTimestamp, toBuf(record.key), toBuf(record.value));
  });
  let body = Buffer.concat(encoded);
  const compression = options.compression ?? CompressionType.None;
  if (compression === CompressionType.Gzip) body = gzipSync(body);
  const batch = Buffer.alloc(BATCH_HEADER_BYTES + body.length);
  batch.writeBigInt64BE(options.baseOffset ?? 0n, 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, 8);
  batch.writeInt32BE(-1, 12);
  batch.writeInt8(MAGIC_V2, 16);
  batch.writeInt16BE(compression, 21);
  batch.writeInt32BE(records.length - 1, 23);
  batch.writeBigInt64BE(BigInt(baseTimestamp), 27);
  batch.writeBigInt64BE(BigInt(maxTimestamp), 35);
  batch.writeBigInt64BE(options.producerId ?? -1n, 43);
  batch.writeInt16BE(-1, 51);
  batch.writeInt32BE(-1, 53);
  batch.writeInt32BE(records.length, 57);
  body.copy(batch, BATCH_HEADER_BYTES);
  writeBatchCrc(batch, 0);
  return batch;
}

/** `count` records of `valueBytes` each, no key, in one batch. */
export function buildValueBatch(count: number, valueBytes: number, timestampMs = 0): Buffer {
  const value = Buffer.alloc(valueBytes, 0x61);
  return buildBatch(Array.from({ length: count }, () => ({ value, timestampMs })));
}
