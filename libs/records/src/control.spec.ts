import {
  ControlRecordType,
  RecordsError,
  RecordsErrorCode,
  decodeBatchSync,
  encodeControlBatch,
  encodeControlKey,
  parseControlRecord,
  parseControlRecordKey,
} from '@runnel/records';

function codeOf(fn: () => unknown): RecordsErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    if (error instanceof RecordsError) return error.code;
    throw error;
  }
}

describe('control records', () => {
  it('writes an ABORT marker batch as the transaction coordinator does', () => {
    const buf = encodeControlBatch({ type: ControlRecordType.Abort, coordinatorEpoch: 0x01020304, producerId: 99n, producerEpoch: 4, baseOffset: 500n, partitionLeaderEpoch: 2, timestampMs: 1234n });
    const batch = decodeBatchSync(buf);
    expect(batch.header.attributes).toBe(0x30); // transactional | control, uncompressed, CreateTime
    expect(batch.header).toMatchObject({ producerId: 99n, producerEpoch: 4, baseSequence: -1, recordsCount: 1, lastOffsetDelta: 0, partitionLeaderEpoch: 2, baseTimestamp: 1234n });
    expect(batch).toMatchObject({ control: true, transactional: true });
    const record = batch.records[0]!;
    expect(record.key!.toString('hex')).toBe('00000000');
    expect(record.value!.toString('hex')).toBe('000001020304');
    expect(record.offset).toBe(500n);
    expect(parseControlRecord(record)).toEqual({ version: 0, type: ControlRecordType.Abort, coordinatorEpoch: 0x01020304 });
  });

  it('parses COMMIT and leaves non-transaction control types without an epoch', () => {
    const commit = decodeBatchSync(encodeControlBatch({ type: ControlRecordType.Commit, coordinatorEpoch: -1, producerId: 1n, producerEpoch: 0 })).records[0]!;
    expect(parseControlRecord(commit)).toEqual({ version: 0, type: ControlRecordType.Commit, coordinatorEpoch: -1 });
    expect(parseControlRecord({ key: encodeControlKey(ControlRecordType.LeaderChange), value: Buffer.from('ignored') })).toEqual({
      version: 0,
      type: ControlRecordType.LeaderChange,
      coordinatorEpoch: null,
    });
    expect(parseControlRecordKey(encodeControlKey(42, 1))).toEqual({ version: 1, type: 42 });
  });

  it('rejects malformed control records with BadControlRecord', () => {
    expect(codeOf(() => parseControlRecordKey(null))).toBe(RecordsErrorCode.BadControlRecord);
    expect(codeOf(() => parseControlRecordKey(Buffer.from('000000', 'hex')))).toBe(RecordsErrorCode.BadControlRecord);
    expect(codeOf(() => parseControlRecordKey(Buffer.from('ffff0000', 'hex')))).toBe(RecordsErrorCode.BadControlRecord);
    expect(codeOf(() => parseControlRecord({ key: encodeControlKey(ControlRecordType.Commit), value: null }))).toBe(RecordsErrorCode.BadControlRecord);
    expect(codeOf(() => parseControlRecord({ key: encodeControlKey(ControlRecordType.Commit), value: Buffer.from('0000', 'hex') }))).toBe(RecordsErrorCode.BadControlRecord);
    expect(() => parseControlRecord({ key: encodeControlKey(ControlRecordType.Abort), value: null })).toThrow(/transaction marker value/);
  });

  it('refuses to encode other control types or a bad epoch', () => {
    expect(codeOf(() => encodeControlBatch({ type: 2 as ControlRecordType.Abort, coordinatorEpoch: 0, producerId: 1n, producerEpoch: 0 }))).toBe(RecordsErrorCode.InvalidArgument);
    expect(codeOf(() => encodeControlBatch({ type: ControlRecordType.Abort, coordinatorEpoch: 2 ** 31, producerId: 1n, producerEpoch: 0 }))).toBe(RecordsErrorCode.InvalidArgument);
  });
});
