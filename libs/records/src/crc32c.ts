import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import type { Crc32c, Crc32cNative } from 'runnel-crc32c-native';

/**
 * CRC-32C (Castagnoli), the checksum of Kafka's record batch v2.
 *
 * On x86-64 with SSE4.2 + PCLMULQDQ: our addon `runnel-crc32c-native` (libs/records/native). With
 * AVX-512 + VPCLMULQDQ (checked at run time), inputs of `vpclmulMinBytes` (256) and more are folded 64
 * bytes per carry-less multiply, ~2x the three interleaved CRC32 streams used below that size and on
 * other x86-64 CPUs, themselves ~4x @node-rs/crc32 (one stream). Otherwise, or when the addon did not
 * build or load: @node-rs/crc32 (hardware CRC on x86-64 and arm64 too).
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
/** The addon's hardware paths by its `implementation`; its software path is slower than @node-rs/crc32, so not used. */
const nativePath: 'native-vpclmul' | 'native-3way' | null = !native.loaded
  ? null
  : native.implementation === 'x86-64-avx512-vpclmul'
    ? 'native-vpclmul'
    : native.implementation === 'x86-64-sse4.2-3way'
      ? 'native-3way'
      : null;
const nativeFast: Crc32c | null = native.loaded && nativePath !== null ? native.crc32c : null;

/**
 * 'native-vpclmul': the addon's VPCLMULQDQ folding from `vpclmulMinBytes` (256) on, its 3-way path
 * below; 'native-3way': the 3-way path; 'node-rs': @node-rs/crc32.
 */
export type Crc32cImplementation = 'native-vpclmul' | 'native-3way' | 'node-rs';
/** Which implementation `crc32c` uses (benchmarks print it). */
export const crc32cImplementation: Crc32cImplementation = nativePath ?? 'node-rs';
/** Why the addon is not in use ('' when it is). */
export const crc32cNativeProblem: string = nativeFast
  ? ''
  : native.loaded
    ? `the addon has only its portable path here (${native.implementation})`
    : `the addon did not load (build it: node libs/records/native/build.js): ${native.error}`;

/** CRC-32C of `data` (unsigned). The addon is faster than @node-rs/crc32 at every size measured (16 B to 1 MiB); it picks its path by size itself. */
export function crc32c(data: Uint8Array): number {
  if (nativeFast !== null) return nativeFast(data);
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return nodeRsCrc32c(buffer) >>> 0;
}
