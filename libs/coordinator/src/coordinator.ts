/**
 * GroupCoordinator: Kafka's classic consumer group protocol, one state machine per group.
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
 *     ^                 ^        |                                  |  leader's SyncGroup stored
 *     |                 |        +--no members left--> Empty        v
 *     |                 +---- join / leave / expiry ------------- Stable
 *   Dead (deleted, or being deleted) is terminal.
 *
 * Join phase: a JoinGroup parks (its promise stays pending) until every member has rejoined, or
 * the rebalance timeout (the longest of the members') expires; members that did not rejoin are
 * then dropped. A group leaving Empty waits `initialRebalanceDelayMs` first, extended while new
 * members keep arriving, up to the rebalance timeout (Kafka's InitialDelayedJoin), so a fleet of
 * consumers starting together lands in one generation. When the phase completes the generation is
 * bumped, a protocol is chosen by vote, every parked JoinGroup resolves and the leader receives
 * all members' metadata.
 * Sync phase: followers' SyncGroups park until the leader's SyncGroup brings the assignment; it is
 * stored in `__consumer_offsets` (durably) before anyone receives it, and the group is Stable.
 * Members that do not sync within the rebalance timeout are removed.
 * Liveness: each member must heartbeat (or join/sync/commit) within its session timeout; a member
 * parked in a join or sync phase is kept alive by that phase's own timeout instead.
 *
 * Offsets: commits are records appended durably to the group's partition of `__consumer_offsets`
 * (`abs(hash(groupId)) % partitions`), then applied in memory, then acknowledged; `load()` replays
 * every partition (last value per key wins, tombstones delete). Error codes are Kafka's, chosen as
 * Kafka's GroupCoordinator chooses them, so wire clients behave as against a Kafka broker.
 *
 * Threading: everything runs on the event loop; the only awaits are log appends and reads, and every
 * callback after an append re-checks the group's state and generation, as Kafka does under its lock.
 */
import { randomUUID } from 'node:crypto';
import { decodeBatches, encodeBatchSync, type RecordInput } from '@runnel/records';
import { decodeSubscription } from './consumer-protocol';
import {
  CONSUMER_PROTOCOL_TYPE,
  GROUP_INITIAL_REBALANCE_DELAY_MS_DEFAULT,
  GROUP_MAX_SESSION_TIMEOUT_MS_DEFAULT,
  GROUP_MAX_SIZE_CEILING,
  GROUP_MAX_SIZE_DEFAULT,
  GROUP_MIN_SESSION_TIMEOUT_MS_DEFAULT,
  GROUPS_MAX,
  LEAVE_MEMBERS_MAX,
  LOAD_READ_BYTES,
  MANAGED_CLIENT_ID_PREFIX_HTTP,
  MANAGED_CLIENT_ID_PREFIX_WS,
  NAME_BYTES_MAX,
  NEW_MEMBER_JOIN_TIMEOUT_MS,
  NO_GENERATION,
  NO_LEADER_EPOCH,
  NO_OFFSET,
  OFFSET_METADATA_MAX_BYTES_DEFAULT,
  OFFSETS_PER_REQUEST_MAX,
  OFFSETS_RECORDS_PER_BATCH_MAX,
  OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT,
  OFFSETS_RETENTION_MS_DEFAULT,
  OFFSETS_TOPIC_PARTITIONS_MAX,
  PROTOCOL_METADATA_BYTES_MAX,
  PROTOCOLS_PER_MEMBER_MAX,
  UNKNOWN_MEMBER_ID,
} from './constants';
import { ErrorCode } from './errors';
import { EMPTY_BUFFER, Group, Member, offsetMapKey, type CommittedOffset } from './group';
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  encodeGroupKey,
  encodeGroupValue,
  encodeOffsetKey,
  encodeOffsetValue,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './offsets-format';
import type { OffsetsLogPort } from './offsets-log';
import { groupPartition } from './partitioning';
import type { Cancel, Clock, Scheduler } from './time';
import type {
  DeleteGroupResult,
  DescribedGroup,
  GroupState,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  LeaveGroupResult,
  ListGroupsResult,
  LoadStats,
  OffsetCommitPartition,
  OffsetCommitRequest,
  OffsetCommitResult,
  OffsetFetchResult,
  SyncGroupRequest,
  SyncGroupResult,
  TopicPartitionRef,
} from './types';

export interface CoordinatorConfig {
  /** `group.initial.rebalance.delay.ms` */
  initialRebalanceDelayMs: number;
  /** `group.min.session.timeout.ms` */
  minSessionTimeoutMs: number;
  /** `group.max.session.timeout.ms` */
  maxSessionTimeoutMs: number;
  /** `group.max.size` */
  groupMaxSize: number;
  /** `offset.metadata.max.bytes` */
  offsetMetadataMaxBytes: number;
  /** `offsets.retention.ms`; 0 turns expiry off. */
  offsetsRetentionMs: number;
  /** `offsets.retention.check.interval.ms` */
  offsetsRetentionCheckIntervalMs: number;
}

export const DEFAULT_COORDINATOR_CONFIG: Readonly<CoordinatorConfig> = {
  initialRebalanceDelayMs: GROUP_INITIAL_REBALANCE_DELAY_MS_DEFAULT,
  minSessionTimeoutMs: GROUP_MIN_SESSION_TIMEOUT_MS_DEFAULT,
  maxSessionTimeoutMs: GROUP_MAX_SESSION_TIMEOUT_MS_DEFAULT,
  groupMaxSize: GROUP_MAX_SIZE_DEFAULT,
  offsetMetadataMaxBytes: OFFSET_METADATA_MAX_BYTES_DEFAULT,
  offsetsRetentionMs: OFFSETS_RETENTION_MS_DEFAULT,
  offsetsRetentionCheckIntervalMs: OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT,
};

export interface CoordinatorLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface GroupCoordinatorOptions {
  /** One log per partition of `__consumer_offsets`; their count is `offsets.topic.num.partitions`. */
  logs: readonly OffsetsLogPort[];
  clock: Clock;
  scheduler: Scheduler;
  config?: Partial<CoordinatorConfig>;
  /** When given, commits to partitions it denies get UNKNOWN_TOPIC_OR_PARTITION. */
  partitionExists?: (topic: string, partition: number) => boolean;
  logger?: CoordinatorLogger;
  /** Member id suffixes (default: random UUIDs); tests inject a counter. */
  generateId?: () => string;
}

type Status = 'unloaded' | 'loading' | 'active' | 'shutdown';

const silentLogger: CoordinatorLogger = { info: () => {}, warn: () => {}, error: () => {} };

function validName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name, 'utf8') <= NAME_BYTES_MAX;
}

/**
 * Kafka's `isValidGroupId` for OffsetCommit, OffsetFetch, DescribeGroups and DeleteGroups: the empty
 * group id is allowed there (backwards compatibility); group management APIs need a non-empty one.
 */
function validOffsetsGroupId(groupId: string): boolean {
  return Buffer.byteLength(groupId, 'utf8') <= NAME_BYTES_MAX;
}

function joinError(memberId: string, errorCode: ErrorCode): JoinGroupResult {
  return { errorCode, generationId: NO_GENERATION, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function syncError(errorCode: ErrorCode): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}

function checkConfig(config: CoordinatorConfig): void {
  const fail = (m: string) => {
    throw new Error(`GroupCoordinator config: ${m}`);
  };
  const nonNegative = (name: keyof CoordinatorConfig) => {
    if (!Number.isSafeInteger(config[name]) || config[name] < 0) fail(`${name} must be a non-negative integer, got ${config[name]}`);
  };
  for (const key of Object.keys(DEFAULT_COORDINATOR_CONFIG) as (keyof CoordinatorConfig)[]) nonNegative(key);
  if (config.minSessionTimeoutMs > config.maxSessionTimeoutMs) fail('minSessionTimeoutMs > maxSessionTimeoutMs');
  if (config.groupMaxSize < 1 || config.groupMaxSize > GROUP_MAX_SIZE_CEILING) fail(`groupMaxSize must be 1..${GROUP_MAX_SIZE_CEILING}`);
  if (config.offsetMetadataMaxBytes > NAME_BYTES_MAX) fail(`offsetMetadataMaxBytes must be <= ${NAME_BYTES_MAX}`);
  if (config.offsetsRetentionMs > 0 && config.offsetsRetentionCheckIntervalMs < 1) fail('offsetsRetentionCheckIntervalMs must be >= 1');
}

export class GroupCoordinator {
  readonly config: Readonly<CoordinatorConfig>;
  private readonly logs: readonly OffsetsLogPort[];
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: CoordinatorLogger;
  private readonly partitionExists: ((topic: string, partition: number) => boolean) | undefined;
  private readonly generateId: () => string;
  private readonly groups = new Map<string, Group>();
  /** Appends to each offsets partition run one after another, so the log order is the call order. */
  private readonly appendChains: Promise<unknown>[];
  private status: Status = 'unloaded';
  private retentionTimer: Cancel | null = null;

  constructor(options: GroupCoordinatorOptions) {
    if (options.logs.length < 1 || options.logs.length > OFFSETS_TOPIC_PARTITIONS_MAX) {
      throw new Error(`GroupCoordinator: needs 1..${OFFSETS_TOPIC_PARTITIONS_MAX} offsets logs, got ${options.logs.length}`);
    }
    this.config = { ...DEFAULT_COORDINATOR_CONFIG, ...options.config };
    checkConfig(this.config);
    this.logs = options.logs;
    this.clock = options.clock;
    this.scheduler = options.scheduler;
    this.logger = options.logger ?? silentLogger;
    this.partitionExists = options.partitionExists;
    this.generateId = options.generateId ?? randomUUID;
    this.appendChains = options.logs.map(() => Promise.resolve());
  }

  /** Which partition of `__consumer_offsets` holds this group. */
  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.logs.length);
  }

  get isActive(): boolean {
    return this.status === 'active';
  }

  // ---------------------------------------------------------------------------------------------
  // Load and shutdown

  /**
   * Replays every partition of `__consumer_offsets` into memory. Until it finishes, requests get
   * COORDINATOR_LOAD_IN_PROGRESS (joins, commits, fetches) or REBALANCE_IN_PROGRESS (syncs), as Kafka.
   * Members found in stored group metadata come back Stable and must heartbeat within their session
   * timeout; members that managed clients (HTTP, WebSocket) owned are gone with the old process and
   * are removed at once, which starts a rebalance for the others.
   */
  async load(): Promise<LoadStats> {
    if (this.status !== 'unloaded') throw new Error(`GroupCoordinator.load: already ${this.status}`);
    this.status = 'loading';
    const offsets = new Map<string, Map<string, CommittedOffset>>();
    const groupValues = new Map<string, GroupMetadataValue>();
    const stats: LoadStats = { groups: 0, offsets: 0, records: 0, skippedRecords: 0 };
    for (let partition = 0; partition < this.logs.length; partition++) {
      const log = this.logs[partition]!;
      let position = log.logStartOffset;
      const end = log.logEndOffset;
      while (position < end) {
        const read = await log.read(position, LOAD_READ_BYTES);
        if (read.records.length === 0) break;
        for (const batch of await decodeBatches(read.records)) {
          if (batch.control) continue;
          for (const record of batch.records) {
            if (record.offset < position || record.key === null) continue;
            stats.records++;
            if (!this.replayRecord(record.key, record.value, offsets, groupValues, partition)) stats.skippedRecords++;
          }
        }
        if (read.nextOffset <= position) throw new Error(`GroupCoordinator.load: partition ${partition} read did not progress at ${position}`);
        position = read.nextOffset;
      }
    }
    const now = this.clock.nowMs();
    for (const groupId of new Set([...offsets.keys(), ...groupValues.keys()])) {
      const group = new Group(groupId);
      const value = groupValues.get(groupId);
      if (value !== undefined) this.restoreGroup(group, value, now);
      for (const [key, committed] of offsets.get(groupId) ?? []) group.offsets.set(key, committed);
      this.groups.set(groupId, group);
      stats.groups++;
      stats.offsets += group.offsets.size;
    }
    this.status = 'active';
    for (const group of this.groups.values()) {
      for (const member of [...group.members.values()]) {
        if (member.clientId.startsWith(MANAGED_CLIENT_ID_PREFIX_HTTP) || member.clientId.startsWith(MANAGED_CLIENT_ID_PREFIX_WS)) {
          this.removeMemberAndUpdateGroup(group, member);
        } else {
          this.scheduleHeartbeat(group, member);
        }
      }
      group.assertInvariants();
    }
    this.scheduleRetention();
    this.logger.info(`group coordinator loaded ${stats.groups} groups, ${stats.offsets} offsets from ${stats.records} records`);
    return stats;
  }

  private replayRecord(
    keyBytes: Buffer,
    valueBytes: Buffer | null,
    offsets: Map<string, Map<string, CommittedOffset>>,
    groupValues: Map<string, GroupMetadataValue>,
    partition: number,
  ): boolean {
    try {
      const key = decodeKey(keyBytes);
      if (groupPartition(key.groupId, this.logs.length) !== partition) {
        this.logger.warn(`__consumer_offsets-${partition}: group ${key.groupId} belongs to another partition; skipped`);
        return false;
      }
      if (key.kind === 'offset') {
        let groupOffsets = offsets.get(key.groupId);
        if (groupOffsets === undefined) offsets.set(key.groupId, (groupOffsets = new Map()));
        const mapKey = offsetMapKey(key.topic, key.partition);
        if (valueBytes === null) {
          groupOffsets.delete(mapKey);
          if (groupOffsets.size === 0) offsets.delete(key.groupId);
        } else {
          const v: OffsetCommitValue = decodeOffsetValue(valueBytes);
          groupOffsets.set(mapKey, { topic: key.topic, partition: key.partition, ...v });
        }
      } else if (valueBytes === null) {
        groupValues.delete(key.groupId);
      } else {
        groupValues.set(key.groupId, decodeGroupValue(valueBytes));
      }
      return true;
    } catch (error) {
      this.logger.warn(`__consumer_offsets-${partition}: undecodable record skipped: ${(error as Error).message}`);
      return false;
    }
  }

  private restoreGroup(group: Group, value: GroupMetadataValue, nowMs: number): void {
    group.generationId = value.generationId;
    group.protocolType = value.protocolType.length > 0 ? value.protocolType : null;
    group.protocolName = value.protocol;
    group.currentStateTimestampMs = value.currentStateTimestampMs >= 0 ? value.currentStateTimestampMs : null;
    if (value.members.length === 0 || value.protocol === null) return;
    for (const m of value.members) {
      const member = new Member(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        'kafka',
        m.rebalanceTimeoutMs,
        m.sessionTimeoutMs,
        value.protocolType,
        [{ name: value.protocol, metadata: m.subscription }],
      );
      member.assignment = m.assignment;
      group.add(member);
    }
    group.leaderId = value.leader !== null && group.members.has(value.leader) ? value.leader : group.leaderId;
    group.state = 'Stable';
    group.currentStateTimestampMs ??= nowMs;
  }

  /** Stops every timer and answers every parked request with COORDINATOR_NOT_AVAILABLE. */
  shutdown(): void {
    if (this.status === 'shutdown') return;
    this.status = 'shutdown';
    this.retentionTimer?.();
    this.retentionTimer = null;
    for (const group of this.groups.values()) {
      group.joinTimer?.cancel();
      group.joinTimer = null;
      group.syncTimer?.();
      group.syncTimer = null;
      for (const cancel of group.pendingMembers.values()) cancel();
      for (const member of group.members.values()) {
        member.heartbeatCancel?.();
        member.heartbeatCancel = null;
        this.invokeJoin(member, joinError(member.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        this.invokeSync(member, syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
    }
    this.groups.clear();
  }

  /** Errors every group operation returns before it looks at the group. */
  private statusError(loadingError: ErrorCode): ErrorCode {
    switch (this.status) {
      case 'active':
        return ErrorCode.NONE;
      case 'unloaded':
      case 'loading':
        return loadingError;
      case 'shutdown':
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // JoinGroup

  /** Resolves when the join phase completes (a long poll, like Kafka's JoinGroup), or at once on error. */
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.handleJoinGroup(request, resolve));
  }

  private handleJoinGroup(request: JoinGroupRequest, respond: (result: JoinGroupResult) => void): void {
    const { groupId, memberId } = request;
    const rebalanceTimeoutMs = request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs;
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (!validName(groupId)) return respond(joinError(memberId, ErrorCode.INVALID_GROUP_ID));
    if (statusError !== ErrorCode.NONE) return respond(joinError(memberId, statusError));
    if (
      !Number.isSafeInteger(request.sessionTimeoutMs) ||
      request.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
      request.sessionTimeoutMs > this.config.maxSessionTimeoutMs
    ) {
      return respond(joinError(memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    if (
      !Number.isSafeInteger(rebalanceTimeoutMs) ||
      request.protocols.length > PROTOCOLS_PER_MEMBER_MAX ||
      request.protocols.some((p) => p.metadata.length > PROTOCOL_METADATA_BYTES_MAX || !validName(p.name)) ||
      Buffer.byteLength(memberId) > NAME_BYTES_MAX ||
      Buffer.byteLength(request.clientId) > NAME_BYTES_MAX ||
      (request.groupInstanceId !== undefined && request.groupInstanceId !== null && !validName(request.groupInstanceId))
    ) {
      return respond(joinError(memberId, ErrorCode.INVALID_REQUEST));
    }
    const isUnknownMember = memberId === UNKNOWN_MEMBER_ID;
    let group = this.groups.get(groupId);
    let created = false;
    if (group === undefined) {
      if (!isUnknownMember) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      if (this.groups.size >= GROUPS_MAX) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      group = new Group(groupId);
      this.groups.set(groupId, group);
      created = true;
    }
    if (!this.acceptJoiningMember(group, memberId)) {
      const existing = group.members.get(memberId);
      if (existing !== undefined) this.removeMemberAndUpdateGroup(group, existing);
      respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, request, rebalanceTimeoutMs, respond);
    } else {
      this.doCurrentMemberJoinGroup(group, request, rebalanceTimeoutMs, respond);
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
    if (created && group.is('Empty') && group.members.size === 0 && group.pendingMembers.size === 0 && group.offsets.size === 0) {
      this.groups.delete(groupId);
    }
    group.assertInvariants();
  }

  /** Kafka's `acceptJoiningMember`: the `group.max.size` check. */
  private acceptJoiningMember(group: Group, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.members.size < this.config.groupMaxSize;
      case 'PreparingRebalance':
        return (group.members.get(memberId)?.awaitingJoin ?? null) !== null || group.numAwaitingJoin < this.config.groupMaxSize;
    }
  }

  private doNewMemberJoinGroup(group: Group, request: JoinGroupRequest, rebalanceTimeoutMs: number, respond: (r: JoinGroupResult) => void): void {
    if (group.is('Dead')) return respond(joinError(request.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(request.protocolType, request.protocols)) {
      return respond(joinError(request.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const instanceId = request.groupInstanceId ?? null;
    const newMemberId = `${instanceId ?? request.clientId}-${this.generateId()}`;
    if (instanceId !== null) {
      const oldMemberId = group.staticMembers.get(instanceId);
      if (oldMemberId !== undefined) return this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, request, rebalanceTimeoutMs, respond);
      return this.addMemberAndRebalance(group, newMemberId, request, rebalanceTimeoutMs, respond);
    }
    if (request.requireKnownMemberId === true) {
      const cancel = this.scheduler.schedule(request.sessionTimeoutMs, () => this.onPendingMemberExpired(group, newMemberId));
      group.pendingMembers.set(newMemberId, cancel);
      return respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberAndRebalance(group, newMemberId, request, rebalanceTimeoutMs, respond);
  }

  private doCurrentMemberJoinGroup(group: Group, request: JoinGroupRequest, rebalanceTimeoutMs: number, respond: (r: JoinGroupResult) => void): void {
    const { memberId } = request;
    const instanceId = request.groupInstanceId ?? null;
    if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(request.protocolType, request.protocols)) {
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const pendingCancel = group.pendingMembers.get(memberId);
    if (pendingCancel !== undefined) {
      // A member that got MEMBER_ID_REQUIRED is back with its id: now it joins for real.
      pendingCancel();
      return this.addMemberAndRebalance(group, memberId, request, rebalanceTimeoutMs, respond);
    }
    if (group.isStaticMemberFenced(memberId, instanceId)) return respond(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID));
    const member = group.members.get(memberId);
    if (member === undefined || (instanceId !== null && !group.staticMembers.has(instanceId))) {
      return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, request, rebalanceTimeoutMs, respond);
      case 'CompletingRebalance':
        if (member.matches(request.protocols)) return respond(this.currentJoinResult(group, member, group.isLeader(memberId)));
        return this.updateMemberAndRebalance(group, member, request, rebalanceTimeoutMs, respond);
      case 'Stable':
        // A rejoining leader forces a rebalance (it may have seen metadata change); so do new protocols.
        if (group.isLeader(memberId) || !member.matches(request.protocols)) {
          return this.updateMemberAndRebalance(group, member, request, rebalanceTimeoutMs, respond);
        }
        return respond(this.currentJoinResult(group, member, false));
      case 'Empty':
      case 'Dead':
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private currentJoinResult(group: Group, member: Member, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: withMembers ? this.currentMemberMetadata(group) : [],
    };
  }

  private currentMemberMetadata(group: Group): JoinGroupResult['members'] {
    const protocol = group.protocolName;
    if (protocol === null) throw new Error(`group ${group.groupId}: member metadata without a protocol`);
    return [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }

  private addMemberAndRebalance(group: Group, memberId: string, request: JoinGroupRequest, rebalanceTimeoutMs: number, respond: (r: JoinGroupResult) => void): void {
    const member = new Member(
      memberId,
      request.groupInstanceId ?? null,
      request.clientId,
      request.clientHost,
      request.clientKind,
      rebalanceTimeoutMs,
      request.sessionTimeoutMs,
      request.protocolType,
      request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member);
    member.awaitingJoin = respond;
    // A new member cannot heartbeat until its JoinGroup returns; if it vanished meanwhile, drop it
    // after NEW_MEMBER_JOIN_TIMEOUT_MS so it does not hold every later rebalance.
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(group);
  }

  private updateMemberAndRebalance(group: Group, member: Member, request: JoinGroupRequest, rebalanceTimeoutMs: number, respond: (r: JoinGroupResult) => void): void {
    member.protocols = request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    // A client sends one JoinGroup at a time; a superseded parked one is told to rejoin.
    this.invokeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.awaitingJoin = respond;
    this.maybePrepareRebalance(group);
  }

  private updateStaticMemberAndRebalance(
    group: Group,
    oldMemberId: string,
    newMemberId: string,
    request: JoinGroupRequest,
    rebalanceTimeoutMs: number,
    respond: (r: JoinGroupResult) => void,
  ): void {
    const old = group.members.get(oldMemberId)!;
    // Whatever the old instance has parked is fenced now.
    this.invokeJoin(old, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.invokeSync(old, syncError(ErrorCode.FENCED_INSTANCE_ID));
    const previousProtocols = old.protocols;
    // Kafka (JoinGroup < v9) answers a replaced static member with the leader as it was, so a
    // rejoining static leader acts as a follower and keeps the current assignment: no rebalance.
    const leaderBefore = group.leaderId ?? '';
    const member = group.replaceStaticMember(request.groupInstanceId!, oldMemberId, newMemberId);
    this.scheduleHeartbeat(group, member);
    member.protocols = request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.awaitingJoin = respond;
    switch (group.state) {
      case 'Stable': {
        // Same protocol next generation: keep the assignment, persist the new id, answer at once.
        if (group.protocolName !== null && group.selectProtocol() === group.protocolName) {
          const generationId = group.generationId;
          void this.storeGroup(group).then((error) => {
            if (group.members.get(newMemberId) !== member) return;
            if (error !== ErrorCode.NONE) {
              // Could not persist: undo the replacement, as Kafka does.
              group.replaceStaticMember(request.groupInstanceId!, newMemberId, oldMemberId);
              member.protocols = previousProtocols;
              this.invokeJoin(member, joinError(newMemberId, error));
              return;
            }
            if (generationId === group.generationId) this.invokeJoin(member, { ...this.currentJoinResult(group, member, false), leader: leaderBefore });
          });
          return;
        }
        return this.maybePrepareRebalance(group);
      }
      case 'CompletingRebalance':
        return this.prepareRebalance(group);
      case 'PreparingRebalance':
        return;
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${group.groupId}: static member ${oldMemberId} in a ${group.state} group`);
    }
  }

  private onPendingMemberExpired(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
    group.assertInvariants();
  }

  private maybePrepareRebalance(group: Group): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.prepareRebalance(group);
  }

  private prepareRebalance(group: Group): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.syncTimer?.();
    group.syncTimer = null;
    const fromEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.clock.nowMs());
    if (fromEmpty) {
      const delayMs = this.config.initialRebalanceDelayMs;
      this.scheduleInitialJoin(group, delayMs, Math.max(group.rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.scheduleJoin(group, group.rebalanceTimeoutMs);
      this.tryCompleteJoin(group);
    }
  }

  /** Kafka's InitialDelayedJoin: wait, and wait again while new members keep coming, within the budget. */
  private scheduleInitialJoin(group: Group, delayMs: number, remainingMs: number): void {
    group.joinTimer?.cancel();
    const entry = {
      kind: 'initial' as const,
      cancel: this.scheduler.schedule(delayMs, () => {
        if (group.joinTimer !== entry) return;
        group.joinTimer = null;
        if (group.newMemberAdded && remainingMs !== 0) {
          group.newMemberAdded = false;
          const nextDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
          this.scheduleInitialJoin(group, nextDelayMs, Math.max(remainingMs - delayMs, 0));
        } else {
          this.completeJoin(group);
        }
      }),
    };
    group.joinTimer = entry;
  }

  private scheduleJoin(group: Group, timeoutMs: number): void {
    group.joinTimer?.cancel();
    const entry = {
      kind: 'normal' as const,
      cancel: this.scheduler.schedule(timeoutMs, () => {
        if (group.joinTimer !== entry) return;
        group.joinTimer = null;
        this.completeJoin(group);
      }),
    };
    group.joinTimer = entry;
  }

  private tryCompleteJoin(group: Group): void {
    if (group.is('PreparingRebalance') && group.joinTimer?.kind === 'normal' && group.hasAllMembersJoined()) {
      group.joinTimer.cancel();
      group.joinTimer = null;
      this.completeJoin(group);
    }
  }

  /** Kafka's `onCompleteJoin`: the join phase is over, by consensus or by timeout. */
  private completeJoin(group: Group): void {
    if (!group.is('PreparingRebalance')) return;
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null && member.groupInstanceId === null) {
        this.invokeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        group.remove(member.memberId);
      }
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that did not rejoin are left: wait for them or their session expiry.
      this.scheduleJoin(group, group.rebalanceTimeoutMs);
      return;
    }
    group.initNextGeneration(this.clock.nowMs());
    if (group.is('Empty')) {
      void this.storeGroup(group).then((error) => {
        if (error !== ErrorCode.NONE) this.logger.warn(`group ${group.groupId}: storing empty generation failed: ${ErrorCode[error]}`);
      });
    } else {
      for (const member of group.members.values()) {
        this.invokeJoin(member, this.currentJoinResult(group, member, group.isLeader(member.memberId)));
        this.scheduleHeartbeat(group, member);
        member.isNew = false;
        group.pendingSyncMembers.add(member.memberId);
      }
      this.schedulePendingSync(group);
    }
    group.assertInvariants();
  }

  private schedulePendingSync(group: Group): void {
    group.syncTimer?.();
    const generationId = group.generationId;
    const cancel = this.scheduler.schedule(group.rebalanceTimeoutMs, () => {
      if (group.syncTimer !== cancel) return;
      group.syncTimer = null;
      if (generationId !== group.generationId || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
      if (group.pendingSyncMembers.size === 0) return;
      for (const memberId of [...group.pendingSyncMembers]) {
        const member = group.remove(memberId);
        if (member !== undefined) this.invokeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      }
      this.prepareRebalance(group);
      group.assertInvariants();
    });
    group.syncTimer = cancel;
  }

  // ---------------------------------------------------------------------------------------------
  // SyncGroup

  /** Resolves with this member's assignment once the leader's assignment is stored. */
  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.handleSyncGroup(request, resolve));
  }

  private handleSyncGroup(request: SyncGroupRequest, respond: (r: SyncGroupResult) => void): void {
    const { groupId, memberId, generationId } = request;
    if (!validName(groupId)) return respond(syncError(ErrorCode.INVALID_GROUP_ID));
    // While loading, REBALANCE_IN_PROGRESS makes the client rejoin, which then waits for the load.
    const statusError = this.statusError(ErrorCode.REBALANCE_IN_PROGRESS);
    if (statusError !== ErrorCode.NONE) return respond(syncError(statusError));
    const group = this.groups.get(groupId);
    if (group === undefined) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (group.isStaticMemberFenced(memberId, request.groupInstanceId)) return respond(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const member = group.members.get(memberId);
    if (member === undefined) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (generationId !== group.generationId) return respond(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (request.protocolType !== undefined && request.protocolType !== null && request.protocolType !== group.protocolType) ||
      (request.protocolName !== undefined && request.protocolName !== null && request.protocolName !== group.protocolName)
    ) {
      return respond(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case 'Empty':
        return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        if (group.isLeader(memberId) && request.assignments.some((a) => a.assignment.length > PROTOCOL_METADATA_BYTES_MAX)) {
          return respond(syncError(ErrorCode.INVALID_REQUEST));
        }
        this.invokeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = respond;
        group.pendingSyncMembers.delete(memberId);
        if (group.isLeader(memberId)) {
          const assignment = new Map<string, Buffer>();
          for (const a of request.assignments) if (group.members.has(a.memberId)) assignment.set(a.memberId, Buffer.from(a.assignment));
          for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_BUFFER);
          void this.storeGroup(group, assignment).then((error) => {
            // Another member may have joined meanwhile: act only if this generation is still completing.
            if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
            if (error !== ErrorCode.NONE) {
              this.resetAndPropagateAssignmentError(group, error);
              this.maybePrepareRebalance(group);
            } else {
              for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BUFFER;
              this.propagateAssignment(group, ErrorCode.NONE);
              group.transitionTo('Stable', this.clock.nowMs());
            }
            group.assertInvariants();
          });
        }
        return;
      }
      case 'Stable':
        group.pendingSyncMembers.delete(memberId);
        respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        this.scheduleHeartbeat(group, member);
        return;
      case 'Dead':
        return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private resetAndPropagateAssignmentError(group: Group, error: ErrorCode): void {
    if (!group.is('CompletingRebalance')) throw new Error(`group ${group.groupId}: reset assignment in ${group.state}`);
    for (const m of group.members.values()) m.assignment = EMPTY_BUFFER;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: Group, error: ErrorCode): void {
    for (const member of group.members.values()) {
      if (member.awaitingSync === null) continue;
      this.invokeSync(member, {
        errorCode: error,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: error === ErrorCode.NONE ? member.assignment : EMPTY_BUFFER,
      });
      // A session that ran out while we awaited the leader or the log was ignored: start a fresh one.
      this.scheduleHeartbeat(group, member);
    }
  }

  private invokeJoin(member: Member, result: JoinGroupResult): void {
    const respond = member.awaitingJoin;
    if (respond === null) return;
    member.awaitingJoin = null;
    respond(result);
  }

  private invokeSync(member: Member, result: SyncGroupResult): void {
    const respond = member.awaitingSync;
    if (respond === null) return;
    member.awaitingSync = null;
    respond(result);
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeat, session expiry, LeaveGroup

  heartbeat(request: HeartbeatRequest): { errorCode: ErrorCode } {
    const { groupId, memberId } = request;
    if (!validName(groupId)) return { errorCode: ErrorCode.INVALID_GROUP_ID };
    // While loading Kafka answers heartbeats blindly: the member finds out after the load.
    const statusError = this.statusError(ErrorCode.NONE);
    if (statusError !== ErrorCode.NONE || !this.isActive) return { errorCode: statusError };
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (group.isStaticMemberFenced(memberId, request.groupInstanceId)) return { errorCode: ErrorCode.FENCED_INSTANCE_ID };
    const member = group.members.get(memberId);
    if (member === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (request.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      case 'CompletingRebalance':
      case 'Stable':
        this.scheduleHeartbeat(group, member);
        return { errorCode: ErrorCode.NONE };
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member);
        return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
    }
  }

  private scheduleHeartbeat(group: Group, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeatCancel?.();
    const cancel = this.scheduler.schedule(timeoutMs, () => {
      if (member.heartbeatCancel !== cancel) return;
      member.heartbeatCancel = null;
      if (group.members.get(member.memberId) !== member || group.is('Dead')) return;
      // Members parked in a join or sync phase are covered by that phase's timeout (not new joiners).
      if (!member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null)) return;
      this.logger.info(`group ${group.groupId}: member ${member.memberId} session expired`);
      this.removeMemberAndUpdateGroup(group, member);
      group.assertInvariants();
    });
    member.heartbeatCancel = cancel;
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member): void {
    // A new member may expire with its JoinGroup parked: answer it so the client rejoins if alive.
    this.invokeJoin(member, joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    this.invokeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    switch (group.state) {
      case 'Dead':
      case 'Empty':
        return;
      case 'Stable':
      case 'CompletingRebalance':
        return this.maybePrepareRebalance(group);
      case 'PreparingRebalance':
        return this.tryCompleteJoin(group);
    }
  }

  leaveGroup(request: LeaveGroupRequest): LeaveGroupResult {
    const none = (errorCode: ErrorCode): LeaveGroupResult => ({ errorCode, members: [] });
    if (!validName(request.groupId)) return none(ErrorCode.INVALID_GROUP_ID);
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (statusError !== ErrorCode.NONE) return none(statusError);
    if (request.members.length > LEAVE_MEMBERS_MAX) return none(ErrorCode.INVALID_REQUEST);
    const group = this.groups.get(request.groupId);
    const answer = (m: LeaveGroupRequest['members'][number], errorCode: ErrorCode) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      errorCode,
    });
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: request.members.map((m) => answer(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const members = request.members.map((leaving) => {
      const instanceId = leaving.groupInstanceId ?? null;
      if (leaving.memberId === UNKNOWN_MEMBER_ID) {
        // Administrative removal of a static member by its instance id.
        const current = instanceId === null ? undefined : group.staticMembers.get(instanceId);
        if (current === undefined) return answer(leaving, ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeMemberAndUpdateGroup(group, group.members.get(current)!);
        return answer(leaving, ErrorCode.NONE);
      }
      const pendingCancel = group.pendingMembers.get(leaving.memberId);
      if (pendingCancel !== undefined) {
        pendingCancel();
        group.pendingMembers.delete(leaving.memberId);
        if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
        return answer(leaving, ErrorCode.NONE);
      }
      if (group.isStaticMemberFenced(leaving.memberId, instanceId)) return answer(leaving, ErrorCode.FENCED_INSTANCE_ID);
      const member = group.members.get(leaving.memberId);
      if (member === undefined) return answer(leaving, ErrorCode.UNKNOWN_MEMBER_ID);
      this.removeMemberAndUpdateGroup(group, member);
      return answer(leaving, ErrorCode.NONE);
    });
    group.assertInvariants();
    return { errorCode: ErrorCode.NONE, members };
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets

  /**
   * OffsetCommit. Members commit with their generation; generation -1 with member id '' is a
   * standalone commit, accepted while the group has no members (and creating the group if needed).
   * Resolves after the records are durably in `__consumer_offsets`.
   */
  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitResult> {
    const all = (errorCode: ErrorCode) => this.commitResult(request.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode })));
    if (!validOffsetsGroupId(request.groupId)) return all(ErrorCode.INVALID_GROUP_ID);
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (statusError !== ErrorCode.NONE) return all(statusError);
    if (request.offsets.length > OFFSETS_PER_REQUEST_MAX) return all(ErrorCode.INVALID_REQUEST);
    let group = this.groups.get(request.groupId);
    if (group === undefined) {
      // No group: a standalone commit creates it; a generation means a member of a group that is gone.
      if (request.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      if (this.groups.size >= GROUPS_MAX) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      group = new Group(request.groupId);
      this.groups.set(request.groupId, group);
    }
    if (group.is('Dead')) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (group.isStaticMemberFenced(request.memberId, request.groupInstanceId)) return all(ErrorCode.FENCED_INSTANCE_ID);
    if (request.generationId < 0 && group.is('Empty')) return this.storeOffsets(group, request.offsets);
    const member = group.members.get(request.memberId);
    if (member === undefined) return all(ErrorCode.UNKNOWN_MEMBER_ID);
    if (request.generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
    switch (group.state) {
      case 'Stable':
      case 'PreparingRebalance':
        // Commits stay allowed while preparing: the member learns of the rebalance by heartbeat.
        this.scheduleHeartbeat(group, member);
        return this.storeOffsets(group, request.offsets);
      case 'CompletingRebalance':
        return all(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${group.groupId}: member ${request.memberId} in a ${group.state} group`);
    }
  }

  /**
   * Admin offset reset (`POST /admin/groups/{g}/reset-offsets`): the broker computes the target
   * offsets; this stores them, and refuses with NON_EMPTY_GROUP while the group has members.
   */
  async resetOffsets(groupId: string, offsets: readonly OffsetCommitPartition[]): Promise<OffsetCommitResult> {
    const group = this.groups.get(groupId);
    if (this.isActive && group !== undefined && !group.is('Empty') && !group.is('Dead')) {
      return this.commitResult(offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NON_EMPTY_GROUP })));
    }
    return this.commitOffsets({ groupId, generationId: NO_GENERATION, memberId: UNKNOWN_MEMBER_ID, offsets });
  }

  private commitResult(partitions: OffsetCommitResult['partitions']): OffsetCommitResult {
    const failed = partitions.find((p) => p.errorCode !== ErrorCode.NONE);
    return { errorCode: failed?.errorCode ?? ErrorCode.NONE, partitions };
  }

  private async storeOffsets(group: Group, offsets: readonly OffsetCommitPartition[]): Promise<OffsetCommitResult> {
    const now = this.clock.nowMs();
    const errors = offsets.map((o): ErrorCode => {
      if (!Number.isInteger(o.partition) || o.partition < 0 || !validName(o.topic)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (this.partitionExists !== undefined && !this.partitionExists(o.topic, o.partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (Buffer.byteLength(o.metadata ?? '') > this.config.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return ErrorCode.NONE;
    });
    const valid: CommittedOffset[] = [];
    offsets.forEach((o, i) => {
      if (errors[i] !== ErrorCode.NONE) return;
      valid.push({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: o.leaderEpoch ?? NO_LEADER_EPOCH,
        metadata: o.metadata ?? '',
        commitTimestampMs: now,
        expireTimestampMs: null,
      });
    });
    if (valid.length > 0) {
      const records = valid.map((c) => ({
        key: encodeOffsetKey(group.groupId, c.topic, c.partition),
        value: encodeOffsetValue(c),
      }));
      const error = await this.append(group.groupId, records);
      if (error === ErrorCode.NONE) {
        if (group.is('Dead') || this.groups.get(group.groupId) !== group) {
          // Deleted while the commit was in flight: the tombstones went out before these records,
          // so bury them too, or a reload would bring the offsets back.
          void this.append(group.groupId, records.map((r) => ({ key: r.key, value: null })));
        } else {
          for (const c of valid) group.offsets.set(offsetMapKey(c.topic, c.partition), c);
        }
      }
      offsets.forEach((_, i) => {
        if (errors[i] === ErrorCode.NONE) errors[i] = error;
      });
    }
    return this.commitResult(offsets.map((o, i) => ({ topic: o.topic, partition: o.partition, errorCode: errors[i]! })));
  }

  /** OffsetFetch; `partitions` null = every committed offset of the group. */
  fetchOffsets(groupId: string, partitions: readonly TopicPartitionRef[] | null): OffsetFetchResult {
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (statusError !== ErrorCode.NONE) return { errorCode: statusError, partitions: [] };
    if (!validOffsetsGroupId(groupId)) return { errorCode: ErrorCode.INVALID_GROUP_ID, partitions: [] };
    if (partitions !== null && partitions.length > OFFSETS_PER_REQUEST_MAX) return { errorCode: ErrorCode.INVALID_REQUEST, partitions: [] };
    const group = this.groups.get(groupId);
    const stored = group === undefined || group.is('Dead') ? new Map<string, CommittedOffset>() : group.offsets;
    const render = (c: CommittedOffset) => ({
      topic: c.topic,
      partition: c.partition,
      offset: c.offset,
      leaderEpoch: c.leaderEpoch,
      metadata: c.metadata,
      commitTimestampMs: c.commitTimestampMs,
      errorCode: ErrorCode.NONE,
    });
    if (partitions === null) {
      const all = [...stored.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      return { errorCode: ErrorCode.NONE, partitions: all.map(render) };
    }
    return {
      errorCode: ErrorCode.NONE,
      partitions: partitions.map((p) => {
        const c = stored.get(offsetMapKey(p.topic, p.partition));
        if (c !== undefined) return render(c);
        return { topic: p.topic, partition: p.partition, offset: NO_OFFSET, leaderEpoch: NO_LEADER_EPOCH, metadata: '', commitTimestampMs: -1, errorCode: ErrorCode.NONE };
      }),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Admin: list, describe, delete

  listGroups(states?: readonly GroupState[]): ListGroupsResult {
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (statusError !== ErrorCode.NONE) return { errorCode: statusError, groups: [] };
    const groups: ListGroupsResult['groups'] = [];
    for (const group of this.groups.values()) {
      if (group.is('Dead')) continue;
      if (states !== undefined && states.length > 0 && !states.includes(group.state)) continue;
      groups.push({ groupId: group.groupId, protocolType: group.protocolType ?? '', state: group.state, members: group.members.size });
    }
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    return { errorCode: ErrorCode.NONE, groups };
  }

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    return groupIds.map((groupId): DescribedGroup => {
      const blank: DescribedGroup = { groupId, errorCode: ErrorCode.NONE, state: 'Dead', protocolType: '', protocol: '', generationId: NO_GENERATION, leader: null, members: [] };
      if (statusError !== ErrorCode.NONE) return { ...blank, errorCode: statusError };
      if (!validOffsetsGroupId(groupId)) return { ...blank, errorCode: ErrorCode.INVALID_GROUP_ID };
      const group = this.groups.get(groupId);
      if (group === undefined) return blank;
      const stable = group.is('Stable') && group.protocolName !== null;
      return {
        groupId,
        errorCode: ErrorCode.NONE,
        state: group.state,
        protocolType: group.protocolType ?? '',
        protocol: stable ? group.protocolName! : '',
        generationId: group.generationId,
        leader: group.leaderId,
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          clientKind: m.clientKind,
          metadata: stable ? m.metadata(group.protocolName!) : EMPTY_BUFFER,
          assignment: stable ? m.assignment : EMPTY_BUFFER,
        })),
      };
    });
  }

  /**
   * DeleteGroups: only Empty groups (else NON_EMPTY_GROUP). The group turns Dead at once (joins get
   * COORDINATOR_NOT_AVAILABLE and retry), tombstones for its metadata and every offset are appended
   * durably, then it is gone; if the append fails it is Empty again and the error is returned.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<DeleteGroupResult[]> {
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    return Promise.all(
      groupIds.map(async (groupId): Promise<DeleteGroupResult> => {
        if (!validOffsetsGroupId(groupId)) return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID };
        if (statusError !== ErrorCode.NONE) return { groupId, errorCode: statusError };
        const group = this.groups.get(groupId);
        if (group === undefined || group.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
        if (!group.is('Empty') || group.pendingMembers.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        group.transitionTo('Dead', this.clock.nowMs());
        const error = await this.append(groupId, this.tombstones(group, [...group.offsets.values()], true));
        if (error !== ErrorCode.NONE) {
          group.state = 'Empty';
          return { groupId, errorCode: error };
        }
        group.joinTimer?.cancel();
        group.syncTimer?.();
        this.groups.delete(groupId);
        return { groupId, errorCode: ErrorCode.NONE };
      }),
    );
  }

  /**
   * OffsetDelete (KIP-496): removes committed offsets with tombstones. Refused per partition with
   * GROUP_SUBSCRIBED_TO_TOPIC while a consumer group with members subscribes to the topic.
   */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): Promise<OffsetCommitResult> {
    const all = (errorCode: ErrorCode) => ({ errorCode, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode })) });
    if (!validName(groupId)) return all(ErrorCode.INVALID_GROUP_ID);
    const statusError = this.statusError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (statusError !== ErrorCode.NONE) return all(statusError);
    if (partitions.length > OFFSETS_PER_REQUEST_MAX) return all(ErrorCode.INVALID_REQUEST);
    const group = this.groups.get(groupId);
    if (group === undefined || group.is('Dead')) return all(ErrorCode.GROUP_ID_NOT_FOUND);
    const subscribed = this.subscribedTopics(group);
    if (subscribed === null) return all(ErrorCode.NON_EMPTY_GROUP);
    const errors: ErrorCode[] = partitions.map((p) => (subscribed.has(p.topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE));
    const doomed = partitions.flatMap((p, i) => {
      const committed = errors[i] === ErrorCode.NONE ? group.offsets.get(offsetMapKey(p.topic, p.partition)) : undefined;
      return committed === undefined ? [] : [committed];
    });
    if (doomed.length > 0) {
      const error = await this.append(groupId, this.tombstones(group, doomed, false));
      if (error === ErrorCode.NONE) {
        for (const c of doomed) group.offsets.delete(offsetMapKey(c.topic, c.partition));
      } else {
        errors.forEach((e, i) => {
          if (e === ErrorCode.NONE) errors[i] = error;
        });
      }
    }
    return this.commitResult(partitions.map((p, i) => ({ topic: p.topic, partition: p.partition, errorCode: errors[i]! })));
  }

  /**
   * Topics the members of a consumer group subscribe to (from their stored subscriptions); empty
   * for an Empty group; null when the group has members of a protocol that is not `consumer`, whose
   * subscriptions cannot be read (Kafka refuses OffsetDelete for those with NON_EMPTY_GROUP).
   */
  private subscribedTopics(group: Group): Set<string> | null {
    const topics = new Set<string>();
    if (group.members.size === 0) return topics;
    if (group.protocolType !== CONSUMER_PROTOCOL_TYPE || group.protocolName === null) return null;
    for (const member of group.members.values()) {
      try {
        for (const topic of decodeSubscription(member.metadata(group.protocolName)).topics) topics.add(topic);
      } catch {
        return null;
      }
    }
    return topics;
  }

  private tombstones(group: Group, offsets: readonly CommittedOffset[], withGroup: boolean): RecordInput[] {
    const records: RecordInput[] = offsets.map((c) => ({ key: encodeOffsetKey(group.groupId, c.topic, c.partition), value: null }));
    if (withGroup) records.push({ key: encodeGroupKey(group.groupId), value: null });
    return records;
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets retention

  private scheduleRetention(): void {
    if (this.config.offsetsRetentionMs === 0 || this.status !== 'active') return;
    this.retentionTimer = this.scheduler.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.retentionTimer = null;
      void this.expireOffsets().finally(() => this.scheduleRetention());
    });
  }

  /**
   * Kafka's offset expiry (KIP-211): offsets of a group expire once the group has been Empty for
   * `offsets.retention.ms` (standalone groups: since each commit). An Empty group left with no
   * offsets is deleted (tombstoned) too. Groups with members keep their offsets.
   */
  async expireOffsets(): Promise<number> {
    if (!this.isActive || this.config.offsetsRetentionMs === 0) return 0;
    const now = this.clock.nowMs();
    let expired = 0;
    for (const group of [...this.groups.values()]) {
      if (!group.is('Empty') || group.pendingMembers.size > 0) continue;
      const emptySinceMs = group.protocolType !== null ? group.currentStateTimestampMs : null;
      const old = [...group.offsets.values()].filter((c) => {
        if (c.expireTimestampMs !== null) return now >= c.expireTimestampMs;
        return now - (emptySinceMs ?? c.commitTimestampMs) >= this.config.offsetsRetentionMs;
      });
      if (old.length === 0 && group.offsets.size > 0) continue;
      const deleteGroup = old.length === group.offsets.size;
      const error = await this.append(group.groupId, this.tombstones(group, old, deleteGroup));
      if (error !== ErrorCode.NONE || this.groups.get(group.groupId) !== group) continue;
      for (const c of old) group.offsets.delete(offsetMapKey(c.topic, c.partition));
      expired += old.length;
      if (deleteGroup && group.is('Empty') && group.offsets.size === 0 && group.pendingMembers.size === 0) {
        group.transitionTo('Dead', now);
        this.groups.delete(group.groupId);
      }
    }
    return expired;
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence

  /** Group metadata record: generation, protocol, leader, members with subscription and assignment. */
  private storeGroup(group: Group, assignment?: ReadonlyMap<string, Buffer>): Promise<ErrorCode> {
    const protocol = group.protocolName;
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestampMs: group.currentStateTimestampMs ?? -1,
      members:
        protocol === null
          ? []
          : [...group.members.values()].map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              rebalanceTimeoutMs: m.rebalanceTimeoutMs,
              sessionTimeoutMs: m.sessionTimeoutMs,
              subscription: m.metadata(protocol),
              assignment: assignment?.get(m.memberId) ?? m.assignment,
            })),
    };
    return this.append(group.groupId, [{ key: encodeGroupKey(group.groupId), value: encodeGroupValue(value) }]);
  }

  /** Appends records durably to the group's partition, in call order; maps a failure to an error code. */
  private append(groupId: string, records: RecordInput[]): Promise<ErrorCode> {
    const partition = this.partitionFor(groupId);
    const log = this.logs[partition]!;
    const run = async (): Promise<ErrorCode> => {
      try {
        for (let i = 0; i < records.length; i += OFFSETS_RECORDS_PER_BATCH_MAX) {
          const batch = encodeBatchSync({ records: records.slice(i, i + OFFSETS_RECORDS_PER_BATCH_MAX), nowMs: BigInt(this.clock.nowMs()) });
          await log.append(batch, { durable: true });
        }
        return ErrorCode.NONE;
      } catch (error) {
        this.logger.error(`__consumer_offsets-${partition}: append for group ${groupId} failed: ${(error as Error).message}`);
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    };
    const result = this.appendChains[partition]!.then(run);
    this.appendChains[partition] = result;
    return result;
  }
}
