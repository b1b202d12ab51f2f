import fc from 'fast-check';
import { ProtocolError, Reader, STRING_BYTES_MAX, Writer, ZERO_UUID } from './index';

function roundTrip(write: (w: Writer) => void): Reader {
  const w = new Writer(1);
  write(w);
  return new Reader(Buffer.from(w.finish()));
}

describe('Writer and Reader', () => {
  it('round-trip unsigned varints at every length boundary', () => {
    for (const value of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 2 ** 31, 2 ** 32 - 1]) {
      const r = roundTrip((w) => w.uvarint(value));
      expect(r.uvarint()).toBe(value);
      expect(r.remaining).toBe(0);
    }
    expect(roundTrip((w) => w.uvarint(300)).buf.toString('hex')).toBe('ac02');
    expect(() => new Writer().uvarint(-1)).toThrow(ProtocolError);
    expect(() => new Writer().uvarint(2 ** 32)).toThrow(ProtocolError);
  });

  it('refuses varints over 32 bits', () => {
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f])).uvarint()).toThrow(/varint_too_long/);
    expect(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])).uvarint()).toBe(2 ** 32 - 1);
    expect(() => new Reader(Buffer.from([0x80, 0x80])).uvarint()).toThrow(/truncated/);
  });

  it('round-trip fixed-width values, strings and bytes, compact or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -32768, max: 32767 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.double({ noNaN: true }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        (i8, i16, i32, i64, f64, s, bytes, flex) => {
          const r = roundTrip((w) => {
            w.int8(i8);
            w.int16(i16);
            w.int32(i32);
            w.int64(i64);
            w.float64(f64);
            w.string(flex, s);
            w.nullableString(flex, null);
            w.bytes(flex, Buffer.from(bytes));
            w.nullableBytes(flex, null);
            w.arrayLength(flex, 0);
          });
          expect(r.int8()).toBe(i8);
          expect(r.int16()).toBe(i16);
          expect(r.int32()).toBe(i32);
          expect(r.int64()).toBe(i64);
          expect(r.float64()).toBe(f64);
          expect(r.string(flex)).toBe(s);
          expect(r.nullableString(flex)).toBeNull();
          expect(r.bytes(flex).equals(Buffer.from(bytes))).toBe(true);
          expect(r.nullableBytes(flex)).toBeNull();
          expect(r.arrayLength(flex)).toBe(0);
          expect(r.remaining).toBe(0);
        },
      ),
      { numRuns: 300, seed: 1 },
    );
  });

  it('bounds strings at 32767 bytes both ways', () => {
    expect(() => new Writer().string(true, 'x'.repeat(STRING_BYTES_MAX + 1))).toThrow(/string_too_long/);
    const w = new Writer();
    w.uvarint(STRING_BYTES_MAX + 2);
    w.raw(Buffer.alloc(STRING_BYTES_MAX + 1, 0x61));
    expect(() => new Reader(w.finish()).string(true)).toThrow(/string_too_long/);
    expect(roundTrip((x) => x.string(false, 'y'.repeat(STRING_BYTES_MAX))).string(false)).toHaveLength(STRING_BYTES_MAX);
  });

  it('checks lengths against what remains before reading', () => {
    expect(() => new Reader(Buffer.from([0, 5, 0x61])).string(false)).toThrow(/invalid_length/);
    expect(() => new Reader(Buffer.from([0xff, 0xfe])).nullableString(false)).toThrow(/invalid_length/);
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).arrayLength(false)).toThrow(/invalid_length/);
    expect(() => new Reader(Buffer.from([0, 0, 0])).int32()).toThrow(/truncated/);
    expect(() => new Reader(Buffer.alloc(7)).int64()).toThrow(/truncated/);
    expect(() => new Reader(Buffer.alloc(2), 3)).toThrow(ProtocolError);
  });

  it('encodes UUIDs as 16 bytes and refuses malformed ones', () => {
    const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64url');
    const r = roundTrip((w) => {
      w.uuid(id);
      w.uuid(ZERO_UUID);
    });
    expect(r.buf.length).toBe(32);
    expect(r.uuid()).toBe(id);
    expect(r.uuid()).toBe(ZERO_UUID);
    expect(() => new Writer().uuid('short')).toThrow(/invalid_value/);
  });

  it('grows by doubling and keeps what it wrote', () => {
    const w = new Writer(2);
    for (let i = 0; i < 1000; i++) w.int32(i);
    expect(w.buf.length).toBe(4096);
    const r = new Reader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.int32()).toBe(i);
  });
});
