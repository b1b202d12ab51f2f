/**
 * Cross-check against a real client: batches kafkajs encodes decode with ours, and ours decode with
 * kafkajs's decoder, for every codec. kafkajs ships gzip only; the other codecs are plugged in from
 * independent implementations where one exists on npm:
 *   snappy  kafkajs-snappy (snappyjs, pure JS; reads xerial frames, writes plain blocks)
 *   lz4     an adapter over lz4js (pure-JS LZ4 frame implementation)
 *   zstd    an adapter: fzstd (pure JS) to decompress, @mongodb-js/zstd to compress (no pure-JS
 *           zstd compressor exists, so that direction checks framing, not an independent encoder)
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import createSnappyCodec from 'kafkajs-snappy';
import * as lz4js from 'lz4js';
import * as fzstd from 'fzstd';
import * as zstd from '@mongodb-js/zstd';
import fc from 'fast-check';
import { RecordBatch } from 'kafkajs/src/protocol/recordBatch/v0';
import KafkajsRecord from 'kafkajs/src/protocol/recordBatch/record/v0';
import decodeKafkajsBatch from 'kafkajs/src/protocol/recordBatch/v0/decoder';
import KafkajsDecoder from 'kafkajs/src/protocol/decoder';
import Long from 'kafkajs/src/utils/long';
import { CompressionType, ControlRecordType, decodeBatch, encodeBatch, encodeControlBatch, parseControlRecord } from '@runnel/records';

CompressionCodecs[CompressionTypes.Snappy] = createSnappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder: { buffer: Buffer }) => Buffer.from(lz4js.compress(encoder.buffer)),
  decompress: async (buffer: Buffer) => Buffer.from(lz4js.decompress(buffer)),
});
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => zstd.compress(encoder.buffer, 3),
  decompress: async (buffer: Buffer) => Buffer.from(fzstd.decompress(buffer)),
});

const NOW = 1_700_000_000_000;
const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

interface Message {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: number;
}

interface BatchFields {
  compression: CompressionType;
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
}

async function kafkajsEncode(messages: Message[], fields: BatchFields): Promise<Buffer> {
  const first = messages[0]!.timestamp;
  const records = messages.map((m, i) =>
    KafkajsRecord({ offsetDelta: i, timestampDelta: m.timestamp - first, key: m.key, value: m.value, headers: m.headers }),
  );
  const encoder = await RecordBatch({
    compression: fields.compression,
    firstOffset: Long.fromValue(fields.baseOffset.toString()),
    firstTimestamp: first,
    maxTimestamp: Math.max(...messages.map((m) => m.timestamp)),
    partitionLeaderEpoch: fields.partitionLeaderEpoch,
    lastOffsetDelta: messages.length - 1,
    transactional: fields.transactional,
    producerId: Long.fromValue(fields.producerId.toString()),
    producerEpoch: fields.producerEpoch,
    firstSequence: fields.baseSequence,
    records,
  });
  return encoder.buffer;
}

function oursEncode(messages: Message[], fields: BatchFields): Promise<Buffer> {
  return encodeBatch({
    ...fields,
    records: messages.map((m) => ({
      key: m.key,
      value: m.value,
      headers: Object.entries(m.headers).map(([key, value]) => ({ key, value })),
      timestampMs: BigInt(m.timestamp),
    })),
  });
}

async function kafkajsDecode(buf: Buffer): Promise<KafkajsDecodedBatch> {
  return decodeKafkajsBatch(new KafkajsDecoder(buf));
}

const message: fc.Arbitrary<Message> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 24 }).map(Buffer.from), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }).map(Buffer.from), { nil: null }),
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.uint8Array({ maxLength: 6 }).map(Buffer.from), { maxKeys: 3 }),
  timestamp: fc.integer({ min: 0, max: 100_000 }),
});
// kafkajs takes the smallest timestamp as the base; increasing timestamps make both encoders agree on it.
const messages = fc.array(message, { minLength: 1, maxLength: 12 }).map((ms) => {
  let t = NOW;
  return ms.map((m) => ({ ...m, timestamp: (t += m.timestamp) }));
});
const fields: fc.Arbitrary<BatchFields> = fc.record({
  compression: fc.constantFrom(...CODECS),
  baseOffset: fc.bigInt({ min: 0n, max: 1n << 50n }),
  partitionLeaderEpoch: fc.integer({ min: 0, max: 1000 }),
  producerId: fc.bigInt({ min: -1n, max: 1n << 40n }),
  producerEpoch: fc.integer({ min: 0, max: 100 }),
  baseSequence: fc.integer({ min: 0, max: 1_000_000 }),
  transactional: fc.boolean(),
});

// Property and cross-check runs are CPU-bound: on a loaded 2-core CI box they must not fail on the clock.
jest.setTimeout(120_000);

describe('kafkajs cross-check', () => {
  it('uncompressed batches are byte-identical to kafkajs', async () => {
    await fc.assert(
      fc.asyncProperty(messages, fields, async (ms, f) => {
        const plain = { ...f, compression: CompressionType.None };
        expect((await oursEncode(ms, plain)).toString('hex')).toBe((await kafkajsEncode(ms, plain)).toString('hex'));
      }),
      { numRuns: 100 },
    );
  });

  it.each(CODECS)('codec %i: kafkajs-encoded batches decode with ours', async (compression) => {
    await fc.assert(
      fc.asyncProperty(messages, fields, async (ms, f) => {
        const batch = await decodeBatch(await kafkajsEncode(ms, { ...f, compression }));
        expect(batch.compression).toBe(compression);
        expect(batch.transactional).toBe(f.transactional);
        expect(batch.header).toMatchObject({ partitionLeaderEpoch: f.partitionLeaderEpoch, producerId: f.producerId, producerEpoch: f.producerEpoch, baseSequence: f.baseSequence });
        expect(batch.records.map((r) => [r.offset, r.timestampMs, r.key, r.value, Object.fromEntries(r.headers.map((h) => [h.key, h.value]))])).toEqual(
          ms.map((m, i) => [f.baseOffset + BigInt(i), BigInt(m.timestamp), m.key, m.value, m.headers]),
        );
      }),
      { numRuns: 40 },
    );
  });

  it.each(CODECS)('codec %i: our batches decode with kafkajs', async (compression) => {
    await fc.assert(
      fc.asyncProperty(messages, fields, async (ms, f) => {
        const batch = await kafkajsDecode(await oursEncode(ms, { ...f, compression }));
        expect(batch).toMatchObject({
          firstOffset: f.baseOffset.toString(),
          partitionLeaderEpoch: f.partitionLeaderEpoch,
          producerId: f.producerId.toString(),
          producerEpoch: f.producerEpoch,
          firstSequence: f.baseSequence,
          inTransaction: f.transactional,
          lastOffsetDelta: ms.length - 1,
        });
        expect(batch.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers])).toEqual(
          ms.map((m, i) => [(f.baseOffset + BigInt(i)).toString(), String(m.timestamp), m.key, m.value, m.headers]),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('kafkajs reads our COMMIT marker as a transactional control batch', async () => {
    const marker = encodeControlBatch({ type: ControlRecordType.Commit, coordinatorEpoch: 5, producerId: 77n, producerEpoch: 2, baseOffset: 10n, timestampMs: BigInt(NOW) });
    const theirs = await kafkajsDecode(marker);
    expect(theirs).toMatchObject({ isControlBatch: true, inTransaction: true, producerId: '77', producerEpoch: 2, firstOffset: '10' });
    expect(theirs.records).toHaveLength(1);
    const ours = await decodeBatch(marker);
    expect(parseControlRecord(ours.records[0]!)).toEqual({ version: 0, type: ControlRecordType.Commit, coordinatorEpoch: 5 });
    expect(theirs.records[0]!.key).toEqual(Buffer.from('00000001', 'hex'));
  });
});
