/**
 * The group handlers, version by version, over a real broker's coordinator: each request shape a
 * Kafka client may send (single key vs batch, v0 without generation, MEMBER_ID_REQUIRED from v4,
 * static members, retention fields, null topics, batches of groups) and the response shape it must
 * get back. Handlers are called directly (the table a listener would dispatch to), so versions the
 * listener might not advertise are covered too; the last test goes through the listener itself.
 * The real-client tests are in groups-clients.
 */
import { ApiKey, encodeResponse } from '@runnel/protocol';
import { ErrorCode } from '@runnel/coordinator';
import { EngineService } from '../../apps/broker/src/core/engine.service';
import type { WireContext, WireHandlerTable } from '../../apps/broker/src/wire/handler';
import { groupHandlers } from '../../apps/broker/src/wire/handlers/groups';
import { post, startTestBroker, TestBroker } from '../helpers/broker';
import { RawClient } from './wire-helpers';

const ADVERTISED = { host: 'adv.example', port: 19092 };

describe('group API handlers, every version shape', () => {
  let b: TestBroker;
  let h: Required<WireHandlerTable>;
  let nodeId: number;

  const ctx = (apiKey: ApiKey, apiVersion: number): WireContext => ({
    apiKey,
    apiVersion,
    correlationId: 7,
    clientId: 'handler-test',
    connection: { id: 1, remoteAddress: '127.0.0.1', remotePort: 40000 },
  });

  beforeAll(async () => {
    b = await startTestBroker();
    nodeId = b.broker.config.nodeId;
    const table = groupHandlers({ engine: b.broker.app.get(EngineService), config: b.broker.config, advertised: () => ADVERTISED });
    // Every answer must also encode in the version asked (a field the version cannot carry throws).
    h = Object.fromEntries(
      Object.entries(table).map(([key, handler]) => [
        key,
        async (request: never, context: WireContext) => {
          const body = await (handler as (r: never, c: WireContext) => unknown)(request, context);
          encodeResponse(context.apiKey, context.apiVersion, context.correlationId, body as never);
          return body;
        },
      ]),
    ) as unknown as Required<WireHandlerTable>;
    expect((await post(`${b.url}/admin/topics`, { name: 'hg', partitions: 2 })).status).toBe(201);
  });
  afterAll(() => b.close());

  const subscription = Buffer.from([0, 0, 0, 0, 0, 1, 0, 2, 0x68, 0x67, 0xff, 0xff, 0xff, 0xff]); // v0: topics ["hg"], no user data

  async function joinV4(groupId: string): Promise<{ memberId: string; generationId: number }> {
    const first = (await h[ApiKey.JoinGroup]({ groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription }] }, ctx(ApiKey.JoinGroup, 4)))!;
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).not.toBe('');
    const second = (await h[ApiKey.JoinGroup]({ groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: first.memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription }] }, ctx(ApiKey.JoinGroup, 4)))!;
    expect(second.errorCode).toBe(ErrorCode.NONE);
    expect(second.memberId).toBe(first.memberId);
    expect(second.leader).toBe(first.memberId);
    expect(second.protocolName).toBe('range');
    expect(second.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: subscription }]);
    return { memberId: second.memberId, generationId: second.generationId };
  }

  it('FindCoordinator: v0 single key, v4 batch, this node at the advertised address; other key types refused', async () => {
    const v0 = (await h[ApiKey.FindCoordinator]({ key: 'g1' }, ctx(ApiKey.FindCoordinator, 0)))!;
    expect(v0).toMatchObject({ errorCode: 0, nodeId, host: ADVERTISED.host, port: ADVERTISED.port });
    const v4 = (await h[ApiKey.FindCoordinator]({ keyType: 0, coordinatorKeys: ['a', 'b'] }, ctx(ApiKey.FindCoordinator, 4)))!;
    expect(v4.coordinators).toEqual([
      { key: 'a', nodeId, host: ADVERTISED.host, port: ADVERTISED.port, errorCode: 0, errorMessage: null },
      { key: 'b', nodeId, host: ADVERTISED.host, port: ADVERTISED.port, errorCode: 0, errorMessage: null },
    ]);
    const txn = (await h[ApiKey.FindCoordinator]({ key: 't', keyType: 1 }, ctx(ApiKey.FindCoordinator, 2)))!;
    expect(txn.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const bogus = (await h[ApiKey.FindCoordinator]({ keyType: 9, coordinatorKeys: ['x'] }, ctx(ApiKey.FindCoordinator, 4)))!;
    expect(bogus.coordinators?.[0]?.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('JoinGroup v0 joins without a member id round (no rebalance timeout); v4+ requires the member id first', async () => {
    const v0 = (await h[ApiKey.JoinGroup]({ groupId: 'g-v0', sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription }] }, ctx(ApiKey.JoinGroup, 0)))!;
    expect(v0.errorCode).toBe(ErrorCode.NONE);
    expect(v0.generationId).toBe(1);
    expect(v0.leader).toBe(v0.memberId);
    const left = (await h[ApiKey.LeaveGroup]({ groupId: 'g-v0', memberId: v0.memberId }, ctx(ApiKey.LeaveGroup, 0)))!;
    expect(left).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    const again = (await h[ApiKey.LeaveGroup]({ groupId: 'g-v0', memberId: v0.memberId }, ctx(ApiKey.LeaveGroup, 1)))!;
    expect(again.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await joinV4('g-v4');
  });

  it('SyncGroup, Heartbeat, OffsetCommit (v2 with retention ignored, v8) and OffsetFetch (v1, v7 all, v8 batch)', async () => {
    const { memberId, generationId } = await joinV4('g-sync');
    const assignment = Buffer.from([0, 0, 0, 0, 0, 1, 0, 2, 0x68, 0x67, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
    const sync = (await h[ApiKey.SyncGroup]({ groupId: 'g-sync', generationId, memberId, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId, assignment }] }, ctx(ApiKey.SyncGroup, 5)))!;
    expect(sync).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
    expect(Buffer.compare(sync.assignment, assignment)).toBe(0);
    expect((await h[ApiKey.Heartbeat]({ groupId: 'g-sync', generationId, memberId }, ctx(ApiKey.Heartbeat, 0)))!.errorCode).toBe(0);
    expect((await h[ApiKey.Heartbeat]({ groupId: 'g-sync', generationId: generationId + 5, memberId }, ctx(ApiKey.Heartbeat, 4)))!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const commit = (await h[ApiKey.OffsetCommit](
      {
        groupId: 'g-sync',
        generationIdOrMemberEpoch: generationId,
        memberId,
        retentionTimeMs: 1n,
        topics: [
          { name: 'hg', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: 'm0' }, { partitionIndex: 1, committedOffset: 7n, committedMetadata: null }] },
          { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
        ],
      },
      ctx(ApiKey.OffsetCommit, 2),
    ))!;
    expect(commit.topics).toEqual([
      { name: 'hg', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 0 }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
    ]);
    const stale = (await h[ApiKey.OffsetCommit](
      { groupId: 'g-sync', generationIdOrMemberEpoch: generationId + 1, memberId, topics: [{ name: 'hg', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: 0, committedMetadata: null }] }] },
      ctx(ApiKey.OffsetCommit, 8),
    ))!;
    expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const v1 = (await h[ApiKey.OffsetFetch]({ groupId: 'g-sync', topics: [{ name: 'hg', partitionIndexes: [0, 1] }, { name: 'other', partitionIndexes: [3] }] }, ctx(ApiKey.OffsetFetch, 1)))!;
    expect(v1.topics).toEqual([
      { name: 'hg', partitions: [expect.objectContaining({ partitionIndex: 0, committedOffset: 5n, metadata: 'm0', errorCode: 0 }), expect.objectContaining({ partitionIndex: 1, committedOffset: 7n, metadata: '' })] },
      { name: 'other', partitions: [expect.objectContaining({ partitionIndex: 3, committedOffset: -1n, errorCode: 0 })] },
    ]);
    const all = (await h[ApiKey.OffsetFetch]({ groupId: 'g-sync', topics: null }, ctx(ApiKey.OffsetFetch, 7)))!;
    expect(all.errorCode).toBe(0);
    expect(all.topics?.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([['hg', [5n, 7n]]]);
    const batch = (await h[ApiKey.OffsetFetch]({ groups: [{ groupId: 'g-sync', topics: null }, { groupId: 'g-none', topics: [{ name: 'hg', partitionIndexes: [0] }] }] }, ctx(ApiKey.OffsetFetch, 8)))!;
    expect(batch.groups?.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset))])).toEqual([
      ['g-sync', 0, [5n, 7n]],
      ['g-none', 0, [-1n]],
    ]);

    const describe = (await h[ApiKey.DescribeGroups]({ groups: ['g-sync', 'g-missing'], includeAuthorizedOperations: true }, ctx(ApiKey.DescribeGroups, 5)))!;
    expect(describe.groups[0]).toMatchObject({ errorCode: 0, groupId: 'g-sync', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(describe.groups[0]!.members).toEqual([
      { memberId, groupInstanceId: null, clientId: 'handler-test', clientHost: '/127.0.0.1', memberMetadata: subscription, memberAssignment: assignment },
    ]);
    expect(describe.groups[0]!.authorizedOperations).toBeGreaterThan(0);
    expect(describe.groups[1]).toMatchObject({ errorCode: 0, groupId: 'g-missing', groupState: 'Dead', members: [] });

    const leave = (await h[ApiKey.LeaveGroup]({ groupId: 'g-sync', members: [{ memberId, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }] }, ctx(ApiKey.LeaveGroup, 3)))!;
    expect(leave).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      members: [
        { memberId, groupInstanceId: null, errorCode: 0 },
        { memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    });
    // OffsetCommit v0 has no generation: a standalone commit, fine now the group is empty.
    const v0 = (await h[ApiKey.OffsetCommit]({ groupId: 'g-sync', topics: [{ name: 'hg', partitions: [{ partitionIndex: 0, committedOffset: 11n, committedMetadata: null }] }] }, ctx(ApiKey.OffsetCommit, 0)))!;
    expect(v0.topics[0]!.partitions[0]!.errorCode).toBe(0);
    const after = (await h[ApiKey.OffsetFetch]({ groupId: 'g-sync', topics: [{ name: 'hg', partitionIndexes: [0] }] }, ctx(ApiKey.OffsetFetch, 5)))!;
    expect(after.topics?.[0]?.partitions[0]?.committedOffset).toBe(11n);
  });

  it('static members: v5 joins with an instance id, a replacement fences the old member id', async () => {
    const join = (memberId: string) =>
      h[ApiKey.JoinGroup](
        { groupId: 'g-static', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: 'inst-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription }] },
        ctx(ApiKey.JoinGroup, 5),
      );
    const first = (await join(''))!;
    expect(first.errorCode).toBe(0);
    expect(first.members).toEqual([{ memberId: first.memberId, groupInstanceId: 'inst-1', metadata: subscription }]);
    const sync = (await h[ApiKey.SyncGroup]({ groupId: 'g-static', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'inst-1', assignments: [] }, ctx(ApiKey.SyncGroup, 3)))!;
    expect(sync.errorCode).toBe(0);
    const replacement = (await join(''))!;
    expect(replacement.errorCode).toBe(0);
    expect(replacement.memberId).not.toBe(first.memberId);
    const fenced = (await h[ApiKey.Heartbeat]({ groupId: 'g-static', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'inst-1' }, ctx(ApiKey.Heartbeat, 3)))!;
    expect(fenced.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const describe = (await h[ApiKey.DescribeGroups]({ groups: ['g-static'] }, ctx(ApiKey.DescribeGroups, 4)))!;
    expect(describe.groups[0]!.members.map((m) => m.groupInstanceId)).toEqual(['inst-1']);
    // An admin removes the static member by instance id (LeaveGroup v3+, member id '').
    const removed = (await h[ApiKey.LeaveGroup]({ groupId: 'g-static', members: [{ memberId: '', groupInstanceId: 'inst-1' }] }, ctx(ApiKey.LeaveGroup, 4)))!;
    expect(removed.members?.[0]?.errorCode).toBe(0);
  });

  it('ListGroups filters by state (case-insensitive) and type; DeleteGroups deletes empty groups only once', async () => {
    await joinV4('g-list');
    const ids = async (body: { statesFilter?: string[]; typesFilter?: string[] }, version: number) =>
      ((await h[ApiKey.ListGroups](body, ctx(ApiKey.ListGroups, version)))!).groups.map((g) => g.groupId);
    expect(await ids({}, 0)).toEqual(expect.arrayContaining(['g-list', 'g-sync', 'g-v4']));
    const listed = (await h[ApiKey.ListGroups]({ statesFilter: ['completingrebalance'] }, ctx(ApiKey.ListGroups, 4)))!;
    expect(listed.groups).toContainEqual({ groupId: 'g-list', protocolType: 'consumer', groupState: 'CompletingRebalance', groupType: 'classic' });
    expect(await ids({ statesFilter: ['Empty'] }, 4)).toContain('g-sync');
    expect(await ids({ statesFilter: ['Empty'] }, 4)).not.toContain('g-list');
    expect(await ids({ statesFilter: ['NoSuchState'] }, 4)).toEqual([]);
    expect(await ids({ typesFilter: ['consumer'] }, 5)).toEqual([]);
    expect(await ids({ typesFilter: ['Classic'] }, 5)).toContain('g-list');

    const deleted = (await h[ApiKey.DeleteGroups]({ groupsNames: ['g-sync', 'g-list', 'g-unknown'] }, ctx(ApiKey.DeleteGroups, 2)))!;
    expect(deleted.results).toEqual([
      { groupId: 'g-sync', errorCode: 0 },
      { groupId: 'g-list', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'g-unknown', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    const fetched = (await h[ApiKey.OffsetFetch]({ groupId: 'g-sync', topics: null }, ctx(ApiKey.OffsetFetch, 3)))!;
    expect(fetched.topics).toEqual([]);
  });
});

describe('group APIs through the listener', () => {
  let b: TestBroker;
  let client: RawClient;
  const GROUP_APIS = [ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.ListGroups, ApiKey.DescribeGroups, ApiKey.DeleteGroups];

  beforeAll(async () => {
    b = await startTestBroker();
    client = await RawClient.connect(b.broker.kafkaPort);
  });
  afterAll(async () => {
    client.close();
    await b.close();
  });

  it('advertises every group API from v0, and answers the newest shapes with this node at its real port', async () => {
    const versions = await client.request(ApiKey.ApiVersions, 0, {});
    for (const apiKey of GROUP_APIS) expect(versions.apiKeys).toContainEqual(expect.objectContaining({ apiKey, minVersion: 0 }));
    const max = (apiKey: ApiKey): number => versions.apiKeys.find((v) => v.apiKey === Number(apiKey))!.maxVersion;

    const found = await client.request(ApiKey.FindCoordinator, 0, { key: 'raw-g' });
    expect(found).toMatchObject({ errorCode: 0, nodeId: b.broker.config.nodeId, port: b.broker.kafkaPort });
    expect(max(ApiKey.FindCoordinator)).toBeGreaterThanOrEqual(4);
    const batch = await client.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['raw-a', 'raw-b'] });
    expect(batch.coordinators?.map((c) => [c.key, c.errorCode, c.port])).toEqual([['raw-a', 0, b.broker.kafkaPort], ['raw-b', 0, b.broker.kafkaPort]]);
    const joinVersion = max(ApiKey.JoinGroup);
    const join = (memberId: string) =>
      client.request(ApiKey.JoinGroup, joinVersion, { groupId: 'raw-g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    const first = await join('');
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const joined = await join(first.memberId);
    expect(joined).toMatchObject({ errorCode: 0, leader: first.memberId, memberId: first.memberId });
    expect(max(ApiKey.OffsetFetch)).toBeGreaterThanOrEqual(8);
    const offsets = await client.request(ApiKey.OffsetFetch, max(ApiKey.OffsetFetch), { groups: [{ groupId: 'raw-g', topics: null }] });
    expect(offsets.groups).toEqual([{ groupId: 'raw-g', errorCode: 0, topics: [] }]);
    const described = await client.request(ApiKey.DescribeGroups, max(ApiKey.DescribeGroups), { groups: ['raw-g'] });
    expect(described.groups[0]).toMatchObject({ groupId: 'raw-g', groupState: 'CompletingRebalance' });
    expect(described.groups[0]!.members[0]).toMatchObject({ memberId: first.memberId, clientId: 'raw-test', clientHost: '/127.0.0.1' });
    const left = await client.request(ApiKey.LeaveGroup, max(ApiKey.LeaveGroup), { groupId: 'raw-g', members: [{ memberId: first.memberId, groupInstanceId: null }] });
    expect(left.members).toEqual([expect.objectContaining({ memberId: first.memberId, errorCode: 0 })]);
  });
});
