import { AssignerProtocol } from 'kafkajs';
import { ErrorCode } from './errors';
import { type AssignmentChange, ManagedMember, type ManagedMemberError, type ManagedSubscription } from './managed-member';
import { type Harness, TEST_CONFIG, joinRequest, startCoordinator, track } from './testing/harness';
import type { TopicPartition } from './consumer-protocol';

const FORM_MS = 2 * TEST_CONFIG.initialRebalanceDelayMs!;

class Topics {
  readonly counts = new Map<string, number>();
  listTopics = () => [...this.counts.keys()];
  partitionCount = (topic: string) => this.counts.get(topic);
}

interface Probe {
  member: ManagedMember;
  changes: AssignmentChange[];
  errors: ManagedMemberError[];
}

function managed(h: Harness, topics: Topics, name: string, subscription: ManagedSubscription, kind: 'http' | 'ws' = 'http'): Probe {
  const changes: AssignmentChange[] = [];
  const errors: ManagedMemberError[] = [];
  const member = new ManagedMember({
    coordinator: h.coordinator,
    scheduler: h.scheduler,
    metadata: topics,
    groupId: 'g',
    clientKind: kind,
    name,
    clientHost: '/10.0.0.1',
    subscription,
    onAssignment: (change) => {
      changes.push(change);
    },
    onError: (error) => {
      errors.push(error);
    },
  });
  return { member, changes, errors };
}

const names = (tps: TopicPartition[]) => tps.map((tp) => `${tp.topic}-${tp.partition}`);

describe('ManagedMember', () => {
  it('two managed members split the partitions, and re-split when one closes', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('t', 4);
    const a = managed(h, topics, 'a', { topics: ['t'] });
    const b = managed(h, topics, 'b', { topics: ['t'] }, 'ws');
    a.member.start();
    b.member.start();
    await h.scheduler.advance(FORM_MS);
    expect(a.member.state).toBe('stable');
    expect(b.member.state).toBe('stable');
    expect(a.member.isLeader).toBe(true);
    // range over sorted member ids: a's id sorts first.
    expect(names(a.member.assignment)).toEqual(['t-0', 't-1']);
    expect(names(b.member.assignment)).toEqual(['t-2', 't-3']);
    expect(a.changes).toEqual([{ assigned: a.member.assignment, revoked: [], generationId: 1, memberId: a.member.memberId }]);
    const described = h.coordinator.describeGroups(['g'])[0]!;
    expect(described.members.map((m) => [m.clientId, m.clientKind])).toEqual([
      ['runnel-http:a', 'http'],
      ['runnel-ws:b', 'ws'],
    ]);

    a.member.close();
    expect(a.member.state).toBe('closed');
    // b learns of the rebalance by its next heartbeat, revokes everything, rejoins alone, gets all.
    await h.scheduler.advance(3000);
    expect(b.member.generationId).toBe(2);
    expect(names(b.member.assignment)).toEqual(['t-0', 't-1', 't-2', 't-3']);
    expect(b.changes.slice(1).map((c) => [names(c.assigned), names(c.revoked)])).toEqual([
      [[], ['t-2', 't-3']],
      [['t-0', 't-1', 't-2', 't-3'], []],
    ]);
    // Heartbeats keep it in the group well past the session timeout.
    await h.scheduler.advance(100_000);
    expect(h.coordinator.describeGroups(['g'])[0]).toMatchObject({ state: 'Stable', generationId: 2 });
  });

  it('shares a group with a kafkajs-style Kafka member that leads and assigns', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('t', 3);
    // The Kafka member joins first, so it leads; it speaks only kafkajs's protocol.
    const kafkaJoin = track(
      h.coordinator.joinGroup(
        joinRequest('', {
          clientId: 'kafkajs',
          protocols: [{ name: 'RoundRobinAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['t'], userData: Buffer.alloc(0) }) }],
        }),
      ),
    );
    const m = managed(h, topics, 'http-1', { topics: ['t'] });
    m.member.start();
    await h.scheduler.advance(FORM_MS);
    const leader = kafkaJoin.value;
    expect(leader).toMatchObject({ errorCode: ErrorCode.NONE, protocolName: 'RoundRobinAssigner', leader: leader.memberId });
    // The leader reads every member's metadata with kafkajs's own decoder, ours included.
    const subscriptions = leader.members.map((x) => ({ memberId: x.memberId, meta: AssignerProtocol.MemberMetadata.decode(x.metadata)! }));
    expect(subscriptions.map((s) => s.meta.topics)).toEqual([['t'], ['t']]);
    const sorted = subscriptions.map((s) => s.memberId).sort();
    const byMember = new Map<string, number[]>(sorted.map((id) => [id, []]));
    for (let p = 0; p < 3; p++) byMember.get(sorted[p % sorted.length]!)!.push(p);
    const sync = await h.coordinator.syncGroup({
      groupId: 'g',
      generationId: leader.generationId,
      memberId: leader.memberId,
      assignments: [...byMember].map(([memberId, partitions]) => ({
        memberId,
        assignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { t: partitions }, userData: Buffer.alloc(0) }),
      })),
    });
    expect(sync.errorCode).toBe(ErrorCode.NONE);
    await h.scheduler.advance(0);
    expect(m.member.state).toBe('stable');
    expect(m.member.isLeader).toBe(false);
    expect(m.member.assignment.map((tp) => tp.partition)).toEqual(byMember.get(m.member.memberId));
    expect(h.coordinator.describeGroups(['g'])[0]!.members.map((x) => x.clientKind).sort()).toEqual(['http', 'kafka']);
  });

  it('leads a group with a Kafka follower, which decodes its assignment with kafkajs', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('t', 5);
    const m = managed(h, topics, 'lead', { topics: ['t'] });
    m.member.start();
    await h.scheduler.advance(0);
    const kafkaJoin = track(
      h.coordinator.joinGroup(
        joinRequest('', {
          clientId: 'kafkajs',
          protocols: [{ name: 'RoundRobinAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['t'], userData: Buffer.alloc(0) }) }],
        }),
      ),
    );
    await h.scheduler.advance(FORM_MS);
    const follower = kafkaJoin.value;
    expect(follower.members).toEqual([]);
    const sync = await h.coordinator.syncGroup({ groupId: 'g', generationId: follower.generationId, memberId: follower.memberId, assignments: [] });
    const decoded = AssignerProtocol.MemberAssignment.decode(sync.assignment)!;
    expect(decoded.version).toBe(0);
    // Round robin over sorted member ids: 'client...' (kafkajs clientId here is 'kafkajs') vs 'runnel-http:lead-...'.
    const ids = [follower.memberId, m.member.memberId].sort();
    const expected = [0, 1, 2, 3, 4].filter((p) => ids[p % 2] === follower.memberId);
    expect(decoded.assignment).toEqual({ t: expected });
    expect(m.member.assignment.map((tp) => tp.partition)).toEqual([0, 1, 2, 3, 4].filter((p) => !expected.includes(p)));
  });

  it('expands a topic pattern and rejoins when a matching topic appears', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('orders-eu', 2);
    topics.counts.set('payments', 1);
    topics.counts.set('__consumer_offsets', 50);
    const m = managed(h, topics, 'p', { pattern: /orders-.*|__.*/ });
    m.member.start();
    await h.scheduler.advance(FORM_MS);
    expect(names(m.member.assignment)).toEqual(['orders-eu-0', 'orders-eu-1']);
    topics.counts.set('orders-us', 1);
    topics.counts.set('xorders-us', 1);
    m.member.metadataChanged();
    await h.scheduler.advance(0);
    expect(m.member.generationId).toBe(2);
    expect(names(m.member.assignment)).toEqual(['orders-eu-0', 'orders-eu-1', 'orders-us-0']);
    // Nothing changed: no rebalance.
    m.member.metadataChanged();
    await h.scheduler.advance(0);
    expect(m.member.generationId).toBe(2);
  });

  it('the leader rejoins when a partition count it assigned by changes', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('t', 1);
    const m = managed(h, topics, 'l', { topics: ['t', 'later'] });
    m.member.start();
    await h.scheduler.advance(FORM_MS);
    expect(names(m.member.assignment)).toEqual(['t-0']);
    topics.counts.set('later', 2);
    m.member.metadataChanged();
    await h.scheduler.advance(0);
    expect(names(m.member.assignment)).toEqual(['later-0', 'later-1', 't-0']);
  });

  it('catches a metadata change that lands while a round is running', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('t', 1);
    let grown = false;
    const member: ManagedMember = new ManagedMember({
      coordinator: h.coordinator,
      scheduler: h.scheduler,
      metadata: topics,
      groupId: 'g',
      clientKind: 'http',
      name: 'r',
      clientHost: 'h',
      subscription: { topics: ['t'] },
      onAssignment: () => {
        // The topic grows after the leader assigned by 1 partition, before the round ends.
        if (grown) return;
        grown = true;
        topics.counts.set('t', 3);
        member.metadataChanged();
      },
    });
    member.start();
    await h.scheduler.advance(FORM_MS);
    expect(member.state).toBe('stable');
    expect(member.generationId).toBe(2);
    expect(names(member.assignment)).toEqual(['t-0', 't-1', 't-2']);
  });

  it('changes its subscription by rejoining', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('a', 1);
    topics.counts.set('b', 1);
    const m = managed(h, topics, 's', { topics: ['a'] });
    m.member.start();
    await h.scheduler.advance(FORM_MS);
    m.member.setSubscription({ topics: ['b'] });
    await h.scheduler.advance(0);
    expect(names(m.member.assignment)).toEqual(['b-0']);
    expect(m.changes.map((c) => [names(c.assigned), names(c.revoked)])).toEqual([
      [['a-0'], []],
      [[], ['a-0']],
      [['b-0'], []],
    ]);
  });

  it('commits with its generation, and rejoins when its membership is gone', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('t', 1);
    const m = managed(h, topics, 'c', { topics: ['t'] });
    m.member.start();
    await h.scheduler.advance(FORM_MS);
    expect((await m.member.commitOffsets([{ topic: 't', partition: 0, offset: 42n }])).errorCode).toBe(ErrorCode.NONE);
    expect(h.coordinator.fetchOffsets('g', null).partitions[0]!.offset).toBe(42n);
    // An admin removes it; its next commit fails, and it rejoins with a fresh member id.
    const oldId = m.member.memberId;
    h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: oldId }] });
    expect((await m.member.commitOffsets([{ topic: 't', partition: 0, offset: 43n }])).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await h.scheduler.advance(FORM_MS);
    expect(m.member.state).toBe('stable');
    expect(m.member.memberId).not.toBe(oldId);
    expect(names(m.member.assignment)).toEqual(['t-0']);
  });

  it('stops with an error when the group speaks a protocol it cannot run', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    const other = track(h.coordinator.joinGroup(joinRequest('', { protocols: [{ name: 'cooperative-sticky', metadata: Buffer.alloc(0) }] })));
    await h.scheduler.advance(FORM_MS);
    expect(other.value.errorCode).toBe(ErrorCode.NONE);
    const m = managed(h, topics, 'x', { topics: ['t'] });
    m.member.start();
    await h.scheduler.advance(0);
    expect(m.member.state).toBe('failed');
    expect(m.errors).toEqual([expect.objectContaining({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL })]);
  });

  it('leaves again at once when closed while its first JoinGroup is parked', async () => {
    const h = await startCoordinator();
    const topics = new Topics();
    topics.counts.set('t', 2);
    const m = managed(h, topics, 'q', { topics: ['t'] });
    m.member.start();
    await h.scheduler.advance(0);
    m.member.close();
    await h.scheduler.advance(FORM_MS);
    expect(h.coordinator.describeGroups(['g'])[0]!.members).toEqual([]);
    expect(m.changes).toEqual([]);
  });
});
