import fc from 'fast-check';
import kafkajsMurmur2 from 'kafkajs/src/producer/partitioners/default/murmur2';
import { RecordsError, murmur2, partitionForKey, toPositive } from '@runnel/records';

// Property and cross-check runs are CPU-bound: on a loaded 2-core CI box they must not fail on the clock.
jest.setTimeout(120_000);

describe('murmur2 partitioner', () => {
  it("matches the published vectors of Kafka's UtilsTest and librdkafka", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
      ['1', -1993445489],
      ['12', 126087238],
      ['123', -267702483],
      ['1234', -1614185708],
      ['12345', -1188365604],
    ];
    for (const [key, hash] of vectors) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  it("agrees with kafkajs's Java-compatible DefaultPartitioner murmur2 on random keys", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (bytes, partitions) => {
        const key = Buffer.from(bytes);
        const expected = kafkajsMurmur2(key);
        expect(murmur2(key)).toBe(expected);
        expect(partitionForKey(key, partitions)).toBe(toPositive(expected) % partitions);
      }),
      { numRuns: 2000 },
    );
  });

  it('maps keys to partitions as toPositive(hash) % n, never negative', () => {
    // toPositive clears the sign bit: -973932308 & 0x7fffffff = 1173551340.
    expect(toPositive(-973932308)).toBe(1173551340);
    expect(partitionForKey(Buffer.from('21'), 10)).toBe(1173551340 % 10);
    expect(partitionForKey(Buffer.from('foobar'), 3)).toBe((-790332482 & 0x7fffffff) % 3);
    expect(() => partitionForKey(Buffer.from('a'), 0)).toThrow(RecordsError);
  });
});
