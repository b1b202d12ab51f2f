/**
 * ManagedMember: the client half of the group protocol, run by the broker on behalf of a client
 * that cannot run it itself (an HTTP consumer instance, a WebSocket group subscription). To the
 * coordinator it is a member like a Kafka consumer, so all three kinds share groups.
 *
 * It behaves like Kafka's eager consumer:
 *   join (advertising `range`, `roundrobin` and kafkajs's `RoundRobinAssigner`, one
 *   ConsumerProtocolSubscription for all three) -> if elected leader, run the group's chosen
 *   assignor over every member's subscription and the broker's topic metadata -> sync -> report
 *   the assignment -> heartbeat every `heartbeatIntervalMs` -> on REBALANCE_IN_PROGRESS (or a lost
 *   membership) first revoke everything it owns, then rejoin.
 *
 * `onAssignment` therefore sees `{assigned: [], revoked: owned}` before each rejoin (stop reading
 * those partitions and commit now if you wish: the generation is still valid) and then
 * `{assigned: all, revoked: []}` after each completed rebalance. A callback that returns a promise
 * is awaited before the member goes on. Fatal errors (the group's protocol is incompatible, the
 * group is full, the session timeout is refused) stop the member and go to `onError`.
 *
 * The broker calls `metadataChanged()` when topics or partition counts change: a pattern
 * subscription rejoins when its expansion changes, and the leader rejoins when the partition counts
 * it assigned by change, as Kafka's consumer leader does.
 */
import { type Assignor, MANAGED_ASSIGNORS, assignorByName } from './assignors';
import {
  CONSUMER_PROTOCOL_TYPE,
  CONSUMER_PROTOCOL_VERSION_MAX,
  MANAGED_CLIENT_ID_PREFIX_HTTP,
  MANAGED_CLIENT_ID_PREFIX_WS,
  MANAGED_HEARTBEAT_INTERVAL_MS_DEFAULT,
  MANAGED_JOIN_ATTEMPTS_MAX,
  MANAGED_REBALANCE_TIMEOUT_MS_DEFAULT,
  MANAGED_RETRY_BACKOFF_MAX_MS,
  MANAGED_RETRY_BACKOFF_MS,
  MANAGED_SESSION_TIMEOUT_MS_DEFAULT,
  NO_GENERATION,
  UNKNOWN_MEMBER_ID,
} from './constants';
import {
  type TopicPartition,
  compareStrings,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  flattenTopicPartitions,
  groupTopicPartitions,
} from './consumer-protocol';
import { ErrorCode, errorName } from './errors';
import type { GroupCoordinator } from './coordinator';
import type { Cancel, Scheduler } from './time';
import type { JoinGroupResult, OffsetCommitPartition, OffsetCommitResult } from './types';

export type ManagedSubscription = { topics: readonly string[] } | { pattern: RegExp };

/** What a managed member needs from the broker's topic metadata. */
export interface TopicMetadataSource {
  /** Every topic name (for pattern subscriptions); internal topics (`__*`) are never matched. */
  listTopics(): readonly string[];
  /** The topic's partition count, or undefined when it does not exist. */
  partitionCount(topic: string): number | undefined;
}

export interface AssignmentChange {
  assigned: TopicPartition[];
  revoked: TopicPartition[];
  generationId: number;
  memberId: string;
}

export interface ManagedMemberError {
  errorCode: ErrorCode;
  message: string;
}

/** The coordinator operations a managed member uses (a `GroupCoordinator` has them all). */
export type ManagedCoordinatorPort = Pick<GroupCoordinator, 'joinGroup' | 'syncGroup' | 'heartbeat' | 'leaveGroup' | 'commitOffsets'>;

export interface ManagedMemberOptions {
  coordinator: ManagedCoordinatorPort;
  scheduler: Scheduler;
  metadata: TopicMetadataSource;
  groupId: string;
  clientKind: 'http' | 'ws';
  /** The instance or subscription name; the client id becomes `runnel-<kind>:<name>`. */
  name: string;
  /** The remote client's address, shown in DescribeGroups. */
  clientHost: string;
  subscription: ManagedSubscription;
  onAssignment: (change: AssignmentChange) => void | Promise<void>;
  onError?: (error: ManagedMemberError) => void;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  retryBackoffMs?: number;
  /** Protocols to advertise, in preference order (default range, roundrobin, RoundRobinAssigner). */
  assignors?: readonly Assignor[];
}

export type ManagedMemberState = 'idle' | 'joining' | 'stable' | 'closed' | 'failed';

const FATAL_ERRORS = new Set<ErrorCode>([
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  ErrorCode.INVALID_SESSION_TIMEOUT,
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.INVALID_REQUEST,
]);

/** Kafka's pattern subscription matches whole topic names (Java's `Matcher.matches`). */
function fullMatch(pattern: RegExp, topic: string): boolean {
  const anchored = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
  return anchored.test(topic);
}

export class ManagedMember {
  readonly clientId: string;
  private readonly options: ManagedMemberOptions;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly retryBackoffMs: number;
  private readonly assignors: readonly Assignor[];
  private subscription: ManagedSubscription;
  private currentMemberId = UNKNOWN_MEMBER_ID;
  private currentGenerationId = NO_GENERATION;
  private owned: TopicPartition[] = [];
  private leader = false;
  /** Partition counts the leader assigned by; a change means a new assignment is due. */
  private assignedByCounts = new Map<string, number | undefined>();
  private joinedTopics: string[] = [];
  private currentState: ManagedMemberState = 'idle';
  private loopRunning = false;
  private rejoinRequested = false;
  private heartbeatCancel: Cancel | null = null;

  constructor(options: ManagedMemberOptions) {
    this.options = options;
    this.clientId = (options.clientKind === 'http' ? MANAGED_CLIENT_ID_PREFIX_HTTP : MANAGED_CLIENT_ID_PREFIX_WS) + options.name;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? MANAGED_SESSION_TIMEOUT_MS_DEFAULT;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? MANAGED_REBALANCE_TIMEOUT_MS_DEFAULT;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? MANAGED_HEARTBEAT_INTERVAL_MS_DEFAULT;
    this.retryBackoffMs = options.retryBackoffMs ?? MANAGED_RETRY_BACKOFF_MS;
    this.assignors = options.assignors ?? MANAGED_ASSIGNORS;
    this.subscription = options.subscription;
    if (!(this.heartbeatIntervalMs > 0 && this.heartbeatIntervalMs < this.sessionTimeoutMs)) {
      throw new Error(`ManagedMember: heartbeatIntervalMs ${this.heartbeatIntervalMs} must be in (0, sessionTimeoutMs)`);
    }
    if (this.assignors.length === 0) throw new Error('ManagedMember: no assignors');
  }

  get memberId(): string {
    return this.currentMemberId;
  }

  get generationId(): number {
    return this.currentGenerationId;
  }

  get state(): ManagedMemberState {
    return this.currentState;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** The partitions currently assigned (empty while rebalancing). */
  get assignment(): TopicPartition[] {
    return [...this.owned];
  }

  /** The topics this member subscribes to now (a pattern expanded against the metadata). */
  topics(): string[] {
    const sub = this.subscription;
    if ('topics' in sub) return [...new Set(sub.topics)].sort(compareStrings);
    return this.options.metadata
      .listTopics()
      .filter((t) => !t.startsWith('__') && fullMatch(sub.pattern, t))
      .sort(compareStrings);
  }

  /** Joins the group; returns at once (progress goes to the callbacks). */
  start(): void {
    if (this.currentState !== 'idle') throw new Error(`ManagedMember.start: already ${this.currentState}`);
    this.requestRejoin();
  }

  /** Changes the subscription and rejoins so the group reassigns. */
  setSubscription(subscription: ManagedSubscription): void {
    this.subscription = subscription;
    this.requestRejoin();
  }

  /** The broker's topic metadata changed: rejoin if that changes what this member must do. */
  metadataChanged(): void {
    // During a round the check runs when the round ends (see runLoop).
    if (this.currentState === 'stable' && this.metadataOutdated()) this.requestRejoin();
  }

  /** The pattern expands differently now, or (leader) a partition count it assigned by changed. */
  private metadataOutdated(): boolean {
    if (this.topics().join('\u0000') !== this.joinedTopics.join('\u0000')) return true;
    if (!this.leader) return false;
    for (const [topic, count] of this.assignedByCounts) if (this.options.metadata.partitionCount(topic) !== count) return true;
    return false;
  }

  /** Starts a rebalance round (or queues one after the round in progress). */
  requestRejoin(): void {
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    this.rejoinRequested = true;
    void this.runLoop();
  }

  /** Commits with this member's generation; a lost membership makes the member rejoin. */
  async commitOffsets(offsets: readonly OffsetCommitPartition[]): Promise<OffsetCommitResult> {
    const result = await this.options.coordinator.commitOffsets({
      groupId: this.options.groupId,
      generationId: this.currentGenerationId,
      memberId: this.currentMemberId,
      offsets,
    });
    // Only a member that thinks it is stable learns something here; during a rebalance round (a
    // commit from the revoke callback, say) the round itself takes care of the membership.
    if (this.currentState === 'stable' && (result.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || result.errorCode === ErrorCode.ILLEGAL_GENERATION)) {
      if (result.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.currentMemberId = UNKNOWN_MEMBER_ID;
      this.requestRejoin();
    }
    return result;
  }

  /** Leaves the group at once (the others rebalance without waiting for a session timeout). */
  close(): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.stopHeartbeat();
    this.owned = [];
    this.leave();
  }

  private leave(): void {
    if (this.currentMemberId === UNKNOWN_MEMBER_ID) return;
    this.options.coordinator.leaveGroup({ groupId: this.options.groupId, members: [{ memberId: this.currentMemberId }] });
    this.currentMemberId = UNKNOWN_MEMBER_ID;
  }

  private get stopped(): boolean {
    return this.currentState === 'closed' || this.currentState === 'failed';
  }

  private async runLoop(): Promise<void> {
    if (this.loopRunning) return;
    this.loopRunning = true;
    let attempts = 0;
    try {
      while (this.rejoinRequested && !this.stopped) {
        this.rejoinRequested = false;
        this.currentState = 'joining';
        this.stopHeartbeat();
        if (this.owned.length > 0) {
          const revoked = this.owned;
          this.owned = [];
          await this.report({ assigned: [], revoked, generationId: this.currentGenerationId, memberId: this.currentMemberId });
          if (this.stopped) break;
        }
        const outcome = await this.joinAndSync();
        if (this.stopped) break;
        if (outcome === 'done') {
          attempts = 0;
          // Metadata may have changed while the round ran: the broker's notice came too early.
          if (!this.stopped && this.metadataOutdated()) this.rejoinRequested = true;
          if (!this.rejoinRequested) {
            this.currentState = 'stable';
            this.scheduleHeartbeat();
          }
          continue;
        }
        this.rejoinRequested = true;
        if (++attempts >= MANAGED_JOIN_ATTEMPTS_MAX) {
          this.fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `gave up after ${attempts} join attempts`);
          break;
        }
        if (outcome === 'backoff') await this.sleep(Math.min(this.retryBackoffMs * 2 ** Math.min(attempts - 1, 16), MANAGED_RETRY_BACKOFF_MAX_MS));
      }
    } finally {
      this.loopRunning = false;
    }
  }

  /** One join + sync round: 'done', 'retry' at once, or 'backoff' first. */
  private async joinAndSync(): Promise<'done' | 'retry' | 'backoff'> {
    const { coordinator, groupId } = this.options;
    const topics = this.topics();
    const metadata = encodeSubscription({ topics, generationId: this.currentGenerationId });
    const join = await coordinator.joinGroup({
      groupId,
      memberId: this.currentMemberId,
      sessionTimeoutMs: this.sessionTimeoutMs,
      rebalanceTimeoutMs: this.rebalanceTimeoutMs,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols: this.assignors.map((a) => ({ name: a.name, metadata })),
      clientId: this.clientId,
      clientHost: this.options.clientHost,
      clientKind: this.options.clientKind,
    });
    if (this.stopped) {
      // Closed while the JoinGroup was parked: if it made us a member, leave again at once.
      if (join.errorCode === ErrorCode.NONE) {
        this.currentMemberId = join.memberId;
        this.leave();
      }
      return 'done';
    }
    const joinOutcome = this.handleJoinError(join);
    if (joinOutcome !== null) return joinOutcome;
    this.currentMemberId = join.memberId;
    this.currentGenerationId = join.generationId;
    this.joinedTopics = topics;
    this.leader = join.leader === join.memberId;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (this.leader) {
      const computed = this.assign(join);
      if (computed === null) return 'done';
      assignments = computed;
    }
    const sync = await coordinator.syncGroup({
      groupId,
      generationId: join.generationId,
      memberId: join.memberId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: join.protocolName,
      assignments,
    });
    if (this.stopped) return 'done';
    switch (sync.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.REBALANCE_IN_PROGRESS:
      case ErrorCode.ILLEGAL_GENERATION:
        return 'retry';
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.currentMemberId = UNKNOWN_MEMBER_ID;
        return 'retry';
      default:
        if (FATAL_ERRORS.has(sync.errorCode)) {
          this.fail(sync.errorCode, `SyncGroup failed: ${errorName(sync.errorCode)}`);
          return 'done';
        }
        return 'backoff';
    }
    let assigned: TopicPartition[];
    try {
      assigned = flattenTopicPartitions(decodeAssignment(sync.assignment).assignedPartitions);
    } catch (error) {
      this.fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `undecodable assignment: ${(error as Error).message}`);
      return 'done';
    }
    this.owned = assigned;
    await this.report({ assigned, revoked: [], generationId: join.generationId, memberId: join.memberId });
    return 'done';
  }

  private handleJoinError(join: JoinGroupResult): 'retry' | 'backoff' | 'done' | null {
    switch (join.errorCode) {
      case ErrorCode.NONE:
        return null;
      case ErrorCode.MEMBER_ID_REQUIRED:
        this.currentMemberId = join.memberId;
        return 'retry';
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.currentMemberId = UNKNOWN_MEMBER_ID;
        return 'retry';
      case ErrorCode.REBALANCE_IN_PROGRESS:
      case ErrorCode.ILLEGAL_GENERATION:
        return 'retry';
      default:
        if (FATAL_ERRORS.has(join.errorCode)) {
          this.fail(join.errorCode, `JoinGroup failed: ${errorName(join.errorCode)}`);
          return 'done';
        }
        return 'backoff';
    }
  }

  /** The leader's job: run the chosen assignor over every member's subscription. */
  private assign(join: JoinGroupResult): { memberId: string; assignment: Buffer }[] | null {
    const assignor = this.assignors.find((a) => a.name === join.protocolName) ?? assignorByName(join.protocolName ?? '');
    if (assignor === undefined) {
      this.fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `group chose protocol ${join.protocolName}, which this member cannot run`);
      return null;
    }
    let version = CONSUMER_PROTOCOL_VERSION_MAX;
    const members = join.members.map((m) => {
      try {
        const subscription = decodeSubscription(m.metadata);
        version = Math.min(version, subscription.version);
        return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, topics: subscription.topics };
      } catch {
        // A member whose subscription we cannot read gets nothing rather than failing the group.
        return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, topics: [] };
      }
    });
    const counts = new Map<string, number>();
    this.assignedByCounts = new Map();
    for (const topic of new Set(members.flatMap((m) => m.topics))) {
      const count = this.options.metadata.partitionCount(topic);
      this.assignedByCounts.set(topic, count);
      if (count !== undefined) counts.set(topic, count);
    }
    const result = assignor.assign(members, counts);
    return [...result].map(([memberId, partitions]) => ({
      memberId,
      assignment: encodeAssignment({ assignedPartitions: groupTopicPartitions(partitions) }, Math.max(0, version)),
    }));
  }

  private async report(change: AssignmentChange): Promise<void> {
    try {
      await this.options.onAssignment(change);
    } catch (error) {
      // The broker's callback failing must not wedge the group protocol.
      this.options.onError?.({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: `onAssignment threw: ${(error as Error).message}` });
    }
  }

  private fail(errorCode: ErrorCode, message: string): void {
    if (this.stopped) return;
    this.currentState = 'failed';
    this.stopHeartbeat();
    this.owned = [];
    this.leave();
    this.options.onError?.({ errorCode, message });
  }

  private scheduleHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatCancel = this.options.scheduler.schedule(this.heartbeatIntervalMs, () => {
      this.heartbeatCancel = null;
      this.beat();
    });
  }

  private stopHeartbeat(): void {
    this.heartbeatCancel?.();
    this.heartbeatCancel = null;
  }

  private beat(): void {
    if (this.currentState !== 'stable') return;
    const { errorCode } = this.options.coordinator.heartbeat({
      groupId: this.options.groupId,
      generationId: this.currentGenerationId,
      memberId: this.currentMemberId,
    });
    switch (errorCode) {
      case ErrorCode.NONE:
        return this.scheduleHeartbeat();
      case ErrorCode.REBALANCE_IN_PROGRESS:
      case ErrorCode.ILLEGAL_GENERATION:
        return this.requestRejoin();
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.currentMemberId = UNKNOWN_MEMBER_ID;
        return this.requestRejoin();
      default:
        if (FATAL_ERRORS.has(errorCode)) return this.fail(errorCode, `Heartbeat failed: ${errorName(errorCode)}`);
        // Coordinator unavailable or loading: keep trying on the same schedule.
        return this.scheduleHeartbeat();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.scheduler.schedule(ms, resolve));
  }
}
