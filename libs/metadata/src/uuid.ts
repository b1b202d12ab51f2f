/**
 * Kafka Uuids (topic ids, incarnation ids, cluster ids) in Kafka's text form: the 16 bytes as
 * unpadded base64url, 22 characters, as `kafka-topics --describe` prints them. The wire door turns
 * them into the 16 bytes of the protocol with `uuidToBytes`.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';

export type RandomBytes = (size: number) => Buffer;

export const UUID_BYTES = 16;
/** Draws before giving up (a good source almost always needs one: 1 in 64 ids starts with '-'). */
export const UUID_ATTEMPTS_MAX = 100;
/** Kafka's Uuid.ZERO_UUID and Uuid.METADATA_TOPIC_ID: never handed out as an id. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

export function uuidFromBytes(bytes: Buffer): string {
  if (bytes.length !== UUID_BYTES) throw new Error(`uuid: ${bytes.length} bytes, expected ${UUID_BYTES}`);
  return bytes.toString('base64url');
}

export function uuidToBytes(uuid: string): Buffer {
  const bytes = Buffer.from(uuid, 'base64url');
  if (bytes.length !== UUID_BYTES || bytes.toString('base64url') !== uuid) throw new Error(`uuid: "${uuid}" is not a Kafka Uuid string`);
  return bytes;
}

/** As Kafka's Uuid.randomUuid: skips the reserved ids and ids whose text starts with '-'. */
export function randomUuid(randomBytes: RandomBytes = cryptoRandomBytes, isTaken: (uuid: string) => boolean = () => false): string {
  for (let attempt = 0; attempt < UUID_ATTEMPTS_MAX; attempt++) {
    const uuid = uuidFromBytes(randomBytes(UUID_BYTES));
    if (uuid !== ZERO_UUID && uuid !== METADATA_TOPIC_ID && !uuid.startsWith('-') && !isTaken(uuid)) return uuid;
  }
  throw new Error(`uuid: no usable id in ${UUID_ATTEMPTS_MAX} draws: the random source is broken`);
}
