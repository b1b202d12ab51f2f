import fc from 'fast-check';
import {
  ByteReader,
  RecordsError,
  RecordsErrorCode,
  encodeUnsignedVarint,
  encodeVarint,
  encodeVarlong,
  sizeOfVarlongNumber,
  writeVarlongNumber,
} from '@runnel/records';

const hex = (buf: Buffer): string => buf.toString('hex');
const reader = (h: string): ByteReader => new ByteReader(Buffer.from(h, 'hex'));

function codeOf(fn: () => unknown): RecordsErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    if (error instanceof RecordsError) return error.code;
    throw error;
  }
}

// Property and cross-check runs are CPU-bound: on a loaded 2-core CI box they must not fail on the clock.
jest.setTimeout(120_000);

describe('varints', () => {
  it('encodes zigzag varints exactly as Kafka does', () => {
    // Values and encodings from the protobuf/Kafka zigzag definition.
    expect(hex(encodeVarint(0))).toBe('00');
    expect(hex(encodeVarint(-1))).toBe('01');
    expect(hex(encodeVarint(1))).toBe('02');
    expect(hex(encodeVarint(63))).toBe('7e');
    expect(hex(encodeVarint(-64))).toBe('7f');
    expect(hex(encodeVarint(64))).toBe('8001');
    expect(hex(encodeVarint(300))).toBe('d804');
    expect(hex(encodeVarint(0x7fffffff))).toBe('feffffff0f');
    expect(hex(encodeVarint(-0x80000000))).toBe('ffffffff0f');
  });

  it('encodes varlongs and unsigned varints', () => {
    expect(hex(encodeVarlong(0n))).toBe('00');
    expect(hex(encodeVarlong(-1n))).toBe('01');
    expect(hex(encodeVarlong(1n << 31n))).toBe('8080808010');
    expect(hex(encodeVarlong((1n << 63n) - 1n))).toBe('feffffffffffffffff01');
    expect(hex(encodeVarlong(-(1n << 63n)))).toBe('ffffffffffffffffff01');
    expect(hex(encodeUnsignedVarint(0))).toBe('00');
    expect(hex(encodeUnsignedVarint(127))).toBe('7f');
    expect(hex(encodeUnsignedVarint(128))).toBe('8001');
    expect(hex(encodeUnsignedVarint(0xffffffff))).toBe('ffffffff0f');
  });

  it('round-trips every int32, int64 and uint32', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (n) => {
        const r = new ByteReader(encodeVarint(n));
        expect(r.varint()).toBe(n);
        expect(r.remaining).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (n) => {
        const r = new ByteReader(encodeVarlong(n));
        expect(r.varlong()).toBe(n);
        expect(r.remaining).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(new ByteReader(encodeUnsignedVarint(n)).unsignedVarint()).toBe(n);
      }),
    );
  });

  it('the number fast path writes the same bytes as the bigint path', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const buf = Buffer.alloc(10);
        const end = writeVarlongNumber(buf, 0, n);
        expect(end).toBe(sizeOfVarlongNumber(n));
        expect(hex(buf.subarray(0, end))).toBe(hex(encodeVarlong(BigInt(n))));
      }),
    );
  });

  it('rejects varints that are too long, overflow, or are truncated', () => {
    expect(codeOf(() => reader('8080808080').varint())).toBe(RecordsErrorCode.VarintTooLong);
    expect(codeOf(() => reader('ffffffff1f').varint())).toBe(RecordsErrorCode.VarintTooLong);
    expect(codeOf(() => reader('ffffffff0f').varint())).toBe('no error');
    expect(codeOf(() => reader('80808080808080808080').varlong())).toBe(RecordsErrorCode.VarintTooLong);
    expect(codeOf(() => reader('ffffffffffffffffff02').varlong())).toBe(RecordsErrorCode.VarintTooLong);
    expect(codeOf(() => reader('ffffffffffffffffff01').varlong())).toBe('no error');
    expect(codeOf(() => reader('8080').varint())).toBe(RecordsErrorCode.Truncated);
    expect(codeOf(() => reader('').varlong())).toBe(RecordsErrorCode.Truncated);
    expect(codeOf(() => reader('80808080808080').varlong())).toBe(RecordsErrorCode.Truncated);
    expect(codeOf(() => reader('0102').int32())).toBe(RecordsErrorCode.Truncated);
  });

  it('names the problem and the position in the message', () => {
    expect(() => new ByteReader(Buffer.from('000080', 'hex'), 2).varint('record length')).toThrow(/truncated record length at position 2/);
  });

  it('rejects out-of-range values on encode', () => {
    expect(codeOf(() => encodeVarint(0x80000000))).toBe(RecordsErrorCode.InvalidArgument);
    expect(codeOf(() => encodeVarint(1.5))).toBe(RecordsErrorCode.InvalidArgument);
    expect(codeOf(() => encodeVarlong(1n << 63n))).toBe(RecordsErrorCode.InvalidArgument);
    expect(codeOf(() => encodeUnsignedVarint(-1))).toBe(RecordsErrorCode.InvalidArgument);
  });

  it('never throws anything but RecordsError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        const buf = Buffer.from(bytes);
        for (const read of [(r: ByteReader) => r.varint(), (r: ByteReader) => r.varlong(), (r: ByteReader) => r.unsignedVarint()]) {
          const code = codeOf(() => read(new ByteReader(buf)));
          expect(['no error', RecordsErrorCode.Truncated, RecordsErrorCode.VarintTooLong]).toContain(code);
        }
      }),
    );
  });
});
