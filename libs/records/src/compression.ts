/**
 * Compression codecs for the records section of a batch, as Kafka clients write them:
 *
 *   gzip    RFC 1952 (node zlib)
 *   snappy  xerial framing, as the Java client writes it:
 *             magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version (1), int32 compatible (1),
 *             then chunks of [int32 compressed length][raw snappy block of <= 32 KiB input].
 *           Decoding also accepts one unframed raw snappy block (librdkafka and kafkajs-snappy
 *           send those, and Kafka's broker accepts them).
 *   lz4     the LZ4 frame format (magic 0x184D2204), independent blocks
 *   zstd    zstd frames (RFC 8878), level 3 by default like Kafka; async only here
 *
 * Zip bombs: before anything is inflated we bound the output from the framing alone (gzip: zlib's
 * maxOutputLength; snappy: each block's declared length; lz4 and zstd: a walk over the frame and
 * block headers, summing stored sizes and per-block maxima) and refuse above
 * `decompressedBytesMax`. Every codec error becomes a `RecordsError`.
 */
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import * as snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import * as zstd from '@mongodb-js/zstd';
import { CompressionType } from './batch-header';
import {
  COMPRESSED_FRAMES_MAX,
  DECOMPRESSED_BYTES_MAX_CEILING,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  LZ4_BLOCK_BYTES_MAX,
  SNAPPY_BLOCK_BYTES_MAX,
  SNAPPY_XERIAL_CHUNK_BYTES,
  ZSTD_BLOCK_BYTES_MAX,
  ZSTD_LEVEL_DEFAULT,
} from './constants';
import { RecordsError, RecordsErrorCode, recordsError } from './errors';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

export interface DecompressOptions {
  /** Ceiling on the decompressed bytes (default `DECOMPRESSED_BYTES_MAX_DEFAULT`, 64 MiB). */
  decompressedBytesMax?: number;
}

export interface CompressOptions {
  /** zstd level (default 3) or gzip level (default zlib's 6). Ignored by snappy and lz4. */
  level?: number;
}

/** xerial's 8-byte magic: 0x82 'SNAPPY' 0x00. */
export const SNAPPY_XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const SNAPPY_XERIAL_HEADER_BYTES = 16;
const SNAPPY_XERIAL_VERSION = 1;
const SNAPPY_XERIAL_COMPATIBLE = 1;

const LZ4_FRAME_MAGIC = 0x184d2204;
const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

export function compressionName(type: CompressionType): string {
  switch (type) {
    case CompressionType.None:
      return 'none';
    case CompressionType.Gzip:
      return 'gzip';
    case CompressionType.Snappy:
      return 'snappy';
    case CompressionType.Lz4:
      return 'lz4';
    case CompressionType.Zstd:
      return 'zstd';
    default:
      return `unknown(${type as number})`;
  }
}

function assertKnownType(type: CompressionType): void {
  if (!(type >= CompressionType.None && type <= CompressionType.Zstd && Number.isInteger(type))) {
    throw recordsError(RecordsErrorCode.UnsupportedCompression, `unsupported compression type ${type as number} (known: 0 none .. 4 zstd)`);
  }
}

function limitOf(options: DecompressOptions | undefined): number {
  const limit = options?.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX_DEFAULT;
  if (!Number.isInteger(limit) || limit < 0 || limit > DECOMPRESSED_BYTES_MAX_CEILING) {
    throw recordsError(RecordsErrorCode.InvalidArgument, `decompressedBytesMax ${limit} must be an integer in [0, ${DECOMPRESSED_BYTES_MAX_CEILING}]`);
  }
  return limit;
}

function tooLarge(type: CompressionType, bytes: number | string, limit: number): RecordsError {
  return recordsError(
    RecordsErrorCode.DecompressedTooLarge,
    `${compressionName(type)} data would decompress to ${bytes} bytes, over the ${limit}-byte limit (decompressedBytesMax)`,
  );
}

function corrupt(type: CompressionType, detail: string, cause?: unknown): RecordsError {
  return recordsError(RecordsErrorCode.BadCompressedData, `bad ${compressionName(type)} data: ${detail}`, cause);
}

function wrapCodecError(type: CompressionType, error: unknown, limit: number): RecordsError {
  if (error instanceof RecordsError) return error;
  if ((error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(type, 'more than the limit', limit);
  return corrupt(type, error instanceof Error ? error.message : String(error), error);
}

function checkOutput(type: CompressionType, output: Buffer, limit: number): Buffer {
  if (output.length > limit) throw tooLarge(type, output.length, limit);
  return output;
}

// ---------------------------------------------------------------------------------------------
// snappy

function snappyDeclaredLength(block: Uint8Array): number {
  // A raw snappy block starts with its uncompressed length as an unsigned varint (<= 5 bytes).
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw corrupt(CompressionType.Snappy, 'block too short for its length prefix');
    const b = block[i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return value;
  }
  throw corrupt(CompressionType.Snappy, 'block length prefix longer than 5 bytes');
}

function isXerial(data: Uint8Array): boolean {
  if (data.length < SNAPPY_XERIAL_MAGIC.length) return false;
  for (let i = 0; i < SNAPPY_XERIAL_MAGIC.length; i++) if (data[i] !== SNAPPY_XERIAL_MAGIC[i]) return false;
  return true;
}

function snappyUncompressBlock(block: Buffer, expectedBytes: number): Buffer {
  let out: Buffer;
  try {
    out = snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (error) {
    throw corrupt(CompressionType.Snappy, error instanceof Error ? error.message : String(error), error);
  }
  if (out.length !== expectedBytes) throw corrupt(CompressionType.Snappy, `block declared ${expectedBytes} bytes but held ${out.length}`);
  return out;
}

function snappyCompressSync(data: Buffer): Buffer {
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(SNAPPY_XERIAL_HEADER_BYTES);
  SNAPPY_XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(SNAPPY_XERIAL_VERSION, 8);
  header.writeInt32BE(SNAPPY_XERIAL_COMPATIBLE, 12);
  chunks.push(header);
  for (let pos = 0; pos < data.length; pos += SNAPPY_XERIAL_CHUNK_BYTES) {
    const block = snappy.compressSync(data.subarray(pos, Math.min(data.length, pos + SNAPPY_XERIAL_CHUNK_BYTES)));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    chunks.push(length, block);
  }
  return Buffer.concat(chunks);
}

function snappyDecompressSync(data: Buffer, limit: number): Buffer {
  if (!isXerial(data)) {
    const declared = snappyDeclaredLength(data);
    if (declared > limit) throw tooLarge(CompressionType.Snappy, declared, limit);
    if (declared > SNAPPY_BLOCK_BYTES_MAX) throw corrupt(CompressionType.Snappy, `block declares ${declared} bytes`);
    return snappyUncompressBlock(data, declared);
  }
  if (data.length < SNAPPY_XERIAL_HEADER_BYTES) throw corrupt(CompressionType.Snappy, 'xerial header truncated');
  // First pass: bound the output from the declared block lengths, before inflating anything.
  const blocks: Buffer[] = [];
  const declaredLengths: number[] = [];
  let total = 0;
  let pos = SNAPPY_XERIAL_HEADER_BYTES;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt(CompressionType.Snappy, `xerial chunk length truncated at position ${pos}`);
    const length = data.readInt32BE(pos);
    pos += 4;
    if (length < 0 || length > data.length - pos) throw corrupt(CompressionType.Snappy, `xerial chunk at position ${pos - 4} claims ${length} bytes`);
    const block = data.subarray(pos, pos + length);
    pos += length;
    const declared = snappyDeclaredLength(block);
    total += declared;
    if (total > limit) throw tooLarge(CompressionType.Snappy, `at least ${total}`, limit);
    blocks.push(block);
    declaredLengths.push(declared);
  }
  const out = Buffer.allocUnsafe(total);
  let outPos = 0;
  for (let i = 0; i < blocks.length; i++) {
    const piece = snappyUncompressBlock(blocks[i]!, declaredLengths[i]!);
    piece.copy(out, outPos);
    outPos += piece.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// lz4 / zstd frame walkers: an upper bound on the decompressed size from headers alone

const LZ4_BLOCK_MAX_BYTES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: LZ4_BLOCK_BYTES_MAX };

/** A read position in compressed bytes whose every step is bounds-checked (typed errors). */
class FrameCursor {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    private readonly type: CompressionType,
  ) {}

  need(bytes: number, what: string): void {
    if (this.buf.length - this.pos < bytes) throw corrupt(this.type, `truncated ${what} at position ${this.pos}`);
  }

  corrupt(message: string): never {
    throw corrupt(this.type, message);
  }
}

/**
 * The shared frame loop of lz4 and zstd: concatenated frames, skippable frames ignored, a bound on
 * the frame count; `frameBound` reads one frame after its magic and returns its decompressed bound.
 */
function framesBound(data: Uint8Array, type: CompressionType, frameMagic: number, frameBound: (c: FrameCursor) => number): number {
  const c = new FrameCursor(Buffer.from(data.buffer, data.byteOffset, data.byteLength), type);
  const buf = c.buf;
  if (buf.length === 0) c.corrupt('empty input');
  let bound = 0;
  let frames = 0;
  while (c.pos < buf.length) {
    if (++frames > COMPRESSED_FRAMES_MAX) c.corrupt(`more than ${COMPRESSED_FRAMES_MAX} frames`);
    c.need(4, 'frame magic');
    const magic = buf.readUInt32LE(c.pos);
    c.pos += 4;
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      c.need(4, 'skippable frame size');
      const size = buf.readUInt32LE(c.pos);
      c.pos += 4;
      c.need(size, 'skippable frame');
      c.pos += size;
      continue;
    }
    if (magic !== frameMagic) c.corrupt(`bad frame magic 0x${magic.toString(16)} at position ${c.pos - 4}`);
    bound += frameBound(c);
  }
  return bound;
}

/** Upper bound of the decompressed size of concatenated LZ4 frames, or throws on bad framing. */
export function lz4DecompressedBound(data: Uint8Array): number {
  return framesBound(data, CompressionType.Lz4, LZ4_FRAME_MAGIC, (c) => {
    const buf = c.buf;
    c.need(2, 'frame descriptor');
    const flg = buf[c.pos]!;
    const bd = buf[c.pos + 1]!;
    c.pos += 2;
    if (flg >> 6 !== 1) c.corrupt(`unsupported frame version ${flg >> 6}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    const blockMaxBytes = LZ4_BLOCK_MAX_BYTES[(bd >> 4) & 0x07];
    if (blockMaxBytes === undefined) return c.corrupt(`bad block maximum size code ${(bd >> 4) & 0x07}`);
    const optional = (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1;
    c.need(optional, 'frame descriptor');
    // A declared content size may be used to size the output up front: count it too, so a frame
    // claiming terabytes over a tiny block is refused rather than allocated.
    const declared = contentSize ? Number(buf.readBigUInt64LE(c.pos)) : 0;
    c.pos += optional;
    let blocksBound = 0;
    while (true) {
      c.need(4, 'block size');
      const word = buf.readUInt32LE(c.pos);
      c.pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      const stored = (word & 0x80000000) !== 0;
      if (size > blockMaxBytes) c.corrupt(`block of ${size} bytes over the frame's ${blockMaxBytes}-byte maximum`);
      c.need(size + (blockChecksum ? 4 : 0), 'block');
      c.pos += size + (blockChecksum ? 4 : 0);
      blocksBound += stored ? size : blockMaxBytes;
    }
    if (contentChecksum) {
      c.need(4, 'content checksum');
      c.pos += 4;
    }
    return Math.max(declared, blocksBound);
  });
}

/** Upper bound of the decompressed size of concatenated zstd frames, or throws on bad framing. */
export function zstdDecompressedBound(data: Uint8Array): number {
  return framesBound(data, CompressionType.Zstd, ZSTD_FRAME_MAGIC, (c) => {
    const buf = c.buf;
    c.need(1, 'frame header descriptor');
    const descriptor = buf[c.pos++]!;
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    if ((descriptor & 0x08) !== 0) c.corrupt('reserved frame header bit set');
    const checksum = (descriptor & 0x04) !== 0;
    const dictIdBytes = [0, 1, 2, 4][descriptor & 0x03]!;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    const headerRest = (singleSegment ? 0 : 1) + dictIdBytes + fcsBytes;
    c.need(headerRest, 'frame header');
    // Frame_Content_Size, when present, sizes the decoder's output buffer: count it (see lz4).
    const fcsAt = c.pos + headerRest - fcsBytes;
    let declared = 0;
    if (fcsBytes === 1) declared = buf[fcsAt]!;
    else if (fcsBytes === 2) declared = buf.readUInt16LE(fcsAt) + 256;
    else if (fcsBytes === 4) declared = buf.readUInt32LE(fcsAt);
    else if (fcsBytes === 8) declared = Number(buf.readBigUInt64LE(fcsAt));
    c.pos += headerRest;
    let blocksBound = 0;
    while (true) {
      c.need(3, 'block header');
      const header = buf[c.pos]! | (buf[c.pos + 1]! << 8) | (buf[c.pos + 2]! << 16);
      c.pos += 3;
      const last = (header & 1) !== 0;
      const blockType = (header >> 1) & 0x03;
      const size = header >>> 3;
      if (blockType === 0) {
        c.need(size, 'raw block');
        c.pos += size;
        blocksBound += size;
      } else if (blockType === 1) {
        c.need(1, 'rle block');
        c.pos += 1;
        blocksBound += size;
      } else if (blockType === 2) {
        if (size > ZSTD_BLOCK_BYTES_MAX) c.corrupt(`compressed block of ${size} bytes over ${ZSTD_BLOCK_BYTES_MAX}`);
        c.need(size, 'compressed block');
        c.pos += size;
        blocksBound += ZSTD_BLOCK_BYTES_MAX;
      } else {
        c.corrupt(`reserved block type at position ${c.pos - 3}`);
      }
      if (last) break;
    }
    if (checksum) {
      c.need(4, 'content checksum');
      c.pos += 4;
    }
    return Math.max(declared, blocksBound);
  });
}

// ---------------------------------------------------------------------------------------------
// public API

/** Compresses `data` with `type`, synchronously. zstd has no sync implementation: use `compress`. */
export function compressSync(type: CompressionType, data: Buffer, options?: CompressOptions): Buffer {
  assertKnownType(type);
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return zlib.gzipSync(data, options?.level === undefined ? {} : { level: options.level });
    case CompressionType.Snappy:
      return snappyCompressSync(data);
    case CompressionType.Lz4:
      return lz4.compressFrameSync(data);
    case CompressionType.Zstd:
      throw recordsError(RecordsErrorCode.SyncUnsupported, 'zstd has no synchronous compressor here: use the async compress()/encodeBatch()');
  }
}

export async function compress(type: CompressionType, data: Buffer, options?: CompressOptions): Promise<Buffer> {
  assertKnownType(type);
  switch (type) {
    case CompressionType.Gzip:
      return gzipAsync(data, options?.level === undefined ? {} : { level: options.level });
    case CompressionType.Lz4:
      return lz4.compressFrame(data);
    case CompressionType.Zstd:
      return zstd.compress(data, options?.level ?? ZSTD_LEVEL_DEFAULT);
    default:
      return compressSync(type, data, options);
  }
}

/** Decompresses `data`, synchronously; throws `RecordsError` on bad data or output over the limit. */
export function decompressSync(type: CompressionType, data: Buffer, options?: DecompressOptions): Buffer {
  assertKnownType(type);
  const limit = limitOf(options);
  try {
    switch (type) {
      case CompressionType.None:
        return checkOutput(type, data, limit);
      case CompressionType.Gzip:
        return checkOutput(type, zlib.gunzipSync(data, { maxOutputLength: Math.max(1, limit) }), limit);
      case CompressionType.Snappy:
        return snappyDecompressSync(data, limit);
      case CompressionType.Lz4: {
        const bound = lz4DecompressedBound(data);
        if (bound > limit) throw tooLarge(type, `up to ${bound}`, limit);
        return checkOutput(type, lz4.decompressFrameSync(data), limit);
      }
      case CompressionType.Zstd:
        throw recordsError(RecordsErrorCode.SyncUnsupported, 'zstd has no synchronous decompressor here: use the async decompress()/decodeBatch()');
    }
  } catch (error) {
    throw wrapCodecError(type, error, limit);
  }
}

export async function decompress(type: CompressionType, data: Buffer, options?: DecompressOptions): Promise<Buffer> {
  assertKnownType(type);
  const limit = limitOf(options);
  try {
    switch (type) {
      case CompressionType.Gzip:
        return checkOutput(type, await gunzipAsync(data, { maxOutputLength: Math.max(1, limit) }), limit);
      case CompressionType.Lz4: {
        const bound = lz4DecompressedBound(data);
        if (bound > limit) throw tooLarge(type, `up to ${bound}`, limit);
        return checkOutput(type, await lz4.decompressFrame(data), limit);
      }
      case CompressionType.Zstd: {
        const bound = zstdDecompressedBound(data);
        if (bound > limit) throw tooLarge(type, `up to ${bound}`, limit);
        return checkOutput(type, await zstd.decompress(data), limit);
      }
      default:
        return decompressSync(type, data, options);
    }
  } catch (error) {
    throw wrapCodecError(type, error, limit);
  }
}

/** Whether `compressSync`/`decompressSync` (and so `encodeBatchSync`/`decodeBatchSync`) support `type`. */
export function hasSyncCodec(type: CompressionType): boolean {
  return type !== CompressionType.Zstd;
}
