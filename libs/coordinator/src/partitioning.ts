/**
 * Which partition of `__consumer_offsets` holds a group: Kafka's
 * `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`, so a group lands on the same
 * partition number it would in a Kafka cluster with the same partition count.
 */

/** Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in int32. */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's `Utils.abs`: like Math.abs, but Integer.MIN_VALUE maps to 0 (not to itself). */
export function kafkaAbs(value: number): number {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new Error(`kafkaAbs: not an int32: ${value}`);
  return value === -0x8000_0000 ? 0 : Math.abs(value);
}

export function groupPartition(groupId: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount <= 0) throw new Error(`groupPartition: bad partition count ${partitionCount}`);
  const partition = kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
  if (!(partition >= 0 && partition < partitionCount)) throw new Error('groupPartition: result out of range');
  return partition;
}
