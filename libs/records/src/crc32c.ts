import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C (Castagnoli), the checksum of Kafka's record batch v2. Native, SSE4.2-accelerated. */
export function crc32c(data: Uint8Array): number {
  return nativeCrc32c(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)) >>> 0;
}
