/**
 * Protocol fuzz: random Kafka-style requests from misbehaving clients (stale generations, forgotten
 * member ids, static instances, leaves, commits, deletes, time jumps). The coordinator asserts its
 * group invariants after every transition (a violation throws); this test also demands that every
 * parked JoinGroup/SyncGroup settles once time has run past every timeout, and that no promise
 * callback throws.
 */
import fc from 'fast-check';
import { encodeSubscription } from './consumer-protocol';
import { NEW_MEMBER_JOIN_TIMEOUT_MS } from './constants';
import { ErrorCode } from './errors';
import { joinRequest, startCoordinator, track, type Tracked } from './testing/harness';

type Op =
  | { op: 'join'; who: number; fresh: boolean; instance: boolean; protocol: number; requireId: boolean }
  | { op: 'sync'; who: number; genDelta: number; assign: boolean }
  | { op: 'heartbeat'; who: number; genDelta: number }
  | { op: 'leave'; who: number }
  | { op: 'commit'; who: number; genDelta: number }
  | { op: 'delete' }
  | { op: 'advance'; ms: number };

const who = fc.integer({ min: 0, max: 2 });
const genDelta = fc.integer({ min: -1, max: 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('join' as const), who, fresh: fc.boolean(), instance: fc.boolean(), protocol: fc.integer({ min: 0, max: 2 }), requireId: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('sync' as const), who, genDelta, assign: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('heartbeat' as const), who, genDelta }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('leave' as const), who }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('commit' as const), who, genDelta }) },
  { weight: 1, arbitrary: fc.constant({ op: 'delete' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 40_000 })) }) },
);

const PROTOCOLS = [
  [{ name: 'range', metadata: encodeSubscription({ topics: ['t'] }) }],
  [
    { name: 'roundrobin', metadata: encodeSubscription({ topics: ['t'] }) },
    { name: 'range', metadata: encodeSubscription({ topics: ['t'] }) },
  ],
  [{ name: 'sticky', metadata: Buffer.from('x') }],
];

describe('coordinator fuzz', () => {
  it('keeps its invariants and settles every parked request', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
          const h = await startCoordinator();
          const ids: string[] = ['', '', '', '', ''];
          const generation = () => h.coordinator.describeGroups(['g'])[0]!.generationId;
          const parked: Tracked<{ errorCode: ErrorCode }>[] = [];
          for (const o of ops) {
            if (o.op === 'join') {
              const request = joinRequest(o.fresh ? '' : ids[o.who]!, {
                clientId: `c${o.who}`,
                protocols: PROTOCOLS[o.protocol]!,
                requireKnownMemberId: o.requireId,
                ...(o.instance ? { groupInstanceId: `i${o.who}` } : {}),
              });
              const t = track(h.coordinator.joinGroup(request));
              void t.promise.then((r) => {
                if (r.memberId !== '') ids[o.who] = r.memberId;
              });
              parked.push(t);
            } else if (o.op === 'sync') {
              const memberId = ids[o.who]!;
              const assignments = o.assign ? ids.filter((id) => id !== '').map((id) => ({ memberId: id, assignment: Buffer.from(id) })) : [];
              parked.push(track(h.coordinator.syncGroup({ groupId: 'g', generationId: generation() + o.genDelta, memberId, assignments })));
            } else if (o.op === 'heartbeat') {
              h.coordinator.heartbeat({ groupId: 'g', generationId: generation() + o.genDelta, memberId: ids[o.who]! });
            } else if (o.op === 'leave') {
              h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: ids[o.who]! }] });
            } else if (o.op === 'commit') {
              const g = o.genDelta === -1 ? -1 : generation() + o.genDelta;
              parked.push(track(h.coordinator.commitOffsets({ groupId: 'g', generationId: g, memberId: g < 0 ? '' : ids[o.who]!, offsets: [{ topic: 't', partition: 0, offset: 1n }] })));
            } else if (o.op === 'delete') {
              parked.push(track(h.coordinator.deleteGroups(['g']).then((r) => r[0]!)));
            } else {
              await h.scheduler.advance(o.ms);
            }
            await h.scheduler.advance(0);
          }
          await h.scheduler.advance(NEW_MEMBER_JOIN_TIMEOUT_MS + 60_000);
          expect(parked.filter((p) => !p.done).length).toBe(0);
          const described = h.coordinator.describeGroups(['g'])[0]!;
          // Nobody heartbeats any more: every member has expired.
          expect(described.members).toEqual([]);
          expect(['Empty', 'Dead']).toContain(described.state);
          expect(rejections).toEqual([]);
        }),
        { numRuns: 300 },
      );
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
