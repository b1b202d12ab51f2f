/**
 * MetadataLogPort: what the metadata path needs of its log. It is the structural subset of
 * @runnel/storage's `PartitionLog`, so the broker passes the `__cluster_metadata-0` partition log
 * as it is; the Raft issue will put its replicated log behind the same port.
 *
 * `read` may answer synchronously or with a promise (the controller awaits either), so both a
 * synchronous segment read and a network-backed log fit.
 *
 * `InMemoryMetadataLog` is the in-memory implementation for tests and simulation: a list of whole
 * batches with their offsets stamped, and a switch to make the next append fail (a full disk).
 */
import { batchLastOffset, batchSizeAt, setBatchBaseOffset } from '@runnel/records';
import { parseLogConfig, type LogConfig } from '@runnel/storage';
import { METADATA_LOG_CONFIG } from './constants';

/** The LogConfig for `__cluster_metadata-0`: no retention, batches up to METADATA_BATCH_BYTES_MAX. */
export function metadataLogConfig(base?: LogConfig): LogConfig {
  return parseLogConfig({ ...METADATA_LOG_CONFIG }, base);
}

export interface MetadataLogAppendResult {
  firstOffset: bigint;
  lastOffset: bigint;
}

export interface MetadataLogReadResult {
  /** Whole v2 batches, concatenated; at least one batch when `offset` is below the log end. */
  records: Buffer;
  nextOffset: bigint;
  logEndOffset: bigint;
  logStartOffset: bigint;
}

export interface MetadataLogPort {
  append(batch: Buffer, options: { durable?: boolean }): Promise<MetadataLogAppendResult>;
  read(offset: bigint, maxBytes: number): MetadataLogReadResult | Promise<MetadataLogReadResult>;
  readonly logEndOffset: bigint;
  truncateTo(offset: bigint): Promise<void>;
}

interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
}

export class InMemoryMetadataLog implements MetadataLogPort {
  private readonly batches: StoredBatch[] = [];
  private endOffset = 0n;
  /** Appends seen with `durable: true` (tests check that commands ask for durability). */
  durableAppends = 0;
  /** When set, the next append rejects with this error and stores nothing. */
  failNextAppend: Error | null = null;

  get logEndOffset(): bigint {
    return this.endOffset;
  }

  async append(batch: Buffer, options: { durable?: boolean }): Promise<MetadataLogAppendResult> {
    const failure = this.failNextAppend;
    if (failure !== null) {
      this.failNextAppend = null;
      throw failure;
    }
    if (batchSizeAt(batch) !== batch.length) throw new Error('InMemoryMetadataLog: append takes exactly one batch');
    const bytes = Buffer.from(batch);
    const firstOffset = this.endOffset;
    setBatchBaseOffset(bytes, firstOffset);
    const lastOffset = batchLastOffset(bytes);
    this.batches.push({ baseOffset: firstOffset, lastOffset, bytes });
    this.endOffset = lastOffset + 1n;
    if (options.durable === true) this.durableAppends += 1;
    return { firstOffset, lastOffset };
  }

  read(offset: bigint, maxBytes: number): MetadataLogReadResult {
    const parts: Buffer[] = [];
    let bytes = 0;
    let nextOffset = offset;
    for (const batch of this.batches) {
      if (batch.lastOffset < offset) continue;
      // Like a partition log: the first batch even if bigger than the budget, then whole batches.
      if (parts.length > 0 && bytes + batch.bytes.length > maxBytes) break;
      parts.push(batch.bytes);
      bytes += batch.bytes.length;
      nextOffset = batch.lastOffset + 1n;
    }
    return { records: Buffer.concat(parts), nextOffset, logEndOffset: this.endOffset, logStartOffset: 0n };
  }

  async truncateTo(offset: bigint): Promise<void> {
    while (this.batches.length > 0 && this.batches[this.batches.length - 1]!.baseOffset >= offset) this.batches.pop();
    const last = this.batches[this.batches.length - 1];
    if (last !== undefined && last.lastOffset >= offset) throw new Error('InMemoryMetadataLog: truncation inside a batch');
    this.endOffset = last === undefined ? 0n : last.lastOffset + 1n;
  }
}
