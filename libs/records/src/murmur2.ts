/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`) and the default partitioner's
 * key -> partition mapping, `toPositive(murmur2(key)) % numPartitions`. The Java code works on
 * 32-bit ints with wrap-around multiplication; `Math.imul` and `>>>` reproduce that exactly.
 */
import { MURMUR2_SEED, PARTITIONS_MAX } from './constants';
import { RecordsErrorCode, recordsError } from './errors';

const M = 0x5bd1e995;
const R = 24;

/** Kafka's murmur2 of `key`, as a signed int32 (the same number Java returns). */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = (MURMUR2_SEED ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= key[length4 + 2]! << 16;
  if (tail >= 2) h ^= key[length4 + 1]! << 8;
  if (tail >= 1) {
    h ^= key[length4]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** The partition Kafka's Java producer picks for a non-null key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > PARTITIONS_MAX) {
    throw recordsError(RecordsErrorCode.InvalidArgument, `partitionCount ${partitionCount} must be an integer in [1, ${PARTITIONS_MAX}]`);
  }
  return toPositive(murmur2(key)) % partitionCount;
}
