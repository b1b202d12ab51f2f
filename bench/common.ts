/**
 * Shared bench plumbing: start the built broker (or any server script) as a child process over a
 * temp data dir, wait for it to listen, and stop it. Benchmarks print `name: value unit` lines.
 */
import { ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
export const WORK = join(ROOT, 'bench/.work');

export function workDir(prefix: string): string {
  mkdirSync(WORK, { recursive: true });
  return mkdtempSync(join(WORK, prefix));
}

/** Builds dist/ from the current sources (incremental: seconds when nothing changed), so a bench never runs a stale build. */
export function ensureBuilt(): string {
  execSync('npm run -s build', { cwd: ROOT, stdio: 'inherit' });
  return join(ROOT, 'dist/apps/broker/src/main.js');
}

export interface Child {
  proc: ChildProcess;
  /** The first match of `ready` in the child's output. */
  match: RegExpExecArray;
  stop(): Promise<void>;
}

/** Spawns `node args...` and waits until its output matches `ready`. */
export function startChild(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<Child> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not become ready:\n${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        proc.stderr.off('data', onData);
        proc.stdout.resume();
        proc.stderr.resume();
        resolvePromise({
          proc,
          match: m,
          stop: () =>
            new Promise<void>((r) => {
              if (proc.exitCode !== null) return r();
              proc.once('exit', () => r());
              proc.kill('SIGTERM');
              setTimeout(() => proc.kill('SIGKILL'), 15_000).unref();
            }),
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`child exited with ${code}:\n${out}`)));
  });
}

/** Starts the built broker over a fresh data dir; resolves with its HTTP URL. */
export async function startBroker(settings: Record<string, string> = {}): Promise<{ url: string; dataDir: string; child: Child; stop(): Promise<void> }> {
  const main = ensureBuilt();
  const dataDir = workDir('broker-');
  const flags = Object.entries({ 'http-port': '0', 'kafka-port': '0', 'log.level': 'warn', 'data-dir': dataDir, ...settings }).flatMap(([k, v]) => [`--${k}`, v]);
  // The readiness line is printed at info level by main.ts regardless of log.level.
  const child = await startChild([main, ...flags], /HTTP on (http:\/\/\S+?) /);
  return {
    url: child.match[1]!,
    dataDir,
    child,
    stop: async () => {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A `name: value unit` line on stdout: no decimals from 100 up, 2 from 1 up, else 3 significant digits. */
export function print(name: string, value: number, unit: string): void {
  const text = value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(3);
  process.stdout.write(`${name}: ${text} ${unit}\n`);
}

/** A note about method or state: `# text` on stderr. */
export function note(text: string): void {
  process.stderr.write(`# ${text}\n`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
