import fc from 'fast-check';
import {
  BATCH_HEADER_BYTES,
  BatchInput,
  BatchProblem,
  CompressionType,
  DecodedBatch,
  RecordInput,
  RecordsError,
  RecordsErrorCode,
  batchPositions,
  checkBatch,
  decodeBatch,
  decodeBatchSync,
  decodeBatches,
  decodeBatchesSync,
  encodeBatch,
  encodeBatchSync,
  hasSyncCodec,
  readBatchHeader,
  setBatchBaseOffset,
  setBatchPartitionLeaderEpoch,
  writeBatchCrc,
} from '@runnel/records';

const NOW = 1_700_000_000_000n;
const b = (s: string): Buffer => Buffer.from(s);

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

describe('record batch v2', () => {
  it('writes every header field where Kafka puts it', () => {
    const buf = encodeBatchSync({
      records: [
        { key: b('k1'), value: b('v1'), timestampMs: NOW + 5n },
        { key: null, value: null, timestampMs: NOW + 9n },
        { value: b('v3'), timestampMs: NOW + 2n },
      ],
      baseOffset: 100n,
      partitionLeaderEpoch: 7,
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 10,
      transactional: true,
      nowMs: NOW,
    });
    expect(checkBatch(buf, 0, buf.length)).toBe(BatchProblem.Ok);
    const h = readBatchHeader(buf);
    expect(h).toMatchObject({
      baseOffset: 100n,
      batchLength: buf.length - 12,
      partitionLeaderEpoch: 7,
      magic: 2,
      attributes: 0x10,
      lastOffsetDelta: 2,
      baseTimestamp: NOW + 5n,
      maxTimestamp: NOW + 9n,
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 10,
      recordsCount: 3,
    });
    // First record, by hand: length, attributes 0, tsDelta 0, offsetDelta 0, key "k1", value "v1", 0 headers.
    expect(buf.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 11).toString('hex')).toBe('14' + '00' + '00' + '00' + '04' + '6b31' + '04' + '7631' + '00');
    // Second record: timestamp delta +4, offset delta 1, null key, null value.
    expect(buf.subarray(BATCH_HEADER_BYTES + 11, BATCH_HEADER_BYTES + 11 + 7).toString('hex')).toBe('0c' + '00' + '08' + '02' + '01' + '01' + '00');
  });

  it('decodes what it encodes: offsets, timestamps, keys, values, tombstones, headers, sequences', () => {
    const input: BatchInput = {
      records: [
        { key: b('a'), value: b('1'), headers: [{ key: 'h', value: b('x') }, { key: 'h', value: null }, { key: 'ünï', value: b('') }], timestampMs: NOW },
        { key: b(''), value: null, timestampMs: NOW - 1000n },
      ],
      baseOffset: 50n,
      producerId: 9n,
      producerEpoch: 1,
      baseSequence: 0x7fffffff,
      nowMs: NOW,
    };
    const batch = decodeBatchSync(encodeBatchSync(input));
    expect(batch.records).toEqual([
      { offset: 50n, timestampMs: NOW, key: b('a'), value: b('1'), headers: [{ key: 'h', value: b('x') }, { key: 'h', value: null }, { key: 'ünï', value: b('') }], sequence: 0x7fffffff },
      // Sequences wrap from INT32_MAX to 0, as Kafka's DefaultRecordBatch.incrementSequence.
      { offset: 51n, timestampMs: NOW - 1000n, key: b(''), value: null, headers: [], sequence: 0 },
    ]);
    expect(batch.header.maxTimestamp).toBe(NOW);
    expect(batch).toMatchObject({ compression: CompressionType.None, transactional: false, control: false, logAppendTime: false, deleteHorizonMs: null });
  });

  it('LogAppendTime: sets bit 3, maxTimestamp = now, and every record reads as maxTimestamp', () => {
    const buf = encodeBatchSync({ records: [{ value: b('a'), timestampMs: 5n }, { value: b('b'), timestampMs: 6n }], logAppendTime: true, nowMs: NOW });
    const batch = decodeBatchSync(buf);
    expect(batch.header.attributes & 0x08).toBe(0x08);
    expect(batch.logAppendTime).toBe(true);
    expect(batch.header.maxTimestamp).toBe(NOW);
    expect(batch.records.map((r) => r.timestampMs)).toEqual([NOW, NOW]);
  });

  it('delete horizon: sets bit 6 and takes record deltas from the horizon', () => {
    const horizon = NOW + 86_400_000n;
    const batch = decodeBatchSync(encodeBatchSync({ records: [{ key: b('k'), value: null, timestampMs: NOW }], deleteHorizonMs: horizon }));
    expect(batch.header.attributes & 0x40).toBe(0x40);
    expect(batch.deleteHorizonMs).toBe(horizon);
    expect(batch.header.baseTimestamp).toBe(horizon);
    expect(batch.records[0]!.timestampMs).toBe(NOW);
  });

  it('keeps offset gaps of cleaned batches and a larger lastOffsetDelta', () => {
    const batch = decodeBatchSync(
      encodeBatchSync({ records: [{ value: b('a'), offsetDelta: 2 }, { value: b('b'), offsetDelta: 7 }], lastOffsetDelta: 9, baseOffset: 10n, nowMs: NOW }),
    );
    expect(batch.records.map((r) => r.offset)).toEqual([12n, 17n]);
    expect(batch.header.lastOffsetDelta).toBe(9);
  });

  it('encodes an empty batch with no timestamps', () => {
    const batch = decodeBatchSync(encodeBatchSync({ records: [], nowMs: NOW }));
    expect(batch.records).toEqual([]);
    expect(batch.header.baseTimestamp).toBe(-1n);
    expect(batch.header.maxTimestamp).toBe(-1n);
  });

  it('rejects bad encoder input with InvalidArgument', async () => {
    expect(await codeOf(() => encodeBatchSync({ records: [{ value: null, offsetDelta: 1 }, { value: null, offsetDelta: 1 }] }))).toBe(RecordsErrorCode.InvalidArgument);
    expect(await codeOf(() => encodeBatchSync({ records: [], producerEpoch: 40000 }))).toBe(RecordsErrorCode.InvalidArgument);
    expect(await codeOf(() => encodeBatchSync({ records: [{ value: null }], lastOffsetDelta: -1 }))).toBe(RecordsErrorCode.InvalidArgument);
    expect(await codeOf(() => encodeBatchSync({ records: [], compression: 9 as CompressionType }))).toBe(RecordsErrorCode.UnsupportedCompression);
    expect(await codeOf(() => encodeBatchSync({ records: [], compression: CompressionType.Zstd }))).toBe(RecordsErrorCode.SyncUnsupported);
  });

  it('stamping offset and leader epoch after encoding keeps the batch valid', () => {
    const buf = encodeBatchSync({ records: [{ value: b('x') }, { value: b('y') }], nowMs: NOW });
    setBatchBaseOffset(buf, 1000n);
    setBatchPartitionLeaderEpoch(buf, 3);
    const batch = decodeBatchSync(buf);
    expect(batch.records.map((r) => r.offset)).toEqual([1000n, 1001n]);
    expect(batch.header.partitionLeaderEpoch).toBe(3);
  });

  describe('decode errors name the problem', () => {
    const good = encodeBatchSync({ records: [{ key: b('k'), value: b('value') }], nowMs: NOW });
    it('CRC mismatch', async () => {
      const bad = Buffer.from(good);
      bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff;
      expect(await codeOf(() => decodeBatchSync(bad))).toBe(RecordsErrorCode.BadCrc);
      expect(() => decodeBatchSync(bad)).toThrow(/CRC-32C mismatch/);
    });
    it('truncation, bad length, bad magic, bad count', async () => {
      expect(await codeOf(() => decodeBatchSync(good.subarray(0, 40)))).toBe(RecordsErrorCode.Truncated);
      expect(await codeOf(() => decodeBatchSync(good.subarray(0, good.length - 1)))).toBe(RecordsErrorCode.Truncated);
      const shortLength = Buffer.from(good);
      shortLength.writeInt32BE(10, 8);
      expect(await codeOf(() => decodeBatchSync(shortLength))).toBe(RecordsErrorCode.BadLength);
      const magic1 = Buffer.from(good);
      magic1.writeInt8(1, 16);
      expect(await codeOf(() => decodeBatchSync(magic1))).toBe(RecordsErrorCode.BadMagic);
      const count2 = Buffer.from(good);
      count2.writeInt32BE(2, 57);
      count2.writeInt32BE(1, 23);
      writeBatchCrc(count2);
      // 2 records cannot fit in one small record's bytes: refused before parsing.
      expect(await codeOf(() => decodeBatchSync(count2))).toBe(RecordsErrorCode.BadRecordCount);
      const long = encodeBatchSync({ records: [{ value: Buffer.alloc(40) }], nowMs: NOW });
      long.writeInt32BE(2, 57);
      long.writeInt32BE(1, 23);
      writeBatchCrc(long);
      expect(await codeOf(() => decodeBatchSync(long))).toBe(RecordsErrorCode.Truncated);
      expect(() => decodeBatchSync(long)).toThrow(/truncated record length/);
      const count0 = Buffer.from(good);
      count0.writeInt32BE(0, 57);
      writeBatchCrc(count0);
      expect(await codeOf(() => decodeBatchSync(count0))).toBe(RecordsErrorCode.BadRecordCount);
      const unknownCodec = Buffer.from(good);
      unknownCodec.writeInt16BE(5, 21);
      writeBatchCrc(unknownCodec);
      expect(await codeOf(() => decodeBatchSync(unknownCodec))).toBe(RecordsErrorCode.UnsupportedCompression);
    });
    it('a record whose length disagrees with its fields', async () => {
      const bad = Buffer.from(good);
      bad[BATCH_HEADER_BYTES] = bad[BATCH_HEADER_BYTES]! - 2; // length varint (zigzag): one byte less
      writeBatchCrc(bad);
      expect(await codeOf(() => decodeBatchSync(bad))).toBe(RecordsErrorCode.Truncated);
      expect(() => decodeBatchSync(bad)).toThrow(/truncated record headers count/);
    });
  });

  it('decodeBatches reads concatenated batches and ignores a trailing partial one', async () => {
    const one = encodeBatchSync({ records: [{ value: b('1') }], baseOffset: 0n, nowMs: NOW });
    const two = await encodeBatch({ records: [{ value: b('2') }, { value: b('3') }], baseOffset: 1n, compression: CompressionType.Zstd, nowMs: NOW });
    const three = encodeBatchSync({ records: [{ value: b('4') }], baseOffset: 3n, nowMs: NOW });
    const all = Buffer.concat([one, two, three.subarray(0, three.length - 5)]);
    expect(batchPositions(all)).toEqual([0, one.length]);
    const batches = await decodeBatches(all);
    expect(batches.flatMap((x) => x.records.map((r) => [r.offset, r.value!.toString()]))).toEqual([
      [0n, '1'],
      [1n, '2'],
      [2n, '3'],
    ]);
    expect(decodeBatchesSync(Buffer.concat([one, three, one.subarray(0, 11)])).length).toBe(2);
    expect(await codeOf(() => decodeBatchesSync(all))).toBe(RecordsErrorCode.SyncUnsupported);
  });

  // ---------------------------------------------------------------------------------------------
  // properties

  const header = fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }).map(Buffer.from), { nil: null }) });
  const record: fc.Arbitrary<RecordInput> = fc.record(
    {
      key: fc.option(fc.uint8Array({ maxLength: 16 }).map(Buffer.from), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 64 }).map(Buffer.from), { nil: null }),
      headers: fc.array(header, { maxLength: 3 }),
      timestampMs: fc.oneof(fc.bigInt({ min: NOW - 10n ** 9n, max: NOW + 10n ** 9n }), fc.bigInt({ min: -(1n << 61n), max: 1n << 61n })),
    },
    { requiredKeys: ['value'] },
  );
  const batchInput = fc.record({
    records: fc.array(record, { maxLength: 20 }),
    compression: fc.constantFrom(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd),
    baseOffset: fc.bigInt({ min: 0n, max: (1n << 62n) }),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
    producerId: fc.bigInt({ min: -1n, max: (1n << 62n) }),
    producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
    baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
    transactional: fc.boolean(),
    logAppendTime: fc.boolean(),
  });

  function expectMatches(input: BatchInput & { records: RecordInput[] }, batch: DecodedBatch): void {
    expect(batch.records.length).toBe(input.records.length);
    expect(batch.compression).toBe(input.compression ?? CompressionType.None);
    input.records.forEach((r, i) => {
      const d = batch.records[i]!;
      expect(d.offset).toBe((input.baseOffset ?? 0n) + BigInt(i));
      expect(d.timestampMs).toBe(input.logAppendTime === true ? NOW : (r.timestampMs ?? NOW));
      expect(d.key).toEqual(r.key ?? null);
      expect(d.value).toEqual(r.value);
      expect(d.headers).toEqual(r.headers ?? []);
    });
    expect(batch.header.producerId).toBe(input.producerId ?? -1n);
    expect(batch.header.producerEpoch).toBe(input.producerEpoch ?? -1);
    expect(batch.transactional).toBe(input.transactional === true);
  }

  it('property: random batches round-trip through every codec, sync and async', async () => {
    await fc.assert(
      fc.asyncProperty(batchInput, async (input) => {
        const full = { ...input, nowMs: NOW };
        const buf = await encodeBatch(full);
        expect(checkBatch(buf, 0, buf.length)).toBe(BatchProblem.Ok);
        expectMatches(full, await decodeBatch(buf));
        if (hasSyncCodec(input.compression)) {
          const syncBuf = encodeBatchSync(full);
          if (input.compression === CompressionType.None) expect(syncBuf.equals(buf)).toBe(true);
          expectMatches(full, decodeBatchSync(syncBuf));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('property: decoding random or corrupted bytes throws only RecordsError', async () => {
    const samples = await Promise.all(
      [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd].map((compression) =>
        encodeBatch({ records: [{ key: b('key'), value: b('v'.repeat(50)), headers: [{ key: 'h', value: b('x') }] }, { value: null }], compression, nowMs: NOW }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(samples.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.uint8Array({ maxLength: 120 }), async (which, flips, fixCrc, junk) => {
        const corrupted = Buffer.from(samples[which]!);
        for (const [at, mask] of flips) {
          const index = at % corrupted.length;
          if (index >= 8 && index < 12) continue; // keep batchLength: other cases cover it
          corrupted[index] = corrupted[index]! ^ mask;
        }
        if (fixCrc) writeBatchCrc(corrupted);
        for (const input of [corrupted, Buffer.from(junk), Buffer.concat([samples[0]!.subarray(0, 12), Buffer.from(junk)])]) {
          for (const decode of [() => decodeBatch(input), () => decodeBatches(input), () => decodeBatchSync(input), () => decodeBatch(input, 0, { verifyCrc: false })]) {
            const code = await codeOf(decode);
            if (code !== 'no error') expect(Object.values(RecordsErrorCode)).toContain(code);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
