/** Shared immutable default values used by the generated codecs. */

/** The default of non-nullable `bytes` fields. Zero length, so nothing can be written into it. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** Kafka's Uuid.ZERO_UUID, in the base64url form the codecs use for UUIDs. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
