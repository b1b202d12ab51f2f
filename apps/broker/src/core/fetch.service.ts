import { Injectable } from '@nestjs/common';
import { CompressionType, DecodedBatch, compressionOf, decodeBatch, decodeBatchSync, isControlBatch, readBatchHeader, batchSizeAt } from '@runnel/records';
import type { PartitionLog } from '@runnel/storage';
import { EngineService } from './engine.service';
import { DomainError, DomainErrorKind } from './errors';
import { MetricsService } from './metrics.service';
import type { WireHeader } from './record-format';
import { TopicService } from './topic.service';

export type OffsetSpec = bigint | 'earliest' | 'latest';
export type Isolation = 'read_uncommitted' | 'read_committed';

export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestampMs: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: WireHeader[];
}

export interface PartitionFetch {
  records: FetchedRecord[];
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
    const records: FetchedRecord[] = [];
    let next = offset < log.logStartOffset ? log.logStartOffset : offset;
    let bytesLeft = options.maxBytes;
    let bytes = 0;
    // A read may return only records below `next` (compacted or control batches); keep going, bounded.
    for (let round = 0; round < 64 && records.length < options.maxRecords && bytesLeft > 0; round++) {
      const hw = log.highWatermark;
      if (next >= hw) break;
      const fetched = log.read(next, bytesLeft, { maxOffset: hw });
      if (fetched.records.length === 0) break;
      bytes += fetched.records.length;
      bytesLeft -= fetched.records.length;
      const batches = await this.decodeAll(fetched.records);
      let progressed = false;
      for (const batch of batches) {
        const lastOffset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta);
        if (isControlBatch(batch.header.attributes)) {
          if (lastOffset + 1n > next) next = lastOffset + 1n;
          progressed = true;
          continue;
        }
        for (const r of batch.records) {
          if (r.offset < next || r.offset >= hw) continue;
          if (records.length >= options.maxRecords) break;
          records.push({ topic: log.topic, partition: log.partition, offset: r.offset, timestampMs: r.timestampMs, key: r.key, value: r.value, headers: r.headers });
          next = r.offset + 1n;
          progressed = true;
        }
        if (records.length >= options.maxRecords) break;
        // Records removed by compaction leave offset gaps; the batch still covers them.
        if (lastOffset + 1n > next && lastOffset < hw) {
          next = lastOffset + 1n;
          progressed = true;
        }
      }
      if (!progressed) break;
    }
    return { records, nextOffset: next, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset, bytes };
  }

  private async decodeAll(buf: Buffer): Promise<DecodedBatch[]> {
    const out: DecodedBatch[] = [];
    let pos = 0;
    while (pos + 61 <= buf.length) {
      const size = batchSizeAt(buf, pos);
      if (pos + size > buf.length) break;
      const header = readBatchHeader(buf, pos);
      const slice = buf.subarray(pos, pos + size);
      const compression = compressionOf(header.attributes);
      out.push(compression === CompressionType.None ? decodeBatchSync(slice) : await decodeBatch(slice));
      pos += size;
    }
    return out;
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
