/**
 * Limits of the Kafka protocol codecs, in one place (TigerBeetle style: a limit on everything).
 *
 * Every length read off the wire is checked against the bytes that remain in the frame before
 * anything is allocated, so a lying length prefix fails fast; these limits bound the rest.
 */

/** Largest frame the frame reader accepts (Kafka's socket.request.max.bytes default is 100 MiB). */
export const FRAME_BYTES_MAX_DEFAULT = 100 * 1024 * 1024;
/** The 4-byte big-endian size prefix in front of every request and response. */
export const FRAME_SIZE_PREFIX_BYTES = 4;
/** Kafka strings carry at most a signed 16-bit length, compact or not (Java enforces the same). */
export const STRING_BYTES_MAX = 0x7fff;
/** An unsigned varint of 32 bits takes at most 5 bytes. */
export const UVARINT32_BYTES_MAX = 5;
/** Size of a UUID on the wire. */
export const UUID_BYTES = 16;
/** First capacity of a Writer; it doubles as needed. */
export const WRITER_INITIAL_BYTES = 256;
/** encodeResponseChunks references (does not copy) bytes/records values at least this large. */
export const GATHER_BYTES_MIN_DEFAULT = 4096;
/** Writers never grow past this (a response larger than this is a bug upstream). */
export const WRITER_BYTES_MAX = 1024 * 1024 * 1024;

function assertLimits(): void {
  if (FRAME_BYTES_MAX_DEFAULT > WRITER_BYTES_MAX) throw new Error('frame limit exceeds writer limit');
  if (WRITER_INITIAL_BYTES <= 0 || WRITER_INITIAL_BYTES > WRITER_BYTES_MAX) throw new Error('writer limits');
  if (GATHER_BYTES_MIN_DEFAULT < 1) throw new Error('gather threshold must be positive');
  if (STRING_BYTES_MAX !== 32767) throw new Error('string limit must match int16 lengths');
}
assertLimits();
