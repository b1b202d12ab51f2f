/**
 * The broker from the sources in a child process (node + @swc-node/register, no build needed),
 * for measurements that need a process of its own: server memory, and the benchmark.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { ROOT, TEST_SETTINGS, flags } from '../helpers/broker';

export interface SourceBroker {
  proc: ChildProcess;
  url: string;
  output(): string;
  /** Resident set size of the broker process, from /proc. */
  rssBytes(): number;
  /** Runs a full garbage collection in the broker through its inspector (Chrome DevTools Protocol). */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

/** Sends one DevTools Protocol command over the inspector's WebSocket and waits for its answer. */
function inspectorCall(inspectorUrl: string, method: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(inspectorUrl);
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method })));
    ws.on('message', (data) => {
      const reply = JSON.parse((data as Buffer).toString()) as { id?: number; error?: unknown };
      if (reply.id !== 1) return;
      ws.close();
      if (reply.error) reject(new Error(`${method}: ${JSON.stringify(reply.error)}`));
      else resolve();
    });
    ws.on('error', reject);
  });
}

export function spawnSourceBroker(dataDir: string, settings: Record<string, string> = {}, timeoutMs = 60_000): Promise<SourceBroker> {
  const proc = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-r', '@swc-node/register', 'apps/broker/src/main.ts', ...flags({ ...TEST_SETTINGS, 'log.level': 'info', 'data-dir': dataDir, ...settings })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWC_NODE_PROJECT: `${ROOT}/tsconfig.json` },
  });
  let out = '';
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise<SourceBroker>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`broker did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.length > 1_000_000) out = out.slice(-100_000);
      const m = /HTTP on (http:\/\/\S+)/.exec(out);
      const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(out);
      if (m && inspector) {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        proc.stderr.off('data', onData);
        proc.stdout.resume();
        proc.stderr.on('data', (e: Buffer) => (out += e.toString()));
        resolve({
          proc,
          url: m[1]!.replace(/[(),]+$/, ''),
          output: () => out,
          rssBytes: () => {
            const m2 = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
            return Number(m2![1]) * 1024;
          },
          collectGarbage: () => inspectorCall(inspector[1]!, 'HeapProfiler.collectGarbage'),
          stop: async () => {
            if (proc.exitCode === null) proc.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`broker exited before it was ready:\n${out}`));
    });
  });
}
