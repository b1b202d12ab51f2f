/**
 * Shared plumbing of the wire benchmark: child processes with bounded lifetimes, free loopback
 * ports, temp dirs, and quantiles (output lines come from ../common's print and note). Every child
 * process started here is tracked and killed by `cleanup()`, which run.ts calls on exit, on a
 * signal and on failure.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { note } from '../common';

export const LOOPBACK = '127.0.0.1';

export function nowSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** The value at quantile q (0..1) of a sample, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** A port that was free a moment ago (bind 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const tempDirs: string[] = [];
const children = new Set<ChildProcess>();

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a process and resolves once `ready` matches its output (stdout + stderr), or fails after timeoutMs. */
export function startChild(command: string, args: string[], ready: RegExp, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Child> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(proc);
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      children.delete(proc);
      resolve(code);
    }),
  );
  const stop = async (graceMs = 5_000): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<Child>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      void stop(1_000);
      reject(new Error(`${command} not ready in ${timeoutMs} ms:\n${out.slice(-2_000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      // Keep only the tail: a chatty child must not grow this without bound.
      out = (out + chunk.toString()).slice(-64 * 1024);
      if (!settled && ready.test(out)) {
        settled = true;
        clearTimeout(timer);
        resolve({ proc, output: () => out, exited, stop });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready:\n${out.slice(-2_000)}`));
    });
  });
}

/** Runs a command to completion with a hard time limit; resolves with its stdout. */
export function runBounded(command: string, args: string[], timeoutMs: number): Promise<string> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(proc);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.slice(0, 3).join(' ')} failed (${code ?? signal}): ${err || out.slice(-2_000)}`));
    });
  });
}

/** True when `command` is on the PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian packages when one of `commands` is missing (the bench runs as root in CI). */
export function ensureInstalled(commands: readonly string[], packages: readonly string[]): void {
  if (commands.every(hasCommand)) return;
  note(`installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): number | null =>
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 600_000 }).status;
  if (install() !== 0) {
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 600_000 });
    install();
  }
  const missing = commands.filter((c) => !hasCommand(c));
  if (missing.length > 0) throw new Error(`still missing after apt-get: ${missing.join(', ')}`);
}

/** Connects a TCP socket on loopback with Nagle off. */
export function connect(port: number, host = LOOPBACK): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.connect(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Kills every child still running and removes every temp dir. Idempotent. */
export function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
