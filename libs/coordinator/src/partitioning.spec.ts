import fc from 'fast-check';
import { groupPartition, javaStringHashCode, kafkaAbs } from './partitioning';

/** Java's definition written independently: the polynomial in exact BigInt, then wrapped to int32. */
function javaOracle(value: string): number {
  let sum = 0n;
  const n = value.length;
  for (let i = 0; i < n; i++) sum += BigInt(value.charCodeAt(i)) * 31n ** BigInt(n - 1 - i);
  return Number(BigInt.asIntN(32, sum));
}

describe('javaStringHashCode', () => {
  it('agrees with the exact polynomial wrapped to int32 (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => expect(javaStringHashCode(s)).toBe(javaOracle(s))), { numRuns: 300 });
  });

  it('matches Java String.hashCode on known values', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    // A classic collision: both are 2112 in Java.
    expect(javaStringHashCode('Aa')).toBe(2112);
    expect(javaStringHashCode('BB')).toBe(2112);
    // Integer.MIN_VALUE exactly.
    expect(javaStringHashCode('polygenelubricants')).toBe(-0x8000_0000);
  });

  it('hashes UTF-16 code units, not bytes or code points', () => {
    // U+1F600 is the surrogate pair D83D DE00: 0xD83D * 31 + 0xDE00.
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
    expect(javaStringHashCode('é')).toBe(0xe9);
  });
});

describe('kafkaAbs and groupPartition', () => {
  it('maps Integer.MIN_VALUE to 0 like Utils.abs', () => {
    expect(kafkaAbs(-0x8000_0000)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(() => kafkaAbs(2 ** 31)).toThrow();
    expect(groupPartition('polygenelubricants', 50)).toBe(0);
  });

  it('is abs(hashCode) % partitions', () => {
    expect(groupPartition('hello', 50)).toBe(99162322 % 50);
    // Values printed by a JVM: s.hashCode() and Utils.abs(s.hashCode()) % 50.
    expect(javaStringHashCode('hello world, this is long')).toBe(2047144808);
    expect(groupPartition('hello world, this is long', 50)).toBe(8);
    expect(javaStringHashCode('my-group')).toBe(-1906497762);
    expect(groupPartition('my-group', 50)).toBe(12);
    expect(groupPartition('console-consumer-12345', 50)).toBe(6);
    expect(groupPartition('anything', 1)).toBe(0);
    expect(() => groupPartition('x', 0)).toThrow();
  });
});
