import { ErrorCode } from './errors';
import { GroupCoordinator } from './coordinator';
import { encodeSubscription } from './consumer-protocol';
import { InMemoryOffsetsLog } from './offsets-log';
import { type Harness, TEST_CONFIG, joinRequest, leaderOf, startCoordinator, track } from './testing/harness';
import { FakeScheduler } from './time';
import type { JoinGroupResult } from './types';

const DELAY_MS = TEST_CONFIG.initialRebalanceDelayMs!;
/** Members after the first join during the initial delay extend it once more (Kafka's InitialDelayedJoin). */
const FORM_MS = 2 * DELAY_MS;

/** Joins `clientIds` as new members of group 'g', completes the sync, returns the join results. */
async function formGroup(h: Harness, clientIds: string[]): Promise<JoinGroupResult[]> {
  const joins = clientIds.map((clientId) => track(h.coordinator.joinGroup(joinRequest('', { clientId }))));
  await h.scheduler.advance(FORM_MS);
  const results = joins.map((j) => j.value);
  const leader = leaderOf(results);
  const syncs = await Promise.all(
    results.map((r) =>
      h.coordinator.syncGroup({
        groupId: 'g',
        generationId: r.generationId,
        memberId: r.memberId,
        assignments: r === leader ? results.map((x) => ({ memberId: x.memberId, assignment: Buffer.from(`for ${x.memberId}`) })) : [],
      }),
    ),
  );
  syncs.forEach((s, i) => {
    expect(s.errorCode).toBe(ErrorCode.NONE);
    expect(s.assignment.toString()).toBe(`for ${results[i]!.memberId}`);
  });
  return results;
}

function state(coordinator: GroupCoordinator, groupId = 'g'): string {
  return coordinator.describeGroups([groupId])[0]!.state;
}

describe('GroupCoordinator join/sync', () => {
  it('runs one member through the initial delay, join and sync to Stable', async () => {
    const h = await startCoordinator();
    const join = track(h.coordinator.joinGroup(joinRequest('')));
    await h.scheduler.advance(DELAY_MS - 1);
    expect(join.done).toBe(false);
    expect(state(h.coordinator)).toBe('PreparingRebalance');
    await h.scheduler.advance(1);
    expect(join.value).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolType: 'consumer', protocolName: 'range', memberId: 'client-id1', leader: 'client-id1' });
    expect(join.value.members.map((m) => m.memberId)).toEqual(['client-id1']);
    expect(state(h.coordinator)).toBe('CompletingRebalance');
    const sync = await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: 'client-id1', assignments: [{ memberId: 'client-id1', assignment: Buffer.from('A') }] });
    expect(sync).toMatchObject({ errorCode: ErrorCode.NONE, protocolName: 'range' });
    expect(sync.assignment).toEqual(Buffer.from('A'));
    const described = h.coordinator.describeGroups(['g'])[0]!;
    expect(described).toMatchObject({ state: 'Stable', protocol: 'range', protocolType: 'consumer', generationId: 1 });
    expect(described.members).toEqual([
      expect.objectContaining({ memberId: 'client-id1', clientId: 'client', clientHost: '/127.0.0.1', clientKind: 'kafka', assignment: Buffer.from('A') }),
    ]);
  });

  it('puts three members in one generation; only the leader gets the member list; followers wait for the leader', async () => {
    const h = await startCoordinator();
    const joins = ['a', 'b', 'c'].map((clientId) => track(h.coordinator.joinGroup(joinRequest('', { clientId }))));
    await h.scheduler.advance(DELAY_MS);
    expect(joins.some((j) => j.done)).toBe(false);
    await h.scheduler.advance(DELAY_MS);
    const results = joins.map((j) => j.value);
    expect(results.map((r) => r.generationId)).toEqual([1, 1, 1]);
    const leader = leaderOf(results);
    expect(leader.memberId).toBe('a-id1');
    expect(leader.members.map((m) => m.memberId)).toEqual(['a-id1', 'b-id2', 'c-id3']);
    expect(results.filter((r) => r !== leader).every((r) => r.members.length === 0 && r.leader === 'a-id1')).toBe(true);
    const followerSyncs = results.slice(1).map((r) => track(h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, assignments: [] })));
    await h.scheduler.advance(0);
    expect(followerSyncs.some((s) => s.done)).toBe(false);
    // The leader leaves c out: c gets an empty assignment.
    await h.coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: 'a-id1',
      assignments: [
        { memberId: 'a-id1', assignment: Buffer.from('x') },
        { memberId: 'b-id2', assignment: Buffer.from('y') },
      ],
    });
    await h.scheduler.advance(0);
    expect(followerSyncs[0]!.value.assignment).toEqual(Buffer.from('y'));
    expect(followerSyncs[1]!.value.assignment).toEqual(Buffer.alloc(0));
    expect(state(h.coordinator)).toBe('Stable');
  });

  it('extends the initial delay while new members keep arriving', async () => {
    const h = await startCoordinator();
    const a = track(h.coordinator.joinGroup(joinRequest('', { clientId: 'a' })));
    await h.scheduler.advance(DELAY_MS - 10);
    const b = track(h.coordinator.joinGroup(joinRequest('', { clientId: 'b' })));
    await h.scheduler.advance(10);
    expect(a.done).toBe(false);
    await h.scheduler.advance(DELAY_MS);
    expect(a.value.generationId).toBe(1);
    expect(b.value.generationId).toBe(1);
  });

  it('bumps the generation when a member joins a Stable group, once everyone has rejoined', async () => {
    const h = await startCoordinator();
    const [a, b] = await formGroup(h, ['a', 'b']);
    const c = track(h.coordinator.joinGroup(joinRequest('', { clientId: 'c' })));
    await h.scheduler.advance(0);
    expect(state(h.coordinator)).toBe('PreparingRebalance');
    expect(c.done).toBe(false);
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!.memberId }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const aj = track(h.coordinator.joinGroup(joinRequest(a!.memberId, { clientId: 'a' })));
    await h.scheduler.advance(0);
    expect(aj.done).toBe(false);
    const bj = track(h.coordinator.joinGroup(joinRequest(b!.memberId, { clientId: 'b' })));
    await h.scheduler.advance(0);
    expect([aj.value, bj.value, c.value].map((r) => r.generationId)).toEqual([2, 2, 2]);
    expect(aj.value.members).toHaveLength(3);
    // Old generation is now illegal.
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b!.memberId }).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: b!.memberId }).errorCode).toBe(ErrorCode.NONE);
  });

  it('answers a follower rejoining a Stable group with unchanged metadata at once, without a rebalance', async () => {
    const h = await startCoordinator();
    const [, b] = await formGroup(h, ['a', 'b']);
    const again = await h.coordinator.joinGroup(joinRequest(b!.memberId, { clientId: 'b' }));
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, memberId: b!.memberId, members: [] });
    expect(state(h.coordinator)).toBe('Stable');
  });

  it('rebalances when the leader rejoins a Stable group', async () => {
    const h = await startCoordinator();
    const [a] = await formGroup(h, ['a']);
    const again = await h.coordinator.joinGroup(joinRequest(a!.memberId, { clientId: 'a' }));
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 });
  });

  it('hands out MEMBER_ID_REQUIRED first when asked, then accepts the member with that id', async () => {
    const h = await startCoordinator();
    const first = await h.coordinator.joinGroup(joinRequest('', { requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toBe('client-id1');
    const second = track(h.coordinator.joinGroup(joinRequest(first.memberId)));
    await h.scheduler.advance(DELAY_MS);
    expect(second.value).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'client-id1', generationId: 1 });
  });

  it('drops a pending member id that never comes back after the session timeout', async () => {
    const h = await startCoordinator();
    const [a] = await formGroup(h, ['a']);
    const pending = await h.coordinator.joinGroup(joinRequest('', { clientId: 'p', requireKnownMemberId: true }));
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // A pending id is not a member: the group stays Stable while it is out.
    expect(state(h.coordinator)).toBe('Stable');
    for (let t = 0; t < 4; t++) {
      await h.scheduler.advance(2500);
      expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!.memberId }).errorCode).toBe(ErrorCode.NONE);
    }
    await expect(h.coordinator.joinGroup(joinRequest(pending.memberId, { clientId: 'p' }))).resolves.toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });
});

describe('GroupCoordinator liveness', () => {
  it('removes a member that stops heartbeating after its session timeout and rebalances the rest', async () => {
    const h = await startCoordinator();
    const [a, b] = await formGroup(h, ['a', 'b']);
    for (let t = 0; t < 3; t++) {
      await h.scheduler.advance(3000);
      expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!.memberId }).errorCode).toBe(ErrorCode.NONE);
    }
    await h.scheduler.advance(1000); // b's session (10 s) is over
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!.memberId }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b!.memberId }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoin = await h.coordinator.joinGroup(joinRequest(a!.memberId, { clientId: 'a' }));
    expect(rejoin).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leader: a!.memberId });
    expect(rejoin.members.map((m) => m.memberId)).toEqual([a!.memberId]);
  });

  it('rebalances on leave, elects a new leader, and empties the group when the last member leaves', async () => {
    const h = await startCoordinator();
    const [a, b] = await formGroup(h, ['a', 'b']);
    const left = h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: a!.memberId }, { memberId: 'nobody' }] });
    expect(left.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b!.memberId }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoin = await h.coordinator.joinGroup(joinRequest(b!.memberId, { clientId: 'b' }));
    expect(rejoin).toMatchObject({ generationId: 2, leader: b!.memberId });
    await h.coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b!.memberId, assignments: [] });
    h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: b!.memberId }] });
    await h.scheduler.advance(0);
    expect(h.coordinator.describeGroups(['g'])[0]).toMatchObject({ state: 'Empty', generationId: 3, members: [] });
  });

  it('removes members that do not rejoin within the rebalance timeout', async () => {
    const h = await startCoordinator();
    const [a, b] = await formGroup(h, ['a', 'b']);
    const aj = track(h.coordinator.joinGroup(joinRequest(a!.memberId, { clientId: 'a' })));
    // b stays alive by heartbeat but never rejoins.
    for (let t = 3000; t < 30_000; t += 3000) {
      await h.scheduler.advance(3000);
      expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b!.memberId }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect(aj.done).toBe(false);
    }
    await h.scheduler.advance(3000);
    expect(aj.value).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 });
    expect(aj.value.members.map((m) => m.memberId)).toEqual([a!.memberId]);
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: b!.memberId }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes a member that never syncs within the rebalance timeout', async () => {
    const h = await startCoordinator();
    const joins = ['a', 'b'].map((clientId) => track(h.coordinator.joinGroup(joinRequest('', { clientId }))));
    await h.scheduler.advance(FORM_MS);
    const [a, b] = joins.map((j) => j.value);
    await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a!.memberId, assignments: [] });
    expect(state(h.coordinator)).toBe('Stable');
    for (let t = 0; t < 10; t++) {
      await h.scheduler.advance(3000);
      h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!.memberId });
      h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b!.memberId });
    }
    expect(h.coordinator.describeGroups(['g'])[0]!.members.map((m) => m.memberId)).toEqual([a!.memberId]);
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!.memberId }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('answers a parked JoinGroup of a new member with UNKNOWN_MEMBER_ID when the member is expired', async () => {
    const h = await startCoordinator();
    const [a] = await formGroup(h, ['a']);
    const late = track(h.coordinator.joinGroup(joinRequest('', { clientId: 'late' })));
    // a keeps heartbeating but never rejoins: the join phase ends at the rebalance timeout (30 s).
    for (let t = 0; t < 10; t++) {
      await h.scheduler.advance(3000);
      h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!.memberId });
    }
    expect(late.value).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leader: late.value.memberId });
  });

  it('fences the old member id when a static member rejoins, keeping generation and assignment', async () => {
    const h = await startCoordinator();
    const first = track(h.coordinator.joinGroup(joinRequest('', { groupInstanceId: 'inst' })));
    await h.scheduler.advance(DELAY_MS);
    const oldId = first.value.memberId;
    expect(oldId).toBe('inst-id1');
    await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: oldId, assignments: [{ memberId: oldId, assignment: Buffer.from('S') }] });
    const again = await h.coordinator.joinGroup(joinRequest('', { groupInstanceId: 'inst' }));
    // The leader is reported as it was (Kafka < KIP-814), so the new instance follows and no rebalance runs.
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, memberId: 'inst-id2', leader: 'inst-id1', members: [] });
    expect(h.coordinator.describeGroups(['g'])[0]).toMatchObject({ state: 'Stable', leader: 'inst-id2' });
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: oldId, groupInstanceId: 'inst' }).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const sync = await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: 'inst-id2', groupInstanceId: 'inst', assignments: [] });
    expect(sync.assignment).toEqual(Buffer.from('S'));
  });
});

describe('GroupCoordinator edge cases', () => {
  it('lets an admin remove a static member by instance id (LeaveGroup with member id "")', async () => {
    const h = await startCoordinator();
    const join = track(h.coordinator.joinGroup(joinRequest('', { groupInstanceId: 'host-1' })));
    await h.scheduler.advance(DELAY_MS);
    await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: join.value.memberId, assignments: [] });
    const result = h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: 'host-1' }, { memberId: '', groupInstanceId: 'host-2' }] });
    expect(result.members.map((m) => [m.groupInstanceId, m.errorCode])).toEqual([
      ['host-1', ErrorCode.NONE],
      ['host-2', ErrorCode.UNKNOWN_MEMBER_ID],
    ]);
    await h.scheduler.advance(0);
    expect(h.coordinator.describeGroups(['g'])[0]).toMatchObject({ state: 'Empty', members: [] });
    // An unknown group answers UNKNOWN_MEMBER_ID per member, as Kafka.
    expect(h.coordinator.leaveGroup({ groupId: 'missing', members: [{ memberId: 'x' }] }).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('answers a JoinGroup repeated during CompletingRebalance with the same generation (members only to the leader)', async () => {
    const h = await startCoordinator();
    const joins = ['a', 'b'].map((clientId) => track(h.coordinator.joinGroup(joinRequest('', { clientId }))));
    await h.scheduler.advance(2 * DELAY_MS);
    const [a, b] = joins.map((j) => j.value);
    expect(h.coordinator.describeGroups(['g'])[0]!.state).toBe('CompletingRebalance');
    const again = await h.coordinator.joinGroup(joinRequest(a!.memberId, { clientId: 'a' }));
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: a!.memberId });
    expect(again.members).toHaveLength(2);
    expect((await h.coordinator.joinGroup(joinRequest(b!.memberId, { clientId: 'b' }))).members).toEqual([]);
    // New metadata in CompletingRebalance starts a new round; a parked follower sync is told to rejoin.
    const parkedSync = track(h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: b!.memberId, assignments: [] }));
    await h.scheduler.advance(0);
    const changed = { protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['t', 'u'] }) }] };
    const aj = track(h.coordinator.joinGroup(joinRequest(a!.memberId, { clientId: 'a', ...changed })));
    await h.scheduler.advance(0);
    expect(parkedSync.value.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(aj.done).toBe(false);
    const bj = await h.coordinator.joinGroup(joinRequest(b!.memberId, { clientId: 'b' }));
    expect(bj.generationId).toBe(2);
  });

  it('answers a parked SyncGroup when its member leaves, and tells the others to rejoin', async () => {
    const h = await startCoordinator();
    const joins = ['a', 'b', 'c'].map((clientId) => track(h.coordinator.joinGroup(joinRequest('', { clientId }))));
    await h.scheduler.advance(2 * DELAY_MS);
    const [, b, c] = joins.map((j) => j.value);
    const bSync = track(h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: b!.memberId, assignments: [] }));
    const cSync = track(h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: c!.memberId, assignments: [] }));
    await h.scheduler.advance(0);
    h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: b!.memberId }] });
    await h.scheduler.advance(0);
    expect(bSync.value.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(cSync.value.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('uses the session timeout as rebalance timeout for JoinGroup v0 (rebalanceTimeoutMs -1)', async () => {
    const h = await startCoordinator();
    const [a, b] = await (async () => {
      const joins = ['a', 'b'].map((clientId) => track(h.coordinator.joinGroup(joinRequest('', { clientId, rebalanceTimeoutMs: -1, sessionTimeoutMs: 5000 }))));
      await h.scheduler.advance(2 * DELAY_MS);
      return joins.map((j) => j.value);
    })();
    await Promise.all(
      [a!, b!].map((r) => h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, assignments: [] })),
    );
    const aj = track(h.coordinator.joinGroup(joinRequest(a!.memberId, { clientId: 'a', rebalanceTimeoutMs: -1, sessionTimeoutMs: 5000 })));
    // b heartbeats (staying alive) but never rejoins: the round ends after 5 s, not 30 s.
    for (let t = 0; t < 4; t++) {
      await h.scheduler.advance(1000);
      h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b!.memberId });
    }
    expect(aj.done).toBe(false);
    await h.scheduler.advance(1000);
    expect(aj.value).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 });
  });
});

describe('GroupCoordinator errors', () => {
  it('validates group id, session timeout, protocols and membership', async () => {
    const h = await startCoordinator();
    expect((await h.coordinator.joinGroup(joinRequest('', { groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await h.coordinator.joinGroup(joinRequest('', { sessionTimeoutMs: 999 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await h.coordinator.joinGroup(joinRequest('', { sessionTimeoutMs: 60_001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await h.coordinator.joinGroup(joinRequest('', { protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.coordinator.joinGroup(joinRequest('someone'))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.coordinator.listGroups().groups).toEqual([]);
    const [a] = await formGroup(h, ['a']);
    const other = { protocols: [{ name: 'sticky', metadata: encodeSubscription({ topics: ['t'] }) }] };
    expect((await h.coordinator.joinGroup(joinRequest('', other))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.coordinator.joinGroup(joinRequest('', { protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.coordinator.syncGroup({ groupId: 'g', generationId: 7, memberId: a!.memberId, assignments: [] })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: 'x', assignments: [] })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a!.memberId, protocolName: 'roundrobin', assignments: [] })).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 0, memberId: a!.memberId }).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: 'x' }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.coordinator.heartbeat({ groupId: 'nope', generationId: 1, memberId: 'x' }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('enforces group.max.size', async () => {
    const h = await startCoordinator({ config: { groupMaxSize: 2 } });
    const joins = ['a', 'b'].map((clientId) => track(h.coordinator.joinGroup(joinRequest('', { clientId }))));
    expect((await h.coordinator.joinGroup(joinRequest('', { clientId: 'c' }))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    await h.scheduler.advance(FORM_MS);
    expect(joins.map((j) => j.value.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS before load and COORDINATOR_NOT_AVAILABLE after shutdown', async () => {
    const scheduler = new FakeScheduler();
    const coordinator = new GroupCoordinator({ logs: [new InMemoryOffsetsLog()], clock: scheduler, scheduler, config: TEST_CONFIG });
    expect((await coordinator.joinGroup(joinRequest(''))).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(coordinator.fetchOffsets('g', null).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: 'm', assignments: [] })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await coordinator.load();
    const parked = coordinator.joinGroup(joinRequest(''));
    coordinator.shutdown();
    expect((await parked).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinator.listGroups().errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('rejects bad configuration at construction', () => {
    const scheduler = new FakeScheduler();
    const make = (config: object) => new GroupCoordinator({ logs: [new InMemoryOffsetsLog()], clock: scheduler, scheduler, config });
    expect(() => make({ minSessionTimeoutMs: 10, maxSessionTimeoutMs: 5 })).toThrow(/minSessionTimeoutMs/);
    expect(() => make({ groupMaxSize: 0 })).toThrow(/groupMaxSize/);
    expect(() => new GroupCoordinator({ logs: [], clock: scheduler, scheduler })).toThrow(/offsets logs/);
  });
});

describe('GroupCoordinator admin', () => {
  it('lists and describes groups with client kinds; protocol and assignments only when Stable', async () => {
    const h = await startCoordinator();
    const join = track(h.coordinator.joinGroup(joinRequest('', { clientKind: 'http', clientId: 'runnel-http:i1' })));
    await h.scheduler.advance(0);
    expect(h.coordinator.describeGroups(['g'])[0]).toMatchObject({ state: 'PreparingRebalance', protocol: '' });
    await h.scheduler.advance(DELAY_MS);
    await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: join.value.memberId, assignments: [] });
    await h.coordinator.commitOffsets({ groupId: 'solo', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 1n }] });
    expect(h.coordinator.listGroups().groups).toEqual([
      { groupId: 'g', protocolType: 'consumer', state: 'Stable', members: 1 },
      { groupId: 'solo', protocolType: '', state: 'Empty', members: 0 },
    ]);
    expect(h.coordinator.listGroups(['Empty']).groups.map((g) => g.groupId)).toEqual(['solo']);
    const [described, missing] = h.coordinator.describeGroups(['g', 'missing']);
    expect(described!.members[0]).toMatchObject({ clientKind: 'http', clientId: 'runnel-http:i1' });
    expect(described!.members[0]!.metadata).toEqual(encodeSubscription({ topics: ['t'] }));
    expect(missing).toMatchObject({ errorCode: ErrorCode.NONE, state: 'Dead', members: [] });
  });

  it('deletes only Empty groups', async () => {
    const h = await startCoordinator();
    await formGroup(h, ['a']);
    // Kafka accepts the empty group id here (it is a valid offsets-only group id).
    expect(await h.coordinator.deleteGroups(['g', 'nope', '', 'x'.repeat(40_000)])).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'nope', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: '', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: 'x'.repeat(40_000), errorCode: ErrorCode.INVALID_GROUP_ID },
    ]);
  });
});
