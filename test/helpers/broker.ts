/**
 * Test brokers: the real application, in-process on port 0 over a temp data dir (for most e2e
 * tests), or the built server as a child process (for signals, kill -9 and locks).
 */
import { ChildProcess, execSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadBrokerConfig } from '../../apps/broker/src/config/broker-config';
import { RunningBroker, startBroker } from '../../apps/broker/src/broker';

export const ROOT = resolve(__dirname, '../..');

/** Settings that make tests fast: no initial rebalance delay, quiet logs. */
export const TEST_SETTINGS: Record<string, string> = {
  'http-port': '0',
  'kafka-port': '0',
  'log.level': 'warn',
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.num.partitions': '4',
  'group.min.session.timeout.ms': '500',
};

export function tempDir(prefix = 'runnel-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function flags(settings: Record<string, string>): string[] {
  return Object.entries(settings).flatMap(([k, v]) => [`--${k}`, v]);
}

export interface TestBroker {
  url: string;
  dataDir: string;
  broker: RunningBroker;
  /** Stops the broker (clean shutdown); the data dir stays for a restart. */
  stop(): Promise<void>;
  /** Stops and removes the data dir. */
  close(): Promise<void>;
}

export async function startTestBroker(settings: Record<string, string> = {}, dataDir = tempDir()): Promise<TestBroker> {
  const config = loadBrokerConfig(flags({ ...TEST_SETTINGS, 'data-dir': dataDir, ...settings }), {});
  const broker = await startBroker(config);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await broker.close();
  };
  return {
    url: broker.httpUrl,
    dataDir,
    broker,
    stop,
    close: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The built server's entry point; builds once if it is missing (npm test builds first). */
export function builtMain(): string {
  const main = join(ROOT, 'dist/apps/broker/src/main.js');
  if (!existsSync(main)) execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
  return main;
}

export interface ChildBroker {
  proc: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts the built broker as a child process and waits until it says it is ready. */
export function spawnBroker(dataDir: string, settings: Record<string, string> = {}, timeoutMs = 30_000): Promise<ChildBroker> {
  const proc = spawn(process.execPath, [builtMain(), ...flags({ ...TEST_SETTINGS, 'log.level': 'info', 'data-dir': dataDir, ...settings })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise<ChildBroker>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /HTTP on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ proc, url: m[1]!.replace(/[(),]+$/, ''), output: () => out, exited });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export async function json<T = any>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON (status ${res.status}): ${text.slice(0, 500)}`);
  }
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
