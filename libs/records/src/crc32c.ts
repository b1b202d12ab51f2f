import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import type { Crc32c, Crc32cNative } from 'runnel-crc32c-native';

/**
 * CRC-32C (Castagnoli), the checksum of Kafka's record batch v2.
 *
 * On x86-64 with SSE4.2 + PCLMULQDQ: our addon `runnel-crc32c-native` (libs/records/native), three
 * interleaved CRC32 streams, ~4x the throughput of @node-rs/crc32 (one stream). Otherwise, or when
 * the addon did not build or load: @node-rs/crc32 (hardware CRC on x86-64 and arm64 too).
 */
function loadNative(): Crc32cNative {
  try {
    // A plain require so that a missing package (e.g. a copied node_modules without libs/) is a fallback, not a crash.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('runnel-crc32c-native') as Crc32cNative;
  } catch (error) {
    return { loaded: false, error: error instanceof Error ? error.message : String(error) };
  }
}

const native = loadNative();
/** The addon's software path is slower than @node-rs/crc32: use the addon only for its 3-way path. */
const native3way: Crc32c | null =
  native.loaded && native.implementation === 'x86-64-sse4.2-3way' ? native.crc32c : null;

export type Crc32cImplementation = 'native-3way' | 'node-rs';
/** Which implementation `crc32c` uses (benchmarks print it). */
export const crc32cImplementation: Crc32cImplementation = native3way ? 'native-3way' : 'node-rs';
/** Why the addon is not in use ('' when it is). */
export const crc32cNativeProblem: string = native3way
  ? ''
  : native.loaded
    ? `the addon has only its portable path here (${native.implementation})`
    : `the addon did not load (build it: node libs/records/native/build.js): ${native.error}`;

/** CRC-32C of `data` (unsigned). Faster than @node-rs/crc32 at every size measured (16 B to 1 MiB), so no dispatch by size. */
export function crc32c(data: Uint8Array): number {
  if (native3way !== null) return native3way(data);
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return nodeRsCrc32c(buffer) >>> 0;
}
