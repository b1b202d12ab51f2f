import type { PartitionLog } from '@runnel/storage';
import type { FetchService, PartitionFetch } from '../core/fetch.service';
import { SHARED_READS_PER_PARTITION_MAX } from './constants';
import { LiveReader } from './live-reader';

/** A FetchService whose reads resolve when the test says, returning `count` records from `offset`. */
function fakeFetch(): { service: FetchService; calls: number; settle(count: number): Promise<void>; fail(): Promise<void> } {
  const pending: { offset: bigint; resolve(f: PartitionFetch): void; reject(e: Error): void }[] = [];
  const state = {
    calls: 0,
    service: {
      read: (_log: PartitionLog, offset: bigint) =>
        new Promise<PartitionFetch>((resolve, reject) => {
          state.calls++;
          pending.push({ offset, resolve, reject });
        }),
    } as unknown as FetchService,
    async settle(count: number): Promise<void> {
      const p = pending.shift()!;
      const records = Array.from({ length: count }, (_, i) => ({ topic: 't', partition: 0, offset: p.offset + BigInt(i), timestampMs: 0n, key: null, value: Buffer.from('1'), headers: [] }));
      p.resolve({ records, nextOffset: p.offset + BigInt(count), highWatermark: 100n, logStartOffset: 0n, bytes: count });
      await new Promise((r) => setImmediate(r));
    },
    async fail(): Promise<void> {
      pending.shift()!.reject(new Error('closed'));
      await new Promise((r) => setImmediate(r));
    },
  };
  return state;
}

const log = {} as PartitionLog;

describe('LiveReader shared reads', () => {
  it('shares one read per offset and format, and peeks it once it settled non-empty', async () => {
    const fetch = fakeFetch();
    const reader = new LiveReader(fetch.service);
    const a = reader.read(log, 0n, 'json');
    expect(reader.read(log, 0n, 'json')).toBe(a);
    expect(reader.peek(log, 0n, 'json')).toBeUndefined();
    void reader.read(log, 0n, 'string');
    expect(fetch.calls).toBe(2);
    await fetch.settle(2);
    const chunk = await a;
    expect(chunk.records).toHaveLength(2);
    expect(reader.peek(log, 0n, 'json')).toBe(chunk);
    expect(reader.peek(log, 0n, 'string')).toBeUndefined();
  });

  it('keeps neither empty nor failed reads', async () => {
    const fetch = fakeFetch();
    const reader = new LiveReader(fetch.service);
    const empty = reader.read(log, 5n, 'json');
    await fetch.settle(0);
    expect((await empty).records).toHaveLength(0);
    expect(reader.peek(log, 5n, 'json')).toBeUndefined();
    expect(reader.read(log, 5n, 'json')).not.toBe(empty);
    await fetch.settle(1);
    const failed = reader.read(log, 9n, 'json');
    failed.catch(() => undefined);
    await fetch.fail();
    expect(reader.read(log, 9n, 'json')).not.toBe(failed);
  });

  it(`keeps the ${SHARED_READS_PER_PARTITION_MAX} latest reads per partition`, async () => {
    const fetch = fakeFetch();
    const reader = new LiveReader(fetch.service);
    const first = reader.read(log, 0n, 'json');
    await fetch.settle(1);
    expect(reader.peek(log, 0n, 'json')).toBe(await first);
    for (let i = 1; i <= SHARED_READS_PER_PARTITION_MAX; i++) {
      void reader.read(log, BigInt(i), 'json');
      await fetch.settle(1);
    }
    expect(reader.peek(log, 0n, 'json')).toBeUndefined();
    expect(reader.peek(log, 1n, 'json')).toBeDefined();
  });
});
