/**
 * Doors mixed in one consumer group and one log: a kafkajs consumer and an HTTP consumer instance
 * sharing a group split the partitions (the HTTP member advertises range, roundrobin and kafkajs's
 * RoundRobinAssigner, so the group agrees on RoundRobinAssigner whoever leads); a WebSocket group
 * subscription joins the same kind of group next to a kcat -G member; and records produced by kcat
 * are pushed to a WebSocket subscriber.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { json, post, startTestBroker, TestBroker } from '../helpers/broker';
import { eventually, sleep } from '../helpers/wait';
import { WsClient, type Frame } from '../live/live-helpers';
import { kcat } from './wire-helpers';

jest.setTimeout(120_000);

interface GroupView {
  state: string;
  protocol: string;
  members: { client_kind: string; assignment: { topic: string; partition: number }[] }[];
}

describe('mixed doors over the Kafka wire door', () => {
  let b: TestBroker;
  let port: number;

  beforeAll(async () => {
    b = await startTestBroker({ 'consumer.instance.timeout.ms': '30000' });
    port = b.broker.kafkaPort;
  });
  afterAll(() => b.close());

  const createTopic = async (name: string, partitions: number): Promise<void> => {
    expect((await post(`${b.url}/admin/topics`, { name, partitions })).status).toBe(201);
  };
  const group = async (id: string): Promise<GroupView> => json<GroupView>(await fetch(`${b.url}/admin/groups/${id}`));
  const produce = async (topic: string, partitions: number, prefix: string, count: number): Promise<void> => {
    const records = Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}`, partition: i % partitions }));
    expect((await post(`${b.url}/topics/${topic}/records?format=string`, { records })).status).toBe(200);
  };

  it('a kafkajs consumer and an HTTP consumer instance in one group split the partitions and read their own', async () => {
    await createTopic('mx', 4);
    const base = `${b.url}/consumers/mx-group/instances/h1`;
    expect((await post(`${b.url}/consumers/mx-group`, { name: 'h1', format: 'string', 'auto.offset.reset': 'earliest' })).status).toBe(201);
    expect((await post(`${base}/subscription`, { topics: ['mx'] })).status).toBe(204);

    const httpSeen: { partition: number; value: string }[] = [];
    let polling = true;
    // Reading drives the HTTP member (as a poll drives a Kafka consumer): keep polling in the background.
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${base}/records?timeout=200`);
        if (res.status === 200) httpSeen.push(...(await json<{ partition: number; value: string }[]>(res)));
        else await sleep(100);
      }
    })();

    const kafka = new Kafka({ clientId: 'mixed-e2e', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'mx-group', sessionTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
    const kafkajsSeen: { partition: number; value: string }[] = [];
    let kafkajsAssignment: number[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => (kafkajsAssignment = [...(e.payload.memberAssignment['mx'] ?? [])].sort()));
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'mx', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => void kafkajsSeen.push({ partition, value: message.value!.toString() }) });

      const split = await eventually(async () => {
        const g = await group('mx-group');
        if (g.state !== 'Stable' || g.members.length !== 2) return undefined;
        const kinds = g.members.map((m) => m.client_kind).sort();
        const http = g.members.find((m) => m.client_kind === 'http')!.assignment.map((a) => a.partition).sort();
        const wire = g.members.find((m) => m.client_kind === 'kafka')!.assignment.map((a) => a.partition).sort();
        return http.length === 2 && wire.length === 2 && kafkajsAssignment.join() === wire.join() ? { g, kinds, http, wire } : undefined;
      }, 45_000, 'a stable group of one kafkajs and one HTTP member, two partitions each');
      expect(split.kinds).toEqual(['http', 'kafka']);
      expect(split.g.protocol).toBe('RoundRobinAssigner');
      expect([...split.http, ...split.wire].sort()).toEqual([0, 1, 2, 3]);

      await produce('mx', 4, 'mixed', 40);
      await eventually(() => (httpSeen.length + kafkajsSeen.length >= 40 ? true : undefined), 30_000, '40 records across both members');
      expect(httpSeen.every((r) => split.http.includes(r.partition))).toBe(true);
      expect(kafkajsSeen.every((r) => split.wire.includes(r.partition))).toBe(true);
      expect(httpSeen.length).toBe(20);
      expect(kafkajsSeen.length).toBe(20);
      expect([...httpSeen, ...kafkajsSeen].map((r) => r.value).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `mixed-${i}`).sort());
    } finally {
      polling = false;
      await poller;
      await consumer.disconnect();
      await fetch(base, { method: 'DELETE' });
    }
  });

  it('kcat produce -> WebSocket subscriber; a kcat -G member and a WebSocket group subscription split a topic', async () => {
    await createTopic('mw', 2);
    const ws = await WsClient.open(b.url);
    let member: ChildProcess | undefined;
    try {
      ws.send({ op: 'subscribe', id: 's1', topic: 'mw', from: 'earliest', format: 'string' });
      await ws.reply('subscribed', 's1');
      const lines = Array.from({ length: 10 }, (_, i) => `k${i}:kcat-${i}`);
      const produced = await kcat(port, ['-P', '-t', 'mw', '-K', ':'], `${lines.join('\n')}\n`);
      expect(produced.code).toBe(0);
      const pushed = await ws.records('s1', 10);
      expect(pushed.map((r: Frame) => `${r.key}:${r.value}`).sort()).toEqual([...lines].sort());

      // Groups: the WebSocket member first (it takes both partitions), then kcat joins and gets one.
      ws.send({ op: 'subscribe', id: 'g1', topic: 'mw', group: 'mw-group', from: 'earliest', format: 'string' });
      await ws.reply('subscribed', 'g1');
      member = spawn('kcat', ['-b', `127.0.0.1:${port}`, '-G', 'mw-group', '-X', 'auto.offset.reset=earliest', '-X', 'heartbeat.interval.ms=200', '-q', '-u', '-f', '%p %s\\n', 'mw'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const split = await eventually(async () => {
        const g = await group('mw-group');
        if (g.state !== 'Stable' || g.members.length !== 2) return undefined;
        const kinds = g.members.map((m) => m.client_kind).sort();
        const sizes = g.members.map((m) => m.assignment.length);
        return sizes.every((n) => n === 1) ? { g, kinds } : undefined;
      }, 45_000, 'a stable group of one kcat and one WebSocket member, one partition each');
      expect(split.kinds).toEqual(['kafka', 'ws']);
    } finally {
      if (member !== undefined && member.exitCode === null) {
        const exited = new Promise((r) => member!.once('exit', r));
        member.kill('SIGTERM');
        await exited;
      }
      await ws.close();
    }
  });
});
