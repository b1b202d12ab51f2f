/**
 * Consumer groups with real Kafka clients over the wire door: kcat (librdkafka) balanced consumers
 * splitting a topic and committing, a kafkajs group of three rebalancing when one leaves, and
 * committed offsets surviving a broker restart.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { Consumer, EachMessagePayload, Kafka, logLevel } from 'kafkajs';
import { json, post, startTestBroker, TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/wait';

async function createTopic(b: TestBroker, name: string, partitions: number): Promise<void> {
  expect((await post(`${b.url}/admin/topics`, { name, partitions })).status).toBe(201);
}

/** Produces `count` string records over HTTP, record i to partition i % partitions, values `${prefix}-${i}`. */
async function produce(b: TestBroker, topic: string, partitions: number, prefix: string, count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}`, partition: i % partitions }));
  expect((await post(`${b.url}/topics/${topic}/records?format=string`, { records })).status).toBe(200);
}

interface GroupView {
  state: string;
  members: { client_kind: string }[];
  offsets: { topic: string; partition: number; committed_offset: number }[];
}

async function group(b: TestBroker, groupId: string): Promise<GroupView> {
  return json<GroupView>(await fetch(`${b.url}/admin/groups/${groupId}`));
}

/** A kcat balanced consumer (-G) printing `partition offset value` lines. */
class KcatMember {
  readonly proc: ChildProcess;
  lines: string[] = [];
  private buffer = '';
  readonly exited: Promise<number | null>;

  constructor(port: number, groupId: string, topic: string, extra: string[] = []) {
    this.proc = spawn(
      'kcat',
      [
        '-b', `127.0.0.1:${port}`,
        '-G', groupId,
        '-X', 'auto.offset.reset=earliest',
        '-X', 'auto.commit.interval.ms=100',
        '-X', 'heartbeat.interval.ms=200',
        '-X', 'session.timeout.ms=6000',
        '-q',
        '-u',
        '-f', '%p %o %s\\n',
        ...extra,
        topic,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      const parts = this.buffer.split('\n');
      this.buffer = parts.pop()!;
      this.lines.push(...parts.filter((l) => l !== ''));
    });
    this.proc.stderr!.on('data', () => undefined);
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  partitions(): Set<number> {
    return new Set(this.lines.map((l) => Number(l.split(' ')[0])));
  }

  /** SIGTERM: kcat closes its consumer (final commit, LeaveGroup) and exits. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

jest.setTimeout(120_000);

describe('consumer groups with real Kafka clients', () => {
  let b: TestBroker;
  let port: number;
  const kcats: KcatMember[] = [];
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    b = await startTestBroker();
    port = b.broker.kafkaPort;
  });
  afterAll(async () => {
    for (const k of kcats) await k.stop();
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await b.close();
  });

  it('two kcat -G members split the partitions, commit, and a later member resumes from the commits', async () => {
    await createTopic(b, 'kg', 4);
    const a = new KcatMember(port, 'kg-group', 'kg');
    const c = new KcatMember(port, 'kg-group', 'kg');
    kcats.push(a, c);
    await eventually(async () => {
      const g = await group(b, 'kg-group');
      return g.state === 'Stable' && g.members.length === 2 ? g : undefined;
    }, 30_000, 'two stable kcat members');
    await produce(b, 'kg', 4, 'first', 100);
    await eventually(() => (a.lines.length + c.lines.length >= 100 ? true : undefined), 30_000, '100 records across both kcat members');
    const pa = a.partitions();
    const pc = c.partitions();
    expect(pa.size).toBeGreaterThan(0);
    expect(pc.size).toBeGreaterThan(0);
    expect([...pa].filter((p) => pc.has(p))).toEqual([]);
    const values = [...a.lines, ...c.lines].map((l) => l.split(' ')[2]).sort();
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => `first-${i}`).sort());
    await a.stop();
    await c.stop();
    const committed = await eventually(async () => {
      const g = await group(b, 'kg-group');
      const kg = g.offsets.filter((o) => o.topic === 'kg');
      return kg.length === 4 && kg.every((o) => o.committed_offset === 25) ? kg : undefined;
    }, 15_000, 'commits at the end of every partition');
    expect(committed.map((o) => o.partition).sort()).toEqual([0, 1, 2, 3]);

    await produce(b, 'kg', 4, 'second', 8);
    const later = new KcatMember(port, 'kg-group', 'kg', ['-c', '8']);
    kcats.push(later);
    await eventually(() => (later.lines.length >= 8 ? true : undefined), 30_000, 'the 8 new records');
    expect(await later.exited).toBe(0);
    expect(later.lines.map((l) => l.split(' ')[2]).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `second-${i}`).sort());
    expect(later.lines.every((l) => Number(l.split(' ')[1]) >= 25)).toBe(true);
  });

  it('a kafkajs group of three splits six partitions; when one leaves, the other two take over its partitions', async () => {
    await createTopic(b, 'kj', 6);
    const kafka = new Kafka({ clientId: 'groups-e2e', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const assignments: (number[] | undefined)[] = [undefined, undefined, undefined];
    const seen: { member: number; partition: number; value: string }[] = [];
    const members = [0, 1, 2].map((i) => {
      const consumer = kafka.consumer({ groupId: 'kj-group', sessionTimeout: 6_000, heartbeatInterval: 200, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100, retry: { retries: 20 } });
      consumer.on(consumer.events.GROUP_JOIN, (e) => (assignments[i] = [...(e.payload.memberAssignment['kj'] ?? [])].sort()));
      consumers.push(consumer);
      return consumer;
    });
    for (const [i, consumer] of members.entries()) {
      await consumer.connect();
      await consumer.subscribe({ topic: 'kj', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }: EachMessagePayload) => void seen.push({ member: i, partition, value: message.value!.toString() }) });
    }
    const covered = (who: number[]): boolean => {
      const parts = who.flatMap((i) => assignments[i] ?? []);
      return parts.length === 6 && new Set(parts).size === 6 && who.every((i) => (assignments[i]?.length ?? 0) > 0);
    };
    await eventually(() => (covered([0, 1, 2]) ? true : undefined), 45_000, 'three members owning two partitions each');
    expect(assignments.map((a) => a!.length)).toEqual([2, 2, 2]);

    await produce(b, 'kj', 6, 'one', 60);
    await eventually(() => (seen.length >= 60 ? true : undefined), 30_000, '60 records');
    for (const r of seen) expect(assignments[r.member]).toContain(r.partition);
    const leaverPartitions = assignments[0]!;

    await members[0]!.disconnect();
    assignments[0] = [];
    await eventually(() => (covered([1, 2]) && assignments[1]!.length + assignments[2]!.length === 6 ? true : undefined), 45_000, 'two members owning all six partitions');
    const before = seen.length;
    await produce(b, 'kj', 6, 'two', 60);
    await eventually(() => (new Set(seen.slice(before).filter((r) => r.value.startsWith('two-')).map((r) => r.value)).size === 60 ? true : undefined), 30_000, 'the next 60 records');
    const taken = seen.slice(before).filter((r) => leaverPartitions.includes(r.partition));
    expect(taken.length).toBeGreaterThan(0);
    expect(taken.every((r) => r.member === 1 || r.member === 2)).toBe(true);
    await Promise.all(members.slice(1).map((c) => c.disconnect()));
  });

  it('committed offsets survive a broker restart: a new kafkajs member resumes where the group left off', async () => {
    const first = await startTestBroker();
    let second: TestBroker | undefined;
    try {
      await createTopic(first, 'kr', 3);
      await produce(first, 'kr', 3, 'before', 30);
      const read = async (broker: TestBroker, expected: number): Promise<{ partition: number; offset: number; value: string }[]> => {
        const kafka = new Kafka({ clientId: 'restart-e2e', brokers: [`127.0.0.1:${broker.broker.kafkaPort}`], logLevel: logLevel.NOTHING });
        const consumer = kafka.consumer({ groupId: 'kr-group', sessionTimeout: 6_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
        const got: { partition: number; offset: number; value: string }[] = [];
        await consumer.connect();
        try {
          await consumer.subscribe({ topic: 'kr', fromBeginning: true });
          await consumer.run({ eachMessage: async ({ partition, message }) => void got.push({ partition, offset: Number(message.offset), value: message.value!.toString() }) });
          await eventually(() => (got.length >= expected ? true : undefined), 30_000, `${expected} records`);
          // Offsets are committed after each batch: wait until the group has them all.
          const admin = kafka.admin();
          await admin.connect();
          try {
            await eventually(async () => {
              const offsets = await admin.fetchOffsets({ groupId: 'kr-group', topics: ['kr'] });
              const total = offsets.flatMap((t) => t.partitions).reduce((sum, p) => sum + Number(p.offset), 0);
              return total === (broker === first ? 30 : 45) ? true : undefined;
            }, 15_000, 'commits');
          } finally {
            await admin.disconnect();
          }
        } finally {
          await consumer.disconnect();
        }
        return got;
      };
      const before = await read(first, 30);
      expect(before.map((r) => r.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `before-${i}`).sort());
      await first.stop();

      second = await startTestBroker({}, first.dataDir);
      const admin = new Kafka({ clientId: 'restart-admin', brokers: [`127.0.0.1:${second.broker.kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const committed = await admin.fetchOffsets({ groupId: 'kr-group', topics: ['kr'] });
      await admin.disconnect();
      expect(committed[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, '10'], [1, '10'], [2, '10']]);
      await produce(second, 'kr', 3, 'after', 15);
      const after = await read(second, 15);
      expect(after.map((r) => r.value).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `after-${i}`).sort());
      expect(after.every((r) => r.offset >= 10)).toBe(true);
    } finally {
      await (second ?? first).close();
    }
  });
});
