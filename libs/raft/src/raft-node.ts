import { assert } from './assert';
import {
  CHECK_QUORUM_TIMEOUT_TICKS,
  ELECTION_BACKOFF_TICKS,
  ELECTION_TIMEOUT_TICKS,
  FETCH_ENTRIES_MAX,
  FETCH_IDLE_TICKS,
  FETCH_TIMEOUT_TICKS,
  NO_NODE,
  REQUEST_TIMEOUT_TICKS,
  SNAPSHOT_CHUNK_BYTES_MAX,
  UNCOMMITTED_ENTRIES_MAX,
  VOTERS_MAX,
} from './constants';
import { decodeSnapshot, encodeSnapshot, type LogEntry, type RaftLog, type Snapshot, type SnapshotId } from './log';
import {
  RaftErrorCode,
  type BeginQuorumEpochRequest,
  type DescribeQuorumResponse,
  type EndQuorumEpochRequest,
  type FetchRequest,
  type FetchResponse,
  type FetchSnapshotRequest,
  type FetchSnapshotResponse,
  type RaftBody,
  type RaftMessage,
  type ReplicaState,
  type VoteRequest,
  type VoteResponse,
} from './messages';

/** The quorum-state file (Kafka's `quorum-state`): persisted before any message that depends on it. */
export interface QuorumStateData {
  readonly leaderEpoch: number;
  readonly leaderId: number;
  readonly votedId: number;
}

/** The injected random source: an integer in [0, bound). */
export interface RandomSource {
  nextInt(bound: number): number;
}

export interface RaftConfig {
  readonly nodeId: number;
  readonly clusterId: string;
  /** The voter set before any VotersRecord (KIP-853 bootstrap): every node is started with the same list. */
  readonly bootstrapVoters: readonly number[];
  readonly electionTimeoutTicks: number;
  readonly electionBackoffTicks: number;
  readonly fetchTimeoutTicks: number;
  readonly checkQuorumTimeoutTicks: number;
  readonly requestTimeoutTicks: number;
  readonly fetchIdleTicks: number;
  readonly fetchEntriesMax: number;
  readonly snapshotChunkBytesMax: number;
  readonly uncommittedEntriesMax: number;
  /** KIP-996 pre-vote; off only to show in tests what it prevents. */
  readonly preVote: boolean;
}

export function raftConfig(
  base: Pick<RaftConfig, 'nodeId' | 'bootstrapVoters'> & Partial<RaftConfig>,
): RaftConfig {
  const config: RaftConfig = {
    clusterId: 'runnel',
    electionTimeoutTicks: ELECTION_TIMEOUT_TICKS,
    electionBackoffTicks: ELECTION_BACKOFF_TICKS,
    fetchTimeoutTicks: FETCH_TIMEOUT_TICKS,
    checkQuorumTimeoutTicks: CHECK_QUORUM_TIMEOUT_TICKS,
    requestTimeoutTicks: REQUEST_TIMEOUT_TICKS,
    fetchIdleTicks: FETCH_IDLE_TICKS,
    fetchEntriesMax: FETCH_ENTRIES_MAX,
    snapshotChunkBytesMax: SNAPSHOT_CHUNK_BYTES_MAX,
    uncommittedEntriesMax: UNCOMMITTED_ENTRIES_MAX,
    preVote: true,
    ...base,
  };
  assert(Number.isSafeInteger(config.nodeId) && config.nodeId >= 0, 'nodeId is a non-negative integer');
  assert(config.bootstrapVoters.length >= 1 && config.bootstrapVoters.length <= VOTERS_MAX, 'bootstrap voter count');
  assert(new Set(config.bootstrapVoters).size === config.bootstrapVoters.length, 'bootstrap voters are distinct');
  assert(config.electionTimeoutTicks >= 2 && config.electionBackoffTicks >= 1, 'election timeouts');
  assert(config.fetchTimeoutTicks > config.electionTimeoutTicks, 'fetch timeout outlasts an election timeout');
  assert(config.checkQuorumTimeoutTicks > config.fetchTimeoutTicks, 'check-quorum outlasts the fetch timeout');
  assert(config.requestTimeoutTicks < config.fetchTimeoutTicks, 'requests are retried before a fetch timeout');
  assert(config.fetchIdleTicks >= 1 && config.fetchIdleTicks < config.requestTimeoutTicks, 'fetch idle backoff');
  assert(config.fetchEntriesMax >= 1 && config.snapshotChunkBytesMax >= 1, 'fetch sizes');
  assert(config.uncommittedEntriesMax >= 1, 'uncommitted entries limit');
  return config;
}

/**
 * What the host must do after inputs, in this order (etcd's Ready; "persist before you send"):
 *  1. persist: `truncateTo` (if >= 0), then `snapshot` (install it when `snapshotInstalled`, else
 *     compact the log prefix to it), then append `entries` at `entriesBaseOffset`, then write
 *     `quorumState` (if not null); fsync;
 *  2. send `messages`;
 *  3. apply `applySnapshot` (reset the state machine) then `committed` from `committedBaseOffset`;
 *  4. call `advance(ready)`.
 * Only one Ready is outstanding at a time; the node keeps taking inputs meanwhile.
 */
export interface Ready {
  readonly quorumState: QuorumStateData | null;
  readonly truncateTo: number;
  readonly snapshot: Snapshot | null;
  readonly snapshotInstalled: boolean;
  readonly entriesBaseOffset: number;
  readonly entries: readonly LogEntry[];
  readonly logEndOffset: number;
  readonly messages: readonly RaftMessage[];
  readonly applySnapshot: Snapshot | null;
  readonly committedBaseOffset: number;
  readonly committed: readonly LogEntry[];
}

export type ProposeResult =
  | { readonly ok: true; readonly offset: number; readonly epoch: number }
  | { readonly ok: false; readonly error: 'NOT_LEADER' | 'BACKPRESSURE'; readonly leaderId: number; readonly epoch: number };

export type VoterChangeResult =
  | { readonly ok: true; readonly offset: number; readonly voters: readonly number[] }
  | {
      readonly ok: false;
      readonly error: 'NOT_LEADER' | 'NOT_COMMITTED_IN_EPOCH' | 'CHANGE_IN_PROGRESS' | 'DUPLICATE_VOTER' | 'VOTER_NOT_FOUND' | 'NOT_CAUGHT_UP' | 'LAST_VOTER' | 'TOO_MANY_VOTERS';
    };

export type RoleKind = 'unattached' | 'prospective' | 'candidate' | 'leader' | 'follower' | 'resigned';

interface ReplicaProgress {
  /** -1 until the replica fetched in this epoch. */
  fetchOffset: number;
  lastFetchTick: number;
  lastCaughtUpTick: number;
}

interface SnapshotDownload {
  readonly snapshotId: SnapshotId;
  readonly chunks: Uint8Array[];
  position: number;
}

/**
 * The roles (Kafka's QuorumState; one state object per role, replaced on every transition).
 *
 *   from \ to    unattached        prospective           candidate         leader        follower                 resigned
 *   unattached   higher epoch      election timeout      (pre-vote off)    -             leader learned           -
 *   prospective  higher epoch      new round on timeout  majority pre-vote -             leader learned           -
 *   candidate    higher epoch      election timeout      -                 majority vote leader learned           -
 *   leader       higher epoch      -                     -                 -             higher epoch + leader    resign / check-quorum / removed
 *   follower     higher epoch;     fetch timeout (voter) -                 -             higher epoch + leader    -
 *                fetch timeout (observer)
 *   resigned     higher epoch      election timeout      -                 -             higher epoch + leader    -
 *
 * "Leader learned" is BeginQuorumEpoch, or a Fetch/Vote/EndQuorumEpoch answer naming a leader of an
 * epoch >= ours. A granted vote keeps the node unattached (the vote is in the quorum state). A
 * single voter goes unattached -> prospective -> candidate -> leader in one step.
 */
type Role =
  | { readonly kind: 'unattached'; electionDeadline: number; discoverTick: number }
  | { readonly kind: 'prospective'; readonly round: number; readonly granted: number[]; readonly deadline: number }
  | { readonly kind: 'candidate'; readonly round: number; readonly granted: number[]; readonly deadline: number }
  | {
      readonly kind: 'leader';
      readonly epochStartOffset: number;
      readonly progress: Map<number, ReplicaProgress>;
      beginQuorumTick: number;
      /** Offset of an appended VotersRecord that removes this leader: resign once it commits. */
      resignAfterOffset: number;
    }
  | {
      readonly kind: 'follower';
      readonly leaderId: number;
      /** The leader proved itself (a successful fetch or its BeginQuorumEpoch) since it resigned or we started following. */
      leaderAlive: boolean;
      fetchDeadline: number;
      inflight: number;
      inflightTick: number;
      nextFetchTick: number;
      download: SnapshotDownload | null;
    }
  | { readonly kind: 'resigned'; readonly deadline: number };

interface VoterSetAt {
  /** Offset of the VotersRecord, or startOffset - 1 for the snapshot/bootstrap set. */
  readonly offset: number;
  readonly voters: readonly number[];
}

export interface RaftNodeOptions {
  readonly config: RaftConfig;
  /** The durable log as found at start (after a crash: exactly what was persisted). */
  readonly log: RaftLog;
  readonly quorumState: QuorumStateData | null;
  readonly random: RandomSource;
}

/**
 * One replica of the metadata quorum as a pure state machine (KIP-595 KRaft, with KIP-996 pre-vote,
 * KIP-630 snapshots and KIP-853 voter changes). Inputs: `tick()`, `step(message)`, `propose()`,
 * `addVoter()/removeVoter()`, `resign()`, `snapshot()`. Outputs: `ready()` (see `Ready`). No I/O,
 * timers or randomness inside: time is the tick count and randomness comes from `RandomSource`.
 *
 * Replication is pull based: followers and observers send Fetch(fetchOffset, lastFetchedEpoch); the
 * fetch offset is the acknowledgement (a Fetch leaves only after the entries before it are
 * persisted). The leader checks the pair against its log and answers with entries, a diverging
 * epoch (the follower truncates) or a snapshot id (the follower downloads it in chunks). The high
 * watermark is the majority voter offset (the leader counts its own persisted offset) and moves only
 * once it covers the leader's LeaderChange entry, the first entry of its epoch.
 */
export class RaftNode {
  readonly config: RaftConfig;
  private readonly log: RaftLog;
  private readonly random: RandomSource;
  private readonly nodeId: number;
  private nowTick = 0;
  private quorum: QuorumStateData;
  private quorumDirty = false;
  private roleState: Role;
  private hw: number;
  private applied: number;
  private persistedEnd: number;
  private unstableFrom: number;
  private pendingTruncateTo = Infinity;
  private truncatedSinceReady = Infinity;
  private pendingSnapshot: Snapshot | null = null;
  private pendingSnapshotInstalled = false;
  private pendingApplySnapshot: Snapshot | null;
  private outbox: RaftMessage[] = [];
  private nextCorrelationId: number;
  private voterHistory: VoterSetAt[];
  private readonly offsetsScratch: number[] = [];
  private encodedSnapshot: { readonly snapshot: Snapshot; readonly bytes: Uint8Array } | null = null;

  constructor(options: RaftNodeOptions) {
    this.config = options.config;
    this.log = options.log;
    this.random = options.random;
    this.nodeId = this.config.nodeId;
    this.quorum = options.quorumState ?? { leaderEpoch: 0, leaderId: NO_NODE, votedId: NO_NODE };
    const start = this.log.startOffset();
    const end = this.log.endOffset();
    const snapshot = this.log.latestSnapshot();
    assert(snapshot === null ? start === 0 : snapshot.snapshotId.endOffset === start, 'log starts at its snapshot');
    this.voterHistory = [{ offset: start - 1, voters: snapshot === null ? this.config.bootstrapVoters : snapshot.voters }];
    for (let offset = start; offset < end; offset += 1) {
      const entry = this.log.entryAt(offset);
      if (entry.type === 'voters') this.voterHistory.push({ offset, voters: entry.voters });
    }
    this.hw = start;
    this.applied = start;
    this.persistedEnd = end;
    this.unstableFrom = end;
    this.pendingApplySnapshot = snapshot;
    this.nextCorrelationId = this.random.nextInt(0x40000000);
    if (this.quorum.leaderId === this.nodeId) {
      // A leader that restarts cannot resume: its in-memory progress is gone. It waits out its epoch.
      this.roleState = { kind: 'resigned', deadline: this.randomElectionTimeout() };
    } else if (this.quorum.leaderId !== NO_NODE) {
      this.roleState = this.followerRole(this.quorum.leaderId);
    } else {
      this.roleState = { kind: 'unattached', electionDeadline: this.randomElectionTimeout(), discoverTick: 0 };
    }
  }

  // ----- observation -----

  get id(): number {
    return this.nodeId;
  }
  get role(): RoleKind {
    return this.roleState.kind;
  }
  get epoch(): number {
    return this.quorum.leaderEpoch;
  }
  get leaderId(): number {
    return this.quorum.leaderId;
  }
  get votedId(): number {
    return this.quorum.votedId;
  }
  get highWatermark(): number {
    return this.hw;
  }
  get appliedOffset(): number {
    return this.applied;
  }
  get now(): number {
    return this.nowTick;
  }
  get voters(): readonly number[] {
    return this.voterHistory[this.voterHistory.length - 1]!.voters;
  }
  get raftLog(): RaftLog {
    return this.log;
  }
  isVoter(id: number = this.nodeId): boolean {
    return this.voters.includes(id);
  }

  // ----- inputs -----

  tick(): void {
    this.nowTick += 1;
    const now = this.nowTick;
    const role = this.roleState;
    switch (role.kind) {
      case 'unattached':
        if (this.isVoter()) {
          if (now >= role.electionDeadline) this.startProspective();
        } else if (now >= role.discoverTick) {
          this.discoverLeader(role);
        }
        return;
      case 'prospective':
      case 'candidate':
        if (now >= role.deadline) this.startProspective();
        return;
      case 'resigned':
        if (now >= role.deadline) this.startProspective();
        return;
      case 'follower':
        if (now >= role.fetchDeadline) {
          if (this.isVoter()) this.startProspective();
          else this.roleState = { kind: 'unattached', electionDeadline: this.randomElectionTimeout(), discoverTick: now };
          return;
        }
        if (role.inflight === -1 ? now >= role.nextFetchTick : now - role.inflightTick >= this.config.requestTimeoutTicks) {
          this.sendFetch(role);
        }
        return;
      case 'leader':
        this.tickLeader(role);
        return;
    }
  }

  step(message: RaftMessage): void {
    assert(message.to === this.nodeId, `message for ${message.to} stepped into ${this.nodeId}`);
    const body = message.body;
    switch (body.type) {
      case 'VoteRequest':
        return this.onVoteRequest(message, body);
      case 'VoteResponse':
        return this.onVoteResponse(message, body);
      case 'BeginQuorumEpochRequest':
        return this.onBeginQuorumEpoch(message, body);
      case 'EndQuorumEpochRequest':
        return this.onEndQuorumEpoch(message, body);
      case 'BeginQuorumEpochResponse':
      case 'EndQuorumEpochResponse':
        if (body.leaderEpoch > this.epoch) this.learnEpoch(body.leaderEpoch, body.leaderId);
        return;
      case 'FetchRequest':
        return this.onFetchRequest(message, body);
      case 'FetchResponse':
        return this.onFetchResponse(message, body);
      case 'FetchSnapshotRequest':
        return this.onFetchSnapshotRequest(message, body);
      case 'FetchSnapshotResponse':
        return this.onFetchSnapshotResponse(message, body);
    }
  }

  /** Appends an application record; only the leader accepts. Committed once the HW passes `offset`. */
  propose(data: Uint8Array): ProposeResult {
    const role = this.roleState;
    if (role.kind !== 'leader') return { ok: false, error: 'NOT_LEADER', leaderId: this.leaderId, epoch: this.epoch };
    if (this.log.endOffset() - this.hw >= this.config.uncommittedEntriesMax) {
      return { ok: false, error: 'BACKPRESSURE', leaderId: this.nodeId, epoch: this.epoch };
    }
    const offset = this.log.endOffset();
    this.appendEntry({ type: 'data', epoch: this.epoch, data });
    this.maybeAdvanceHighWatermark(role);
    return { ok: true, offset, epoch: this.epoch };
  }

  /** KIP-853 AddVoter: the new voter must be a caught-up observer. */
  addVoter(id: number): VoterChangeResult {
    const role = this.roleState;
    const refused = this.voterChangeRefusal();
    if (refused !== null || role.kind !== 'leader') return { ok: false, error: refused ?? 'NOT_LEADER' };
    const voters = this.voters;
    if (voters.includes(id)) return { ok: false, error: 'DUPLICATE_VOTER' };
    if (voters.length >= VOTERS_MAX) return { ok: false, error: 'TOO_MANY_VOTERS' };
    const progress = role.progress.get(id);
    if (progress === undefined || progress.fetchOffset < this.hw || this.nowTick - progress.lastFetchTick > this.config.fetchTimeoutTicks) {
      return { ok: false, error: 'NOT_CAUGHT_UP' };
    }
    return this.appendVoters(role, [...voters, id].sort((a, b) => a - b));
  }

  /** KIP-853 RemoveVoter; removing the leader itself makes it resign once the change commits. */
  removeVoter(id: number): VoterChangeResult {
    const role = this.roleState;
    const refused = this.voterChangeRefusal();
    if (refused !== null || role.kind !== 'leader') return { ok: false, error: refused ?? 'NOT_LEADER' };
    const voters = this.voters;
    if (!voters.includes(id)) return { ok: false, error: 'VOTER_NOT_FOUND' };
    if (voters.length === 1) return { ok: false, error: 'LAST_VOTER' };
    return this.appendVoters(role, voters.filter((voter) => voter !== id));
  }

  /** Graceful resignation (EndQuorumEpoch with preferred successors). No-op unless leader. */
  resign(): void {
    const role = this.roleState;
    if (role.kind !== 'leader') return;
    const successors = this.voters
      .filter((voter) => voter !== this.nodeId)
      .sort((a, b) => (role.progress.get(b)?.fetchOffset ?? -1) - (role.progress.get(a)?.fetchOffset ?? -1));
    for (const voter of successors) {
      this.send(voter, this.newCorrelationId(), {
        type: 'EndQuorumEpochRequest',
        clusterId: this.config.clusterId,
        leaderId: this.nodeId,
        leaderEpoch: this.epoch,
        preferredSuccessors: successors,
      });
    }
    this.roleState = { kind: 'resigned', deadline: this.randomElectionTimeout() };
  }

  /** The state machine took a snapshot of everything applied up to `endOffset`: delete the log prefix. */
  snapshot(endOffset: number, data: Uint8Array): void {
    assert(endOffset <= this.applied, `snapshot at ${endOffset} beyond applied ${this.applied}`);
    if (endOffset <= this.log.startOffset()) return;
    const snapshot: Snapshot = {
      snapshotId: { endOffset, epoch: this.log.epochAt(endOffset - 1) },
      voters: this.votersAt(endOffset),
      data,
    };
    this.log.compactTo(snapshot);
    this.pendingSnapshot = snapshot; // an install still pending stays an install (the disk log is replaced)
    let keep = 0;
    while (keep + 1 < this.voterHistory.length && this.voterHistory[keep + 1]!.offset < endOffset) keep += 1;
    this.voterHistory = this.voterHistory.slice(keep);
    this.unstableFrom = Math.max(this.unstableFrom, endOffset);
  }

  describeQuorum(): DescribeQuorumResponse {
    const role = this.roleState;
    if (role.kind !== 'leader') {
      return { errorCode: RaftErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: this.leaderId, leaderEpoch: this.epoch, highWatermark: this.hw, currentVoters: [], observers: [] };
    }
    const state = (replicaId: number): ReplicaState => {
      if (replicaId === this.nodeId) {
        return { replicaId, logEndOffset: this.log.endOffset(), lastFetchTimestamp: -1, lastCaughtUpTimestamp: this.nowTick };
      }
      const p = role.progress.get(replicaId);
      return {
        replicaId,
        logEndOffset: p?.fetchOffset ?? -1,
        lastFetchTimestamp: p === undefined || p.fetchOffset < 0 ? -1 : p.lastFetchTick,
        lastCaughtUpTimestamp: p === undefined || p.fetchOffset < 0 ? -1 : p.lastCaughtUpTick,
      };
    };
    const voters = this.voters;
    const observers = [...role.progress.keys()].filter((id) => !voters.includes(id) && id !== this.nodeId).sort((a, b) => a - b);
    return {
      errorCode: RaftErrorCode.NONE,
      leaderId: this.nodeId,
      leaderEpoch: this.epoch,
      highWatermark: this.hw,
      currentVoters: voters.map(state),
      observers: observers.map(state),
    };
  }

  // ----- outputs -----

  hasReady(): boolean {
    return (
      this.quorumDirty ||
      this.outbox.length > 0 ||
      this.unstableFrom < this.log.endOffset() ||
      this.pendingTruncateTo !== Infinity ||
      this.pendingSnapshot !== null ||
      this.pendingApplySnapshot !== null ||
      this.applied < this.hw
    );
  }

  ready(): Ready {
    const end = this.log.endOffset();
    const entriesBaseOffset = Math.max(Math.min(this.unstableFrom, end), this.log.startOffset());
    const committedBaseOffset = this.applied;
    const committed = this.applied < this.hw ? this.log.slice(this.applied, this.hw) : [];
    const ready: Ready = {
      quorumState: this.quorumDirty ? this.quorum : null,
      truncateTo: this.pendingTruncateTo === Infinity ? -1 : this.pendingTruncateTo,
      snapshot: this.pendingSnapshot,
      snapshotInstalled: this.pendingSnapshotInstalled,
      entriesBaseOffset,
      entries: entriesBaseOffset < end ? this.log.slice(entriesBaseOffset, end) : [],
      logEndOffset: end,
      messages: this.outbox,
      applySnapshot: this.pendingApplySnapshot,
      committedBaseOffset,
      committed,
    };
    this.quorumDirty = false;
    this.pendingTruncateTo = Infinity;
    this.truncatedSinceReady = Infinity;
    this.pendingSnapshot = null;
    this.pendingSnapshotInstalled = false;
    this.pendingApplySnapshot = null;
    this.outbox = [];
    this.unstableFrom = end;
    this.applied = Math.max(this.applied, this.hw);
    return ready;
  }

  /** The host finished step 1-3 of `ready`: its entries are durable. */
  advance(ready: Ready): void {
    this.persistedEnd = Math.min(ready.logEndOffset, this.truncatedSinceReady, this.log.endOffset());
    const role = this.roleState;
    if (role.kind === 'leader') this.maybeAdvanceHighWatermark(role);
  }

  // ----- elections -----

  private startProspective(): void {
    if (!this.isVoter()) {
      this.roleState = { kind: 'unattached', electionDeadline: this.randomElectionTimeout(), discoverTick: this.nowTick };
      return;
    }
    if (!this.config.preVote) return this.startCandidate();
    const round = this.newCorrelationId();
    const role: Role = { kind: 'prospective', round, granted: [this.nodeId], deadline: this.randomElectionTimeout() };
    this.roleState = role;
    if (role.granted.length >= this.majority()) return this.startCandidate();
    this.requestVotes(round, this.epoch + 1, true);
  }

  private startCandidate(): void {
    const epoch = this.epoch + 1;
    this.setQuorum({ leaderEpoch: epoch, leaderId: NO_NODE, votedId: this.nodeId });
    const round = this.newCorrelationId();
    const role: Role = { kind: 'candidate', round, granted: [this.nodeId], deadline: this.randomElectionTimeout() };
    this.roleState = role;
    if (role.granted.length >= this.majority()) return this.becomeLeader();
    this.requestVotes(round, epoch, false);
  }

  private requestVotes(round: number, candidateEpoch: number, preVote: boolean): void {
    for (const voter of this.voters) {
      if (voter === this.nodeId) continue;
      this.send(voter, round, {
        type: 'VoteRequest',
        clusterId: this.config.clusterId,
        voterId: voter,
        candidateEpoch,
        candidateId: this.nodeId,
        lastOffsetEpoch: this.log.lastFetchedEpoch(),
        lastOffset: this.log.endOffset(),
        preVote,
      });
    }
  }

  private becomeLeader(): void {
    assert(this.quorum.votedId === this.nodeId && this.quorum.leaderId === NO_NODE, 'leader voted for itself');
    this.setQuorum({ leaderEpoch: this.epoch, leaderId: this.nodeId, votedId: this.nodeId });
    const progress = new Map<number, ReplicaProgress>();
    for (const voter of this.voters) {
      if (voter !== this.nodeId) progress.set(voter, { fetchOffset: -1, lastFetchTick: this.nowTick, lastCaughtUpTick: -1 });
    }
    const role: Role = { kind: 'leader', epochStartOffset: this.log.endOffset(), progress, beginQuorumTick: 0, resignAfterOffset: -1 };
    this.roleState = role;
    this.appendEntry({ type: 'leaderChange', epoch: this.epoch, leaderId: this.nodeId, voters: this.voters });
    this.tickLeader(role);
  }

  private onVoteRequest(message: RaftMessage, request: VoteRequest): void {
    const candidateId = request.candidateId;
    const upToDate =
      request.lastOffsetEpoch > this.log.lastFetchedEpoch() ||
      (request.lastOffsetEpoch === this.log.lastFetchedEpoch() && request.lastOffset >= this.log.endOffset());
    let granted = false;
    if (request.candidateEpoch < this.epoch) {
      granted = false;
    } else if (request.preVote) {
      // KIP-996: grant only if a real vote would be granted and no leader is known to be alive (a
      // follower that only heard of its leader, or whose leader resigned, does not count as alive).
      const role = this.roleState;
      const leaderAlive = role.kind === 'leader' || (role.kind === 'follower' && role.leaderAlive);
      granted = upToDate && !leaderAlive && this.couldVoteFor(candidateId, request.candidateEpoch);
    } else {
      if (request.candidateEpoch > this.epoch) this.becomeUnattached(request.candidateEpoch);
      granted = upToDate && this.couldVoteFor(candidateId, request.candidateEpoch);
      if (granted && this.quorum.votedId !== candidateId) {
        this.setQuorum({ leaderEpoch: this.epoch, leaderId: NO_NODE, votedId: candidateId });
        this.roleState = { kind: 'unattached', electionDeadline: this.randomElectionTimeout(), discoverTick: this.nowTick };
      } else if (granted && this.roleState.kind === 'unattached') {
        this.roleState.electionDeadline = this.randomElectionTimeout();
      }
    }
    this.send(message.from, message.correlationId, {
      type: 'VoteResponse',
      errorCode: request.candidateEpoch < this.epoch ? RaftErrorCode.FENCED_LEADER_EPOCH : RaftErrorCode.NONE,
      leaderId: this.leaderId,
      leaderEpoch: this.epoch,
      voteGranted: granted,
    });
  }

  /** Vote rule: one vote per epoch, never for an epoch whose leader is known. */
  private couldVoteFor(candidateId: number, candidateEpoch: number): boolean {
    if (candidateEpoch > this.epoch) return true;
    if (this.quorum.leaderId !== NO_NODE) return false;
    return this.quorum.votedId === NO_NODE || this.quorum.votedId === candidateId;
  }

  private onVoteResponse(message: RaftMessage, response: VoteResponse): void {
    if (response.leaderEpoch > this.epoch) return this.learnEpoch(response.leaderEpoch, response.leaderId);
    const role = this.roleState;
    if (role.kind !== 'prospective' && role.kind !== 'candidate') return;
    if (
      role.kind === 'prospective' &&
      !response.voteGranted &&
      response.leaderEpoch === this.epoch &&
      response.leaderId !== NO_NODE &&
      response.leaderId !== this.nodeId &&
      this.quorum.leaderId === NO_NODE
    ) {
      // KIP-996: a rejected pre-vote that names a leader of our epoch we did not know sends us to it.
      // (Not the leader we just gave up on: going back to it on every rejection can livelock.)
      return this.becomeFollower(this.epoch, response.leaderId);
    }
    if (message.correlationId !== role.round || !response.voteGranted) return;
    if (role.kind === 'candidate' && response.leaderEpoch !== this.epoch) return;
    if (!this.isVoter(message.from) || role.granted.includes(message.from)) return;
    role.granted.push(message.from);
    if (role.granted.length < this.majority()) return;
    if (role.kind === 'prospective') this.startCandidate();
    else this.becomeLeader();
  }

  // ----- leader announcements -----

  private onBeginQuorumEpoch(message: RaftMessage, request: BeginQuorumEpochRequest): void {
    if (request.leaderEpoch > this.epoch) {
      this.becomeFollower(request.leaderEpoch, request.leaderId);
    } else if (request.leaderEpoch === this.epoch) {
      assert(request.leaderId !== this.nodeId, 'BeginQuorumEpoch from myself');
      assert(
        this.quorum.leaderId === NO_NODE || this.quorum.leaderId === request.leaderId,
        `two leaders in epoch ${this.epoch}: ${this.quorum.leaderId} and ${request.leaderId}`,
      );
      if (this.roleState.kind !== 'follower') this.becomeFollower(request.leaderEpoch, request.leaderId);
    }
    const role = this.roleState;
    if (request.leaderEpoch === this.epoch && role.kind === 'follower' && role.leaderId === request.leaderId) role.leaderAlive = true;
    this.send(message.from, message.correlationId, {
      type: 'BeginQuorumEpochResponse',
      errorCode: request.leaderEpoch < this.epoch ? RaftErrorCode.FENCED_LEADER_EPOCH : RaftErrorCode.NONE,
      leaderId: this.leaderId,
      leaderEpoch: this.epoch,
    });
  }

  private onEndQuorumEpoch(message: RaftMessage, request: EndQuorumEpochRequest): void {
    if (request.leaderEpoch > this.epoch) this.becomeFollower(request.leaderEpoch, request.leaderId);
    const role = this.roleState;
    if (request.leaderEpoch === this.epoch && role.kind === 'follower' && role.leaderId === request.leaderId && this.isVoter()) {
      // The best-replicated successor campaigns first; the others back off by rank.
      const rank = request.preferredSuccessors.indexOf(this.nodeId);
      const wait = rank < 0 ? this.config.electionTimeoutTicks : rank * this.config.electionBackoffTicks;
      role.leaderAlive = false;
      role.fetchDeadline = Math.min(role.fetchDeadline, this.nowTick + wait + this.random.nextInt(this.config.electionBackoffTicks));
    }
    this.send(message.from, message.correlationId, {
      type: 'EndQuorumEpochResponse',
      errorCode: request.leaderEpoch < this.epoch ? RaftErrorCode.FENCED_LEADER_EPOCH : RaftErrorCode.NONE,
      leaderId: this.leaderId,
      leaderEpoch: this.epoch,
    });
  }

  /** A message shows a newer epoch: follow its leader if named, else wait unattached. */
  private learnEpoch(epoch: number, leaderId: number): void {
    assert(epoch > this.epoch, 'learnEpoch moves forward');
    if (leaderId !== NO_NODE && leaderId !== this.nodeId) this.becomeFollower(epoch, leaderId);
    else this.becomeUnattached(epoch);
  }

  private becomeUnattached(epoch: number): void {
    assert(epoch > this.epoch, `unattached epoch ${epoch} after ${this.epoch}`);
    this.setQuorum({ leaderEpoch: epoch, leaderId: NO_NODE, votedId: NO_NODE });
    this.roleState = { kind: 'unattached', electionDeadline: this.randomElectionTimeout(), discoverTick: this.nowTick };
  }

  private becomeFollower(epoch: number, leaderId: number): void {
    assert(leaderId !== this.nodeId && leaderId !== NO_NODE, 'follow another node');
    assert(epoch >= this.epoch, 'follow forward');
    if (epoch === this.epoch) {
      assert(this.roleState.kind !== 'leader', `leader of epoch ${epoch} told to follow ${leaderId}`);
      assert(this.quorum.leaderId === NO_NODE || this.quorum.leaderId === leaderId, `two leaders in epoch ${epoch}`);
    }
    this.setQuorum({ leaderEpoch: epoch, leaderId, votedId: epoch === this.epoch ? this.quorum.votedId : NO_NODE });
    const role = this.followerRole(leaderId);
    this.roleState = role;
    this.sendFetch(role);
  }

  private followerRole(leaderId: number): Role & { kind: 'follower' } {
    return {
      kind: 'follower',
      leaderId,
      leaderAlive: false,
      fetchDeadline: this.nowTick + this.config.fetchTimeoutTicks,
      inflight: -1,
      inflightTick: 0,
      nextFetchTick: this.nowTick,
      download: null,
    };
  }

  // ----- leader -----

  private tickLeader(role: Role & { kind: 'leader' }): void {
    const now = this.nowTick;
    // Check-quorum: a leader that a majority of voters has not fetched from recently resigns.
    const voters = this.voters;
    let alive = 0;
    for (const voter of voters) {
      if (voter === this.nodeId) alive += 1;
      else if (now - (role.progress.get(voter)?.lastFetchTick ?? -Infinity) <= this.config.checkQuorumTimeoutTicks) alive += 1;
    }
    if (alive < this.majority()) return this.resign();
    if (now >= role.beginQuorumTick) {
      role.beginQuorumTick = now + this.config.requestTimeoutTicks;
      // Announce the epoch to voters that never fetched in it, and again to voters that stopped
      // fetching (they gave up on us after a partition and sit in a pre-vote we reject).
      for (const voter of voters) {
        const progress = role.progress.get(voter);
        if (voter === this.nodeId) continue;
        if (progress !== undefined && progress.fetchOffset >= 0 && now - progress.lastFetchTick <= this.config.fetchTimeoutTicks) continue;
        this.send(voter, this.newCorrelationId(), {
          type: 'BeginQuorumEpochRequest',
          clusterId: this.config.clusterId,
          voterId: voter,
          leaderId: this.nodeId,
          leaderEpoch: this.epoch,
        });
      }
    }
  }

  private voterChangeRefusal(): 'NOT_LEADER' | 'NOT_COMMITTED_IN_EPOCH' | 'CHANGE_IN_PROGRESS' | null {
    const role = this.roleState;
    if (role.kind !== 'leader') return 'NOT_LEADER';
    // The rule that closes the single-server-change bug: commit in your own epoch before changing voters.
    if (this.hw <= role.epochStartOffset) return 'NOT_COMMITTED_IN_EPOCH';
    if (this.voterHistory[this.voterHistory.length - 1]!.offset >= this.hw) return 'CHANGE_IN_PROGRESS';
    return null;
  }

  private appendVoters(role: Role & { kind: 'leader' }, voters: number[]): VoterChangeResult {
    const offset = this.log.endOffset();
    this.appendEntry({ type: 'voters', epoch: this.epoch, voters });
    if (!voters.includes(this.nodeId)) role.resignAfterOffset = offset;
    for (const voter of voters) {
      if (voter !== this.nodeId && !role.progress.has(voter)) role.progress.set(voter, { fetchOffset: -1, lastFetchTick: this.nowTick, lastCaughtUpTick: -1 });
    }
    this.maybeAdvanceHighWatermark(role);
    return { ok: true, offset, voters };
  }

  /** HW = the offset a majority of the current voters has persisted, once it covers our epoch start. */
  private maybeAdvanceHighWatermark(role: Role & { kind: 'leader' }): void {
    const offsets = this.offsetsScratch;
    offsets.length = 0;
    for (const voter of this.voters) {
      offsets.push(voter === this.nodeId ? this.persistedEnd : (role.progress.get(voter)?.fetchOffset ?? -1));
    }
    for (let i = 1; i < offsets.length; i += 1) {
      const value = offsets[i]!;
      let j = i - 1;
      while (j >= 0 && offsets[j]! < value) {
        offsets[j + 1] = offsets[j]!;
        j -= 1;
      }
      offsets[j + 1] = value;
    }
    const majorityOffset = offsets[this.majority() - 1]!;
    if (majorityOffset > this.hw && majorityOffset > role.epochStartOffset) {
      assert(majorityOffset <= this.log.endOffset(), 'HW within the log');
      this.hw = majorityOffset;
    }
    if (role.resignAfterOffset >= 0 && this.hw > role.resignAfterOffset && this.roleState === role) this.resign();
  }

  private onFetchRequest(message: RaftMessage, request: FetchRequest): void {
    const role = this.roleState;
    const error = this.leaderEpochError(request.currentLeaderEpoch);
    if (error !== RaftErrorCode.NONE || role.kind !== 'leader') {
      return this.respondFetch(message, error === RaftErrorCode.NONE ? RaftErrorCode.NOT_LEADER_OR_FOLLOWER : error, null, null, this.log.endOffset(), []);
    }
    const progress = this.progressOf(role, request.replicaId);
    progress.lastFetchTick = this.nowTick;
    const start = this.log.startOffset();
    const snapshot = this.log.latestSnapshot();
    if (request.fetchOffset < start) {
      assert(snapshot !== null, 'a log that starts past 0 has a snapshot');
      return this.respondFetch(message, RaftErrorCode.NONE, null, snapshot.snapshotId, request.fetchOffset, []);
    }
    const local = this.log.endOffsetForEpoch(request.lastFetchedEpoch);
    if (local.epoch !== request.lastFetchedEpoch || local.offset < request.fetchOffset) {
      if (local.epoch === -1 || local.offset < start) {
        assert(snapshot !== null, 'divergence before the log start needs a snapshot');
        return this.respondFetch(message, RaftErrorCode.NONE, null, snapshot.snapshotId, request.fetchOffset, []);
      }
      return this.respondFetch(message, RaftErrorCode.NONE, { epoch: local.epoch, endOffset: local.offset }, null, request.fetchOffset, []);
    }
    progress.fetchOffset = request.fetchOffset;
    if (request.fetchOffset >= this.hw) progress.lastCaughtUpTick = this.nowTick;
    this.maybeAdvanceHighWatermark(role);
    const to = Math.min(this.log.endOffset(), request.fetchOffset + this.config.fetchEntriesMax);
    const records = to > request.fetchOffset ? this.log.slice(request.fetchOffset, to) : [];
    this.respondFetch(message, RaftErrorCode.NONE, null, null, request.fetchOffset, records);
  }

  private progressOf(role: Role & { kind: 'leader' }, replicaId: number): ReplicaProgress {
    let progress = role.progress.get(replicaId);
    if (progress === undefined) {
      progress = { fetchOffset: -1, lastFetchTick: this.nowTick, lastCaughtUpTick: -1 };
      role.progress.set(replicaId, progress);
    }
    return progress;
  }

  private leaderEpochError(requestEpoch: number): RaftErrorCode {
    if (requestEpoch < this.epoch) return RaftErrorCode.FENCED_LEADER_EPOCH;
    if (requestEpoch > this.epoch) return RaftErrorCode.UNKNOWN_LEADER_EPOCH;
    return RaftErrorCode.NONE;
  }

  private respondFetch(
    message: RaftMessage,
    errorCode: RaftErrorCode,
    divergingEpoch: FetchResponse['divergingEpoch'],
    snapshotId: SnapshotId | null,
    baseOffset: number,
    records: readonly LogEntry[],
  ): void {
    this.send(message.from, message.correlationId, {
      type: 'FetchResponse',
      errorCode,
      highWatermark: this.hw,
      divergingEpoch,
      currentLeader: { leaderId: this.leaderId, leaderEpoch: this.epoch },
      snapshotId,
      baseOffset,
      records,
    });
  }

  private onFetchSnapshotRequest(message: RaftMessage, request: FetchSnapshotRequest): void {
    const role = this.roleState;
    let error = this.leaderEpochError(request.currentLeaderEpoch);
    if (error === RaftErrorCode.NONE && role.kind !== 'leader') error = RaftErrorCode.NOT_LEADER_OR_FOLLOWER;
    const snapshot = this.log.latestSnapshot();
    if (
      error === RaftErrorCode.NONE &&
      (snapshot === null || snapshot.snapshotId.endOffset !== request.snapshotId.endOffset || snapshot.snapshotId.epoch !== request.snapshotId.epoch)
    ) {
      error = RaftErrorCode.SNAPSHOT_NOT_FOUND;
    }
    let bytes: Uint8Array = new Uint8Array(0);
    if (error === RaftErrorCode.NONE && snapshot !== null) {
      if (role.kind === 'leader') this.progressOf(role, message.from).lastFetchTick = this.nowTick;
      if (this.encodedSnapshot === null || this.encodedSnapshot.snapshot !== snapshot) this.encodedSnapshot = { snapshot, bytes: encodeSnapshot(snapshot) };
      bytes = this.encodedSnapshot.bytes;
      if (request.position < 0 || request.position > bytes.length) error = RaftErrorCode.POSITION_OUT_OF_RANGE;
    }
    const size = bytes.length;
    const chunkEnd = Math.min(size, request.position + Math.min(request.maxBytes, this.config.snapshotChunkBytesMax));
    this.send(message.from, message.correlationId, {
      type: 'FetchSnapshotResponse',
      errorCode: error,
      snapshotId: request.snapshotId,
      currentLeader: { leaderId: this.leaderId, leaderEpoch: this.epoch },
      size,
      position: request.position,
      unalignedRecords: error === RaftErrorCode.NONE ? bytes.subarray(request.position, chunkEnd) : new Uint8Array(0),
    });
  }

  // ----- follower -----

  private sendFetch(role: Role & { kind: 'follower' }): void {
    const correlationId = this.newCorrelationId();
    role.inflight = correlationId;
    role.inflightTick = this.nowTick;
    if (role.download !== null) {
      this.send(role.leaderId, correlationId, {
        type: 'FetchSnapshotRequest',
        clusterId: this.config.clusterId,
        replicaId: this.nodeId,
        maxBytes: this.config.snapshotChunkBytesMax,
        currentLeaderEpoch: this.epoch,
        snapshotId: role.download.snapshotId,
        position: role.download.position,
      });
      return;
    }
    this.send(role.leaderId, correlationId, {
      type: 'FetchRequest',
      clusterId: this.config.clusterId,
      replicaId: this.nodeId,
      currentLeaderEpoch: this.epoch,
      fetchOffset: this.log.endOffset(),
      lastFetchedEpoch: this.log.lastFetchedEpoch(),
    });
  }

  /** An observer without a leader asks a random voter; any answer names the leader. */
  private discoverLeader(role: Role & { kind: 'unattached' }): void {
    role.discoverTick = this.nowTick + this.config.requestTimeoutTicks;
    const voters = this.voters;
    const voter = voters[this.random.nextInt(voters.length)]!;
    if (voter === this.nodeId) return;
    this.send(voter, this.newCorrelationId(), {
      type: 'FetchRequest',
      clusterId: this.config.clusterId,
      replicaId: this.nodeId,
      currentLeaderEpoch: this.epoch,
      fetchOffset: this.log.endOffset(),
      lastFetchedEpoch: this.log.lastFetchedEpoch(),
    });
  }

  /** Handles the epoch/leader part of a Fetch or FetchSnapshot answer; true when the caller should go on. */
  private followLeaderHint(message: RaftMessage, leaderId: number, leaderEpoch: number, correlationId: number): boolean {
    if (leaderEpoch > this.epoch) {
      this.learnEpoch(leaderEpoch, leaderId);
      return false;
    }
    const role = this.roleState;
    if (role.kind !== 'follower') {
      // An answer at our epoch naming its leader: an observer looking for the leader (again, after a
      // fetch timeout) follows it; a voter only if it did not know the leader (a lost BeginQuorumEpoch).
      const known = this.quorum.leaderId;
      const follow =
        leaderEpoch === this.epoch &&
        leaderId !== NO_NODE &&
        leaderId !== this.nodeId &&
        ((role.kind === 'unattached' && (known === NO_NODE || (known === leaderId && !this.isVoter()))) || (role.kind === 'prospective' && known === NO_NODE));
      if (follow) this.becomeFollower(leaderEpoch, leaderId);
      return false;
    }
    return message.from === role.leaderId && correlationId === role.inflight && leaderEpoch === this.epoch;
  }

  private onFetchResponse(message: RaftMessage, response: FetchResponse): void {
    if (!this.followLeaderHint(message, response.currentLeader.leaderId, response.currentLeader.leaderEpoch, message.correlationId)) return;
    const role = this.roleState;
    assert(role.kind === 'follower', 'fetch answers go to followers');
    role.inflight = -1;
    if (response.errorCode !== RaftErrorCode.NONE) {
      role.nextFetchTick = this.nowTick + this.config.fetchIdleTicks;
      return;
    }
    role.fetchDeadline = this.nowTick + this.config.fetchTimeoutTicks;
    role.leaderAlive = true;
    if (response.divergingEpoch !== null) {
      this.truncateToDivergence(response.divergingEpoch.epoch, response.divergingEpoch.endOffset);
      return this.sendFetch(role);
    }
    if (response.snapshotId !== null) {
      role.download = { snapshotId: response.snapshotId, chunks: [], position: 0 };
      return this.sendFetch(role);
    }
    assert(response.baseOffset === this.log.endOffset(), `fetch answer at ${response.baseOffset}, log end ${this.log.endOffset()}`);
    for (const entry of response.records) {
      assert(entry.epoch <= this.epoch, `entry of epoch ${entry.epoch} from leader of ${this.epoch}`);
      this.appendEntry(entry);
    }
    const hw = Math.min(response.highWatermark, this.log.endOffset());
    if (hw > this.hw) this.hw = hw;
    if (response.records.length > 0) this.sendFetch(role);
    else role.nextFetchTick = this.nowTick + this.config.fetchIdleTicks;
  }

  /** Kafka's truncateToEndOffset: cut where our log and the leader's agree. Never below the HW. */
  private truncateToDivergence(epoch: number, endOffset: number): void {
    const local = this.log.endOffsetForEpoch(epoch);
    assert(local.epoch !== -1, `diverging epoch ${epoch} is inside our snapshot`);
    const offset = local.epoch === epoch ? Math.min(local.offset, endOffset) : local.offset;
    if (offset < this.log.endOffset()) this.truncateLog(offset);
  }

  private onFetchSnapshotResponse(message: RaftMessage, response: FetchSnapshotResponse): void {
    if (!this.followLeaderHint(message, response.currentLeader.leaderId, response.currentLeader.leaderEpoch, message.correlationId)) return;
    const role = this.roleState;
    assert(role.kind === 'follower', 'snapshot answers go to followers');
    role.inflight = -1;
    const download = role.download;
    if (download === null) return;
    if (response.errorCode !== RaftErrorCode.NONE) {
      role.download = null; // the leader has a newer snapshot: Fetch again to learn its id
      role.nextFetchTick = this.nowTick + this.config.fetchIdleTicks;
      return;
    }
    role.fetchDeadline = this.nowTick + this.config.fetchTimeoutTicks;
    role.leaderAlive = true;
    assert(response.position === download.position && response.snapshotId.endOffset === download.snapshotId.endOffset, 'snapshot chunk in order');
    download.chunks.push(response.unalignedRecords);
    download.position += response.unalignedRecords.length;
    assert(download.position <= response.size, 'snapshot chunk within size');
    if (download.position === response.size) {
      const bytes = new Uint8Array(response.size);
      let at = 0;
      for (const chunk of download.chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      role.download = null;
      this.installSnapshot(decodeSnapshot(download.snapshotId, bytes));
    }
    this.sendFetch(role);
  }

  private installSnapshot(snapshot: Snapshot): void {
    const end = snapshot.snapshotId.endOffset;
    assert(end >= this.hw, `snapshot at ${end} below the HW ${this.hw}`);
    this.log.installSnapshot(snapshot);
    this.voterHistory = [{ offset: end - 1, voters: snapshot.voters }];
    this.hw = end;
    this.applied = end;
    this.pendingSnapshot = snapshot;
    this.pendingSnapshotInstalled = true;
    this.pendingApplySnapshot = snapshot;
    this.pendingTruncateTo = Infinity; // the install replaces the whole log
    this.unstableFrom = end;
    this.truncatedSinceReady = Math.min(this.truncatedSinceReady, end);
    this.persistedEnd = Math.min(this.persistedEnd, end);
  }

  // ----- log helpers -----

  private appendEntry(entry: LogEntry): void {
    const offset = this.log.endOffset();
    this.log.append(entry);
    if (entry.type === 'voters') {
      assert(entry.voters.length >= 1 && entry.voters.length <= VOTERS_MAX, 'voter set size');
      this.voterHistory.push({ offset, voters: entry.voters });
    }
  }

  private truncateLog(offset: number): void {
    assert(offset >= this.hw, `truncation to ${offset} below the HW ${this.hw}: committed data would be lost`);
    this.log.truncateTo(offset);
    while (this.voterHistory.length > 1 && this.voterHistory[this.voterHistory.length - 1]!.offset >= offset) this.voterHistory.pop();
    this.unstableFrom = Math.min(this.unstableFrom, offset);
    this.pendingTruncateTo = Math.min(this.pendingTruncateTo, offset);
    this.truncatedSinceReady = Math.min(this.truncatedSinceReady, offset);
    this.persistedEnd = Math.min(this.persistedEnd, offset);
  }

  private votersAt(endOffset: number): readonly number[] {
    let voters = this.voterHistory[0]!.voters;
    for (const at of this.voterHistory) if (at.offset < endOffset) voters = at.voters;
    return voters;
  }

  // ----- small helpers -----

  private majority(): number {
    return (this.voters.length >> 1) + 1;
  }

  private setQuorum(state: QuorumStateData): void {
    assert(state.leaderEpoch >= this.quorum.leaderEpoch, 'epochs never go back');
    this.quorum = state;
    this.quorumDirty = true;
  }

  private randomElectionTimeout(): number {
    return this.nowTick + this.config.electionTimeoutTicks + this.random.nextInt(this.config.electionTimeoutTicks);
  }

  private newCorrelationId(): number {
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x3fffffff;
    return this.nextCorrelationId;
  }

  private send(to: number, correlationId: number, body: RaftBody): void {
    this.outbox.push({ from: this.nodeId, to, correlationId, body });
  }
}
