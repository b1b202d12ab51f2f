/**
 * Request and result shapes of the coordinator: Kafka's JoinGroup/SyncGroup/Heartbeat/LeaveGroup/
 * OffsetCommit/OffsetFetch/ListGroups/DescribeGroups/DeleteGroups, as plain objects. Every result
 * carries Kafka's numeric `errorCode` (see `ErrorCode`); nothing here throws for bad input.
 */
import type { ErrorCode } from './errors';

/** Which door a member came through: a Kafka wire client, an HTTP consumer instance, a WebSocket subscription. */
export type ClientKind = 'kafka' | 'http' | 'ws';

/** Kafka's group states, spelled as DescribeGroups/ListGroups report them. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinGroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  /** '' for a member joining for the first time. */
  memberId: string;
  /** Static membership (`group.instance.id`); null/absent for dynamic members. */
  groupInstanceId?: string | null;
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none (-1): the session timeout is used, as in Kafka. */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly JoinGroupProtocol[];
  clientId: string;
  clientHost: string;
  clientKind: ClientKind;
  /** JoinGroup v4+: a new dynamic member first gets MEMBER_ID_REQUIRED with its id, then rejoins with it. */
  requireKnownMemberId?: boolean;
  reason?: string | null;
}

export interface JoinGroupResultMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: ErrorCode;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Every member's metadata for the chosen protocol, only in the leader's result. */
  members: JoinGroupResultMember[];
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  /** SyncGroup v5+: checked against the group's when given. */
  protocolType?: string | null;
  protocolName?: string | null;
  /** The leader's assignment; followers send []. */
  assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: ErrorCode;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  /** LeaveGroup v3+: a batch. An admin may name a static member by instance id with memberId ''. */
  members: readonly { memberId: string; groupInstanceId?: string | null; reason?: string | null }[];
}

export interface LeaveGroupResult {
  errorCode: ErrorCode;
  members: { memberId: string; groupInstanceId: string | null; errorCode: ErrorCode }[];
}

export interface OffsetCommitPartition {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 with memberId '': a standalone commit, accepted only while the group has no members. */
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  offsets: readonly OffsetCommitPartition[];
}

export interface OffsetCommitResult {
  /** NONE when every partition is NONE, else the first partition error (a convenience, not in Kafka). */
  errorCode: ErrorCode;
  partitions: { topic: string; partition: number; errorCode: ErrorCode }[];
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  errorCode: ErrorCode;
}

export interface OffsetFetchResult {
  errorCode: ErrorCode;
  partitions: FetchedOffset[];
}

export interface ListGroupsResult {
  errorCode: ErrorCode;
  groups: { groupId: string; protocolType: string; state: GroupState; members: number }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  clientKind: ClientKind;
  /** The member's metadata for the group's protocol; empty unless the group is Stable (as Kafka). */
  metadata: Buffer;
  /** Empty unless the group is Stable (as Kafka). */
  assignment: Buffer;
}

export interface DescribedGroup {
  groupId: string;
  errorCode: ErrorCode;
  state: GroupState;
  protocolType: string;
  /** '' unless Stable (as Kafka). */
  protocol: string;
  /** Extensions for the admin API (not in Kafka's DescribeGroups). */
  generationId: number;
  leader: string | null;
  members: DescribedMember[];
}

export interface DeleteGroupResult {
  groupId: string;
  errorCode: ErrorCode;
}

export interface LoadStats {
  groups: number;
  offsets: number;
  records: number;
  /** Records that could not be decoded (unknown versions, bad bytes): counted and skipped. */
  skippedRecords: number;
}
