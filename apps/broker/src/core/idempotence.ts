/**
 * Idempotent producers: producer ids, and per producer and partition the epoch and sequence
 * checks of Kafka's ProducerStateManager.
 *
 * State per partition log: for each producer id, its current epoch and the last
 * PRODUCER_BATCHES_CACHED batches it appended (first/last sequence, first/last offset), so a
 * retried batch is recognised and answered with its original offsets instead of being appended
 * twice. The state is not persisted: on the first idempotent append to a partition after a
 * start, it is rebuilt from the batch headers at the tail of the log (at most
 * PRODUCER_STATE_SCAN_OFFSETS offsets and PRODUCER_STATE_SCAN_BYTES bytes; a producer that has
 * not written in that window is forgotten, and then, like an expired producer in Kafka, accepted
 * with whatever sequence it sends next).
 *
 * Rules for a batch (producerId, epoch, firstSeq..lastSeq) against the entry of that producer:
 *   no entry                       -> append (a new or forgotten producer)
 *   epoch < entry.epoch            -> INVALID_PRODUCER_EPOCH (a zombie of an older session)
 *   epoch > entry.epoch            -> firstSeq must be 0 (a bumped epoch restarts at 0), else OUT_OF_ORDER
 *   same epoch, cached first/last  -> duplicate: the original offsets, nothing appended
 *   same epoch, firstSeq == next   -> append
 *   same epoch, otherwise          -> OUT_OF_ORDER_SEQUENCE_NUMBER
 * Sequences are int32 and wrap from 2^31-1 to 0, as in Kafka.
 *
 * Every check and the state update around an append run synchronously (the log assigns offsets
 * synchronously; its write is gathered to the end of the turn), so two requests for the same
 * partition cannot interleave between them. When a gathered write fails, the log cuts it back and
 * the batches it held are forgotten here, so their retries are appended.
 */
import { Injectable } from '@nestjs/common';
import { isControlBatch } from '@runnel/records';
import type { PartitionLog } from '@runnel/storage';
import { EngineService, scanBatchHeaders } from './engine.service';

/** Kafka keeps the metadata of the last five batches per producer (max.in.flight.requests <= 5). */
export const PRODUCER_BATCHES_CACHED = 5;
/** Producers remembered per partition; the least recently written is forgotten beyond this. */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;
/** How far back from the log end the state is rebuilt after a start, in offsets and in bytes. */
export const PRODUCER_STATE_SCAN_OFFSETS = 200_000n;
export const PRODUCER_STATE_SCAN_BYTES = 64 * 1024 * 1024;
/** One read of the rebuild scan. */
export const PRODUCER_STATE_SCAN_CHUNK_BYTES = 1024 * 1024;
/** Producer ids taken from the metadata log per allocation. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const SEQUENCE_MAX = 0x7fffffff;

export interface ProducerBatchMeta {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_CACHED. */
  batches: ProducerBatchMeta[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: ProducerBatchMeta }
  | { kind: 'out_of_order'; message: string }
  | { kind: 'invalid_epoch'; message: string };

export function lastSequenceOf(firstSeq: number, lastOffsetDelta: number): number {
  const last = firstSeq + lastOffsetDelta;
  return last > SEQUENCE_MAX ? last - SEQUENCE_MAX - 1 : last;
}

function nextSequence(seq: number): number {
  return seq === SEQUENCE_MAX ? 0 : seq + 1;
}

/** The producers of one partition log (a Map keeps insertion order: re-inserting on write makes it an LRU). */
export class PartitionProducers {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return { kind: 'append' };
    if (epoch < entry.epoch) {
      return { kind: 'invalid_epoch', message: `producer ${producerId} epoch ${epoch} is older than the current epoch ${entry.epoch}; this producer was replaced.` };
    }
    if (epoch > entry.epoch) {
      if (firstSeq === 0) return { kind: 'append' };
      return { kind: 'out_of_order', message: `producer ${producerId} started epoch ${epoch} at sequence ${firstSeq}; a new epoch starts at 0.` };
    }
    for (const b of entry.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', batch: b };
    const last = entry.batches.at(-1);
    if (last === undefined) return { kind: 'append' };
    const expected = nextSequence(last.lastSeq);
    if (firstSeq === expected) return { kind: 'append' };
    return { kind: 'out_of_order', message: `producer ${producerId} epoch ${epoch} sent sequence ${firstSeq}, expected ${expected}.` };
  }

  record(producerId: bigint, epoch: number, batch: ProducerBatchMeta): void {
    let entry = this.producers.get(producerId);
    if (entry !== undefined) this.producers.delete(producerId);
    if (entry === undefined || epoch !== entry.epoch) entry = { epoch, batches: [] };
    entry.batches.push(batch);
    if (entry.batches.length > PRODUCER_BATCHES_CACHED) entry.batches.shift();
    this.producers.set(producerId, entry);
    if (this.producers.size > PRODUCERS_PER_PARTITION_MAX) {
      const oldest = this.producers.keys().next();
      if (oldest.done !== true) this.producers.delete(oldest.value);
    }
  }

  /** Drops the batches of `producerId` from `firstOffset` on (their write failed); an entry left empty is dropped. */
  forget(producerId: bigint, firstOffset: bigint): void {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return;
    entry.batches = entry.batches.filter((b) => b.firstOffset < firstOffset);
    if (entry.batches.length === 0) this.producers.delete(producerId);
  }
}

/** Producer state of every partition log, rebuilt lazily; keyed by the log object, so a re-created topic starts empty. */
@Injectable()
export class ProducerStateService {
  private readonly states = new WeakMap<PartitionLog, PartitionProducers>();
  private block: { next: bigint; end: bigint } | null = null;
  private allocating: Promise<void> | null = null;

  constructor(private readonly engine: EngineService) {}

  /** The producers of `log`, rebuilt from its tail on first use. Synchronous. */
  private stateOf(log: PartitionLog): PartitionProducers {
    let state = this.states.get(log);
    if (state === undefined) {
      state = rebuild(log);
      this.states.set(log, state);
    }
    return state;
  }

  check(log: PartitionLog, producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    return this.stateOf(log).check(producerId, epoch, firstSeq, lastSeq);
  }

  record(log: PartitionLog, producerId: bigint, epoch: number, batch: ProducerBatchMeta): void {
    this.stateOf(log).record(producerId, epoch, batch);
  }

  forget(log: PartitionLog, producerId: bigint, firstOffset: bigint): void {
    this.stateOf(log).forget(producerId, firstOffset);
  }

  /** A fresh producer id (InitProducerId without a transactional id: always a new id, epoch 0, as in Kafka). */
  async newProducerId(): Promise<bigint> {
    for (;;) {
      const block = this.block;
      if (block !== null && block.next < block.end) {
        const id = block.next;
        block.next++;
        return id;
      }
      this.allocating ??= this.engine.metadata
        .allocateProducerIds(this.engine.config.nodeId, PRODUCER_ID_BLOCK_SIZE)
        .then((b) => {
          this.block = { next: b.firstProducerId, end: b.firstProducerId + BigInt(b.count) };
        })
        .finally(() => {
          this.allocating = null;
        });
      await this.allocating;
    }
  }
}

/** Rebuilds a partition's producers from the batch headers of its tail (bounded, synchronous). */
function rebuild(log: PartitionLog): PartitionProducers {
  const state = new PartitionProducers();
  const end = log.logEndOffset;
  scanBatchHeaders(log, end - PRODUCER_STATE_SCAN_OFFSETS, end, { chunkBytes: PRODUCER_STATE_SCAN_CHUNK_BYTES, bytesMax: PRODUCER_STATE_SCAN_BYTES }, (h) => {
    if (h.producerId >= 0n && !isControlBatch(h.attributes) && h.baseSequence >= 0) {
      state.record(h.producerId, h.producerEpoch, {
        firstSeq: h.baseSequence,
        lastSeq: lastSequenceOf(h.baseSequence, h.lastOffsetDelta),
        firstOffset: h.baseOffset,
        lastOffset: h.baseOffset + BigInt(h.lastOffsetDelta),
      });
    }
    return true;
  });
  return state;
}
