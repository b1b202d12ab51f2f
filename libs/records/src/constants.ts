/**
 * Named limits of the record batch codec. Every loop over untrusted input is bounded by one of
 * these; the relations between them are asserted when the module loads, so a bad edit fails at
 * start-up rather than on some rare batch.
 */

/** Bytes of a zigzag varint holding an int32 (7 bits per byte: ceil(32 / 7)). */
export const VARINT_BYTES_MAX = 5;
/** Bytes of a zigzag varlong holding an int64 (ceil(64 / 7)). */
export const VARLONG_BYTES_MAX = 10;

/**
 * Records per batch. Kafka bounds a batch only by bytes; a record takes at least 7 bytes, so a batch
 * within a 1 MiB `message.max.bytes` holds ~150 k records at most. One million leaves room for
 * larger configured limits while still refusing an absurd `recordsCount` before any allocation.
 */
export const BATCH_RECORDS_MAX = 1_000_000;
/** Smallest encoded record: length, attributes, timestampDelta, offsetDelta, key, value, headers count. */
export const RECORD_BYTES_MIN = 7;
/** Headers per record. */
export const RECORD_HEADERS_MAX = 10_000;
/** Bytes of a whole encoded batch (header included): the int32 batchLength field's ceiling. */
export const BATCH_BYTES_MAX = 0x7fff_ffff;

/**
 * Default ceiling on the decompressed records section of one batch, so a small compressed batch
 * (a "zip bomb") cannot make the decoder allocate gigabytes. Configurable per call.
 */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** Hard ceiling for the per-call setting: a Buffer of this size is always allocatable. */
export const DECOMPRESSED_BYTES_MAX_CEILING = 1024 * 1024 * 1024;

/** Uncompressed bytes per xerial snappy chunk, as Kafka's Java client (xerial's default block). */
export const SNAPPY_XERIAL_CHUNK_BYTES = 32 * 1024;
/** Uncompressed bytes one raw snappy block may claim (snappy's own format limit is 2^32 - 1). */
export const SNAPPY_BLOCK_BYTES_MAX = DECOMPRESSED_BYTES_MAX_CEILING;

/** Kafka's default zstd level (`compression.zstd.level`). */
export const ZSTD_LEVEL_DEFAULT = 3;
/** zstd's Block_Maximum_Size: no compressed block regenerates more than this. */
export const ZSTD_BLOCK_BYTES_MAX = 128 * 1024;
/** Largest LZ4 frame block (block maximum size code 7). */
export const LZ4_BLOCK_BYTES_MAX = 4 * 1024 * 1024;
/** Frames (zstd or lz4) accepted in one compressed records section. */
export const COMPRESSED_FRAMES_MAX = 1024;

/** Murmur2 seed of Kafka's Java client (`Utils.murmur2`). */
export const MURMUR2_SEED = 0x9747b28c;
/** Partitions a topic may have (Kafka allows int32, real clusters stay far below). */
export const PARTITIONS_MAX = 1_000_000;

function assertLimit(condition: boolean, message: string): void {
  if (!condition) throw new Error(`records constants: ${message}`);
}

assertLimit(VARINT_BYTES_MAX * 7 >= 32 && (VARINT_BYTES_MAX - 1) * 7 < 32, 'VARINT_BYTES_MAX fits int32 exactly');
assertLimit(VARLONG_BYTES_MAX * 7 >= 64 && (VARLONG_BYTES_MAX - 1) * 7 < 64, 'VARLONG_BYTES_MAX fits int64 exactly');
assertLimit(BATCH_RECORDS_MAX > 0 && BATCH_RECORDS_MAX <= 0x7fff_ffff, 'BATCH_RECORDS_MAX within int32');
assertLimit(RECORD_HEADERS_MAX > 0 && RECORD_HEADERS_MAX <= 0x7fff_ffff, 'RECORD_HEADERS_MAX within int32');
assertLimit(DECOMPRESSED_BYTES_MAX_DEFAULT <= DECOMPRESSED_BYTES_MAX_CEILING, 'default decompressed limit under the ceiling');
assertLimit(DECOMPRESSED_BYTES_MAX_CEILING < 2 ** 31, 'decompressed ceiling is a valid Buffer length');
assertLimit(SNAPPY_XERIAL_CHUNK_BYTES <= SNAPPY_BLOCK_BYTES_MAX, 'a xerial chunk is one valid snappy block');
assertLimit(LZ4_BLOCK_BYTES_MAX <= DECOMPRESSED_BYTES_MAX_DEFAULT, 'one full LZ4 block fits the default decompressed limit');
assertLimit(ZSTD_BLOCK_BYTES_MAX <= LZ4_BLOCK_BYTES_MAX, 'block maxima ordered as the header walkers assume');
assertLimit(COMPRESSED_FRAMES_MAX > 0, 'at least one compressed frame');
assertLimit(BATCH_RECORDS_MAX * RECORD_BYTES_MIN <= BATCH_BYTES_MAX, 'a batch of the most records fits the int32 batch length');
assertLimit(PARTITIONS_MAX > 0 && PARTITIONS_MAX <= 0x7fff_ffff, 'PARTITIONS_MAX within int32');
