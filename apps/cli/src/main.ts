/**
 * `runnel`: the command line of Runnel. Everything operators do with Kafka's scripts
 * (kafka-topics.sh, kafka-consumer-groups.sh, the console producer/consumer, DumpLogSegments,
 * GetOffsetShell, kafka-log-dirs.sh, kafka-broker-api-versions.sh, the perf tools), against a broker's
 * HTTP API (--server or RUNNEL_SERVER). dump-log alone works offline, on segment files.
 *
 * Exit status: 0 ok, 1 the operation failed (the message says why and how to fix it), 2 the command
 * line was wrong (the message is followed by the command's usage).
 */
import { Command, CommanderError } from 'commander';
import { registerCluster } from './commands/cluster';
import { registerConsume } from './commands/consume';
import { registerDumpLog } from './commands/dump-log';
import { registerGroups } from './commands/groups';
import { registerOffsets } from './commands/offsets';
import { registerPerf } from './commands/perf';
import { registerProduce } from './commands/produce';
import { registerTopics } from './commands/topics';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, SERVER_DEFAULT, SERVER_ENV } from './constants';
import { CliError, UsageError } from './errors';
import { err } from './output';
import { cliVersion } from './version';

export function buildProgram(): Command {
  const program = new Command('runnel');
  program
    .description('Runnel command line: topics, groups, console producer/consumer, offsets, log dumps, perf tools')
    .version(cliVersion(), '-V, --version')
    .option('-s, --server <url>', `broker HTTP address (env ${SERVER_ENV}; default ${SERVER_DEFAULT})`)
    .option('--json', 'print JSON for scripts instead of tables')
    .showHelpAfterError()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', `\nExit status: 0 ok, 1 failed, 2 bad command line.\nExamples:\n  runnel topics create orders --partitions 3\n  echo '{"id":1}' | runnel produce orders\n  runnel consume orders --from-beginning --max-messages 10\n  runnel --server http://broker:8080 groups describe billing`);
  registerTopics(program);
  registerGroups(program);
  registerProduce(program);
  registerConsume(program);
  registerOffsets(program);
  registerDumpLog(program);
  registerCluster(program);
  registerPerf(program);
  return program;
}

/** Runs the CLI on `argv` (as process.argv: node, script, args...) and resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help and version are exits too; commander has already printed the message (and usage).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
    return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (e instanceof UsageError) {
    err(`error: ${e.message}`);
    if (e.command) err(`\n${e.command.helpInformation()}`);
    return EXIT_USAGE;
  }
  if (e instanceof CliError) {
    err(`error: ${e.message}`);
    if (e.hint !== null) err(`hint: ${e.hint}`);
    return e.exitCode;
  }
  err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  err('This is a bug in the runnel CLI; please report it with the command you ran.');
  return EXIT_FAILED;
}

/** The process entry (bin/runnel.js): runs, flushes stdout, and exits even if idle keep-alive sockets remain. */
export function run(): void {
  // `runnel consume t | head -3`: a closed pipe ends the CLI quietly, as with other Unix tools.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    throw e;
  });
  void main(process.argv).then((code) => {
    process.stdout.write('', () => process.exit(code));
  });
}

if (require.main === module) run();
