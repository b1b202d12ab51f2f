import { LIVENESS_BOUND_TICKS, runSimulation, type SimBugs, type SimResult } from './simulator';

/**
 * The Raft simulator in CI: a few hundred seeds with every fault on, fixed regression seeds, and
 * proof that the checker catches injected bugs (a checker that never fails proves nothing).
 */
const CI_SEEDS = 300;
const CI_TICKS = 2500;

/**
 * Seeds that once failed, with what they found (at the parameters of the time; they stay as
 * regression runs):
 *  4  - liveness: a prospective voter went back to following its dead leader whenever a pre-vote was
 *       *granted* by a voter naming that leader;
 *  40 - liveness: followers of a leader that had removed itself bounced between prospective and
 *       follower on pre-vote rejections naming that leader (livelock);
 *  39 - liveness: the fetch retry timeout was shorter than the worst round trip, so every answer was
 *       dropped as stale and followers never advanced;
 *  53 - liveness: a follower 400 entries behind could not catch up in time with small fetches.
 * From the first 10,000-seed bench (10,000 ticks each), all liveness: an observer whose fetch timed
 * out ignored the leader's answers because it already knew that leader, and a voter stuck in a
 * pre-vote that only the leader rejected never heard BeginQuorumEpoch again (the leader now
 * re-announces itself to voters that stopped fetching).
 * The second bench found two more (43, 7054): a follower that had only been *told* who leads (a
 * hint, a restart) rejected pre-votes as if that leader were alive, while it was resigned; now only
 * a successful fetch or the leader's own BeginQuorumEpoch makes a follower reject pre-votes.
 */
const REGRESSION_SEEDS = [4, 39, 40, 53];
const REGRESSION_SEEDS_LONG = [1791, 2628, 2981, 4277, 4278, 7075, 8647, 43, 7054];

describe('raft simulator', () => {
  it(`finds no violation over ${CI_SEEDS} seeds x ${CI_TICKS} ticks, and every run is live within ${LIVENESS_BOUND_TICKS} ticks`, () => {
    const failures: string[] = [];
    let committed = 0;
    for (let seed = 1000; seed < 1000 + CI_SEEDS; seed += 1) {
      const result = runSimulation({ seed, ticks: CI_TICKS });
      committed += result.committedEntries;
      if (result.violation !== null) failures.push(`seed ${seed}: ${result.violation}`);
      else expect(result.livenessTicks).toBeLessThanOrEqual(LIVENESS_BOUND_TICKS);
    }
    expect(failures).toEqual([]);
    expect(committed).toBeGreaterThan(CI_SEEDS * 100); // the runs did real work
  }, 180_000);

  it.each(REGRESSION_SEEDS)('regression seed %i stays clean', (seed) => {
    expect(runSimulation({ seed, ticks: 3000 }).violation).toBeNull();
  });

  it.each(REGRESSION_SEEDS_LONG)('regression seed %i stays clean over 10,000 ticks', (seed) => {
    expect(runSimulation({ seed, ticks: 10_000 }).violation).toBeNull();
  });

  it('replays a seed exactly (same trace, same outcome)', () => {
    const a = runSimulation({ seed: 77, ticks: 1500, trace: true, traceEvents: 10_000 });
    const b = runSimulation({ seed: 77, ticks: 1500, trace: true, traceEvents: 10_000 });
    expect(a.trace.length).toBeGreaterThan(100);
    expect(b.trace).toEqual(a.trace);
    expect(b.committedEntries).toBe(a.committedEntries);
  });

  function firstViolation(bugs: SimBugs): string | null {
    for (let seed = 1; seed <= 200; seed += 1) {
      const result = runSimulation({ seed, ticks: 3000, bugs });
      if (result.violation !== null) return result.violation;
    }
    return null;
  }

  it('catches a candidate that counts rejected votes as granted', () => {
    expect(firstViolation({ forgeVotes: true })).toMatch(/election safety|leader completeness|state machine safety|log matching|assertion/);
  });

  it('catches a disk that loses acknowledged entries on a crash', () => {
    expect(firstViolation({ lyingFsync: true })).toMatch(/leader completeness|state machine safety|durability|log matching|assertion/);
  });

  it('prints a readable trace for a violation', () => {
    let traced: SimResult | null = null;
    for (let seed = 1; seed <= 50 && traced === null; seed += 1) {
      const result = runSimulation({ seed, ticks: 1500, bugs: { forgeVotes: true }, trace: true, traceEvents: 40 });
      if (result.violation !== null) traced = result;
    }
    if (traced === null) throw new Error('no violation to trace');
    expect(traced.trace.length).toBeGreaterThan(10);
    expect(traced.trace.at(-1)).toContain('VIOLATION');
    expect(traced.trace.join('\n')).toMatch(/deliver n\d->n\d #\d+ VoteResponse granted=true/);
  });
});
