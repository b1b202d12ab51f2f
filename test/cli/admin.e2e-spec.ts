/**
 * `runnel` admin commands as child processes against a real broker: topics, groups, offsets,
 * cluster, log-dirs, api-versions, and the failures (server down, unknown topic, bad flags).
 */
import { json, post, startTestBroker, TestBroker } from '../helpers/broker';
import { closedServerUrl, runCli } from './cli';

jest.setTimeout(60_000);

describe('runnel admin commands', () => {
  let b: TestBroker;
  const cli = (...args: string[]) => runCli(['--server', b.url, ...args]);

  beforeAll(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': 'false' });
  });
  afterAll(() => b.close());

  it('prints help listing every command group, and its version', async () => {
    const [help, version, topicsHelp] = await Promise.all([runCli(['--help']), runCli(['--version']), runCli(['topics', '--help'])]);
    expect(help.code).toBe(0);
    for (const c of ['topics', 'groups', 'produce', 'consume', 'offsets', 'dump-log', 'log-dirs', 'cluster', 'api-versions', 'perf']) expect(help.stdout).toContain(c);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(topicsHelp.code).toBe(0);
    for (const c of ['create', 'list', 'describe', 'alter', 'delete']) expect(topicsHelp.stdout).toContain(c);
  });

  it('creates, lists, describes, alters and deletes a topic', async () => {
    const created = await cli('topics', 'create', 'inventory', '--partitions', '2', '--config', 'retention.ms=3600000');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created topic inventory with 2 partitions');

    const list = await cli('topics', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^TOPIC\s+PARTITIONS\s+REPLICATION-FACTOR\s+INTERNAL$/m);
    expect(list.stdout).toMatch(/^inventory\s+2\s+1\s+false$/m);
    const listJson = JSON.parse((await cli('--json', 'topics', 'list', '--exclude-internal')).stdout);
    expect(listJson).toEqual([{ name: 'inventory', partitions: 2, replication_factor: 1, internal: false }]);

    await post(`${b.url}/topics/inventory/records`, { records: [{ value: 1, partition: 1 }, { value: 2, partition: 1 }] });
    const described = await cli('topics', 'describe', 'inventory');
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('Topic: inventory');
    expect(described.stdout).toContain('PartitionCount: 2');
    expect(described.stdout).toMatch(/^1\s+1\s+1\s+1\s+0\s+2\s+\d+ B$/m);
    expect(described.stdout).toContain('retention.ms=3600000');

    const altered = await cli('topics', 'alter', 'inventory', '--partitions', '3', '--config', 'retention.ms=7200000', '--config', 'cleanup.policy=compact');
    expect(altered.code).toBe(0);
    const d = JSON.parse((await cli('topics', 'describe', 'inventory', '--json')).stdout);
    expect(d.partitions).toHaveLength(3);
    expect(d.configs['retention.ms']).toBe('7200000');
    expect(d.configs['cleanup.policy']).toBe('compact');

    const reverted = await cli('topics', 'alter', 'inventory', '--delete-config', 'cleanup.policy');
    expect(reverted.code).toBe(0);
    expect(JSON.parse((await cli('--json', 'topics', 'describe', 'inventory')).stdout).configs['cleanup.policy']).toBe('delete');

    const deleted = await cli('topics', 'delete', 'inventory');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('Deleted topic inventory');
    expect((await fetch(`${b.url}/admin/topics/inventory`)).status).toBe(404);
    const again = await cli('topics', 'delete', 'inventory', '--if-exists');
    expect(again.code).toBe(0);
  });

  it('fails with exit 1 and a fix on an existing or unknown topic', async () => {
    await cli('topics', 'create', 'dup');
    const [exists, ok, missing, missingOffsets] = await Promise.all([
      cli('topics', 'create', 'dup'),
      cli('topics', 'create', 'dup', '--if-not-exists'),
      cli('topics', 'describe', 'nope'),
      cli('offsets', 'nope'),
    ]);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/error: .*already exists.*40901/);
    expect(exists.stderr).toContain('--if-not-exists');
    expect(ok.code).toBe(0);
    for (const r of [missing, missingOffsets]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/error: .*nope.*40401/);
      expect(r.stderr).toContain('hint: list topics with `runnel topics list`');
    }
  });

  it('exits 2 with usage help on bad flags', async () => {
    const results = await Promise.all([
      cli('topics', 'create', 'x', '--partitions', 'many'),
      cli('topics', 'create', 'x', '--config', 'retention.ms'),
      cli('topics', 'lst'),
      cli('topics', 'alter', 'x'),
      cli('groups', 'reset-offsets', '--group', 'g', '--topic', 't'),
      cli('groups', 'reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--to-latest'),
      cli('groups', 'reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run', '--execute'),
      cli('offsets', 't', '--time', 'yesterday'),
      runCli(['--server', 'not a url', 'topics', 'list']),
      cli('consume', 't', '--offset', '5'),
    ]);
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/error: /);
      expect(r.stderr).toContain('Usage: runnel');
    }
    expect(results[0].stderr).toContain('"many" is not an integer');
    expect(results[1].stderr).toContain('NAME=VALUE');
    expect(results[2].stderr).toContain('Did you mean list?');
    expect(results[4].stderr).toContain('--to-earliest, --to-latest, --to-offset N, --to-datetime ISO, --shift-by N');
    expect(results[9].stderr).toContain('--offset needs --partition');
  });

  it('says the server is not reachable, names the URL and how to fix it', async () => {
    const url = await closedServerUrl();
    // Global options work before or after the command (-s is --server).
    const [byFlag, byEnv] = await Promise.all([runCli(['topics', 'list', '-s', url]), runCli(['cluster'], { env: { RUNNEL_SERVER: url } })]);
    for (const r of [byFlag, byEnv]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot reach the Runnel broker at ${url}`);
      expect(r.stderr).toContain('npm start');
      expect(r.stderr).toContain('--server');
    }
  });

  it('prints offsets for -1, -2 and a time (GetOffsetShell)', async () => {
    await cli('topics', 'create', 'clock', '--partitions', '2');
    await post(`${b.url}/topics/clock/records`, { records: [{ value: 'a', partition: 0, timestamp: 1000 }, { value: 'b', partition: 0, timestamp: 2000 }, { value: 'c', partition: 0, timestamp: 3000 }] });
    await post(`${b.url}/admin/topics/clock/delete-records`, { partitions: [{ partition: 0, before_offset: 1 }] });
    const [latest, earliest, at, iso] = await Promise.all([
      cli('offsets', 'clock'),
      cli('offsets', 'clock', '--time', '-2', '--json'),
      cli('offsets', 'clock', '--time', '2500', '--partitions', '0', '--json'),
      cli('offsets', 'clock', '--time', '1970-01-01T00:00:02Z', '--partitions', '0', '--json'),
    ]);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(/^clock\s+0\s+3$/m);
    expect(latest.stdout).toMatch(/^clock\s+1\s+0$/m);
    expect(JSON.parse(earliest.stdout)).toEqual([{ topic: 'clock', partition: 0, offset: 1 }, { topic: 'clock', partition: 1, offset: 0 }]);
    expect(JSON.parse(at.stdout)).toEqual([{ topic: 'clock', partition: 0, offset: 2 }]);
    expect(JSON.parse(iso.stdout)).toEqual([{ topic: 'clock', partition: 0, offset: 1 }]);
  });

  it('deletes records before an offset', async () => {
    await cli('topics', 'create', 'trim');
    await post(`${b.url}/topics/trim/records`, { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
    const r = await cli('topics', 'delete-records', 'trim', '--partition', '0', '--before-offset', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^trim\s+0\s+2$/m);
    expect((await json(await fetch(`${b.url}/topics/trim/partitions/0/offsets`))).log_start_offset).toBe(2);
  });

  it('lists, describes, resets (dry run by default) and deletes groups', async () => {
    await cli('topics', 'create', 'ledger', '--partitions', '2');
    await post(`${b.url}/topics/ledger/records`, { records: [0, 1, 2, 3].map((i) => ({ value: i, partition: 0 })) });
    // A group with committed offsets: one HTTP consumer instance joins, commits offset 3 on partition 0, then leaves.
    const c1 = `${b.url}/consumers/billing/instances/c1`;
    expect((await post(`${b.url}/consumers/billing`, { name: 'c1', 'auto.offset.reset': 'earliest', 'auto.commit.enable': false })).status).toBeLessThan(300);
    expect((await post(`${c1}/subscription`, { topics: ['ledger'] })).status).toBeLessThan(300);
    expect(await json(await fetch(`${c1}/records?timeout=5000`))).toHaveLength(4);
    expect((await post(`${c1}/offsets`, { offsets: [{ topic: 'ledger', partition: 0, offset: 3 }] })).status).toBeLessThan(300);

    const busy = await cli('groups', 'reset-offsets', '--group', 'billing', '--topic', 'ledger', '--to-earliest', '--execute');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('40903');
    expect(busy.stderr).toContain('hint: stop the group');
    expect((await fetch(c1, { method: 'DELETE' })).status).toBe(204);

    const list = await cli('groups', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^billing\s+Empty\s+0/m);
    const described = await cli('groups', 'describe', 'billing');
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^billing\s+ledger\s+0\s+3\s+4\s+1\s/m);

    const dry = await cli('groups', 'reset-offsets', '--group', 'billing', '--topic', 'ledger', '--to-earliest');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^billing\s+ledger\s+0\s+3\s+0$/m);
    expect(dry.stderr).toContain('Dry run');
    expect(JSON.parse((await cli('--json', 'groups', 'describe', 'billing')).stdout).offsets[0].committed_offset).toBe(3);

    const shifted = await cli('groups', 'reset-offsets', '--group', 'billing', '--topic', 'ledger', '--partitions', '0', '--shift-by', '-2', '--execute');
    expect(shifted.code).toBe(0);
    expect(shifted.stdout).toMatch(/^billing\s+ledger\s+0\s+3\s+1$/m);
    expect(JSON.parse((await cli('--json', 'groups', 'describe', 'billing')).stdout).offsets[0].committed_offset).toBe(1);

    const [toOffset, toDate, toLatest] = await Promise.all([
      cli('--json', 'groups', 'reset-offsets', '--group', 'billing', '--topic', 'ledger', '--partitions', '0', '--to-offset', '2'),
      cli('--json', 'groups', 'reset-offsets', '--group', 'billing', '--topic', 'ledger', '--partitions', '0', '--to-datetime', '2100-01-01T00:00:00Z'),
      cli('--json', 'groups', 'reset-offsets', '--group', 'billing', '--topic', 'ledger', '--to-latest'),
    ]);
    expect(JSON.parse(toOffset.stdout).offsets).toEqual([{ topic: 'ledger', partition: 0, current_offset: 1, new_offset: 2 }]);
    expect(JSON.parse(toDate.stdout).offsets[0].new_offset).toBe(4);
    expect(JSON.parse(toLatest.stdout)).toMatchObject({ dry_run: true, offsets: [{ partition: 0, new_offset: 4 }, { partition: 1, new_offset: 0 }] });

    const deleted = await cli('groups', 'delete', 'billing');
    expect(deleted.code).toBe(0);
    const gone = await cli('groups', 'describe', 'billing');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('40405');
    expect(gone.stderr).toContain('runnel groups list');
  });

  it('shows the cluster, the log dirs and the API versions', async () => {
    await cli('topics', 'create', 'sized');
    await post(`${b.url}/topics/sized/records`, { value: 'x'.repeat(100) });
    const [cluster, clusterJson, dirs, dirsJson, versions, versionsJson] = await Promise.all([
      cli('cluster'),
      cli('cluster', '--json'),
      cli('log-dirs', '--topic', 'sized'),
      cli('log-dirs', '--json'),
      cli('api-versions'),
      cli('api-versions', '--json'),
    ]);
    const c = await json(await fetch(`${b.url}/admin/cluster`));
    expect(cluster.code).toBe(0);
    expect(cluster.stdout).toContain(`Cluster ID: ${c.cluster_id}`);
    expect(cluster.stdout).toMatch(/^1\s+\S+\s+\d+/m);
    expect(JSON.parse(clusterJson.stdout)).toEqual(c);

    expect(dirs.code).toBe(0);
    expect(dirs.stdout).toContain(`Log dir: ${b.dataDir}`);
    expect(dirs.stdout).toMatch(/^sized\s+0\s+\S+ B\s+\d+\s+0\s+1\s+1\s+1$/m);
    expect(dirs.stdout).not.toContain('ledger');
    const parsed = JSON.parse(dirsJson.stdout);
    expect(parsed[0].partitions.find((p: any) => p.topic === 'sized')).toMatchObject({ partition: 0, log_end_offset: 1 });

    expect(versions.code).toBe(0);
    expect(versions.stdout).toContain(`Runnel ${c.version}`);
    expect(versions.stdout).toMatch(/HTTP API: .*\d+\.\d+\.\d+/);
    const v = JSON.parse(versionsJson.stdout);
    expect(v.broker_version).toBe(c.version);
    expect(typeof v.http_api.version).toBe('string');
    // The Kafka APIs the wire door serves, as kafka-broker-api-versions.sh lists them.
    expect(v.kafka_api_versions).toEqual(c.api_versions);
    expect(v.kafka_api_versions).toContainEqual({ api_key: 1, name: 'Fetch', min_version: 4, max_version: 12 });
    expect(versions.stdout).toMatch(/Produce\s.*3.*9/);
  });
});
