/**
 * The one error type of this library for bad input. Decoding untrusted bytes throws only
 * `RecordsError` (never a RangeError from a Buffer read, never a codec's own error), so callers
 * can map `code` to a protocol error (CORRUPT_MESSAGE, INVALID_RECORD, ...) in one place.
 * Broken invariants of our own code still throw plain `Error`s: they are bugs, not input.
 */
export enum RecordsErrorCode {
  /** Input ends before a field does. */
  Truncated = 'TRUNCATED',
  /** A varint longer than its type allows, or with bits beyond it. */
  VarintTooLong = 'VARINT_TOO_LONG',
  BadLength = 'BAD_LENGTH',
  BadMagic = 'BAD_MAGIC',
  BadCrc = 'BAD_CRC',
  BadAttributes = 'BAD_ATTRIBUTES',
  BadRecord = 'BAD_RECORD',
  BadRecordCount = 'BAD_RECORD_COUNT',
  TooManyRecords = 'TOO_MANY_RECORDS',
  TooManyHeaders = 'TOO_MANY_HEADERS',
  BadControlRecord = 'BAD_CONTROL_RECORD',
  UnsupportedCompression = 'UNSUPPORTED_COMPRESSION',
  /** A codec needs its async variant (zstd has no sync implementation here). */
  SyncUnsupported = 'SYNC_UNSUPPORTED',
  BadCompressedData = 'BAD_COMPRESSED_DATA',
  /** Decompressing would exceed the configured ceiling (zip bomb guard). */
  DecompressedTooLarge = 'DECOMPRESSED_TOO_LARGE',
  /** An argument to an encoder is out of range (caller's input, not stored bytes). */
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class RecordsError extends Error {
  override readonly name = 'RecordsError';
  constructor(
    readonly code: RecordsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function recordsError(code: RecordsErrorCode, message: string, cause?: unknown): RecordsError {
  return cause === undefined ? new RecordsError(code, message) : new RecordsError(code, message, { cause });
}
