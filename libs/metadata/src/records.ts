/**
 * Metadata records: Kafka's KRaft record types (shared/kafka-spec/metadata/*.json) with Kafka's
 * names and fields, and their encoding in the `__cluster_metadata` log.
 *
 * One metadata record is one record of a v2 batch:
 *
 *   key    UTF-8 type name, e.g. "TopicRecord" (lets dump-log and compaction tooling see the type)
 *   value  compact JSON {"type": "TopicRecord", "version": 0, "data": {...}}
 *
 * `data` uses the camelCase field names of Kafka's JSON converters (`topicId`, `leaderEpoch`, ...).
 * Kafka itself stores these records in its binary "flexible versions" format; that needs the RPC
 * codecs of libs/protocol, which libs/metadata may not import (DESIGN.md walls), so the value is JSON.
 * Topic and incarnation ids are Kafka Uuid strings (22 chars of base64url, as Kafka prints them).
 * int64 fields are bigint in memory and JSON numbers on disk, checked to be exact (safe integers).
 *
 * One command appends all its records as one batch; the image applies a batch atomically.
 * `ClusterIdRecord` is Runnel's own (Kafka keeps the cluster id in meta.properties and the Raft
 * requests); it lets the image be rebuilt from the log alone.
 */
import { decodeBatchesSync, encodeBatchSync, type DecodedBatch } from '@runnel/records';
import { MetadataErrorCode, metadataError } from './errors';

export interface TopicRecord {
  name: string;
  topicId: string;
}

export interface PartitionRecord {
  partitionId: number;
  topicId: string;
  replicas: number[];
  isr: number[];
  removingReplicas: number[];
  addingReplicas: number[];
  leader: number;
  leaderRecoveryState: number;
  leaderEpoch: number;
  partitionEpoch: number;
}

/** Null list fields and leader -2 (NO_LEADER_CHANGE) mean "unchanged". */
export interface PartitionChangeRecord {
  partitionId: number;
  topicId: string;
  isr: number[] | null;
  leader: number;
  replicas: number[] | null;
  removingReplicas: number[] | null;
  addingReplicas: number[] | null;
  leaderRecoveryState: number;
}

export interface ConfigRecord {
  /** 2 = topic, 4 = broker (Kafka's ConfigResource.Type). */
  resourceType: number;
  resourceName: string;
  name: string;
  /** null deletes the override. */
  value: string | null;
}

export interface RemoveTopicRecord {
  topicId: string;
}

export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

export interface BrokerFeature {
  name: string;
  minSupportedVersion: number;
  maxSupportedVersion: number;
}

export interface RegisterBrokerRecord {
  brokerId: number;
  incarnationId: string;
  brokerEpoch: bigint;
  endPoints: BrokerEndpoint[];
  features: BrokerFeature[];
  rack: string | null;
  fenced: boolean;
}

export interface FeatureLevelRecord {
  name: string;
  featureLevel: number;
}

export type NoOpRecord = Record<string, never>;

export interface ProducerIdsRecord {
  brokerId: number;
  brokerEpoch: bigint;
  nextProducerId: bigint;
}

/** Runnel's own record (no Kafka apiKey): the cluster id, written once at bootstrap. */
export interface ClusterIdRecord {
  clusterId: string;
}

export type MetadataRecord =
  | { type: 'TopicRecord'; data: TopicRecord }
  | { type: 'PartitionRecord'; data: PartitionRecord }
  | { type: 'PartitionChangeRecord'; data: PartitionChangeRecord }
  | { type: 'ConfigRecord'; data: ConfigRecord }
  | { type: 'RemoveTopicRecord'; data: RemoveTopicRecord }
  | { type: 'RegisterBrokerRecord'; data: RegisterBrokerRecord }
  | { type: 'FeatureLevelRecord'; data: FeatureLevelRecord }
  | { type: 'NoOpRecord'; data: NoOpRecord }
  | { type: 'ProducerIdsRecord'; data: ProducerIdsRecord }
  | { type: 'ClusterIdRecord'; data: ClusterIdRecord };

export type MetadataRecordType = MetadataRecord['type'];

/** Record versions written, as in Kafka's specs (the fields above are those versions' fields). */
export const METADATA_RECORD_VERSIONS: Readonly<Record<MetadataRecordType, number>> = {
  TopicRecord: 0,
  PartitionRecord: 0,
  PartitionChangeRecord: 0,
  ConfigRecord: 0,
  RemoveTopicRecord: 0,
  RegisterBrokerRecord: 0,
  FeatureLevelRecord: 0,
  NoOpRecord: 0,
  ProducerIdsRecord: 0,
  ClusterIdRecord: 0,
};

// ---- field kinds: one decoder per Kafka field type, so decoding is driven by a small table ----

type Kind =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'uint16'
  | 'int64'
  | 'bool'
  | 'string'
  | 'nullableString'
  | 'uuid'
  | 'int32s'
  | 'nullableInt32s'
  | 'endpoints'
  | 'features';

const SCHEMAS: Readonly<Record<MetadataRecordType, Readonly<Record<string, Kind>>>> = {
  TopicRecord: { name: 'string', topicId: 'uuid' },
  PartitionRecord: {
    partitionId: 'int32',
    topicId: 'uuid',
    replicas: 'int32s',
    isr: 'int32s',
    removingReplicas: 'int32s',
    addingReplicas: 'int32s',
    leader: 'int32',
    leaderRecoveryState: 'int8',
    leaderEpoch: 'int32',
    partitionEpoch: 'int32',
  },
  PartitionChangeRecord: {
    partitionId: 'int32',
    topicId: 'uuid',
    isr: 'nullableInt32s',
    leader: 'int32',
    replicas: 'nullableInt32s',
    removingReplicas: 'nullableInt32s',
    addingReplicas: 'nullableInt32s',
    leaderRecoveryState: 'int8',
  },
  ConfigRecord: { resourceType: 'int8', resourceName: 'string', name: 'string', value: 'nullableString' },
  RemoveTopicRecord: { topicId: 'uuid' },
  RegisterBrokerRecord: {
    brokerId: 'int32',
    incarnationId: 'uuid',
    brokerEpoch: 'int64',
    endPoints: 'endpoints',
    features: 'features',
    rack: 'nullableString',
    fenced: 'bool',
  },
  FeatureLevelRecord: { name: 'string', featureLevel: 'int16' },
  NoOpRecord: {},
  ProducerIdsRecord: { brokerId: 'int32', brokerEpoch: 'int64', nextProducerId: 'int64' },
  ClusterIdRecord: { clusterId: 'string' },
};

/** Kafka's Uuid.toString(): 16 bytes as unpadded base64url (22 characters). */
const UUID_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isInt32s(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => isInt(v, -0x8000_0000, 0x7fff_ffff));
}

function corrupt(message: string): Error {
  return metadataError(MetadataErrorCode.CorruptRecord, `Corrupt metadata record: ${message}. The metadata log is damaged; restore it from a replica or backup.`);
}

function checkField(type: string, field: string, kind: Kind, value: unknown): unknown {
  const fail = (): Error => corrupt(`${type}.${field} is not a valid ${kind}: ${JSON.stringify(value)}`);
  switch (kind) {
    case 'int8':
      if (!isInt(value, -0x80, 0x7f)) throw fail();
      return value;
    case 'int16':
      if (!isInt(value, -0x8000, 0x7fff)) throw fail();
      return value;
    case 'int32':
      if (!isInt(value, -0x8000_0000, 0x7fff_ffff)) throw fail();
      return value;
    case 'uint16':
      if (!isInt(value, 0, 0xffff)) throw fail();
      return value;
    case 'int64':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw fail();
      return BigInt(value);
    case 'bool':
      if (typeof value !== 'boolean') throw fail();
      return value;
    case 'string':
      if (typeof value !== 'string') throw fail();
      return value;
    case 'nullableString':
      if (value !== null && typeof value !== 'string') throw fail();
      return value;
    case 'uuid':
      if (typeof value !== 'string' || !UUID_PATTERN.test(value)) throw fail();
      return value;
    case 'int32s':
      if (!isInt32s(value)) throw fail();
      return value;
    case 'nullableInt32s':
      if (value !== null && !isInt32s(value)) throw fail();
      return value;
    case 'endpoints':
      if (!Array.isArray(value)) throw fail();
      return value.map((e: unknown) => checkObject(`${type}.${field}[]`, { name: 'string', host: 'string', port: 'uint16', securityProtocol: 'int16' }, e));
    case 'features':
      if (!Array.isArray(value)) throw fail();
      return value.map((e: unknown) =>
        checkObject(`${type}.${field}[]`, { name: 'string', minSupportedVersion: 'int16', maxSupportedVersion: 'int16' }, e),
      );
  }
}

function checkObject(type: string, schema: Readonly<Record<string, Kind>>, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(`${type} data is not an object`);
  const input = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(schema)) {
    if (!(field in input)) throw corrupt(`${type}.${field} is missing`);
    out[field] = checkField(type, field, kind, input[field]);
  }
  return out;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`metadata: int64 ${value} is beyond JSON's exact integers`);
  }
  return Number(value);
}

/** The record's value bytes: compact JSON with Kafka's field names. */
export function encodeMetadataRecordValue(record: MetadataRecord): Buffer {
  const envelope = { type: record.type, version: METADATA_RECORD_VERSIONS[record.type], data: record.data };
  const json = JSON.stringify(envelope, jsonReplacer);
  // Validate what we write with the same table we read with: a bad record never reaches the log.
  checkObject(record.type, SCHEMAS[record.type], (JSON.parse(json) as { data: unknown }).data);
  return Buffer.from(json, 'utf8');
}

export function decodeMetadataRecordValue(value: Buffer): MetadataRecord {
  let envelope: unknown;
  try {
    envelope = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw metadataError(MetadataErrorCode.CorruptRecord, `Corrupt metadata record: value is not JSON. The metadata log is damaged.`, error);
  }
  if (typeof envelope !== 'object' || envelope === null) throw corrupt('value is not an object');
  const { type, version, data } = envelope as { type?: unknown; version?: unknown; data?: unknown };
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SCHEMAS, type)) {
    throw corrupt(`unknown record type ${JSON.stringify(type)} (this Runnel knows ${Object.keys(SCHEMAS).join(', ')})`);
  }
  const known = type as MetadataRecordType;
  if (version !== METADATA_RECORD_VERSIONS[known]) {
    throw corrupt(`${known} version ${JSON.stringify(version)} is not supported (expected ${METADATA_RECORD_VERSIONS[known]})`);
  }
  return { type: known, data: checkObject(known, SCHEMAS[known], data) } as MetadataRecord;
}

/** One v2 batch holding `records` in order (base offset 0: the log stamps the real one). */
export function encodeMetadataBatch(records: readonly MetadataRecord[], nowMs: bigint): Buffer {
  if (records.length === 0) throw new Error('metadata: a metadata batch holds at least one record');
  return encodeBatchSync({
    nowMs,
    records: records.map((record) => ({ key: Buffer.from(record.type, 'utf8'), value: encodeMetadataRecordValue(record) })),
  });
}

/** A decoded batch of the metadata log: its offsets and its records in order. */
export interface MetadataBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  records: MetadataRecord[];
}

function toMetadataBatch(batch: DecodedBatch): MetadataBatch {
  const lastOffset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta);
  const records = batch.records.map((record) => {
    if (record.value === null) throw corrupt(`record at offset ${record.offset} has a null value`);
    return decodeMetadataRecordValue(record.value);
  });
  return { baseOffset: batch.header.baseOffset, lastOffset, records };
}

/** Decodes whole v2 batches as returned by a log read; control batches are skipped. */
export function decodeMetadataBatches(bytes: Buffer): MetadataBatch[] {
  let batches: DecodedBatch[];
  try {
    batches = decodeBatchesSync(bytes);
  } catch (error) {
    throw metadataError(MetadataErrorCode.CorruptRecord, `Corrupt metadata batch: ${(error as Error).message}. The metadata log is damaged.`, error);
  }
  return batches.filter((batch) => !batch.control).map(toMetadataBatch);
}
