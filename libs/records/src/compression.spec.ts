import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import * as fzstd from 'fzstd';
import * as lz4js from 'lz4js';
import createSnappyCodec from 'kafkajs-snappy';
import * as snappy from 'snappy';
import {
  CompressionType,
  RecordsError,
  RecordsErrorCode,
  SNAPPY_XERIAL_MAGIC,
  compress,
  compressSync,
  decompress,
  decompressSync,
  hasSyncCodec,
  lz4DecompressedBound,
  zstdDecompressedBound,
} from '@runnel/records';
import {
  LZ4_CLI_64K_BLOCK_CHECKSUMS,
  LZ4_CLI_DEFAULT,
  ZSTD_CLI_DEFAULT,
  ZSTD_CLI_NO_SIZE_NO_CHECK,
  ZSTD_CLI_TWO_FRAMES,
  referenceText,
} from './fixtures/reference-frames';

const ALL = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const COMPRESSED = ALL.filter((t) => t !== CompressionType.None);

/** Half random, half repetitive: exercises both literal and match paths of every codec. */
function sample(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  randomBytes(bytes >> 1).copy(buf);
  for (let i = bytes >> 1; i < bytes; i++) buf[i] = i % 7;
  return buf;
}

async function codeOf(fn: () => unknown): Promise<RecordsErrorCode | 'no error'> {
  try {
    await fn();
    return 'no error';
  } catch (error) {
    if (error instanceof RecordsError) return error.code;
    throw error;
  }
}

// Property and cross-check runs are CPU-bound: on a loaded 2-core CI box they must not fail on the clock.
jest.setTimeout(120_000);

describe('compression codecs', () => {
  it.each(ALL)('round-trips codec %i, async and (where it exists) sync', async (type) => {
    for (const size of [0, 1, 100, 70_000, 300_000]) {
      const data = sample(size);
      const packed = await compress(type, data);
      expect((await decompress(type, packed)).equals(data)).toBe(true);
      if (hasSyncCodec(type)) {
        const packedSync = compressSync(type, data);
        expect(decompressSync(type, packedSync).equals(data)).toBe(true);
        expect(decompressSync(type, packed).equals(data)).toBe(true);
      }
    }
  });

  it('zstd has no sync variant and says so', async () => {
    expect(await codeOf(() => compressSync(CompressionType.Zstd, Buffer.from('x')))).toBe(RecordsErrorCode.SyncUnsupported);
    expect(await codeOf(() => decompressSync(CompressionType.Zstd, Buffer.from('x')))).toBe(RecordsErrorCode.SyncUnsupported);
  });

  it('writes xerial snappy framing with 32 KiB chunks', () => {
    const data = sample(70_000);
    const packed = compressSync(CompressionType.Snappy, data);
    expect(packed.subarray(0, 8).equals(SNAPPY_XERIAL_MAGIC)).toBe(true);
    expect(packed.subarray(0, 8).toString('latin1')).toBe('\x82SNAPPY\x00');
    expect(packed.readInt32BE(8)).toBe(1);
    expect(packed.readInt32BE(12)).toBe(1);
    // Walk the chunks: 32768 + 32768 + 4464 bytes of input.
    const sizes: number[] = [];
    let pos = 16;
    while (pos < packed.length) {
      const length = packed.readInt32BE(pos);
      sizes.push((snappy.uncompressSync(packed.subarray(pos + 4, pos + 4 + length), { asBuffer: true }) as Buffer).length);
      pos += 4 + length;
    }
    expect(pos).toBe(packed.length);
    expect(sizes).toEqual([32768, 32768, 70_000 - 65536]);
  });

  it('interoperates with kafkajs-snappy (snappyjs, pure JS): its plain blocks and our xerial frames', async () => {
    const codec = createSnappyCodec();
    const data = sample(100_000);
    const theirs = await codec.compress({ buffer: data });
    expect(theirs.subarray(0, 8).equals(SNAPPY_XERIAL_MAGIC)).toBe(false);
    expect(decompressSync(CompressionType.Snappy, theirs).equals(data)).toBe(true);
    expect((await codec.decompress(compressSync(CompressionType.Snappy, data))).equals(data)).toBe(true);
  });

  it('interoperates with lz4js (pure-JS LZ4 frames) both ways', async () => {
    const data = sample(200_000);
    const theirs = Buffer.from(lz4js.compress(data));
    expect(theirs.readUInt32LE(0)).toBe(0x184d2204);
    expect((await decompress(CompressionType.Lz4, theirs)).equals(data)).toBe(true);
    expect(decompressSync(CompressionType.Lz4, theirs).equals(data)).toBe(true);
    const ours = compressSync(CompressionType.Lz4, data);
    expect(Buffer.from(lz4js.decompress(ours)).equals(data)).toBe(true);
    // Kafka's Java reader needs independent blocks (FLG bit 5) and frame version 01.
    expect(ours[4]! & 0xe0).toBe(0x60);
  });

  it('interoperates with fzstd (pure-JS zstd decoder)', async () => {
    const data = sample(200_000);
    const ours = await compress(CompressionType.Zstd, data);
    expect(Buffer.from(fzstd.decompress(ours)).equals(data)).toBe(true);
  });

  it('decodes frames written by the reference lz4 and zstd command-line tools', async () => {
    const text = referenceText();
    for (const frame of [LZ4_CLI_DEFAULT, LZ4_CLI_64K_BLOCK_CHECKSUMS]) {
      expect(decompressSync(CompressionType.Lz4, frame).equals(text)).toBe(true);
      expect((await decompress(CompressionType.Lz4, frame)).equals(text)).toBe(true);
      expect(lz4DecompressedBound(frame)).toBeGreaterThanOrEqual(text.length);
    }
    expect((await decompress(CompressionType.Zstd, ZSTD_CLI_DEFAULT)).equals(text)).toBe(true);
    expect((await decompress(CompressionType.Zstd, ZSTD_CLI_NO_SIZE_NO_CHECK)).equals(text)).toBe(true);
    expect((await decompress(CompressionType.Zstd, ZSTD_CLI_TWO_FRAMES)).equals(Buffer.concat([text, text]))).toBe(true);
    expect(zstdDecompressedBound(ZSTD_CLI_TWO_FRAMES)).toBeGreaterThanOrEqual(2 * text.length);
  });

  it('interoperates with zlib gunzip/gzip', async () => {
    const data = sample(50_000);
    expect(zlib.gunzipSync(await compress(CompressionType.Gzip, data)).equals(data)).toBe(true);
    expect(decompressSync(CompressionType.Gzip, zlib.gzipSync(data)).equals(data)).toBe(true);
  });

  describe('zip bomb guard', () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    const limit = { decompressedBytesMax: 1024 * 1024 };
    it.each(COMPRESSED)('refuses codec %i output over decompressedBytesMax, and accepts it at the default', async (type) => {
      const packed = await compress(type, zeros);
      expect(packed.length).toBeLessThan(zeros.length / 20);
      expect(await codeOf(() => decompress(type, packed, limit))).toBe(RecordsErrorCode.DecompressedTooLarge);
      if (hasSyncCodec(type)) expect(await codeOf(() => decompressSync(type, packed, limit))).toBe(RecordsErrorCode.DecompressedTooLarge);
      expect((await decompress(type, packed)).length).toBe(zeros.length);
    });

    it('bounds lz4 and zstd from their headers alone, without inflating', async () => {
      const lz = compressSync(CompressionType.Lz4, zeros);
      expect(lz4DecompressedBound(lz)).toBeGreaterThanOrEqual(zeros.length);
      const zs = await compress(CompressionType.Zstd, zeros);
      const bound = zstdDecompressedBound(zs);
      expect(bound).toBeGreaterThanOrEqual(zeros.length);
      expect(bound).toBeLessThanOrEqual(zeros.length + 128 * 1024);
    });

    it('counts a declared content size, so a tiny frame claiming 1 TiB is refused before any allocation', async () => {
      // zstd: magic, descriptor (8-byte FCS, single segment), FCS = 2^40, one raw last block of 1 byte.
      const zstdClaim = Buffer.concat([Buffer.from('28b52ffde0', 'hex'), Buffer.from('0000000000010000', 'hex'), Buffer.from('09000061', 'hex')]);
      expect(zstdDecompressedBound(zstdClaim)).toBe(2 ** 40);
      expect(await codeOf(() => decompress(CompressionType.Zstd, zstdClaim))).toBe(RecordsErrorCode.DecompressedTooLarge);
      // lz4: magic, FLG (version 1, independent, content size), BD (64 KiB), size 2^40, HC, end mark.
      const lz4Claim = Buffer.concat([Buffer.from('04224d186840', 'hex'), Buffer.from('0000000000010000', 'hex'), Buffer.from('0000000000', 'hex')]);
      expect(lz4DecompressedBound(lz4Claim)).toBe(2 ** 40);
      expect(await codeOf(() => decompressSync(CompressionType.Lz4, lz4Claim))).toBe(RecordsErrorCode.DecompressedTooLarge);
    });

    it('refuses a snappy block whose declared length is over the limit before inflating it', async () => {
      // varint 0xffffffff as the declared length, then junk.
      const bomb = Buffer.from('ffffffff0f0000', 'hex');
      expect(await codeOf(() => decompressSync(CompressionType.Snappy, bomb, limit))).toBe(RecordsErrorCode.DecompressedTooLarge);
    });
  });

  it('rejects an unknown codec and a bad limit', async () => {
    expect(await codeOf(() => decompressSync(7 as CompressionType, Buffer.alloc(1)))).toBe(RecordsErrorCode.UnsupportedCompression);
    expect(await codeOf(() => decompressSync(CompressionType.Gzip, Buffer.alloc(1), { decompressedBytesMax: -1 }))).toBe(
      RecordsErrorCode.InvalidArgument,
    );
  });

  it('never throws anything but RecordsError on random or corrupted input', async () => {
    const valid = await Promise.all(COMPRESSED.map(async (type) => [type, await compress(type, sample(3000))] as const));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...COMPRESSED),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.nat(),
        async (type, junk, at, flip) => {
          const original = valid.find(([t]) => t === type)![1];
          const corrupted = Buffer.from(original);
          const index = at % corrupted.length;
          corrupted[index] = corrupted[index]! ^ ((flip % 255) + 1);
          for (const input of [Buffer.from(junk), corrupted, original.subarray(0, at % original.length)]) {
            const code = await codeOf(() => decompress(type, input, { decompressedBytesMax: 1 << 20 }));
            if (code !== 'no error') expect(Object.values(RecordsErrorCode)).toContain(code);
            if (hasSyncCodec(type)) {
              const syncCode = await codeOf(() => decompressSync(type, input, { decompressedBytesMax: 1 << 20 }));
              if (syncCode !== 'no error') expect(Object.values(RecordsErrorCode)).toContain(syncCode);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
