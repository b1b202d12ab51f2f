import fc from 'fast-check';
import { type AssignorMember, type GroupAssignment, kafkajsRoundRobinAssignor, rangeAssignor, roundRobinAssignor } from './assignors';

const member = (memberId: string, topics: string[], groupInstanceId: string | null = null): AssignorMember => ({ memberId, groupInstanceId, topics });

function render(assignment: GroupAssignment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [id, list] of assignment) out[id] = list.map((tp) => `${tp.topic}p${tp.partition}`);
  return out;
}

describe('range assignor', () => {
  it("assigns Kafka's documented example (2 members, 2 topics of 3 partitions)", () => {
    const result = rangeAssignor.assign([member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])], new Map([['t0', 3], ['t1', 3]]));
    expect(render(result)).toEqual({ C1: ['t0p2', 't1p2'], C0: ['t0p0', 't0p1', 't1p0', 't1p1'] });
  });

  it('gives the first n % m members one extra partition', () => {
    const result = rangeAssignor.assign([member('b', ['t']), member('c', ['t']), member('a', ['t'])], new Map([['t', 7]]));
    expect(render(result)).toEqual({ a: ['tp0', 'tp1', 'tp2'], b: ['tp3', 'tp4'], c: ['tp5', 'tp6'] });
  });

  it('orders static members by instance id before dynamic members', () => {
    const result = rangeAssignor.assign(
      [member('a-dyn', ['t']), member('z-static', ['t'], 'i1'), member('b-static', ['t'], 'i2')],
      new Map([['t', 3]]),
    );
    expect(render(result)).toEqual({ 'z-static': ['tp0'], 'b-static': ['tp1'], 'a-dyn': ['tp2'] });
  });

  it('splits each topic among its own subscribers and skips topics without metadata', () => {
    const result = rangeAssignor.assign([member('a', ['x', 'y', 'ghost']), member('b', ['y'])], new Map([['x', 2], ['y', 3]]));
    expect(render(result)).toEqual({ a: ['xp0', 'xp1', 'yp0', 'yp1'], b: ['yp2'] });
  });

  it('leaves extra members with nothing when there are more members than partitions', () => {
    const result = rangeAssignor.assign([member('a', ['t']), member('b', ['t']), member('c', ['t'])], new Map([['t', 2]]));
    expect(render(result)).toEqual({ a: ['tp0'], b: ['tp1'], c: [] });
  });
});

describe('roundrobin assignor', () => {
  it("assigns Kafka's documented equal-subscription example", () => {
    const result = roundRobinAssignor.assign([member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])], new Map([['t0', 3], ['t1', 3]]));
    expect(render(result)).toEqual({ C0: ['t0p0', 't0p2', 't1p1'], C1: ['t0p1', 't1p0', 't1p2'] });
  });

  it("assigns Kafka's documented unequal-subscription example", () => {
    const result = roundRobinAssignor.assign(
      [member('C2', ['t0', 't1', 't2']), member('C0', ['t0']), member('C1', ['t0', 't1'])],
      new Map([['t0', 1], ['t1', 2], ['t2', 3]]),
    );
    expect(render(result)).toEqual({ C0: ['t0p0'], C1: ['t1p0'], C2: ['t1p1', 't2p0', 't2p1', 't2p2'] });
  });

  it('sorts topics by name regardless of subscription order', () => {
    const result = roundRobinAssignor.assign([member('m1', ['zeta', 'alpha']), member('m2', ['alpha', 'zeta'])], new Map([['zeta', 1], ['alpha', 3]]));
    expect(render(result)).toEqual({ m1: ['alphap0', 'alphap2'], m2: ['alphap1', 'zetap0'] });
  });

  it('RoundRobinAssigner (kafkajs protocol name) assigns exactly like roundrobin', () => {
    const members = [member('x', ['a', 'b']), member('y', ['a', 'b']), member('z', ['a', 'b'])];
    const counts = new Map([['a', 4], ['b', 5]]);
    expect(kafkajsRoundRobinAssignor.name).toBe('RoundRobinAssigner');
    expect(render(kafkajsRoundRobinAssignor.assign(members, counts))).toEqual(render(roundRobinAssignor.assign(members, counts)));
  });
});

describe('assignor properties', () => {
  const topicNames = ['a', 'b', 'c', 'd'];
  const scenario = fc
    .record({
      counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 4, maxLength: 4 }),
      members: fc.uniqueArray(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 6 }),
          instance: fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: null }),
          topics: fc.subarray(topicNames, { minLength: 1 }),
        }),
        { minLength: 1, maxLength: 7, selector: (m) => m.id },
      ),
    })
    .map(({ counts, members }) => {
      const seen = new Set<string>();
      return {
        counts: new Map(topicNames.map((t, i) => [t, counts[i]!])),
        // Instance ids are unique within a group.
        members: members.map((m) => {
          const instance = m.instance !== null && !seen.has(m.instance) ? m.instance : null;
          if (instance !== null) seen.add(instance);
          return member(m.id, m.topics, instance);
        }),
      };
    });

  it.each([rangeAssignor, roundRobinAssignor])('$name: every subscribed partition goes to exactly one subscribed member', (assignor) => {
    fc.assert(
      fc.property(scenario, ({ counts, members }) => {
        const result = assignor.assign(members, counts);
        expect([...result.keys()].sort()).toEqual(members.map((m) => m.memberId).sort());
        const owner = new Map<string, string>();
        for (const [id, list] of result) {
          const subscribed = new Set(members.find((m) => m.memberId === id)!.topics);
          for (const tp of list) {
            expect(subscribed.has(tp.topic)).toBe(true);
            const key = `${tp.topic}-${tp.partition}`;
            expect(owner.has(key)).toBe(false);
            owner.set(key, id);
          }
        }
        const subscribedTopics = new Set(members.flatMap((m) => m.topics));
        const expected = [...subscribedTopics].reduce((sum, t) => sum + counts.get(t)!, 0);
        expect(owner.size).toBe(expected);
      }),
      { numRuns: 120 },
    );
  });

  it('roundrobin: equal subscriptions are balanced within one partition', () => {
    fc.assert(
      fc.property(scenario, ({ counts, members }) => {
        const same = members.map((m) => ({ ...m, topics: topicNames }));
        const sizes = [...roundRobinAssignor.assign(same, counts).values()].map((l) => l.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
