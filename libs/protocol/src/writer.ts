import { STRING_BYTES_MAX, UUID_BYTES, WRITER_BYTES_MAX, WRITER_INITIAL_BYTES } from './constants';
import { ProtocolError } from './errors';

/**
 * An append-only byte sink for the generated encoders: one Buffer that doubles when full
 * (amortised O(1) per byte), returned as a view of the written prefix by `finish()`.
 *
 * Gather mode (`gatherBytesMin` > 0) is for responses that carry stored record batches (Fetch):
 * a `bytes`/`records` value of at least that size is not copied but referenced, and `chunks()`
 * returns the message as a list of buffers for `socket.writev`/cork. The bytes written so far are
 * then frozen as a view of the current buffer, and writing continues after them.
 *
 * `flex` selects the compact encodings of flexible versions (unsigned varint length plus one).
 */
export class Writer {
  buf: Buffer;
  /** Position of the next byte in `buf`. */
  offset = 0;
  private readonly gathered: Buffer[] = [];
  /** Bytes handed to `gathered` so far. */
  private gatheredBytes = 0;
  /** Start in `buf` of the bytes not yet handed to `gathered` (0 unless gathering). */
  private segmentStart = 0;

  constructor(
    initialBytes = WRITER_INITIAL_BYTES,
    readonly gatherBytesMin = 0,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written in total. */
  get length(): number {
    return this.gatheredBytes + this.offset - this.segmentStart;
  }

  private ensure(bytes: number): void {
    const needed = this.offset + bytes;
    if (needed <= this.buf.length) return;
    if (this.length + bytes > WRITER_BYTES_MAX) throw new ProtocolError('invalid_length', `message over ${WRITER_BYTES_MAX} bytes`);
    const live = this.offset - this.segmentStart;
    let capacity = Math.max(this.buf.length * 2, 64);
    while (capacity < live + bytes) capacity *= 2;
    const grown = Buffer.allocUnsafe(Math.min(capacity, WRITER_BYTES_MAX));
    // Only bytes not yet gathered move; gathered views keep pointing at the old buffer.
    this.buf.copy(grown, 0, this.segmentStart, this.offset);
    this.buf = grown;
    this.offset = live;
    this.segmentStart = 0;
  }

  /** The bytes written (a view, not a copy). Not after gathering: use `chunks()`. */
  finish(): Buffer {
    if (this.gathered.length > 0) throw new Error('Writer.finish() after gathering: use chunks()');
    return this.buf.subarray(0, this.offset);
  }

  /** The bytes written as a list of buffers (views; referenced values are not copied). */
  chunks(): Buffer[] {
    const out = this.gathered.slice();
    if (this.offset > this.segmentStart) out.push(this.buf.subarray(this.segmentStart, this.offset));
    return out;
  }

  int8(value: number): void {
    this.ensure(1);
    this.buf.writeInt8(value, this.offset);
    this.offset += 1;
  }

  bool(value: boolean): void {
    this.ensure(1);
    this.buf[this.offset++] = value ? 1 : 0;
  }

  int16(value: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(value, this.offset);
    this.offset += 2;
  }

  uint16(value: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(value, this.offset);
    this.offset += 2;
  }

  int32(value: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(value, this.offset);
    this.offset += 4;
  }

  /** Overwrite an int32 written earlier (size prefixes); the first bytes when gathering. */
  patchInt32(offset: number, value: number): void {
    const first = this.gathered[0];
    if (first !== undefined) first.writeInt32BE(value, offset);
    else this.buf.writeInt32BE(value, offset);
  }

  int64(value: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(value, this.offset);
    this.offset += 8;
  }

  float64(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(value, this.offset);
    this.offset += 8;
  }

  uuid(value: string): void {
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length !== UUID_BYTES || bytes.toString('base64url') !== value) {
      throw new ProtocolError('invalid_value', `not a base64url UUID: ${JSON.stringify(value)}`);
    }
    this.raw(bytes);
  }

  uvarint(value: number): void {
    if (!(value >= 0 && value <= 0xffffffff && Number.isInteger(value))) {
      throw new ProtocolError('invalid_value', `unsigned varint out of range: ${value}`);
    }
    this.ensure(5);
    while (value >= 0x80) {
      this.buf[this.offset++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.offset++] = value;
  }

  raw(bytes: Buffer): void {
    if (this.gatherBytesMin > 0 && bytes.length >= this.gatherBytesMin) {
      if (this.offset > this.segmentStart) this.gathered.push(this.buf.subarray(this.segmentStart, this.offset));
      this.gathered.push(bytes);
      this.gatheredBytes += this.offset - this.segmentStart + bytes.length;
      this.segmentStart = this.offset;
      return;
    }
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.offset);
    this.offset += bytes.length;
  }

  private lengthPrefix(flex: boolean, wide: boolean, length: number): void {
    if (flex) this.uvarint(length + 1);
    else if (wide) this.int32(length);
    else this.int16(length);
  }

  nullableString(flex: boolean, value: string | null): void {
    if (value === null) {
      this.lengthPrefix(flex, false, -1);
      return;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > STRING_BYTES_MAX) throw new ProtocolError('string_too_long', `string of ${bytes} bytes`);
    this.lengthPrefix(flex, false, bytes);
    this.ensure(bytes);
    this.buf.write(value, this.offset, bytes, 'utf8');
    this.offset += bytes;
  }

  string(flex: boolean, value: string): void {
    if (value === null) throw new ProtocolError('null_not_allowed', 'null for a non-nullable string');
    this.nullableString(flex, value);
  }

  nullableBytes(flex: boolean, value: Buffer | null): void {
    if (value === null) {
      this.lengthPrefix(flex, true, -1);
      return;
    }
    this.lengthPrefix(flex, true, value.length);
    this.raw(value);
  }

  bytes(flex: boolean, value: Buffer): void {
    if (value === null) throw new ProtocolError('null_not_allowed', 'null for non-nullable bytes');
    this.nullableBytes(flex, value);
  }

  /** An array length; -1 writes null. */
  arrayLength(flex: boolean, length: number): void {
    this.lengthPrefix(flex, true, length);
  }
}
