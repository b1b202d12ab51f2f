/**
 * Randomised group life: managed members start, close and see partitions grow, with time moving in
 * random steps. Checked at every step (safety): no partition is owned by two members at once,
 * which the eager protocol promises. Checked after a quiet period (liveness): every live member is
 * stable in the group's generation and the partitions are split exactly once among them.
 */
import fc from 'fast-check';
import { MANAGED_ASSIGNORS } from './assignors';
import { ManagedMember } from './managed-member';
import { startCoordinator } from './testing/harness';

type Action = { kind: 'start'; assignor: number } | { kind: 'close'; pick: number } | { kind: 'advance'; ms: number } | { kind: 'grow' };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), assignor: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('close' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5000 }) }),
  fc.constant({ kind: 'grow' as const }),
);

describe('group simulation', () => {
  it('never assigns a partition twice and converges to one stable split', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), async (actions) => {
        const h = await startCoordinator();
        const counts = new Map([
          ['a', 3],
          ['b', 2],
        ]);
        const metadata = { listTopics: () => [...counts.keys()], partitionCount: (t: string) => counts.get(t) };
        const live: ManagedMember[] = [];
        let started = 0;
        const checkSafety = () => {
          const owners = new Map<string, string>();
          for (const m of live) {
            for (const tp of m.assignment) {
              const key = `${tp.topic}-${tp.partition}`;
              expect(owners.get(key)).toBeUndefined();
              owners.set(key, m.memberId);
            }
          }
        };
        for (const a of actions) {
          if (a.kind === 'start') {
            const member = new ManagedMember({
              coordinator: h.coordinator,
              scheduler: h.scheduler,
              metadata,
              groupId: 'g',
              clientKind: started % 2 === 0 ? 'http' : 'ws',
              name: `m${started++}`,
              clientHost: 'sim',
              subscription: { topics: ['a', 'b'] },
              onAssignment: () => undefined,
              // All members must share a protocol: vary the preference order (the vote), not the set.
              assignors: [...MANAGED_ASSIGNORS.slice(a.assignor), ...MANAGED_ASSIGNORS.slice(0, a.assignor)],
            });
            live.push(member);
            member.start();
          } else if (a.kind === 'close' && live.length > 0) {
            live.splice(a.pick % live.length, 1)[0]!.close();
          } else if (a.kind === 'advance') {
            await h.scheduler.advance(a.ms);
          } else if (a.kind === 'grow') {
            counts.set('a', counts.get('a')! + 1);
            for (const m of live) m.metadataChanged();
          }
          await h.scheduler.advance(0);
          checkSafety();
        }
        for (let i = 0; i < 10; i++) {
          await h.scheduler.advance(3000);
          checkSafety();
        }
        const group = h.coordinator.describeGroups(['g'])[0]!;
        if (live.length === 0) {
          expect(group.members).toEqual([]);
          return;
        }
        expect(group.state).toBe('Stable');
        expect(group.members.map((m) => m.memberId).sort()).toEqual(live.map((m) => m.memberId).sort());
        for (const m of live) {
          expect(m.state).toBe('stable');
          expect(m.generationId).toBe(group.generationId);
        }
        const owned = live.flatMap((m) => m.assignment.map((tp) => `${tp.topic}-${tp.partition}`)).sort();
        const all = [...counts].flatMap(([t, n]) => Array.from({ length: n }, (_, p) => `${t}-${p}`)).sort();
        expect(owned).toEqual(all);
        for (const m of live) m.close();
      }),
      { numRuns: 100 },
    );
  });
});
