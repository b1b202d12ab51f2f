import { Injectable } from '@nestjs/common';
import { BATCH_HEADER_BYTES, CompressionType, batchSizeAt, compressionOf, decodeBatch, decodeBatchSync, isControlBatch, readBatchHeader } from '@runnel/records';
import type { PartitionLog } from '@runnel/storage';
import { EngineService } from './engine.service';
import { DomainError, DomainErrorKind } from './errors';
import { MetricsService } from './metrics.service';
import type { StoredRecord } from './record-format';
import { TopicService } from './topic.service';

/** Smallest log read per round, and the guess of stored bytes per record that sizes a read. */
const READ_CHUNK_BYTES_MIN = 64 * 1024;
const READ_BYTES_PER_RECORD_GUESS = 256;
/** Reads per fetch at most (each returns at least one whole batch). */
const READ_ROUNDS_MAX = 64;

export type OffsetSpec = bigint | 'earliest' | 'latest';
export type Isolation = 'read_uncommitted' | 'read_committed';

export interface PartitionFetch {
  records: StoredRecord[];
  /** The offset to read next: one past the last record returned, or the requested offset. */
  nextOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
  bytes: number;
}

export interface FetchOptions {
  maxRecords: number;
  maxBytes: number;
  isolation?: Isolation;
}

/**
 * The read path the JSON doors share: read whole stored batches from the log (never past the
 * high watermark), decode them, drop records before the requested offset (a batch can start
 * earlier) and control records, and stop at the record/byte budget. Long-polls wait on the
 * partition's append notification, never on a timer loop.
 */
@Injectable()
export class FetchService {
  constructor(
    private readonly engine: EngineService,
    private readonly topics: TopicService,
    private readonly metrics: MetricsService,
  ) {}

  /** Resolves `earliest`/`latest` and checks bounds: below the log start reads from the log start; past the high watermark is 416. */
  resolveOffset(log: PartitionLog, spec: OffsetSpec): bigint {
    const hw = log.highWatermark;
    const start = log.logStartOffset;
    if (spec === 'earliest') return start;
    if (spec === 'latest') return hw;
    if (spec < start) return start;
    if (spec > hw) {
      throw new DomainError(
        DomainErrorKind.OffsetOutOfRange,
        `offset ${spec} is past the end of ${log.topic}-${log.partition}: valid offsets are ${start} (log start) to ${hw} (high watermark, the next offset to be written).`,
      );
    }
    return spec;
  }

  /** One partition, with an optional long-poll when nothing is there yet. */
  async fetch(topic: string, partition: number, spec: OffsetSpec, options: FetchOptions, timeoutMs: number, door: string): Promise<PartitionFetch> {
    const log = this.topics.partitionLog(topic, partition);
    let offset = this.resolveOffset(log, spec);
    let result = await this.read(log, offset, options);
    if (result.records.length === 0 && timeoutMs > 0) {
      await this.waitForAppend([log], [offset], timeoutMs);
      offset = offset < log.logStartOffset ? log.logStartOffset : offset;
      result = await this.read(log, offset, options);
    }
    this.metrics.fetched(topic, door, result.records.length, result.bytes);
    return result;
  }

  /** Reads from `offset` without waiting. `offset` must already be within bounds. */
  async read(log: PartitionLog, offset: bigint, options: FetchOptions): Promise<PartitionFetch> {
    const records: StoredRecord[] = [];
    let next = offset < log.logStartOffset ? log.logStartOffset : offset;
    let bytesLeft = options.maxBytes;
    let bytes = 0;
    // Read a budget sized to the records wanted, not the whole byte budget: a page of 500 small
    // records should not copy and decode a megabyte. The first batch always comes whole anyway.
    const readBytesFor = (): number => Math.min(bytesLeft, Math.max(READ_CHUNK_BYTES_MIN, (options.maxRecords - records.length) * READ_BYTES_PER_RECORD_GUESS));
    // A read may return only records below `next` (compacted or control batches); keep going, bounded.
    for (let round = 0; round < READ_ROUNDS_MAX && records.length < options.maxRecords && bytesLeft > 0; round++) {
      const hw = log.highWatermark;
      if (next >= hw) break;
      const fetched = log.read(next, readBytesFor(), { maxOffset: hw });
      const buf = fetched.records;
      if (buf.length === 0) break;
      let pos = 0;
      let progressed = false;
      // Decode batch by batch and stop as soon as the record budget is met.
      while (pos + BATCH_HEADER_BYTES <= buf.length && records.length < options.maxRecords) {
        const size = batchSizeAt(buf, pos);
        if (pos + size > buf.length) break;
        const header = readBatchHeader(buf, pos);
        const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
        bytes += size;
        bytesLeft -= size;
        if (lastOffset < next) {
          pos += size;
          continue;
        }
        if (!isControlBatch(header.attributes)) {
          const slice = buf.subarray(pos, pos + size);
          const batch = compressionOf(header.attributes) === CompressionType.None ? decodeBatchSync(slice) : await decodeBatch(slice);
          for (const r of batch.records) {
            if (r.offset < next || r.offset >= hw) continue;
            if (records.length >= options.maxRecords) break;
            records.push({ topic: log.topic, partition: log.partition, offset: r.offset, timestampMs: r.timestampMs, key: r.key, value: r.value, headers: r.headers });
            next = r.offset + 1n;
            progressed = true;
          }
        }
        // Control batches and records removed by compaction leave offsets the batch still covers.
        if (records.length < options.maxRecords && lastOffset + 1n > next && lastOffset < hw) {
          next = lastOffset + 1n;
          progressed = true;
        }
        pos += size;
      }
      if (!progressed) break;
    }
    return { records, nextOffset: next, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset, bytes };
  }

  /**
   * Waits until any of `logs` has data at or past its offset, the timeout passes, or the broker
   * shuts down. Driven by append notifications.
   */
  waitForAppend(logs: readonly PartitionLog[], offsets: readonly bigint[], timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const unsubscribes: (() => void)[] = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const u of unsubscribes) u();
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      unsubscribes.push(this.engine.onClosing(finish));
      logs.forEach((log, i) => {
        if (log.highWatermark > offsets[i]!) finish();
        else unsubscribes.push(log.onAppend(finish));
      });
    });
  }
}
