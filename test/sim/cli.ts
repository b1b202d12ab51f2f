import { runSimulation, SIM_TICKS_MIN, type SimResult } from './simulator';

/**
 * npm run sim -- --seeds N [--seed S] [--ticks T] [--trace-events K]
 * Runs seeds S, S+1, ..., S+N-1 (S defaults to 1; `--seed S` alone runs just S). Prints `seeds`,
 * `ticks`, `violations`, then each violation with its seed and the trace of its last events (the
 * seed is replayed with tracing on: the run is deterministic). Exit status 1 on any violation.
 */
function parse(argv: readonly string[]): { seeds: number; first: number; ticks: number; traceEvents: number } {
  const flags = new Map<string, number>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!;
    const value = Number(argv[i + 1]);
    if (!name.startsWith('--') || !Number.isSafeInteger(value)) throw new Error(`bad argument ${name} ${argv[i + 1]}`);
    flags.set(name.slice(2), value);
  }
  for (const name of flags.keys()) if (!['seeds', 'seed', 'ticks', 'trace-events'].includes(name)) throw new Error(`unknown flag --${name}`);
  const ticks = flags.get('ticks') ?? 3000;
  if (ticks < SIM_TICKS_MIN) throw new Error(`--ticks must be >= ${SIM_TICKS_MIN}`);
  return {
    seeds: flags.get('seeds') ?? (flags.has('seed') ? 1 : 100),
    first: flags.get('seed') ?? 1,
    ticks,
    traceEvents: flags.get('trace-events') ?? 150,
  };
}

function main(): number {
  const { seeds, first, ticks, traceEvents } = parse(process.argv.slice(2));
  const failed: SimResult[] = [];
  const started = Date.now();
  let committed = 0;
  for (let seed = first; seed < first + seeds; seed += 1) {
    const result = runSimulation({ seed, ticks });
    committed += result.committedEntries;
    if (result.violation !== null) failed.push(runSimulation({ seed, ticks, trace: true, traceEvents }));
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`seeds: ${seeds}`);
  console.log(`ticks: ${ticks}`);
  console.log(`violations: ${failed.length}`);
  console.log(`committed entries: ${committed}, wall ${seconds.toFixed(1)} s, ${Math.round((seeds * ticks) / seconds)} ticks/s`);
  for (const result of failed) {
    console.log(`\n--- seed ${result.seed}: ${result.violation}`);
    console.log(`replay: npm run sim -- --seed ${result.seed} --ticks ${ticks}`);
    for (const line of result.trace.slice(-traceEvents)) console.log(`  ${line}`);
  }
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main();
