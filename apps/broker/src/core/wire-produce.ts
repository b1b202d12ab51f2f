/**
 * The produce path for clients that send record batches themselves (the Kafka wire door): the
 * batch is validated and appended as it is, bytes unchanged except for the offsets, leader epoch
 * and (LogAppendTime topics) timestamps the log stamps into it.
 *
 * Validation, before anything is written (a refused batch is refused whole):
 *   - exactly one batch per partition (Kafka's rule for produce v3+, magic 2);
 *   - checkBatch: whole, sane length, magic 2, CRC-32C, offset delta consistent with the count;
 *   - not larger than the topic's max.message.bytes; a known compression codec;
 *   - not to internal topics (__consumer_offsets); no control batches from clients; no
 *     transactional batches (transactions are not served yet);
 *   - idempotent batches (producer id >= 0): the epoch and sequence rules of ProducerStateService.
 *
 * Synchronous up to the append, so that requests of one connection append in the order they
 * arrived and the sequence checks and state update cannot interleave with another append.
 */
import { Injectable } from '@nestjs/common';
import {
  BatchProblem,
  CompressionType,
  batchSizeAt,
  checkBatch,
  compressionOf,
  isControlBatch,
  isTransactionalBatch,
  readBatchHeader,
} from '@runnel/records';
import type { PartitionLog } from '@runnel/storage';
import { EngineService } from './engine.service';
import { toDomainError } from './error-mapping';
import { DomainErrorKind } from './errors';
import { ProducerStateService, lastSequenceOf } from './idempotence';
import { MetricsService } from './metrics.service';

export type RawProduceProblem =
  | 'unknown_topic_or_partition'
  | 'invalid_topic'
  | 'corrupt_message'
  | 'invalid_record'
  | 'message_too_large'
  | 'unsupported_compression'
  | 'invalid_txn_state'
  | 'out_of_order_sequence'
  | 'invalid_producer_epoch'
  | 'not_available'
  | 'storage'
  | 'unknown';

export interface RawProduceResult {
  problem: RawProduceProblem | null;
  message: string | null;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

/** Kafka's acks: -1 (all in-sync replicas, here: fsynced), 1 (leader), 0 (no answer). */
export type WireAcks = -1 | 0 | 1;

const COMPRESSION_CODEC_MAX = CompressionType.Zstd;

function refused(problem: RawProduceProblem, message: string, log?: PartitionLog): RawProduceResult {
  return { problem, message, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: log ? log.logStartOffset : -1n };
}

@Injectable()
export class RawProduceService {
  constructor(
    private readonly engine: EngineService,
    private readonly producers: ProducerStateService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Appends one client batch to `topic`-`partition`. Returns synchronously when refused, a
   * promise that resolves once the acks policy is met otherwise (for acks=0 it never rejects).
   */
  append(topic: string, partition: number, records: Buffer | null, acks: WireAcks): RawProduceResult | Promise<RawProduceResult> {
    const t = this.engine.image.topic(topic);
    if (t === undefined || !(partition >= 0 && partition < t.partitions.length)) {
      return refused('unknown_topic_or_partition', `${topic}-${partition} does not exist on this broker.`);
    }
    if (t.internal) return refused('invalid_topic', `${topic} is internal to the broker; clients cannot produce to it.`);
    const log = this.engine.logs.getLog(topic, partition);
    if (log === undefined || log.closed) return refused('not_available', `${topic}-${partition} is not open on this broker yet; retry.`);
    if (records === null || records.length === 0) return refused('corrupt_message', 'the produce request holds no record batch.', log);
    const problem = checkBatch(records, 0, records.length);
    if (problem !== BatchProblem.Ok) {
      const kind = problem === BatchProblem.BadMagic || problem === BatchProblem.BadOffsets ? 'invalid_record' : 'corrupt_message';
      return refused(kind, `the record batch is invalid (${BatchProblem[problem]}); nothing was written.`, log);
    }
    const h = readBatchHeader(records, 0);
    const size = batchSizeAt(records, 0);
    if (size !== records.length) {
      return refused('invalid_record', `a produce request must hold exactly one record batch per partition (got ${records.length} bytes, the first batch has ${size}).`, log);
    }
    if (size > log.config.maxMessageBytes) {
      return refused('message_too_large', `the batch is ${size} bytes, larger than max.message.bytes=${log.config.maxMessageBytes} of ${topic}.`, log);
    }
    const compression = compressionOf(h.attributes);
    if (compression > COMPRESSION_CODEC_MAX) return refused('unsupported_compression', `compression codec ${compression} is unknown.`, log);
    if (isControlBatch(h.attributes)) return refused('invalid_record', 'clients may not produce control batches.', log);
    if (isTransactionalBatch(h.attributes)) return refused('invalid_txn_state', 'transactions are not supported by this broker yet.', log);
    if (h.recordsCount < 1) return refused('invalid_record', 'the batch holds no records.', log);

    const idempotent = h.producerId >= 0n;
    const lastSeq = idempotent ? lastSequenceOf(h.baseSequence, h.lastOffsetDelta) : -1;
    if (idempotent) {
      if (h.baseSequence < 0 || h.producerEpoch < 0) return refused('invalid_record', `producer ${h.producerId} sent a batch without a sequence or epoch.`, log);
      const check = this.producers.check(log, h.producerId, h.producerEpoch, h.baseSequence, lastSeq);
      switch (check.kind) {
        case 'duplicate':
          return { problem: null, message: null, baseOffset: check.batch.firstOffset, logAppendTimeMs: -1n, logStartOffset: log.logStartOffset };
        case 'out_of_order':
          return refused('out_of_order_sequence', check.message, log);
        case 'invalid_epoch':
          return refused('invalid_producer_epoch', check.message, log);
        case 'append':
          break;
      }
    }

    const before = log.nextAppendOffset;
    // Offsets are assigned synchronously inside append() (the write is gathered to the end of the
    // turn), so the producer state is updated before another request can check it.
    // checkBatch above verified the CRC of exactly these bytes: the log checks only the framing.
    const pending = log.append(records, { durable: acks === -1, crcVerified: true });
    const appended = log.nextAppendOffset > before;
    if (appended) {
      this.metrics.produced(topic, h.recordsCount, size);
      if (idempotent) this.producers.record(log, h.producerId, h.producerEpoch, { firstSeq: h.baseSequence, lastSeq, firstOffset: before, lastOffset: log.nextAppendOffset - 1n });
    }
    const settle = pending.then(
      (info): RawProduceResult => ({ problem: null, message: null, baseOffset: info.firstOffset, logAppendTimeMs: info.logAppendTimeMs, logStartOffset: log.logStartOffset }),
      (e: unknown): RawProduceResult => {
        // The write failed (the log cut it back): a retry of this batch must be appended, not answered as a duplicate.
        if (appended && idempotent) this.producers.forget(log, h.producerId, before);
        const d = toDomainError(e);
        const kind: RawProduceProblem =
          d?.kind === DomainErrorKind.TooLarge ? 'message_too_large' : d?.kind === DomainErrorKind.InvalidPayload ? 'corrupt_message' : d?.kind === DomainErrorKind.NotAvailable ? 'not_available' : d?.kind === DomainErrorKind.Storage ? 'storage' : 'unknown';
        return refused(kind, d?.message ?? String(e), log);
      },
    );
    return settle;
  }
}
