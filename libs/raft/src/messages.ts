import type { LogEntry, SnapshotId } from './log';

/**
 * The Raft RPCs as plain objects. Field names are the camelCase of the fields in
 * shared/kafka-spec/message (VoteRequest.json, BeginQuorumEpochRequest.json, EndQuorumEpochRequest.json,
 * FetchRequest.json, FetchSnapshotRequest.json, DescribeQuorumResponse.json) so a wire codec can map
 * them one to one later. Two simplifications, both mechanical to undo in the codec:
 * - the Topics[]/Partitions[] nesting is flattened: the core replicates one partition,
 *   `__cluster_metadata-0`;
 * - records travel as decoded `LogEntry` objects with their `baseOffset` instead of record batches.
 * `preVote` is VoteRequest v2's field (KIP-996); the schemas in shared/kafka-spec stop at v1.
 * The request/response pairing is the envelope's `correlationId`, as in Kafka's request header.
 */

/** Kafka error codes (org.apache.kafka.common.protocol.Errors) used by the quorum RPCs. */
export const RaftErrorCode = {
  NONE: 0,
  NOT_LEADER_OR_FOLLOWER: 6,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
} as const;
export type RaftErrorCode = (typeof RaftErrorCode)[keyof typeof RaftErrorCode];

export interface VoteRequest {
  readonly type: 'VoteRequest';
  readonly clusterId: string;
  readonly voterId: number;
  readonly candidateEpoch: number;
  readonly candidateId: number;
  readonly lastOffsetEpoch: number;
  /** The candidate's log end offset. */
  readonly lastOffset: number;
  readonly preVote: boolean;
}

export interface VoteResponse {
  readonly type: 'VoteResponse';
  readonly errorCode: RaftErrorCode;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly voteGranted: boolean;
}

export interface BeginQuorumEpochRequest {
  readonly type: 'BeginQuorumEpochRequest';
  readonly clusterId: string;
  readonly voterId: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface BeginQuorumEpochResponse {
  readonly type: 'BeginQuorumEpochResponse';
  readonly errorCode: RaftErrorCode;
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface EndQuorumEpochRequest {
  readonly type: 'EndQuorumEpochRequest';
  readonly clusterId: string;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** Voters sorted by how far they have replicated, best first. */
  readonly preferredSuccessors: readonly number[];
}

export interface EndQuorumEpochResponse {
  readonly type: 'EndQuorumEpochResponse';
  readonly errorCode: RaftErrorCode;
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

/** FetchRequest: ReplicaState.ReplicaId and the partition's CurrentLeaderEpoch/FetchOffset/LastFetchedEpoch. */
export interface FetchRequest {
  readonly type: 'FetchRequest';
  readonly clusterId: string;
  readonly replicaId: number;
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number;
}

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface LeaderIdAndEpoch {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface FetchResponse {
  readonly type: 'FetchResponse';
  readonly errorCode: RaftErrorCode;
  readonly highWatermark: number;
  readonly divergingEpoch: EpochEndOffset | null;
  readonly currentLeader: LeaderIdAndEpoch;
  readonly snapshotId: SnapshotId | null;
  readonly baseOffset: number;
  readonly records: readonly LogEntry[];
}

export interface FetchSnapshotRequest {
  readonly type: 'FetchSnapshotRequest';
  readonly clusterId: string;
  readonly replicaId: number;
  readonly maxBytes: number;
  readonly currentLeaderEpoch: number;
  readonly snapshotId: SnapshotId;
  readonly position: number;
}

export interface FetchSnapshotResponse {
  readonly type: 'FetchSnapshotResponse';
  readonly errorCode: RaftErrorCode;
  readonly snapshotId: SnapshotId;
  readonly currentLeader: LeaderIdAndEpoch;
  readonly size: number;
  readonly position: number;
  readonly unalignedRecords: Uint8Array;
}

export type RaftRequest = VoteRequest | BeginQuorumEpochRequest | EndQuorumEpochRequest | FetchRequest | FetchSnapshotRequest;
export type RaftResponse = VoteResponse | BeginQuorumEpochResponse | EndQuorumEpochResponse | FetchResponse | FetchSnapshotResponse;
export type RaftBody = RaftRequest | RaftResponse;

/** One message on the controller network: node `from` to node `to`. Bodies are immutable and may be shared. */
export interface RaftMessage {
  readonly from: number;
  readonly to: number;
  readonly correlationId: number;
  readonly body: RaftBody;
}

/** DescribeQuorumResponse.ReplicaState; timestamps are in ticks, -1 when unknown. */
export interface ReplicaState {
  readonly replicaId: number;
  readonly logEndOffset: number;
  readonly lastFetchTimestamp: number;
  readonly lastCaughtUpTimestamp: number;
}

export interface DescribeQuorumResponse {
  readonly errorCode: RaftErrorCode;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly currentVoters: readonly ReplicaState[];
  readonly observers: readonly ReplicaState[];
}
