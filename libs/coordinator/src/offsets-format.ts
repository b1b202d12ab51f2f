/**
 * Records of the compacted internal topic `__consumer_offsets`, in Kafka's own binary layouts
 * (GroupMetadataManager's schemas), so `kafka-console-consumer --formatter` style tools and people
 * who know Kafka read them as they expect. All integers big-endian; strings int16-length UTF-8
 * (-1 = null); bytes int32-length.
 *
 * Key (version first):
 *   v0, v1  OffsetCommit key:   version int16, group string, topic string, partition int32
 *   v2      GroupMetadata key:  version int16, group string
 * OffsetCommit value (we write v3; v0-v3 are read):
 *   v0: version, offset int64, metadata string, commitTimestamp int64
 *   v1: version, offset int64, metadata string, commitTimestamp int64, expireTimestamp int64
 *   v2: version, offset int64, metadata string, commitTimestamp int64
 *   v3: version, offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 * GroupMetadata value (we write v3; v0-v3 are read):
 *   version, protocolType string, generation int32, protocol string?, leader string?,
 *   [v2+] currentStateTimestamp int64, members [
 *     memberId string, [v3+] groupInstanceId string?, clientId string, clientHost string,
 *     [v1+] rebalanceTimeout int32, sessionTimeout int32, subscription bytes, assignment bytes ]
 * A null value is a tombstone: the offset was deleted, or the group was.
 */
import { BinaryReader, BinaryWriter } from './binary';
import { GROUP_MAX_SIZE_CEILING } from './constants';
import { CoordinatorError, CoordinatorErrorKind } from './errors';

export const OFFSET_KEY_VERSION = 1;
export const GROUP_KEY_VERSION = 2;
export const OFFSET_VALUE_VERSION = 3;
export const GROUP_VALUE_VERSION = 3;

export type OffsetsTopicKey =
  | { kind: 'offset'; groupId: string; topic: string; partition: number }
  | { kind: 'group'; groupId: string };

export interface OffsetCommitValue {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only in v1 records; null otherwise. */
  expireTimestampMs: number | null;
}

export interface GroupMemberValue {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generationId: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when unknown. */
  currentStateTimestampMs: number;
  members: GroupMemberValue[];
}

export function encodeOffsetKey(groupId: string, topic: string, partition: number): Buffer {
  return new BinaryWriter().int16(OFFSET_KEY_VERSION).string(groupId).string(topic).int32(partition).finish();
}

export function encodeGroupKey(groupId: string): Buffer {
  return new BinaryWriter().int16(GROUP_KEY_VERSION).string(groupId).finish();
}

export function decodeKey(bytes: Buffer): OffsetsTopicKey {
  const reader = new BinaryReader(bytes, '__consumer_offsets key');
  const version = reader.int16('version');
  if (version === 0 || version === 1) {
    return { kind: 'offset', groupId: reader.string('group'), topic: reader.string('topic'), partition: reader.int32('partition') };
  }
  if (version === 2) return { kind: 'group', groupId: reader.string('group') };
  throw new CoordinatorError(CoordinatorErrorKind.UnknownVersion, `__consumer_offsets key version ${version}`);
}

export function encodeOffsetValue(value: Omit<OffsetCommitValue, 'expireTimestampMs'>): Buffer {
  return new BinaryWriter()
    .int16(OFFSET_VALUE_VERSION)
    .int64(value.offset)
    .int32(value.leaderEpoch)
    .string(value.metadata)
    .int64(BigInt(value.commitTimestampMs))
    .finish();
}

function timestamp(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new CoordinatorError(CoordinatorErrorKind.BadLength, `timestamp ${value} out of range`);
  return n;
}

export function decodeOffsetValue(bytes: Buffer): OffsetCommitValue {
  const reader = new BinaryReader(bytes, 'OffsetCommit value');
  const version = reader.int16('version');
  if (version < 0 || version > 3) throw new CoordinatorError(CoordinatorErrorKind.UnknownVersion, `OffsetCommit value version ${version}`);
  const offset = reader.int64('offset');
  const leaderEpoch = version >= 3 ? reader.int32('leaderEpoch') : -1;
  const metadata = reader.string('metadata');
  const commitTimestampMs = timestamp(reader.int64('commitTimestamp'));
  const expireTimestampMs = version === 1 ? timestamp(reader.int64('expireTimestamp')) : null;
  return { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs };
}

export function encodeGroupValue(value: GroupMetadataValue): Buffer {
  const writer = new BinaryWriter()
    .int16(GROUP_VALUE_VERSION)
    .string(value.protocolType)
    .int32(value.generationId)
    .nullableString(value.protocol)
    .nullableString(value.leader)
    .int64(BigInt(value.currentStateTimestampMs));
  writer.array(value.members, (m) => {
    writer
      .string(m.memberId)
      .nullableString(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  });
  return writer.finish();
}

export function decodeGroupValue(bytes: Buffer): GroupMetadataValue {
  const reader = new BinaryReader(bytes, 'GroupMetadata value');
  const version = reader.int16('version');
  if (version < 0 || version > 3) throw new CoordinatorError(CoordinatorErrorKind.UnknownVersion, `GroupMetadata value version ${version}`);
  const protocolType = reader.string('protocolType');
  const generationId = reader.int32('generation');
  const protocol = reader.nullableString('protocol');
  const leader = reader.nullableString('leader');
  const currentStateTimestampMs = version >= 2 ? timestamp(reader.int64('currentStateTimestamp')) : -1;
  const members = reader.array('members', GROUP_MAX_SIZE_CEILING, 20, () => {
    const memberId = reader.string('memberId');
    const groupInstanceId = version >= 3 ? reader.nullableString('groupInstanceId') : null;
    const clientId = reader.string('clientId');
    const clientHost = reader.string('clientHost');
    const rebalanceTimeout = version >= 1 ? reader.int32('rebalanceTimeout') : -1;
    const sessionTimeoutMs = reader.int32('sessionTimeout');
    // v0 had no rebalance timeout: Kafka reads it as the session timeout.
    const rebalanceTimeoutMs = version >= 1 ? rebalanceTimeout : sessionTimeoutMs;
    const subscription = reader.bytes('subscription');
    const assignment = reader.bytes('assignment');
    return { memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs, subscription, assignment };
  });
  return { protocolType, generationId, protocol, leader, currentStateTimestampMs, members };
}
