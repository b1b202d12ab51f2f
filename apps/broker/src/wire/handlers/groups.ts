/**
 * The consumer-group APIs of the Kafka door: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups.
 *
 * Each handler only translates: the request's fields, version by version, into a call on the
 * shared GroupCoordinator (the same one the HTTP consumer instances and WebSocket group
 * subscriptions are members of), and its result back into the version's response. The coordinator
 * already speaks Kafka's error codes, so those are copied, never re-derived.
 *
 * Version notes (what changes between versions, and how it maps):
 * - FindCoordinator v0-3 carry one `key`; v4+ a `coordinatorKeys` batch answered per key. Only key
 *   type 0 (group) is served: this node coordinates every group. Type 1 (transaction) gets
 *   COORDINATOR_NOT_AVAILABLE until there is a transaction coordinator; other types INVALID_REQUEST.
 * - JoinGroup v0 has no rebalance timeout (-1: the coordinator uses the session timeout, as Kafka);
 *   v4+ asks new dynamic members to rejoin with the id they are given (MEMBER_ID_REQUIRED); v5+
 *   carries the static `group.instance.id`; protocol name is nullable only from v7.
 * - LeaveGroup v0-2 name one member (its error is the response's error); v3+ a batch.
 * - OffsetCommit v0 has no generation (a standalone commit); retention fields (v2-v4) and v1's
 *   per-partition commit timestamp are accepted and ignored (offsets expire by the broker's
 *   `offsets.retention.ms`), as Kafka has done since 2.1.
 * - OffsetFetch v0-7 ask for one group (null topics = every committed offset, v2+); v0-1 have no
 *   top-level error code, so a group-level error is put on each partition; v8+ ask for a batch.
 * - ListGroups v4+ filter by state (case-insensitive, as Kafka), v5+ by type (all ours: classic).
 */
import { ErrorCode, type GroupState, type FetchedOffset, type OffsetCommitPartition, type TopicPartitionRef } from '@runnel/coordinator';
import {
  ApiKey,
  type FindCoordinatorResponseCoordinator,
  type OffsetCommitResponseTopic,
  type OffsetFetchResponsePartition,
  type OffsetFetchResponseTopic,
  type OffsetFetchResponseTopics,
} from '@runnel/protocol';
import type { WireContext, WireHandlerTable } from '../handler';
import type { WireDeps } from './deps';

/** FindCoordinator key types (KIP-98). */
const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
/** DescribeGroups v3+: "not requested" (Kafka's Int32.MinValue). */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/**
 * Group operations a client may perform with no authorizer (bits of Kafka's AclOperation codes:
 * READ 3, DELETE 6, DESCRIBE 8), what Kafka answers when authorization is off.
 */
const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
/** The only group type we run (ListGroups v5 `typesFilter`, KIP-848 names). */
const GROUP_TYPE = 'classic';
const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

/** What the group handlers need from the broker: the coordinator, this node's id, where it is reached. */
export type GroupDeps = Pick<WireDeps, 'engine' | 'config' | 'advertised'>;

/** Kafka reports a member's host as the socket address with a leading slash (Java's InetAddress.toString). */
function clientHost(context: WireContext): string {
  return `/${context.connection.remoteAddress}`;
}

/** Groups flat per-partition results back under their topics, keeping first-seen topic order. */
function byTopic<P>(rows: readonly { topic: string; row: P }[]): { name: string; partitions: P[] }[] {
  const topics = new Map<string, P[]>();
  for (const { topic, row } of rows) {
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = []));
    partitions.push(row);
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}

function fetchedPartition(offset: FetchedOffset, errorCode: number): OffsetFetchResponsePartition {
  return {
    partitionIndex: offset.partition,
    committedOffset: offset.offset,
    committedLeaderEpoch: offset.leaderEpoch,
    metadata: offset.metadata,
    errorCode,
  };
}

function fetchRefs(topics: readonly { name: string; partitionIndexes: number[] }[] | null | undefined): TopicPartitionRef[] | null {
  if (topics === null || topics === undefined) return null;
  return topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
}

/** Parses a ListGroups states filter; null when it names only states that cannot match. */
function parseStates(filter: readonly string[] | undefined): GroupState[] | undefined | null {
  if (filter === undefined || filter.length === 0) return undefined;
  const wanted = new Set(filter.map((s) => s.toLowerCase()));
  const states = GROUP_STATES.filter((s) => wanted.has(s.toLowerCase()));
  return states.length === 0 ? null : states;
}

/**
 * The group APIs' handlers over the broker's coordinator. A factory (not a static table) because a
 * handler only gets (request, context): the dependencies are closed over here, once per listener.
 */
function createGroupHandlers(deps: GroupDeps): WireHandlerTable {
  // Looked up per request: the engine sets its coordinator late in its start-up and owns it.
  const coordinator = () => deps.engine.groups;
  const nodeId = deps.config.nodeId;
  return {
    [ApiKey.FindCoordinator]: (request, context) => {
      const answer = (key: string, keyType: number): FindCoordinatorResponseCoordinator => {
        const none = { key, nodeId: -1, host: '', port: -1, errorMessage: null };
        if (keyType === KEY_TYPE_TRANSACTION) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'transactions are not supported' };
        if (keyType !== KEY_TYPE_GROUP) return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown key type ${keyType}` };
        if (!coordinator().isActive) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'the group coordinator is not active' };
        const { host, port } = deps.advertised();
        return { key, nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null };
      };
      const keyType = request.keyType ?? KEY_TYPE_GROUP;
      if (context.apiVersion >= 4) {
        return { throttleTimeMs: 0, coordinators: (request.coordinatorKeys ?? []).map((key) => answer(key, keyType)) };
      }
      const one = answer(request.key ?? '', keyType);
      return { throttleTimeMs: 0, errorCode: one.errorCode, errorMessage: one.errorMessage, nodeId: one.nodeId, host: one.host, port: one.port };
    },

    [ApiKey.JoinGroup]: async (request, context) => {
      const version = context.apiVersion;
      const result = await coordinator().joinGroup({
        groupId: request.groupId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: version >= 1 ? (request.rebalanceTimeoutMs ?? -1) : -1,
        protocolType: request.protocolType,
        protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
        clientId: context.clientId ?? '',
        clientHost: clientHost(context),
        clientKind: 'kafka',
        requireKnownMemberId: version >= 4,
        reason: request.reason ?? null,
      });
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        generationId: result.generationId,
        protocolType: result.protocolType,
        // Nullable only from v7; before, Kafka sends '' when no protocol is chosen.
        protocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ''),
        leader: result.leader,
        skipAssignment: false,
        memberId: result.memberId,
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
      };
    },

    [ApiKey.SyncGroup]: async (request) => {
      const result = await coordinator().syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
        protocolType: request.protocolType ?? null,
        protocolName: request.protocolName ?? null,
        assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
      });
      return { throttleTimeMs: 0, errorCode: result.errorCode, protocolType: result.protocolType, protocolName: result.protocolName, assignment: result.assignment };
    },

    [ApiKey.Heartbeat]: (request) => {
      const result = coordinator().heartbeat({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
      });
      return { throttleTimeMs: 0, errorCode: result.errorCode };
    },

    [ApiKey.LeaveGroup]: (request, context) => {
      if (context.apiVersion < 3) {
        const result = coordinator().leaveGroup({ groupId: request.groupId, members: [{ memberId: request.memberId ?? '' }] });
        return { throttleTimeMs: 0, errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? ErrorCode.NONE) };
      }
      const result = coordinator().leaveGroup({
        groupId: request.groupId,
        members: (request.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason ?? null })),
      });
      return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members };
    },

    [ApiKey.OffsetCommit]: async (request, context) => {
      const offsets: OffsetCommitPartition[] = request.topics.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          ...(p.committedLeaderEpoch !== undefined ? { leaderEpoch: p.committedLeaderEpoch } : {}),
          metadata: p.committedMetadata,
        })),
      );
      // v0 has no generation: a standalone commit (accepted while the group has no members).
      const v0 = context.apiVersion === 0;
      const result = await coordinator().commitOffsets({
        groupId: request.groupId,
        generationId: v0 ? -1 : (request.generationIdOrMemberEpoch ?? -1),
        memberId: v0 ? '' : (request.memberId ?? ''),
        groupInstanceId: request.groupInstanceId ?? null,
        offsets,
      });
      // The coordinator answers every partition in request order (or none for a whole-request error).
      const rows = offsets.map((o, i) => ({
        topic: o.topic,
        row: { partitionIndex: o.partition, errorCode: result.partitions[i]?.errorCode ?? result.errorCode },
      }));
      const topics: OffsetCommitResponseTopic[] = byTopic(rows);
      return { throttleTimeMs: 0, topics };
    },

    [ApiKey.OffsetFetch]: (request, context) => {
      const version = context.apiVersion;
      if (version >= 8) {
        return {
          throttleTimeMs: 0,
          groups: (request.groups ?? []).map((g) => {
            const result = coordinator().fetchOffsets(g.groupId, fetchRefs(g.topics));
            const topics: OffsetFetchResponseTopics[] = byTopic(
              result.partitions.map((p) => ({ topic: p.topic, row: { ...fetchedPartition(p, p.errorCode), committedLeaderEpoch: p.leaderEpoch } })),
            );
            return { groupId: g.groupId, errorCode: result.errorCode, topics };
          }),
        };
      }
      // v0-1: topics are required (not nullable); v2+: null asks for every committed offset.
      const refs = fetchRefs(request.topics);
      const result = coordinator().fetchOffsets(request.groupId ?? '', refs);
      if (result.errorCode !== ErrorCode.NONE && version < 2) {
        // No top-level error code before v2: Kafka reports the group error on each partition.
        const failed = (refs ?? []).map((r) => ({
          topic: r.topic,
          row: { partitionIndex: r.partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: result.errorCode },
        }));
        return { throttleTimeMs: 0, topics: byTopic(failed) };
      }
      const topics: OffsetFetchResponseTopic[] = byTopic(result.partitions.map((p) => ({ topic: p.topic, row: fetchedPartition(p, p.errorCode) })));
      return { throttleTimeMs: 0, errorCode: result.errorCode, topics };
    },

    [ApiKey.ListGroups]: (request) => {
      const types = request.typesFilter ?? [];
      const states = parseStates(request.statesFilter);
      if (states === null || (types.length > 0 && !types.some((t) => t.toLowerCase() === GROUP_TYPE))) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [] };
      }
      const result = coordinator().listGroups(states);
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        groups: result.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: GROUP_TYPE })),
      };
    },

    [ApiKey.DescribeGroups]: (request) => ({
      throttleTimeMs: 0,
      groups: coordinator().describeGroups(request.groups).map((g) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocol,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: request.includeAuthorizedOperations === true ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      })),
    }),

    [ApiKey.DeleteGroups]: async (request) => ({
      throttleTimeMs: 0,
      results: await coordinator().deleteGroups(request.groupsNames),
    }),
  };
}

/**
 * Spreading the factory itself (`...groupHandlers`) would add no handler at all (a function has no
 * API-key properties at run time) and the group APIs would silently vanish from ApiVersions. This
 * phantom property turns that mistake into a compile error at the spread: `...groupHandlers(deps)`.
 */
interface SpreadTheResultNotTheFactory {
  readonly [ApiKey.JoinGroup]: 'groupHandlers is a factory: spread groupHandlers(deps), not groupHandlers';
}

export const groupHandlers = createGroupHandlers as ((deps: GroupDeps) => WireHandlerTable) & SpreadTheResultNotTheFactory;
