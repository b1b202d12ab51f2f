declare namespace native {
  /** CRC-32C of `data`'s bytes (any ArrayBufferView; byteOffset honoured; no copy). `initial` continues a previous result. Unsigned. */
  type Crc32c = (data: ArrayBufferView, initial?: number) => number;

  type Crc32cNative =
    | {
        loaded: true;
        /** The fastest path this CPU has (see `implementation`); with VPCLMULQDQ, the 3-way path below `vpclmulMinBytes`. */
        crc32c: Crc32c;
        /** The portable slicing-by-8 path whatever the CPU (for tests). */
        crc32cPortable: Crc32c;
        /** The SSE4.2 3-way path at any length, or null without SSE4.2 + PCLMULQDQ (for tests and benchmarks). */
        crc32c3way: Crc32c | null;
        /** The AVX-512 VPCLMULQDQ folding path at any length, or null when the CPU/OS lacks it (for tests and benchmarks). */
        crc32cVpclmul: Crc32c | null;
        /** 'x86-64-avx512-vpclmul', 'x86-64-sse4.2-3way' or 'portable-slicing-by-8': the best path this CPU has. */
        implementation: string;
        /** From this length on `crc32c` takes the VPCLMULQDQ path (0 when the CPU lacks it). */
        vpclmulMinBytes: number;
      }
    | { loaded: false; error: string };
}

/** The addon, or `{ loaded: false, error }` when build/Release/runnel_crc32c.node is missing or does not load. */
declare const native: native.Crc32cNative;
export = native;
