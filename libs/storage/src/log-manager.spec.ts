import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import * as path from 'node:path';
import { parseLogConfig } from './config';
import { LockedError, LogClosedError, StorageError } from './errors';
import { LogManager } from './log-manager';
import { buildValueBatch } from './testing/batch-builder';
import { makeTempDir, removeDir } from './testing/temp-dir';

const repoRoot = path.resolve(__dirname, '../../..');
const holder = path.join(__dirname, 'testing/lock-holder.ts');

function runChild(dataDir: string, mode: 'hold' | 'try'): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', holder, dataDir, mode], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => (out.includes('\n') ? undefined : reject(new Error(`child exited ${code}: ${err}`))));
  });
  return { child, firstLine };
}

describe('LogManager', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('creates logs idempotently, discovers them on reopen, and writes checkpoints and the clean marker', async () => {
    const manager = await LogManager.open({ dataDir: dir });
    const a = await manager.createLog('orders', 0);
    expect(await manager.createLog('orders', 0)).toBe(a);
    await manager.createLog('my-topic.v2', 3);
    await a.append(buildValueBatch(5, 10));
    await expect(manager.createLog('bad/name', 0)).rejects.toThrow(StorageError);
    await expect(manager.createLog('t', -1)).rejects.toThrow(StorageError);
    await manager.close();
    expect(fs.existsSync(path.join(dir, '.kafka_cleanshutdown'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), 'utf8')).toContain('orders 0 5');
    expect(fs.readFileSync(path.join(dir, 'log-start-offset-checkpoint'), 'utf8')).toContain('my-topic.v2 3 0');
    await expect(manager.createLog('x', 0)).rejects.toThrow(LogClosedError);
    const again = await LogManager.open({ dataDir: dir });
    expect(fs.existsSync(path.join(dir, '.kafka_cleanshutdown'))).toBe(false);
    expect(again.logs().map((l) => `${l.topic}-${l.partition}`).sort()).toEqual(['my-topic.v2-3', 'orders-0']);
    expect(again.getLog('orders', 0)!.logEndOffset).toBe(5n);
    await again.close();
  });

  it('deletes a log by renaming its directory to -delete first, and finishes interrupted deletes on open', async () => {
    const manager = await LogManager.open({ dataDir: dir });
    const log = await manager.createLog('gone', 0);
    await log.append(buildValueBatch(1, 1));
    await manager.deleteLog('gone', 0);
    expect(manager.getLog('gone', 0)).toBeUndefined();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('gone'))).toEqual([]);
    await manager.close();
    fs.mkdirSync(path.join(dir, 'old-0.0123abcd-delete'));
    fs.writeFileSync(path.join(dir, 'old-0.0123abcd-delete', '00000000000000000000.log'), 'x');
    const again = await LogManager.open({ dataDir: dir });
    expect(fs.existsSync(path.join(dir, 'old-0.0123abcd-delete'))).toBe(false);
    expect(again.logs()).toEqual([]);
    await again.close();
  });

  it('refuses a second open of the same directory in one process', async () => {
    const manager = await LogManager.open({ dataDir: dir });
    await expect(LogManager.open({ dataDir: dir })).rejects.toThrow(LockedError);
    await manager.close();
    const again = await LogManager.open({ dataDir: dir });
    await again.close();
  });

  it('two processes cannot open one data directory', async () => {
    // We hold it: a real second node process fails with LOCKED naming our pid.
    const manager = await LogManager.open({ dataDir: dir, defaults: parseLogConfig({}) });
    const tryer = runChild(dir, 'try');
    const line = await tryer.firstLine;
    expect(line).toMatch(/^LOCKED /);
    expect(line).toContain(dir);
    expect(line).toContain(`pid ${process.pid}`);
    await manager.close();
    // A second process holds it: we fail naming its pid; once it dies, the stale lock is taken over.
    const holding = runChild(dir, 'hold');
    const held = await holding.firstLine;
    const childPid = Number(held.split(' ')[1]);
    expect(childPid).toBe(holding.child.pid);
    const error = await LogManager.open({ dataDir: dir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).holderPid).toBe(childPid);
    expect((error as LockedError).message).toContain(dir);
    const exited = new Promise((resolve) => holding.child.on('exit', resolve));
    holding.child.kill('SIGKILL');
    await exited;
    const after = await LogManager.open({ dataDir: dir });
    await after.close();
  }, 30_000);

  it('runs background timers unref\'d and stops them on close', async () => {
    const manager = await LogManager.open({ dataDir: dir });
    manager.startBackground();
    manager.startBackground();
    const log = await manager.createLog('t', 0);
    await log.append(buildValueBatch(1, 1));
    await manager.checkpoint();
    expect(fs.readFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), 'utf8')).toMatch(/^0\n1\nt 0 \d+\n$/);
    await manager.close();
  });
});
