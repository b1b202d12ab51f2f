/**
 * The coordinator's only view of storage: one `OffsetsLogPort` per partition of
 * `__consumer_offsets`. It is a structural subset of the storage engine's `PartitionLog`, so the
 * broker passes real partition logs; `InMemoryOffsetsLog` serves the unit tests.
 *
 * Batches are whole Kafka v2 record batches (encoded with @runnel/records). `append` with
 * `durable: true` resolves only once the batch is flushed (acks=all), which is when the
 * coordinator acknowledges a commit. `read` returns whole batches from the one holding `offset`;
 * a first batch larger than `maxBytes` is still returned whole, so replay always progresses.
 */
import { BATCH_OFFSET_BASE_OFFSET, BATCH_OFFSET_LAST_OFFSET_DELTA, batchPositions } from '@runnel/records';

export interface OffsetsLogAppendResult {
  firstOffset: bigint;
  lastOffset: bigint;
}

export interface OffsetsLogReadResult {
  records: Buffer;
  nextOffset: bigint;
  logEndOffset: bigint;
  logStartOffset: bigint;
}

export interface OffsetsLogPort {
  append(batch: Buffer, options: { durable?: boolean }): Promise<OffsetsLogAppendResult>;
  read(offset: bigint, maxBytes: number): OffsetsLogReadResult | Promise<OffsetsLogReadResult>;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
}

interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
}

/**
 * A partition log in memory: stamps base offsets like the real log, keeps every batch (no
 * compaction), and can be told to fail appends so tests see how the coordinator reports a
 * storage failure. Survives a "restart": build a new coordinator over the same instances.
 */
export class InMemoryOffsetsLog implements OffsetsLogPort {
  private readonly batches: StoredBatch[] = [];
  private nextOffset = 0n;
  /** Appends to reject with this error while it is set. */
  failAppendsWith: Error | null = null;
  appendCount = 0;
  durableAppendCount = 0;

  get logStartOffset(): bigint {
    return this.batches[0]?.baseOffset ?? this.nextOffset;
  }

  get logEndOffset(): bigint {
    return this.nextOffset;
  }

  async append(batch: Buffer, options: { durable?: boolean }): Promise<OffsetsLogAppendResult> {
    await Promise.resolve();
    if (this.failAppendsWith !== null) throw this.failAppendsWith;
    const positions = batchPositions(batch);
    if (positions.length !== 1 || positions[0] !== 0) throw new Error('InMemoryOffsetsLog: append takes exactly one whole batch');
    const bytes = Buffer.from(batch);
    const baseOffset = this.nextOffset;
    bytes.writeBigInt64BE(baseOffset, BATCH_OFFSET_BASE_OFFSET);
    const lastOffset = baseOffset + BigInt(bytes.readInt32BE(BATCH_OFFSET_LAST_OFFSET_DELTA));
    this.batches.push({ baseOffset, lastOffset, bytes });
    this.nextOffset = lastOffset + 1n;
    this.appendCount++;
    if (options.durable === true) this.durableAppendCount++;
    return { firstOffset: baseOffset, lastOffset };
  }

  read(offset: bigint, maxBytes: number): OffsetsLogReadResult {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let next = offset;
    for (const batch of this.batches) {
      if (batch.lastOffset < offset) continue;
      if (chunks.length > 0 && bytes + batch.bytes.length > maxBytes) break;
      chunks.push(batch.bytes);
      bytes += batch.bytes.length;
      next = batch.lastOffset + 1n;
    }
    return { records: Buffer.concat(chunks), nextOffset: next, logEndOffset: this.logEndOffset, logStartOffset: this.logStartOffset };
  }
}
