import { BATCH_HEADER_BYTES, BatchProblem, checkBatch, computeBatchCrc, crc32c, readBatchHeader, setBatchBaseOffset, writeBatchCrc } from '@runnel/records';

function emptyBatch(): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER_BYTES);
  buf.writeInt32BE(BATCH_HEADER_BYTES - 12, 8);
  buf.writeInt8(2, 16);
  buf.writeBigInt64BE(-1n, 43);
  writeBatchCrc(buf);
  return buf;
}

describe('batch header', () => {
  it('computes CRC-32C with the standard check value', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
  });
  it('stamping the base offset keeps the CRC valid', () => {
    const buf = emptyBatch();
    const before = computeBatchCrc(buf);
    setBatchBaseOffset(buf, 42n);
    expect(computeBatchCrc(buf)).toBe(before);
    expect(readBatchHeader(buf).baseOffset).toBe(42n);
    expect(checkBatch(buf, 0, buf.length)).toBe(BatchProblem.Ok);
  });
  it('stamps base offsets across the whole int64 range byte for byte as writeBigInt64BE', () => {
    const values = [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0x1_2345_6789n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 1n, 0x7fff_ffff_ffff_ffffn, -1n, -(2n ** 63n)];
    for (const value of values) {
      const buf = emptyBatch();
      setBatchBaseOffset(buf, value);
      const expected = Buffer.alloc(8);
      expected.writeBigInt64BE(value);
      expect(buf.subarray(0, 8)).toEqual(expected);
      expect(readBatchHeader(buf).baseOffset).toBe(value);
    }
  });
  it('detects a flipped byte after the CRC field and a short buffer', () => {
    const buf = emptyBatch();
    buf[30] = buf[30]! ^ 1;
    expect(checkBatch(buf, 0, buf.length)).toBe(BatchProblem.BadCrc);
    expect(checkBatch(buf, 0, buf.length - 1)).toBe(BatchProblem.Truncated);
  });
  it('skips only the CRC comparison with verifyCrc false', () => {
    const buf = emptyBatch();
    buf[20] = buf[20]! ^ 1; // the stored CRC, not the bytes it covers
    expect(checkBatch(buf, 0, buf.length)).toBe(BatchProblem.BadCrc);
    expect(checkBatch(buf, 0, buf.length, undefined, true)).toBe(BatchProblem.BadCrc);
    expect(checkBatch(buf, 0, buf.length, undefined, false)).toBe(BatchProblem.Ok);
    // Every other check still runs, in the same order.
    expect(checkBatch(buf, 0, buf.length - 1, undefined, false)).toBe(BatchProblem.Truncated);
    expect(checkBatch(buf, 0, buf.length, buf.length - 1, false)).toBe(BatchProblem.BadLength);
    buf.writeInt8(1, 16);
    expect(checkBatch(buf, 0, buf.length, undefined, false)).toBe(BatchProblem.BadMagic);
    buf.writeInt8(2, 16);
    buf.writeInt32BE(-1, 23);
    expect(checkBatch(buf, 0, buf.length, undefined, false)).toBe(BatchProblem.BadOffsets);
  });
});
