/**
 * Varints as Kafka writes them (protobuf style, little-endian base 128):
 *
 *   unsigned varint  uint32, 1-5 bytes (flexible protocol versions: compact lengths, tagged fields)
 *   varint           int32 zigzag-encoded, 1-5 bytes (record lengths, offset deltas, key lengths)
 *   varlong          int64 zigzag-encoded, 1-10 bytes (record timestamp deltas)
 *
 * Zigzag maps 0, -1, 1, -2, ... to 0, 1, 2, 3, ... so small negative numbers stay short (-1, the
 * "null" length, is one byte). Writers take a target buffer and return the next position, so the
 * batch encoder can size everything first and allocate once. Readers go through `ByteReader`, which
 * bounds every read by `end` and throws `RecordsError` (never a RangeError) on malformed input.
 */
import { VARINT_BYTES_MAX, VARLONG_BYTES_MAX } from './constants';
import { RecordsErrorCode, recordsError } from './errors';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** Numbers whose zigzag form stays an exact double: |n| < 2^52. */
const SMALL_LONG_ABS_MAX = 2 ** 52;

function assertInt32(value: number): void {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw recordsError(RecordsErrorCode.InvalidArgument, `varint value ${value} is not an int32`);
  }
}

function assertUint32(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw recordsError(RecordsErrorCode.InvalidArgument, `unsigned varint value ${value} is not a uint32`);
  }
}

function assertInt64(value: bigint): void {
  if (value < INT64_MIN || value > INT64_MAX) {
    throw recordsError(RecordsErrorCode.InvalidArgument, `varlong value ${value} is not an int64`);
  }
}

export function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

export function unzigzag32(value: number): number {
  return (value >>> 1) ^ -(value & 1);
}

export function sizeOfUnsignedVarint(value: number): number {
  assertUint32(value);
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  return 5;
}

export function sizeOfVarint(value: number): number {
  assertInt32(value);
  return sizeOfUnsignedVarint(zigzag32(value));
}

/** Size of a varlong given as a safe-integer number (the fast path for timestamp deltas). */
export function sizeOfVarlongNumber(value: number): number {
  if (!Number.isSafeInteger(value)) throw recordsError(RecordsErrorCode.InvalidArgument, `varlong value ${value} is not a safe integer`);
  if (value <= -SMALL_LONG_ABS_MAX || value >= SMALL_LONG_ABS_MAX) return sizeOfVarlong(BigInt(value));
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    bytes++;
  }
  return bytes;
}

export function sizeOfVarlong(value: bigint): number {
  assertInt64(value);
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let bytes = 1;
  while (zigzag >= 0x80n) {
    zigzag >>= 7n;
    bytes++;
  }
  return bytes;
}

function writeRawUint32(buf: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `value` (uint32) at `pos`; returns the position after it. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  assertUint32(value);
  return writeRawUint32(buf, pos, value);
}

/**
 * `writeVarint` without the range check, for encoders whose values were checked when they were
 * sized (the batch encoder's second pass). `value` must be an int32.
 */
export function writeVarintUnchecked(buf: Uint8Array, pos: number, value: number): number {
  if (value >= 0 && value < 0x40) {
    buf[pos] = value << 1;
    return pos + 1;
  }
  return writeRawUint32(buf, pos, zigzag32(value));
}

/** Writes `value` (int32, zigzag) at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  assertInt32(value);
  return writeRawUint32(buf, pos, zigzag32(value));
}

/** Writes a varlong given as a safe-integer number; returns the position after it. */
export function writeVarlongNumber(buf: Uint8Array, pos: number, value: number): number {
  if (!Number.isSafeInteger(value)) throw recordsError(RecordsErrorCode.InvalidArgument, `varlong value ${value} is not a safe integer`);
  if (value >= INT32_MIN && value <= INT32_MAX) return writeRawUint32(buf, pos, zigzag32(value));
  // Beyond 2^52 the zigzag form (2|n| or 2|n|-1) is no longer an exact double.
  if (value <= -SMALL_LONG_ABS_MAX || value >= SMALL_LONG_ABS_MAX) return writeVarlong(buf, pos, BigInt(value));
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  while (zigzag >= 0x80) {
    buf[pos++] = (zigzag % 0x80) | 0x80;
    zigzag = Math.floor(zigzag / 0x80);
  }
  buf[pos++] = zigzag;
  return pos;
}

/** Writes `value` (int64, zigzag) at `pos`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, value: bigint): number {
  assertInt64(value);
  if (value > -SMALL_LONG_ABS_MAX && value < SMALL_LONG_ABS_MAX) return writeVarlongNumber(buf, pos, Number(value));
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  while (zigzag >= 0x80n) {
    buf[pos++] = Number(zigzag & 0x7fn) | 0x80;
    zigzag >>= 7n;
  }
  buf[pos++] = Number(zigzag);
  return pos;
}

/** Convenience for tests and rare paths: a fresh buffer holding one varint. */
export function encodeVarint(value: number): Buffer {
  const buf = Buffer.allocUnsafe(sizeOfVarint(value));
  writeVarint(buf, 0, value);
  return buf;
}

export function encodeVarlong(value: bigint): Buffer {
  const buf = Buffer.allocUnsafe(sizeOfVarlong(value));
  writeVarlong(buf, 0, value);
  return buf;
}

export function encodeUnsignedVarint(value: number): Buffer {
  const buf = Buffer.allocUnsafe(sizeOfUnsignedVarint(value));
  writeUnsignedVarint(buf, 0, value);
  return buf;
}

/**
 * A bounded cursor over `buf[pos, end)`. Every read checks the bound first and throws
 * `RecordsError(Truncated)`; varints longer than their type throw `RecordsError(VarintTooLong)`.
 * `bytes(n)` returns a view (no copy) of the underlying buffer.
 */
export class ByteReader {
  pos: number;
  /** Exclusive bound; may be narrowed and widened again by the owner (records within a section). */
  end: number;

  constructor(
    readonly buf: Buffer,
    pos = 0,
    end = buf.length,
  ) {
    if (!(pos >= 0 && pos <= end && end <= buf.length)) {
      throw recordsError(RecordsErrorCode.InvalidArgument, `reader range [${pos}, ${end}) is outside a ${buf.length}-byte buffer`);
    }
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(bytes: number, what: string): void {
    if (bytes > this.end - this.pos) {
      throw recordsError(RecordsErrorCode.Truncated, `truncated ${what}: needs ${bytes} bytes at position ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  int8(what = 'int8'): number {
    this.need(1, what);
    return this.buf.readInt8(this.pos++);
  }

  int16(what = 'int16'): number {
    this.need(2, what);
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  int32(what = 'int32'): number {
    this.need(4, what);
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  uint32(what = 'uint32'): number {
    this.need(4, what);
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  int64(what = 'int64'): bigint {
    this.need(8, what);
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Unsigned varint as a uint32 number. */
  unsignedVarint(what = 'unsigned varint'): number {
    const buf = this.buf;
    const start = this.pos;
    if (start < this.end) {
      const b0 = buf[start]!;
      if (b0 < 0x80) {
        // One byte: lengths, deltas and counts of small records (the common case).
        this.pos = start + 1;
        return b0;
      }
    }
    let value = 0;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      const at = start + i;
      if (at >= this.end) throw recordsError(RecordsErrorCode.Truncated, `truncated ${what} at position ${start}`);
      const b = buf[at]!;
      if (i === VARINT_BYTES_MAX - 1) {
        if (b > 0x0f) throw recordsError(RecordsErrorCode.VarintTooLong, `${what} at position ${start} overflows 32 bits`);
        // The fifth byte holds bits 28-31: multiply, since << 28 would reach the sign bit.
        this.pos = at + 1;
        return value + b * 0x1000_0000;
      }
      value |= (b & 0x7f) << (7 * i);
      if (b < 0x80) {
        this.pos = at + 1;
        return value;
      }
    }
    throw new Error('unreachable: the loop returns or throws by its fifth byte');
  }

  /** Zigzag varint as an int32 number. */
  varint(what = 'varint'): number {
    return unzigzag32(this.unsignedVarint(what));
  }

  /** Zigzag varlong as a bigint (exact for the whole int64 range). */
  varlong(what = 'varlong'): bigint {
    const value = this.varlongNumber(what);
    return typeof value === 'bigint' ? value : BigInt(value);
  }

  /**
   * Zigzag varlong as a number when it fits exactly (|v| < 2^48, the common case for timestamp
   * deltas), otherwise as a bigint. Saves a BigInt allocation per record on the decode hot path.
   */
  varlongNumber(what = 'varlong'): number | bigint {
    const buf = this.buf;
    const start = this.pos;
    let zigzag = 0;
    let multiplier = 1;
    // Up to 7 bytes (49 bits) accumulate exactly in a double.
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw recordsError(RecordsErrorCode.Truncated, `truncated ${what} at position ${this.pos}`);
      const b = buf[this.pos++]!;
      zigzag += (b & 0x7f) * multiplier;
      if (b < 0x80) return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      multiplier *= 0x80;
    }
    this.pos = start;
    let big = 0n;
    let shift = 0n;
    for (let i = 0; i < VARLONG_BYTES_MAX; i++) {
      if (this.pos >= this.end) throw recordsError(RecordsErrorCode.Truncated, `truncated ${what} at position ${this.pos}`);
      const b = buf[this.pos++]!;
      if (i === VARLONG_BYTES_MAX - 1 && b > 0x01) {
        throw recordsError(RecordsErrorCode.VarintTooLong, `${what} at position ${start} overflows 64 bits`);
      }
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return (big >> 1n) ^ -(big & 1n);
      shift += 7n;
    }
    throw recordsError(RecordsErrorCode.VarintTooLong, `${what} at position ${start} is longer than ${VARLONG_BYTES_MAX} bytes`);
  }

  /** A view of the next `length` bytes (no copy). */
  bytes(length: number, what = 'bytes'): Buffer {
    this.need(length, what);
    const view = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return view;
  }

  utf8(length: number, what = 'string'): string {
    this.need(length, what);
    const value = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return value;
  }
}
