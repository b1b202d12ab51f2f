/**
 * Control records: the transaction markers (and KRaft's own control types) that a control batch
 * (attribute bit 5) carries instead of user data. Layout, as Kafka's ControlRecordType and
 * EndTransactionMarker write it:
 *
 *   key    int16 version (0)  int16 type        0 = ABORT, 1 = COMMIT (2.. = KRaft: leader change, ...)
 *   value  int16 version (0)  int32 coordinatorEpoch     (ABORT / COMMIT only)
 *
 * A marker batch is transactional + control, has exactly one record, and carries the producer id
 * and epoch of the transaction it ends; its baseSequence is -1.
 */
import { CompressionType } from './batch-header';
import { RecordsErrorCode, recordsError } from './errors';
import { encodeBatchSync } from './record-batch';

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KRaftVersion = 5,
  KRaftVoters = 6,
}

export const CONTROL_RECORD_KEY_VERSION = 0;
export const END_TXN_MARKER_VALUE_VERSION = 0;
const CONTROL_KEY_BYTES = 4;
const END_TXN_MARKER_VALUE_BYTES = 6;

export interface ControlRecordKey {
  version: number;
  /** A `ControlRecordType`, or an unknown type number from a newer writer. */
  type: number;
}

export interface ControlRecord extends ControlRecordKey {
  /** ABORT/COMMIT markers only; null for other control types. */
  coordinatorEpoch: number | null;
}

export interface ControlBatchInput {
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  /** Marker timestamp; default Date.now(). */
  timestampMs?: bigint;
}

export function encodeControlKey(type: number, version = CONTROL_RECORD_KEY_VERSION): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_KEY_BYTES);
  key.writeInt16BE(version, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_BYTES);
  value.writeInt16BE(END_TXN_MARKER_VALUE_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** A COMMIT or ABORT marker batch, uncompressed, as the transaction coordinator writes it. */
export function encodeControlBatch(input: ControlBatchInput): Buffer {
  if (input.type !== ControlRecordType.Abort && input.type !== ControlRecordType.Commit) {
    throw recordsError(RecordsErrorCode.InvalidArgument, `control batch type ${input.type as number} is not ABORT (0) or COMMIT (1)`);
  }
  if (!Number.isInteger(input.coordinatorEpoch) || input.coordinatorEpoch < -0x8000_0000 || input.coordinatorEpoch > 0x7fff_ffff) {
    throw recordsError(RecordsErrorCode.InvalidArgument, `coordinatorEpoch ${input.coordinatorEpoch} is not an int32`);
  }
  const timestampMs = input.timestampMs ?? BigInt(Date.now());
  return encodeBatchSync({
    records: [{ key: encodeControlKey(input.type), value: encodeEndTxnMarkerValue(input.coordinatorEpoch), timestampMs }],
    compression: CompressionType.None,
    ...(input.baseOffset === undefined ? {} : { baseOffset: input.baseOffset }),
    ...(input.partitionLeaderEpoch === undefined ? {} : { partitionLeaderEpoch: input.partitionLeaderEpoch }),
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    transactional: true,
    control: true,
    nowMs: timestampMs,
  });
}

export function parseControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw recordsError(RecordsErrorCode.BadControlRecord, `control record key must have at least ${CONTROL_KEY_BYTES} bytes, has ${key === null ? 'null' : key.length}`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw recordsError(RecordsErrorCode.BadControlRecord, `control record key version ${version} is negative`);
  return { version, type: key.readInt16BE(2) };
}

/** Parses a record of a control batch: the key always, the value for ABORT/COMMIT markers. */
export function parseControlRecord(record: { key: Buffer | null; value: Buffer | null }): ControlRecord {
  const { version, type } = parseControlRecordKey(record.key);
  if (type !== (ControlRecordType.Abort as number) && type !== (ControlRecordType.Commit as number)) return { version, type, coordinatorEpoch: null };
  const value = record.value;
  if (value === null || value.length < END_TXN_MARKER_VALUE_BYTES) {
    throw recordsError(RecordsErrorCode.BadControlRecord, `transaction marker value must have at least ${END_TXN_MARKER_VALUE_BYTES} bytes, has ${value === null ? 'null' : value.length}`);
  }
  const valueVersion = value.readInt16BE(0);
  if (valueVersion < 0) throw recordsError(RecordsErrorCode.BadControlRecord, `transaction marker value version ${valueVersion} is negative`);
  return { version, type, coordinatorEpoch: value.readInt32BE(2) };
}
