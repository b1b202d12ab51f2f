/**
 * Kafka's classic (non-flexible) primitive encodings, big-endian: int16/int32/int64, strings with
 * an int16 length (-1 = null), bytes with an int32 length (-1 = null), arrays with an int32 count.
 * These are the encodings of the consumer protocol and of `__consumer_offsets` keys and values.
 * The reader checks every length against the bytes left, so bad input throws `CoordinatorError`
 * and never a RangeError or a huge allocation.
 */
import { CoordinatorError, CoordinatorErrorKind } from './errors';
import { NAME_BYTES_MAX } from './constants';

const INITIAL_BYTES = 256;

export class BinaryWriter {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private position = 0;

  private ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.position + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.position);
    this.buffer = next;
  }

  int16(value: number): this {
    this.ensure(2);
    this.buffer.writeInt16BE(value, this.position);
    this.position += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  int64(value: bigint): this {
    this.ensure(8);
    this.buffer.writeBigInt64BE(value, this.position);
    this.position += 8;
    return this;
  }

  string(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    if (length > NAME_BYTES_MAX) throw new CoordinatorError(CoordinatorErrorKind.InvalidArgument, `string of ${length} bytes exceeds int16`);
    this.int16(length);
    this.ensure(length);
    this.buffer.write(value, this.position, 'utf8');
    this.position += length;
    return this;
  }

  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }

  bytes(value: Buffer): this {
    this.int32(value.length);
    this.ensure(value.length);
    value.copy(this.buffer, this.position);
    this.position += value.length;
    return this;
  }

  nullableBytes(value: Buffer | null): this {
    return value === null ? this.int32(-1) : this.bytes(value);
  }

  array<T>(items: readonly T[], write: (item: T) => void): this {
    this.int32(items.length);
    for (const item of items) write(item);
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.position));
  }
}

export class BinaryReader {
  private position = 0;

  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  private need(bytes: number, field: string): void {
    if (bytes > this.remaining) {
      throw new CoordinatorError(CoordinatorErrorKind.Truncated, `${this.what}: ${field} needs ${bytes} bytes, ${this.remaining} left`);
    }
  }

  int16(field: string): number {
    this.need(2, field);
    const value = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  int32(field: string): number {
    this.need(4, field);
    const value = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  int64(field: string): bigint {
    this.need(8, field);
    const value = this.buffer.readBigInt64BE(this.position);
    this.position += 8;
    return value;
  }

  nullableString(field: string): string | null {
    const length = this.int16(field);
    if (length === -1) return null;
    if (length < 0) throw new CoordinatorError(CoordinatorErrorKind.BadLength, `${this.what}: ${field} has length ${length}`);
    this.need(length, field);
    const value = this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length;
    return value;
  }

  string(field: string): string {
    const value = this.nullableString(field);
    if (value === null) throw new CoordinatorError(CoordinatorErrorKind.BadLength, `${this.what}: ${field} is null`);
    return value;
  }

  nullableBytes(field: string): Buffer | null {
    const length = this.int32(field);
    if (length === -1) return null;
    if (length < 0) throw new CoordinatorError(CoordinatorErrorKind.BadLength, `${this.what}: ${field} has length ${length}`);
    this.need(length, field);
    const value = Buffer.from(this.buffer.subarray(this.position, this.position + length));
    this.position += length;
    return value;
  }

  bytes(field: string): Buffer {
    const value = this.nullableBytes(field);
    if (value === null) throw new CoordinatorError(CoordinatorErrorKind.BadLength, `${this.what}: ${field} is null`);
    return value;
  }

  /** An int32-counted array; `minItemBytes` bounds the count by the bytes left before any loop. */
  array<T>(field: string, max: number, minItemBytes: number, read: () => T): T[] {
    const count = this.int32(field);
    if (count < 0 || count > max || count * minItemBytes > this.remaining) {
      throw new CoordinatorError(CoordinatorErrorKind.BadLength, `${this.what}: ${field} has count ${count}`);
    }
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(read());
    return items;
  }
}
