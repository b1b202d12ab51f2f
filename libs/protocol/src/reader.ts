import { STRING_BYTES_MAX, UUID_BYTES, UVARINT32_BYTES_MAX } from './constants';
import { ProtocolError } from './errors';

/**
 * A bounds-checked cursor over one frame, used by the generated decoders.
 *
 * Every read checks the bytes that remain first and throws a ProtocolError, never a RangeError:
 * decoding garbage must only ever fail with ProtocolError. Lengths read off the wire are checked
 * against what remains before anything is allocated, so an array claiming 2^31 elements fails at
 * once. `bytes`/`records` are returned as views (subarray) of the input buffer, not copies: they
 * stay valid as long as the caller keeps the frame.
 *
 * `flex` selects the compact encodings of flexible versions (unsigned varint lengths plus one).
 */
export class Reader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new ProtocolError('invalid_length', `reader range [${offset}, ${end}) outside ${buf.length} bytes`);
    }
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.end) {
      throw new ProtocolError('truncated', `need ${bytes} bytes at ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  bool(): boolean {
    this.need(1);
    return this.buf[this.offset++] !== 0;
  }

  int16(): number {
    this.need(2);
    const value = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  uint16(): number {
    this.need(2);
    const value = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  int64(): bigint {
    this.need(8);
    const value = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  float64(): number {
    this.need(8);
    const value = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return value;
  }

  /** A UUID as Kafka prints it: 22 characters of URL-safe base64 without padding. */
  uuid(): string {
    this.need(UUID_BYTES);
    const value = this.buf.toString('base64url', this.offset, this.offset + UUID_BYTES);
    this.offset += UUID_BYTES;
    return value;
  }

  /** An unsigned varint of at most 32 bits (5 bytes). */
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < UVARINT32_BYTES_MAX; i++) {
      if (this.offset >= this.end) throw new ProtocolError('truncated', 'varint runs past the end');
      const byte = this.buf[this.offset++]!;
      if (i === UVARINT32_BYTES_MAX - 1 && byte > 0x0f) {
        throw new ProtocolError('varint_too_long', 'unsigned varint exceeds 32 bits');
      }
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
    }
    throw new ProtocolError('varint_too_long', `unsigned varint longer than ${UVARINT32_BYTES_MAX} bytes`);
  }

  /** A length prefix: -1 means null; anything else must fit in what remains. */
  private length(flex: boolean, wide: boolean): number {
    const length = flex ? this.uvarint() - 1 : wide ? this.int32() : this.int16();
    if (length < -1) throw new ProtocolError('invalid_length', `negative length ${length}`);
    if (length > this.end - this.offset) {
      throw new ProtocolError('invalid_length', `length ${length} exceeds the ${this.end - this.offset} bytes left`);
    }
    return length;
  }

  nullableString(flex: boolean): string | null {
    const length = this.length(flex, false);
    if (length < 0) return null;
    if (length > STRING_BYTES_MAX) throw new ProtocolError('string_too_long', `string of ${length} bytes`);
    const value = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  string(flex: boolean): string {
    const value = this.nullableString(flex);
    if (value === null) throw new ProtocolError('null_not_allowed', 'null for a non-nullable string');
    return value;
  }

  nullableBytes(flex: boolean): Buffer | null {
    const length = this.length(flex, true);
    if (length < 0) return null;
    const value = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  bytes(flex: boolean): Buffer {
    const value = this.nullableBytes(flex);
    if (value === null) throw new ProtocolError('null_not_allowed', 'null for non-nullable bytes');
    return value;
  }

  /** An array length, -1 for null. Each element takes at least one byte, so a claim larger than what remains fails. */
  nullableArrayLength(flex: boolean): number {
    return this.length(flex, true);
  }

  arrayLength(flex: boolean): number {
    const length = this.length(flex, true);
    if (length < 0) throw new ProtocolError('null_not_allowed', 'null for a non-nullable array');
    return length;
  }

  /** The presence marker of a nullable struct: -1 null, anything else present. */
  structPresent(): boolean {
    return this.int8() >= 0;
  }

  skip(bytes: number): void {
    this.need(bytes);
    this.offset += bytes;
  }

  /** Skip the tagged fields section of a flexible struct (unknown tags are ignored, as Kafka does). */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }

  /** Check that a tagged field's value used exactly the size its prefix claimed. */
  expectOffset(offset: number, what: string): void {
    if (this.offset !== offset) {
      throw new ProtocolError('invalid_length', `${what}: tagged field size disagrees with its content`);
    }
  }
}
