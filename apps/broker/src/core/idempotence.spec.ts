import { PRODUCER_BATCHES_CACHED, PRODUCERS_PER_PARTITION_MAX, PartitionProducers, lastSequenceOf } from './idempotence';

const meta = (firstSeq: number, lastSeq: number, firstOffset: number) => ({ firstSeq, lastSeq, firstOffset: BigInt(firstOffset), lastOffset: BigInt(firstOffset + (lastSeq - firstSeq)) });

describe('PartitionProducers: the epoch and sequence rules', () => {
  it('accepts any sequence from an unknown producer, then only the next one', () => {
    const s = new PartitionProducers();
    expect(s.check(7n, 0, 42, 43).kind).toBe('append');
    s.record(7n, 0, meta(42, 43, 0));
    expect(s.check(7n, 0, 44, 44).kind).toBe('append');
    expect(s.check(7n, 0, 45, 45).kind).toBe('out_of_order');
    expect(s.check(7n, 0, 40, 41).kind).toBe('out_of_order');
  });

  it('answers a retried batch among the last five with its original offsets', () => {
    const s = new PartitionProducers();
    for (let i = 0; i < 7; i++) s.record(1n, 0, meta(i * 2, i * 2 + 1, i * 10));
    for (let i = 7 - PRODUCER_BATCHES_CACHED; i < 7; i++) {
      const c = s.check(1n, 0, i * 2, i * 2 + 1);
      expect(c).toEqual({ kind: 'duplicate', batch: meta(i * 2, i * 2 + 1, i * 10) });
    }
    // Older than the cache: not recognised, and not the next sequence either.
    expect(s.check(1n, 0, 2, 3).kind).toBe('out_of_order');
    // Same first sequence but another length is not a duplicate.
    expect(s.check(1n, 0, 12, 12).kind).toBe('out_of_order');
  });

  it('forgets batches whose gathered write failed, so their retries are appended', () => {
    const s = new PartitionProducers();
    s.record(5n, 0, meta(0, 4, 0));
    s.record(5n, 0, meta(5, 9, 5));
    s.record(5n, 0, meta(10, 14, 10));
    s.forget(5n, 5n); // the write holding offsets 5.. failed
    expect(s.check(5n, 0, 5, 9).kind).toBe('append');
    expect(s.check(5n, 0, 0, 4).kind).toBe('duplicate');
    s.forget(5n, 0n);
    expect(s.size).toBe(0);
  });

  it('fences older epochs and restarts sequences at 0 on a new epoch', () => {
    const s = new PartitionProducers();
    s.record(3n, 2, meta(0, 9, 0));
    expect(s.check(3n, 1, 10, 10).kind).toBe('invalid_epoch');
    expect(s.check(3n, 3, 10, 10).kind).toBe('out_of_order');
    expect(s.check(3n, 3, 0, 0).kind).toBe('append');
    s.record(3n, 3, meta(0, 0, 10));
    expect(s.check(3n, 2, 10, 10).kind).toBe('invalid_epoch');
    // The new epoch's cache holds only its own batches.
    expect(s.check(3n, 3, 0, 0)).toEqual({ kind: 'duplicate', batch: meta(0, 0, 10) });
  });

  it('wraps sequences from 2^31-1 to 0, as Kafka does', () => {
    expect(lastSequenceOf(0x7ffffffe, 3)).toBe(1);
    expect(lastSequenceOf(5, 0)).toBe(5);
    const s = new PartitionProducers();
    s.record(9n, 0, { firstSeq: 0x7ffffffe, lastSeq: 0x7fffffff, firstOffset: 0n, lastOffset: 1n });
    expect(s.check(9n, 0, 0, 4).kind).toBe('append');
    expect(s.check(9n, 0, 1, 2).kind).toBe('out_of_order');
  });

  it('keeps producers per partition bounded, forgetting the least recently written', () => {
    const s = new PartitionProducers();
    for (let i = 0; i <= PRODUCERS_PER_PARTITION_MAX; i++) s.record(BigInt(i), 0, meta(0, 0, i));
    expect(s.size).toBe(PRODUCERS_PER_PARTITION_MAX);
    // Producer 0 was forgotten: any sequence is accepted again. Producer 1 is still known.
    expect(s.check(0n, 0, 17, 17).kind).toBe('append');
    expect(s.check(1n, 0, 17, 17).kind).toBe('out_of_order');
  });
});
