/**
 * `runnel dump-log` on real segment files: produced through a broker, which is then stopped, so
 * the CLI reads the files offline, as DumpLogSegments does. A copy with one corrupted byte must be
 * reported (CRC mismatch, exit 1); a truncated copy too.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { post, ROOT, startTestBroker, TestBroker } from '../helpers/broker';
import { runCli } from './cli';

jest.setTimeout(60_000);

const SEGMENT = '00000000000000000000';

describe('runnel dump-log', () => {
  let b: TestBroker;
  let work: string;
  let log: string;

  beforeAll(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': 'false' });
    expect((await post(`${b.url}/admin/topics`, { name: 'events', partitions: 1 })).status).toBe(201);
    // Three batches (one per request); the third holds big values so the sparse indexes get entries.
    expect((await post(`${b.url}/topics/events/records?format=string`, { records: [{ key: 'k0', value: 'hello' }, { value: 'world', headers: [{ name: 'h1', value: 'x' }] }] })).status).toBe(200);
    expect((await post(`${b.url}/topics/events/records?format=string`, { value: 'second batch' })).status).toBe(200);
    expect((await post(`${b.url}/topics/events/records?format=string`, { records: Array.from({ length: 3 }, (_, i) => ({ value: `${i}`.repeat(5000) })) })).status).toBe(200);
    expect((await post(`${b.url}/topics/events/records?format=string`, { value: 'last' })).status).toBe(200);
    await b.stop();
    work = mkdtempSync(join(tmpdir(), 'runnel-dump-'));
    log = join(b.dataDir, 'events-0', `${SEGMENT}.log`);
  });
  afterAll(async () => {
    await b.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('checks every batch of a good segment and prints its records with --print-data-log', async () => {
    const r = await runCli(['dump-log', log, '--print-data-log']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Dumping ${log}`);
    expect(r.stdout).toContain('Log starting offset: 0');
    const batches = r.stdout.split('\n').filter((l) => l.startsWith('baseOffset:'));
    expect(batches).toHaveLength(4);
    expect(batches[0]).toMatch(/^baseOffset: 0 lastOffset: 1 count: 2 .* position: 0 CreateTime: \d+ size: \d+ magic: 2 compresscodec: none crc: \d+ isvalid: true$/);
    expect(batches[1]).toMatch(/^baseOffset: 2 lastOffset: 2 count: 1 /);
    expect(batches[3]).toMatch(/^baseOffset: 6 lastOffset: 6 count: 1 /);
    expect(r.stdout).toMatch(/^\| offset: 0 CreateTime: \d+ keySize: 2 valueSize: 5 sequence: -1 headerKeys: \[\] key: k0 payload: hello$/m);
    expect(r.stdout).toMatch(/^\| offset: 1 CreateTime: \d+ keySize: -1 valueSize: 5 sequence: -1 headerKeys: \[h1\] key: null payload: world$/m);
    expect(r.stdout).toMatch(/^\| offset: 2 .* payload: second batch$/m);
    expect(r.stdout).toContain('Checked 4 batches (7 records');
    expect(r.stdout).toContain('all valid');

    // Without --print-data-log: batches only.
    const plain = await runCli(['dump-log', log]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('| offset');

    const asJson = await runCli(['--json', 'dump-log', log, '--deep-iteration']);
    expect(asJson.code).toBe(0);
    const report = JSON.parse(asJson.stdout);
    expect(report).toMatchObject({ base_offset: '0', records: 7, problems: [] });
    expect(report.batches.map((x: any) => [x.base_offset, x.count, x.valid])).toEqual([['0', 2, true], ['2', 1, true], ['3', 3, true], ['6', 1, true]]);
    expect(report.batches[2].records).toHaveLength(3);
    expect(report.batches[2].records[0].payload).toBeNull();
  });

  it('reports a batch with a corrupted byte (CRC mismatch) and exits 1, checking the batches after it', async () => {
    const bytes = readFileSync(log);
    const report = JSON.parse((await runCli(['--json', 'dump-log', log])).stdout);
    const second = report.batches[1];
    const bad = join(work, `${SEGMENT}.log`);
    // Flip one byte of the second batch's record data (past its 61-byte header).
    const at = second.position + 61 + 3;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(bad, bytes);

    const r = await runCli(['dump-log', bad, '--print-data-log']);
    expect(r.code).toBe(1);
    const batches = r.stdout.split('\n').filter((l) => l.startsWith('baseOffset:'));
    expect(batches).toHaveLength(4);
    expect(batches[0]).toMatch(/isvalid: true$/);
    expect(batches[1]).toMatch(/^baseOffset: 2 .* isvalid: false problem: CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$/);
    expect(batches[2]).toMatch(/isvalid: true$/);
    expect(r.stdout).not.toContain('payload: second batch');
    expect(r.stdout).toContain('payload: hello');
    expect(r.stderr).toContain('error: 1 problem found');
    expect(r.stderr).toContain(`batch at position ${second.position} (offsets 2..2): CRC mismatch`);
    expect(r.stderr).toMatch(/hint: /);
  });

  it('reports a truncated segment and a missing file (exit 1)', async () => {
    const cut = join(work, `${SEGMENT.slice(0, -1)}1.log`);
    copyFileSync(log, cut);
    const size = readFileSync(log).length;
    truncateSync(cut, size - 10);
    const [r, missing, asJson] = await Promise.all([runCli(['dump-log', cut]), runCli(['dump-log', join(work, 'nope.log')]), runCli(['--json', 'dump-log', cut])]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('baseOffset:'))).toHaveLength(3);
    expect(r.stderr).toMatch(/only \d+ remain in the file \(truncated\)/);
    // The name says base offset 1, but the first batch starts at 0.
    expect(r.stderr).toContain('below the segment\'s base offset 1');
    expect(JSON.parse(asJson.stdout).problems).toHaveLength(2);
    expect(asJson.code).toBe(1);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
    expect(missing.stderr).toContain('<data-dir>/<topic>-<partition>/');
  });

  it('dumps the offset and time indexes', async () => {
    const dir = join(b.dataDir, 'events-0');
    const r = await runCli(['dump-log', join(dir, `${SEGMENT}.index`), join(dir, `${SEGMENT}.timeindex`)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^offset: \d+ position: \d+$/m);
    expect(r.stdout).toMatch(/^timestamp: \d+ offset: \d+$/m);
  });

  it('runs from the TypeScript sources when asked (a fresh clone before any build), and through npx', async () => {
    const r = await runCli(['--help'], { env: { RUNNEL_CLI_FROM_SOURCE: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: runnel');
    expect(r.stdout).toContain('dump-log');
    // package.json "bin": npx runs the project's own command (--no: never fetch anything).
    const npx = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile('npx', ['--no', '--', 'runnel', '--help'], { cwd: ROOT, timeout: 60_000 }, (e, stdout) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout }));
    });
    expect(npx.code).toBe(0);
    expect(npx.stdout).toContain('Usage: runnel');
  });
});
