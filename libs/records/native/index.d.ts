declare namespace native {
  /** CRC-32C of `data`'s bytes (any ArrayBufferView; byteOffset honoured; no copy). `initial` continues a previous result. Unsigned. */
  type Crc32c = (data: ArrayBufferView, initial?: number) => number;

  type Crc32cNative =
    | {
        loaded: true;
        /** The fastest path this CPU has (see `implementation`). */
        crc32c: Crc32c;
        /** The portable slicing-by-8 path whatever the CPU (for tests). */
        crc32cPortable: Crc32c;
        /** 'x86-64-sse4.2-3way' or 'portable-slicing-by-8'. */
        implementation: string;
      }
    | { loaded: false; error: string };
}

/** The addon, or `{ loaded: false, error }` when build/Release/runnel_crc32c.node is missing or does not load. */
declare const native: native.Crc32cNative;
export = native;
