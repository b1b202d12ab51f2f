/**
 * The embedded consumer protocol: what consumers put in JoinGroup metadata
 * (ConsumerProtocolSubscription) and SyncGroup assignments (ConsumerProtocolAssignment), v0-v3,
 * Kafka's non-flexible encoding behind an int16 version:
 *
 *   Subscription  v0: topics [string], userData nullable bytes
 *                 v1: + ownedPartitions [topic string, partitions [int32]]
 *                 v2: + generationId int32 (default -1)
 *                 v3: + rackId nullable string (default null)
 *   Assignment    v0-v3: assignedPartitions [topic string, partitions [int32]], userData nullable bytes
 *
 * kafkajs's `MemberMetadata`/`MemberAssignment` are the v0 forms. As in Kafka, a newer version is
 * read with the newest layout we know, and bytes after it are ignored (versions only append fields).
 */
import { BinaryReader, BinaryWriter } from './binary';
import { CONSUMER_PROTOCOL_VERSION_MAX, NO_GENERATION, SUBSCRIPTION_TOPICS_MAX, TOPIC_PARTITIONS_MAX } from './constants';
import { CoordinatorError, CoordinatorErrorKind } from './errors';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartitions[];
  generationId: number;
  rackId: string | null;
}

export interface ConsumerAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export interface SubscriptionInput {
  topics: readonly string[];
  userData?: Buffer | null;
  ownedPartitions?: readonly TopicPartitions[];
  generationId?: number;
  rackId?: string | null;
}

export interface AssignmentInput {
  assignedPartitions: readonly TopicPartitions[];
  userData?: Buffer | null;
}

function checkVersion(version: number, what: string): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_VERSION_MAX) {
    throw new CoordinatorError(CoordinatorErrorKind.InvalidArgument, `${what}: cannot encode version ${version}`);
  }
}

function writeTopicPartitions(writer: BinaryWriter, items: readonly TopicPartitions[]): void {
  writer.array(items, (item) => {
    writer.string(item.topic);
    writer.array(item.partitions, (p) => writer.int32(p));
  });
}

function readTopicPartitions(reader: BinaryReader, field: string): TopicPartitions[] {
  return reader.array(field, SUBSCRIPTION_TOPICS_MAX, 6, () => ({
    topic: reader.string(`${field}.topic`),
    partitions: reader.array(`${field}.partitions`, TOPIC_PARTITIONS_MAX, 4, () => reader.int32(`${field}.partition`)),
  }));
}

export function encodeSubscription(input: SubscriptionInput, version = CONSUMER_PROTOCOL_VERSION_MAX): Buffer {
  checkVersion(version, 'ConsumerProtocolSubscription');
  const writer = new BinaryWriter().int16(version);
  writer.array(input.topics, (t) => writer.string(t));
  writer.nullableBytes(input.userData ?? null);
  if (version >= 1) writeTopicPartitions(writer, input.ownedPartitions ?? []);
  if (version >= 2) writer.int32(input.generationId ?? NO_GENERATION);
  if (version >= 3) writer.nullableString(input.rackId ?? null);
  return writer.finish();
}

export function decodeSubscription(bytes: Buffer): ConsumerSubscription {
  const reader = new BinaryReader(bytes, 'ConsumerProtocolSubscription');
  const version = reader.int16('version');
  if (version < 0) throw new CoordinatorError(CoordinatorErrorKind.UnknownVersion, `ConsumerProtocolSubscription: version ${version}`);
  const topics = reader.array('topics', SUBSCRIPTION_TOPICS_MAX, 2, () => reader.string('topic'));
  const userData = reader.nullableBytes('userData');
  const ownedPartitions = version >= 1 ? readTopicPartitions(reader, 'ownedPartitions') : [];
  const generationId = version >= 2 ? reader.int32('generationId') : NO_GENERATION;
  const rackId = version >= 3 ? reader.nullableString('rackId') : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeAssignment(input: AssignmentInput, version = CONSUMER_PROTOCOL_VERSION_MAX): Buffer {
  checkVersion(version, 'ConsumerProtocolAssignment');
  const writer = new BinaryWriter().int16(version);
  writeTopicPartitions(writer, input.assignedPartitions);
  writer.nullableBytes(input.userData ?? null);
  return writer.finish();
}

/** An empty buffer is an empty assignment (what the coordinator hands members the leader left out). */
export function decodeAssignment(bytes: Buffer): ConsumerAssignment {
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const reader = new BinaryReader(bytes, 'ConsumerProtocolAssignment');
  const version = reader.int16('version');
  if (version < 0) throw new CoordinatorError(CoordinatorErrorKind.UnknownVersion, `ConsumerProtocolAssignment: version ${version}`);
  const assignedPartitions = readTopicPartitions(reader, 'assignedPartitions');
  const userData = reader.nullableBytes('userData');
  return { version, assignedPartitions, userData };
}

/** Flattens `[{topic, partitions}]` to sorted `[{topic, partition}]`. */
export function flattenTopicPartitions(items: readonly TopicPartitions[]): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const item of items) for (const partition of item.partitions) out.push({ topic: item.topic, partition });
  return sortTopicPartitions(out);
}

/** Groups `[{topic, partition}]` by topic, topics and partitions sorted. */
export function groupTopicPartitions(items: readonly TopicPartition[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of sortTopicPartitions(items)) {
    const list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, [partition]);
    else list.push(partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Java's String.compareTo: UTF-16 code unit order, which JS `<` on strings also uses. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortTopicPartitions(items: readonly TopicPartition[]): TopicPartition[] {
  return [...items].sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
}
