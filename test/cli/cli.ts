/**
 * Runs the `runnel` CLI as a real child process (`node bin/runnel.js ...`), the way users do, and
 * collects its stdout, stderr and exit status.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../helpers/broker';

export const BIN = join(ROOT, 'bin/runnel.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Sent to stdin, then stdin is closed (stdin is closed at once when absent). */
  input?: string;
  env?: Record<string, string | undefined>;
  /** Kill the process after this long (a hung CLI fails its test instead of the whole run). */
  timeoutMs?: number;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RUNNEL_SERVER: undefined, NO_COLOR: '1', ...extra };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

/** A CLI process that keeps running (consume): watch its output, signal it, await its end. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches (rejects with the output so far after timeoutMs). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  result: Promise<CliResult>;
}

/** Starts the CLI, collecting its output; `result` resolves when it ends (killed after options.timeoutMs). */
function spawnCli(args: string[], options: CliOptions): Omit<RunningCli, 'waitForStdout'> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.stdin.on('error', () => undefined); // the CLI may exit before reading everything
  child.stdin.end(options.input ?? '');
  return { child, stdout: () => stdout, stderr: () => stderr, result };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).result;
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const cli = spawnCli(args, options);
  return {
    ...cli,
    waitForStdout: (pattern, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          if (pattern.test(cli.stdout())) return resolve();
          if (cli.child.exitCode !== null || Date.now() - started > timeoutMs) {
            return reject(new Error(`stdout never matched ${pattern}; stdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`));
          }
          setTimeout(check, 20);
        };
        check();
      }),
  };
}

/** A URL where nothing listens: a port that was just free. */
export async function closedServerUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
