import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { LIVENESS_BOUND_TICKS, runSimulation } from '../../test/sim/simulator';
import { percentile } from '../common';

/**
 * npm run bench:sim [-- --seeds 10000 --ticks 10000 --workers 2 --first 1]
 * Runs the Raft simulator over many seeds (split across worker threads) and prints seeds, ticks per
 * second, violations, and the median / p99 / max ticks from the loss of a leader (crash, isolation,
 * minority side, resignation) to the first committed entry of a newer epoch.
 */
interface SeedSummary {
  readonly seed: number;
  readonly violation: string | null;
  readonly recoveryTicks: readonly number[];
  readonly livenessTicks: number;
  readonly committedEntries: number;
}

interface Job {
  readonly seeds: readonly number[];
  readonly ticks: number;
}

function runJob(job: Job, report: (summary: SeedSummary) => void): void {
  for (const seed of job.seeds) {
    const r = runSimulation({ seed, ticks: job.ticks });
    report({ seed, violation: r.violation, recoveryTicks: r.recoveryTicks, livenessTicks: r.livenessTicks, committedEntries: r.committedEntries });
  }
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const seeds = flag('seeds', 10_000);
  const ticks = flag('ticks', 10_000);
  const workers = flag('workers', 2);
  const first = flag('first', 1);
  const started = Date.now();
  const results: SeedSummary[] = [];
  const progressEvery = Math.max(1, Math.floor(seeds / 20));
  const collect = (summary: SeedSummary): void => {
    results.push(summary);
    if (results.length % progressEvery === 0) {
      console.error(`  ${results.length}/${seeds} seeds, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  };
  const all = Array.from({ length: seeds }, (_, i) => first + i);
  if (workers === 1) {
    runJob({ seeds: all, ticks }, collect);
  } else {
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const job: Job = { seeds: all.filter((_, i) => i % workers === w), ticks };
        const worker = new Worker(`require('@swc-node/register'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: job });
        worker.on('message', collect);
        return new Promise<void>((resolve, reject) => {
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
        });
      }),
    );
  }
  const seconds = (Date.now() - started) / 1000;
  const violations = results.filter((r) => r.violation !== null).sort((a, b) => a.seed - b.seed);
  const recoveries = results.flatMap((r) => r.recoveryTicks).sort((a, b) => a - b);
  const liveness = results.map((r) => r.livenessTicks).filter((t) => t >= 0).sort((a, b) => a - b);
  console.log(`seeds: ${results.length}`);
  console.log(`ticks: ${ticks} per seed, ${results.length * ticks} total`);
  console.log(`ticks per second: ${Math.round((results.length * ticks) / seconds)} (${workers} worker${workers === 1 ? '' : 's'}, wall ${seconds.toFixed(1)} s)`);
  console.log(`violations: ${violations.length}`);
  console.log(
    `leader loss -> new committed entry (ticks): median ${percentile(recoveries, 50)}, p99 ${percentile(recoveries, 99)}, max ${recoveries[recoveries.length - 1] ?? NaN} over ${recoveries.length} losses`,
  );
  console.log(`liveness after faults stop (ticks, bound ${LIVENESS_BOUND_TICKS}): median ${percentile(liveness, 50)}, p99 ${percentile(liveness, 99)}, max ${liveness[liveness.length - 1] ?? NaN}`);
  console.log(`committed entries: ${results.reduce((sum, r) => sum + r.committedEntries, 0)}`);
  for (const v of violations) console.log(`seed ${v.seed}: ${v.violation} (replay: npm run sim -- --seed ${v.seed} --ticks ${ticks})`);
  process.exitCode = violations.length > 0 ? 1 : 0;
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  });
} else {
  runJob(workerData as Job, (summary) => parentPort!.postMessage(summary));
}
