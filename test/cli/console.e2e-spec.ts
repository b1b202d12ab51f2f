/**
 * The console producer and consumer, and the perf tools, as child processes against a real broker:
 * stdin lines in, records out, groups that commit what was printed and leave on Ctrl-C.
 */
import { json, post, startTestBroker, TestBroker } from '../helpers/broker';
import { execFile } from 'node:child_process';
import { eventually } from '../helpers/wait';
import { BIN, runCli, startCli } from './cli';

jest.setTimeout(60_000);

describe('runnel produce / consume / perf', () => {
  let b: TestBroker;
  const cli = (args: string[], input?: string) => runCli(['--server', b.url, ...args], input === undefined ? {} : { input });
  const read = async (topic: string, partition: number): Promise<any[]> =>
    (await json(await fetch(`${b.url}/topics/${topic}/partitions/${partition}/records?offset=0&format=string`))).records;
  const createTopic = async (name: string, partitions: number): Promise<void> => {
    expect((await post(`${b.url}/admin/topics`, { name, partitions })).status).toBe(201);
  };

  beforeAll(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': 'false' });
  });
  afterAll(() => b.close());

  it('produces stdin lines with keys, a partition and headers, in order', async () => {
    await createTopic('lines', 3);
    const r = await cli(['produce', 'lines', '--key-separator', ':', '--partition', '2', '--header', 'source=cli'], 'k1:one\nk2:two\n\nk3:three:with colon\n');
    expect(r.stderr).toContain('Produced 3 records to lines');
    expect(r.code).toBe(0);
    const records = await read('lines', 2);
    expect(records.map((x) => [x.key, x.value, x.offset])).toEqual([
      ['k1', 'one', 0],
      ['k2', 'two', 1],
      ['k3', 'three:with colon', 2],
    ]);
    expect(records[0].headers).toEqual([{ name: 'source', value: 'cli' }]);

    // acks=0: the broker answers before appending, so the CLI cannot name offsets.
    const fast = await cli(['produce', 'lines', '--partition', '1', '--acks', '0'], 'x\ny\n');
    expect(fast.code).toBe(0);
    expect(fast.stderr).toContain('Produced 2 records to lines (partition 1: 2 records, offsets not known with --acks 0)');
    await eventually(async () => ((await read('lines', 1)).length === 2 ? true : undefined), 10_000, 'the two acks=0 records');

    // Without a separator every line is a value; many lines go in several ordered requests.
    const many = Array.from({ length: 1200 }, (_, i) => `line-${i}`);
    const big = await cli(['--json', 'produce', 'lines', '--partition', '0'], `${many.join('\n')}\n`);
    expect(big.code).toBe(0);
    expect(JSON.parse(big.stdout)).toEqual({ topic: 'lines', records: 1200, partitions: [{ partition: 0, records: 1200, first_offset: 0, last_offset: 1199 }] });
    const stored = await json(await fetch(`${b.url}/topics/lines/partitions/0/records?offset=0&format=string&max_records=2000`));
    expect(stored.records.map((x: any) => x.value)).toEqual(many);
  });

  it('produces JSON lines, and stops at a bad line naming it (exit 1)', async () => {
    await createTopic('docs', 1);
    const ok = await cli(['produce', 'docs', '--format', 'json'], '{"id":1}\n[1,2]\n"text"\n');
    expect(ok.code).toBe(0);
    const values = (await json(await fetch(`${b.url}/topics/docs/partitions/0/records?offset=0`))).records.map((x: any) => x.value);
    expect(values).toEqual([{ id: 1 }, [1, 2], 'text']);

    const bad = await cli(['produce', 'docs', '--format', 'json'], '{"id":2}\n{"id":\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error: line 2: the value is not valid JSON/);
    expect(bad.stderr).toContain('--format string');
    // The lines before the bad one are stored, and the CLI says so.
    expect(bad.stderr).toContain('1 record was produced to docs before the error');
    expect((await json(await fetch(`${b.url}/topics/docs/partitions/0/records?offset=3`))).records.map((x: any) => x.value)).toEqual([{ id: 2 }]);

    const missing = await cli(['produce', 'ghost'], 'x\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: .*ghost.*40401/);
    expect(missing.stderr).toContain('runnel topics create');

    const usage = await cli(['produce', 'docs', '--format', 'xml']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: runnel produce');
  });

  it('consumes from the beginning with --max-messages and the --print-* fields', async () => {
    await createTopic('feed', 2);
    await post(`${b.url}/topics/feed/records?format=string`, {
      records: [
        { key: 'a', value: 'v0', partition: 0, timestamp: 1000, headers: [{ name: 'h', value: 'x' }] },
        { key: 'b', value: 'v1', partition: 0, timestamp: 2000 },
        { value: 'v2', partition: 1, timestamp: 3000 },
      ],
    });
    const all = await cli(['consume', 'feed', '--from-beginning', '--max-messages', '3', '--print-key', '--print-timestamp', '--print-headers', '--print-partition', '--print-offset']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n').sort();
    expect(lines).toEqual([
      'Timestamp:1000\tPartition:0\tOffset:0\th:x\ta\tv0',
      'Timestamp:2000\tPartition:0\tOffset:1\tNO_HEADERS\tb\tv1',
      'Timestamp:3000\tPartition:1\tOffset:0\tNO_HEADERS\tnull\tv2',
    ]);
    expect(all.stderr).toContain('Processed a total of 3 messages');

    const one = await cli(['--json', 'consume', 'feed', '--partition', '0', '--offset', '1', '--max-messages', '1']);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ topic: 'feed', partition: 0, offset: 1, key: 'b', value: 'v1' });

    // --timeout-ms ends a run that has read everything there is.
    const idle = await cli(['consume', 'feed', '--partition', '1', '--offset', 'earliest', '--timeout-ms', '1500']);
    expect(idle.code).toBe(0);
    expect(idle.stdout).toBe('v2\n');

    const [missing, noPartition, pastEnd] = await Promise.all([
      cli(['consume', 'ghost', '--max-messages', '1']),
      cli(['consume', 'feed', '--partition', '7']),
      cli(['consume', 'feed', '--partition', '0', '--offset', '99']),
    ]);
    expect(pastEnd.code).toBe(1);
    expect(pastEnd.stderr).toContain('41601');
    expect(pastEnd.stderr).toContain('hint: see the valid range with `runnel offsets TOPIC --time -2`');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: .*ghost.*40401/);
    expect(noPartition.code).toBe(1);
    expect(noPartition.stderr).toContain('there is no partition 7');
    expect(noPartition.stderr).toContain('runnel topics describe feed');
  });

  it('follows live records until interrupted (SIGINT exits 0)', async () => {
    await createTopic('live', 1);
    await post(`${b.url}/topics/live/records?format=string`, { value: 'old' });
    const c = startCli(['--server', b.url, 'consume', 'live']);
    // Without --from-beginning only new records show; keep producing until the consumer has started and prints one.
    let n = 0;
    const producer = setInterval(() => void post(`${b.url}/topics/live/records?format=string`, { value: `new-${n++}` }), 200);
    try {
      await c.waitForStdout(/new-\d+\n/);
    } finally {
      clearInterval(producer);
    }
    c.child.kill('SIGINT');
    const r = await c.result;
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('old');
    expect(r.stdout.trim().split('\n').every((l) => /^new-\d+$/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/Processed a total of \d+ message/);
  });

  it('consumes in a group: commits what it printed, and leaves the group on exit and on SIGINT', async () => {
    await createTopic('orders', 2);
    await post(`${b.url}/topics/orders/records?format=string`, { records: ['a', 'b', 'c', 'd'].map((v, i) => ({ value: v, partition: i % 2 })) });
    const first = await cli(['consume', 'orders', '--group', 'billing', '--from-beginning', '--max-messages', '3']);
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(3);
    const g = await json(await fetch(`${b.url}/admin/groups/billing`));
    expect(g.members).toEqual([]);
    expect(g.offsets.reduce((s: number, o: any) => s + o.committed_offset, 0)).toBe(3);

    // A second member resumes after the committed offsets: only the 4th record is left.
    const c = startCli(['--server', b.url, 'consume', 'orders', '--group', 'billing', '--from-beginning']);
    await c.waitForStdout(/\S\n/);
    await eventually(async () => ((await json(await fetch(`${b.url}/admin/groups/billing`))).members.length === 1 ? true : undefined), 10_000, 'one member in billing');
    const members = await cli(['groups', 'describe', 'billing', '--members']);
    expect(members.code).toBe(0);
    expect(members.stdout).toMatch(/^billing\s+\S+\s+\S+\s+http\s+\S+\s+2\s+orders-0,orders-1$/m);
    c.child.kill('SIGINT');
    const r = await c.result;
    expect(r.code).toBe(0);
    const seen = [...first.stdout.trim().split('\n'), ...r.stdout.trim().split('\n')].sort();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    // The instance was deleted on SIGINT: the group is empty at once, with every offset committed.
    const after = await json(await fetch(`${b.url}/admin/groups/billing`));
    expect(after.members).toEqual([]);
    expect(after.offsets.map((o: any) => o.lag)).toEqual([0, 0]);

    const described = await cli(['groups', 'describe', 'billing']);
    expect(described.stdout).toMatch(/^billing\s+orders\s+0\s+2\s+2\s+0/m);
  });

  it('runs the producer and consumer perf tools and prints Kafka\'s summary lines', async () => {
    await createTopic('perf', 2);
    const produced = await cli(['perf', 'produce', '--topic', 'perf', '--records', '3000', '--record-size', '100', '--throughput', '-1']);
    expect(produced.code).toBe(0);
    expect(produced.stdout).toMatch(
      /^3000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/m,
    );
    const offsets = await Promise.all([0, 1].map(async (p) => (await json(await fetch(`${b.url}/topics/perf/partitions/${p}/offsets`))).high_watermark));
    expect(offsets[0] + offsets[1]).toBe(3000);

    const paced = await cli(['--json', 'perf', 'produce', '--topic', 'perf', '--records', '40', '--record-size', '10', '--throughput', '200']);
    expect(paced.code).toBe(0);
    const s = JSON.parse(paced.stdout);
    expect(s.records).toBe(40);
    expect(s.p50_ms).toBeLessThanOrEqual(s.p99_ms);
    expect(s.p99_ms).toBeLessThanOrEqual(s.max_latency_ms);

    const consumed = await cli(['perf', 'consume', '--topic', 'perf', '--messages', '3040']);
    expect(consumed.code).toBe(0);
    const [header, line] = consumed.stdout.trim().split('\n');
    expect(header).toBe('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    const fields = line!.split(', ');
    expect(fields[4]).toBe('3040');
    expect(Number(fields[2])).toBeCloseTo((3000 * 100 + 40 * 10) / (1024 * 1024), 3);

    const grouped = await cli(['--json', 'perf', 'consume', '--topic', 'perf', '--messages', '3040', '--group', 'perf-readers']);
    expect(grouped.code).toBe(0);
    const g = JSON.parse(grouped.stdout);
    expect(g.records).toBe(3040);
    expect(g.rebalance_time_ms).toBeGreaterThanOrEqual(0);
    // It left the group, and committed what it read.
    const readers = await json(await fetch(`${b.url}/admin/groups/perf-readers`));
    expect(readers.members).toEqual([]);
    expect(readers.offsets.reduce((sum: number, x: any) => sum + x.committed_offset, 0)).toBe(3040);

    const short = await cli(['perf', 'consume', '--topic', 'perf', '--messages', '5000', '--timeout-ms', '1000']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/only \d+ of 5000 records arrived: none for 1000 ms/);
  });

  it('draws a live progress bar on stderr when it is a terminal', async () => {
    await createTopic('bar', 1);
    // util-linux `script` gives the CLI a pseudo-terminal, as a user's shell would.
    const command = [process.execPath, BIN, '--server', b.url, 'perf', 'produce', '--topic', 'bar', '--records', '600', '--record-size', '10', '--throughput', '1000']
      .map((a) => `'${a}'`)
      .join(' ');
    const output = await new Promise<string>((resolve, reject) => {
      execFile('script', ['-qec', command, '/dev/null'], { timeout: 30_000 }, (e, stdout) => (e ? reject(new Error(`${e.message}\n${stdout}`)) : resolve(stdout)));
    });
    expect(output).toMatch(/producing \|[=-]+\| \d+% \d+\/600 records/);
    expect(output).toMatch(/600 records sent, [\d.]+ records\/sec/);
  });
});
