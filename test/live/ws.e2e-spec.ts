/**
 * The WebSocket door against the real broker (in-process, port 0) with real `ws` clients:
 * ordering, resume with explicit offsets, the request ops, bad frames, limits, groups and liveness.
 */
import { TestBroker, json, startTestBroker } from '../helpers/broker';
import { FRAME_IN_BYTES_MAX, SUBSCRIPTIONS_PER_CONNECTION_MAX, WS_PAYLOAD_BYTES_MAX } from '../../apps/broker/src/live/constants';
import { Frame, WsClient, createTopic, produce } from './live-helpers';

jest.setTimeout(60_000);

let b: TestBroker;
const clients: WsClient[] = [];

async function open(query = '', options = {}): Promise<WsClient> {
  const c = await WsClient.open(b.url, query, options);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  b = await startTestBroker();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await b.close();
});

/** Checks that `records` hold, per partition, exactly the offsets from..to-1 in order. */
function expectContiguous(records: Frame[], expected: Map<number, [from: number, to: number]>): void {
  const byPartition = new Map<number, number[]>();
  for (const r of records) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r.offset);
    byPartition.set(r.partition, list);
  }
  for (const [p, [from, to]] of expected) {
    expect(byPartition.get(p) ?? []).toEqual(Array.from({ length: to - from }, (_, i) => from + i));
  }
  expect([...byPartition.keys()].sort()).toEqual([...expected.keys()].filter((p) => expected.get(p)![1] > expected.get(p)![0]).sort());
}

describe('subscriptions without a group', () => {
  it('pushes records appended after a subscribe from latest, in offset order per partition, each once', async () => {
    await createTopic(b.url, 'ws-order', 3);
    await produce(b.url, 'ws-order', [{ value: 'before', partition: 0 }]);
    const c = await open();
    c.send({ op: 'subscribe', id: 's1', topic: 'ws-order' });
    const sub = await c.reply('subscribed', 's1');
    expect(sub.assignment).toEqual([
      { topic: 'ws-order', partition: 0, offset: 1 },
      { topic: 'ws-order', partition: 1, offset: 0 },
      { topic: 'ws-order', partition: 2, offset: 0 },
    ]);
    // 30 requests of 10 records, keyed so partitions interleave.
    for (let i = 0; i < 30; i++) {
      await produce(
        b.url,
        'ws-order',
        Array.from({ length: 10 }, (_, j) => ({ key: `k${(i * 10 + j) % 7}`, value: { n: i * 10 + j } })),
      );
    }
    const records = await c.records('s1', 300);
    expect(records).toHaveLength(300);
    expect(records.every((r) => r.value.n !== undefined && r.topic === 'ws-order')).toBe(true);
    const counts = new Map<number, number>();
    for (const r of records) counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
    expectContiguous(records, new Map([0, 1, 2].map((p) => [p, [p === 0 ? 1 : 0, (p === 0 ? 1 : 0) + (counts.get(p) ?? 0)]])));
    // The values per key keep their produce order (same key -> same partition -> offset order).
    const perKey = new Map<string, number[]>();
    for (const r of records) perKey.set(r.key, [...(perKey.get(r.key) ?? []), r.value.n]);
    for (const ns of perKey.values()) expect(ns).toEqual([...ns].sort((x, y) => x - y));
  });

  it('reads from earliest, a partition list, an offset and a timestamp', async () => {
    await createTopic(b.url, 'ws-from', 2);
    await produce(b.url, 'ws-from', Array.from({ length: 10 }, (_, i) => ({ value: i, partition: i % 2 })));
    const c = await open();
    c.send({ op: 'subscribe', id: 'e', topic: 'ws-from', from: 'earliest' });
    expect((await c.reply('subscribed', 'e')).assignment.map((a: Frame) => a.offset)).toEqual([0, 0]);
    const all = await c.records('e', 10);
    expect(all.filter((r) => r.partition === 0).map((r) => r.value)).toEqual([0, 2, 4, 6, 8]);
    c.send({ op: 'subscribe', id: 'p1', topic: 'ws-from', partitions: [1], from: { offset: 3 } });
    expect((await c.reply('subscribed', 'p1')).assignment).toEqual([{ topic: 'ws-from', partition: 1, offset: 3 }]);
    expect((await c.records('p1', 2)).map((r) => r.value)).toEqual([7, 9]);
    c.send({ op: 'subscribe', id: 't', topic: 'ws-from', from: { timestamp: 0 } });
    expect((await c.reply('subscribed', 't')).assignment.map((a: Frame) => a.offset)).toEqual([0, 0]);
    expect(await c.records('t', 10)).toHaveLength(10);
  });

  it('resumes after a reconnect with explicit offsets: no gap, no repeat', async () => {
    await createTopic(b.url, 'ws-resume', 2);
    const produced = async (from: number, n: number): Promise<void> => {
      await produce(b.url, 'ws-resume', Array.from({ length: n }, (_, i) => ({ value: from + i, partition: (from + i) % 2 })));
    };
    await produced(0, 40);
    const c1 = await open();
    c1.send({ op: 'subscribe', id: 'r', topic: 'ws-resume', from: 'earliest' });
    const first = await c1.records('r', 40);
    // Keep only a prefix per partition as "seen", as a client that lost its connection mid-stream.
    const seen = first.filter((r) => r.offset < (r.partition === 0 ? 7 : 12));
    await c1.close();
    await produced(40, 20);
    const next: Record<string, number> = {};
    for (const r of seen) next[String(r.partition)] = Math.max(next[String(r.partition)] ?? 0, r.offset + 1);
    const c2 = await open();
    c2.send({ op: 'subscribe', id: 'r', topic: 'ws-resume', from: { offsets: next } });
    expect((await c2.reply('subscribed', 'r')).assignment).toEqual([
      { topic: 'ws-resume', partition: 0, offset: 7 },
      { topic: 'ws-resume', partition: 1, offset: 12 },
    ]);
    const rest = await c2.records('r', 60 - seen.length);
    const values = [...seen, ...rest].map((r) => r.value as number).sort((x, y) => x - y);
    expect(values).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('answers produce, ping and unsubscribe; a record produced over WebSocket reaches subscribers', async () => {
    await createTopic(b.url, 'ws-ops', 1);
    const reader = await open();
    reader.send({ op: 'subscribe', id: 'x', topic: 'ws-ops' });
    await reader.reply('subscribed', 'x');
    const writer = await open();
    writer.send({ op: 'produce', id: 'p1', topic: 'ws-ops', records: [{ key: 'a', value: { hello: 'world' }, headers: [{ name: 'h', value: 'v' }] }] });
    const produced = await writer.reply('produced', 'p1');
    expect(produced.offsets).toEqual([{ partition: 0, offset: 0, timestamp: expect.any(Number) }]);
    const [r] = await reader.records('x', 1);
    expect(r).toEqual({ topic: 'ws-ops', partition: 0, offset: 0, timestamp: produced.offsets[0].timestamp, key: 'a', value: { hello: 'world' }, headers: [{ name: 'h', value: 'v' }] });
    writer.send({ op: 'ping', id: 'z' });
    expect(await writer.reply('pong', 'z')).toEqual({ type: 'pong', id: 'z' });
    reader.send({ op: 'unsubscribe', id: 'x' });
    await reader.reply('unsubscribed', 'x');
    writer.send({ op: 'produce', id: 'p2', topic: 'ws-ops', records: [{ value: 2 }], format: 'json', acks: '1' });
    await writer.reply('produced', 'p2');
    reader.send({ op: 'ping', id: 'after' });
    await reader.reply('pong', 'after');
    expect(reader.frames.filter((f) => f.type === 'records')).toEqual([]);
  });

  it('renders string and binary formats', async () => {
    await createTopic(b.url, 'ws-format', 1);
    const c = await open();
    c.send({ op: 'subscribe', id: 's', topic: 'ws-format', format: 'string' });
    c.send({ op: 'subscribe', id: 'b', topic: 'ws-format', format: 'binary' });
    await c.reply('subscribed', 's');
    await c.reply('subscribed', 'b');
    await produce(b.url, 'ws-format', [{ value: { a: 1 } }]);
    expect((await c.records('s', 1))[0]!.value).toBe('{"a":1}');
    expect((await c.records('b', 1))[0]!.value).toBe(Buffer.from('{"a":1}').toString('base64'));
  });
});

describe('bad frames and limits', () => {
  it('names the problem and keeps the connection for bad requests', async () => {
    await createTopic(b.url, 'ws-bad', 1);
    const c = await open();
    const errorFor = async (frame: unknown, id?: string): Promise<Frame> => {
      c.send(frame);
      return c.next((f) => f.type === 'error' && f.id === id, `an error for ${JSON.stringify(frame)}`);
    };
    expect(await errorFor({ op: 'fly', id: 'u' }, 'u')).toMatchObject({ error_code: 42206, message: expect.stringContaining('unknown op "fly"') });
    expect(await errorFor({ id: 'n' }, 'n')).toMatchObject({ error_code: 42206, message: expect.stringContaining('op is required') });
    expect(await errorFor({ op: 'subscribe', id: 'm' }, 'm')).toMatchObject({ error_code: 42206, message: expect.stringContaining('topic is required') });
    expect(await errorFor({ op: 'subscribe', id: 'nt', topic: 'no-such-topic' }, 'nt')).toMatchObject({ error_code: 40401, message: expect.stringContaining('no-such-topic') });
    expect(await errorFor({ op: 'subscribe', id: 'np', topic: 'ws-bad', partitions: [5] }, 'np')).toMatchObject({ error_code: 40402 });
    expect(await errorFor({ op: 'subscribe', id: 'oor', topic: 'ws-bad', from: { offset: 99 } }, 'oor')).toMatchObject({ error_code: 41601 });
    expect(await errorFor({ op: 'subscribe', id: 'f', topic: 'ws-bad', from: 'yesterday' }, 'f')).toMatchObject({ error_code: 42206, message: expect.stringContaining('from must be') });
    expect(await errorFor({ op: 'subscribe', topic: 'ws-bad' })).toMatchObject({ error_code: 42206, message: expect.stringContaining('id is required') });
    expect(await errorFor({ op: 'produce', id: 'pr', topic: 'ws-bad', records: [{ value: 1, color: 'red' }] }, 'pr')).toMatchObject({ error_code: 42206, message: expect.stringContaining('records[0].color') });
    expect(await errorFor({ op: 'commit', id: 'nope' }, 'nope')).toMatchObject({ error_code: 40403 });
    expect(await errorFor([1, 2])).toMatchObject({ error_code: 42206 });
    c.send({ op: 'subscribe', id: 'dup', topic: 'ws-bad' });
    await c.reply('subscribed', 'dup');
    expect(await errorFor({ op: 'subscribe', id: 'dup', topic: 'ws-bad' }, 'dup')).toMatchObject({ error_code: 40901 });
    expect(await errorFor({ op: 'commit', id: 'dup' }, 'dup')).toMatchObject({ error_code: 42206, message: expect.stringContaining('no group') });
    // Still open and serving.
    c.send({ op: 'ping', id: 'alive' });
    await c.reply('pong', 'alive');
    expect(c.closeCode).toBeNull();
  });

  it('closes the connection after a frame that is not JSON (40001, 1007)', async () => {
    const c = await open();
    c.send('{"op": "subscribe", ');
    expect(await c.reply('error')).toMatchObject({ error_code: 40001, message: expect.stringContaining('not JSON') });
    expect(await c.closed).toBe(1007);
  });

  it('closes the connection after a frame above the frame limit (41301, 1009)', async () => {
    const c = await open();
    c.send(JSON.stringify({ op: 'produce', id: 'big', topic: 'ws-bad', records: [{ value: 'x'.repeat(FRAME_IN_BYTES_MAX) }] }));
    expect(await c.reply('error')).toMatchObject({ error_code: 41301, message: expect.stringContaining(String(FRAME_IN_BYTES_MAX)) });
    expect(await c.closed).toBe(1009);
  });

  it('closes with 1009 a frame above the ws payload limit, without reading it', async () => {
    const c = await open();
    c.ws.on('error', () => undefined);
    c.send('x'.repeat(WS_PAYLOAD_BYTES_MAX + 1));
    expect(await c.closed).toBe(1009);
  });

  it('limits subscriptions per connection (42901) and keeps the connection', async () => {
    await createTopic(b.url, 'ws-limit', 1);
    const c = await open();
    for (let i = 0; i < SUBSCRIPTIONS_PER_CONNECTION_MAX; i++) c.send({ op: 'subscribe', id: `s${i}`, topic: 'ws-limit' });
    for (let i = 0; i < SUBSCRIPTIONS_PER_CONNECTION_MAX; i++) await c.reply('subscribed', `s${i}`);
    c.send({ op: 'subscribe', id: 'one-too-many', topic: 'ws-limit' });
    expect(await c.next((f) => f.type === 'error' && f.id === 'one-too-many')).toMatchObject({ error_code: 42901 });
    await produce(b.url, 'ws-limit', [{ value: 'fan-out' }]);
    for (let i = 0; i < SUBSCRIPTIONS_PER_CONNECTION_MAX; i++) expect((await c.records(`s${i}`, 1))[0]!.value).toBe('fan-out');
  });

  it('refuses a session timeout outside the group bounds', async () => {
    const c = await open('?session_timeout_ms=10');
    expect(await c.reply('error')).toMatchObject({ error_code: 42206, message: expect.stringContaining('session_timeout_ms') });
    expect(await c.closed).toBe(1008);
  });
});

describe('group subscriptions', () => {
  const FAST = '?session_timeout_ms=1500';

  async function assignedUntil(c: WsClient, id: string, pred: (assigned: Frame[]) => boolean): Promise<Frame[]> {
    for (;;) {
      const f = await c.reply('assignment', id);
      if (f.assigned.length > 0 && pred(f.assigned)) return f.assigned;
    }
  }

  it('two members split the partitions, get rebalance pushes, and commit to __consumer_offsets', async () => {
    await createTopic(b.url, 'ws-group', 4);
    await produce(b.url, 'ws-group', Array.from({ length: 8 }, (_, i) => ({ value: i, partition: i % 4 })));
    const a = await open(FAST);
    a.send({ op: 'subscribe', id: 'ga', topic: 'ws-group', group: 'dash', from: 'earliest', auto_commit: false });
    expect((await a.reply('subscribed', 'ga')).assignment).toEqual([]);
    const aAll = await assignedUntil(a, 'ga', (as) => as.length === 4);
    expect(aAll.map((x) => x.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(aAll.every((x) => x.offset === 0)).toBe(true);
    expect((await a.records('ga', 8)).map((r) => r.value).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    a.send({ op: 'commit', id: 'ga' });
    const committed = await a.reply('committed', 'ga');
    expect(committed.offsets.map((o: Frame) => o.offset)).toEqual([2, 2, 2, 2]);
    const group = await json(await fetch(`${b.url}/admin/groups/dash`));
    expect(JSON.stringify(group)).toContain('ws');

    const c = await open(FAST);
    c.send({ op: 'subscribe', id: 'gc', topic: 'ws-group', group: 'dash', auto_commit: false });
    await c.reply('subscribed', 'gc');
    const revoked = await a.next((f) => f.type === 'assignment' && f.id === 'ga' && f.revoked.length === 4, 'revocation');
    expect(revoked.assigned).toEqual([]);
    const aHalf = await assignedUntil(a, 'ga', () => true);
    const cHalf = await assignedUntil(c, 'gc', () => true);
    expect(aHalf).toHaveLength(2);
    expect(cHalf).toHaveLength(2);
    expect([...aHalf, ...cHalf].map((x) => x.partition).sort()).toEqual([0, 1, 2, 3]);
    // The newcomer starts at the committed offsets.
    expect(cHalf.every((x) => x.offset === 2)).toBe(true);

    // Each member gets only its own partitions.
    await produce(b.url, 'ws-group', Array.from({ length: 4 }, (_, p) => ({ value: `second-${p}`, partition: p })));
    const fromA = await a.records('ga', 2);
    const fromC = await c.records('gc', 2);
    expect(fromA.map((r) => r.partition).sort()).toEqual(aHalf.map((x) => x.partition).sort());
    expect(fromC.map((r) => r.partition).sort()).toEqual(cHalf.map((x) => x.partition).sort());

    // Closing a socket leaves the group at once: the other member gets every partition back.
    await c.close();
    const back = await assignedUntil(a, 'ga', (as) => as.length === 4);
    expect(back.map((x) => x.partition).sort()).toEqual([0, 1, 2, 3]);
  });

  it('auto-commits what was delivered when a member leaves', async () => {
    await createTopic(b.url, 'ws-autocommit', 1);
    await produce(b.url, 'ws-autocommit', [{ value: 1 }, { value: 2 }, { value: 3 }]);
    const a = await open(FAST);
    a.send({ op: 'subscribe', id: 'g', topic: 'ws-autocommit', group: 'auto', from: 'earliest' });
    expect(await a.records('g', 3)).toHaveLength(3);
    a.send({ op: 'unsubscribe', id: 'g' });
    await a.reply('unsubscribed', 'g');
    const c = await open(FAST);
    c.send({ op: 'subscribe', id: 'g', topic: 'ws-autocommit', group: 'auto', from: 'earliest' });
    const assigned = await assignedUntil(c, 'g', () => true);
    expect(assigned).toEqual([{ topic: 'ws-autocommit', partition: 0, offset: 3 }]);
  });

  it('terminates a client that does not answer pings, and its membership ends', async () => {
    await createTopic(b.url, 'ws-silent', 2);
    const alive = await open(FAST);
    alive.send({ op: 'subscribe', id: 'g', topic: 'ws-silent', group: 'liveness' });
    await assignedUntil(alive, 'g', (as) => as.length === 2);
    const silent = await open(FAST, { autoPong: false });
    silent.send({ op: 'subscribe', id: 'g', topic: 'ws-silent', group: 'liveness' });
    await assignedUntil(silent, 'g', () => true);
    await assignedUntil(alive, 'g', (as) => as.length === 1);
    // The silent client sends nothing more and never answers pings.
    expect(await silent.closed).toBe(1006);
    const back = await assignedUntil(alive, 'g', (as) => as.length === 2);
    expect(back.map((x) => x.partition).sort()).toEqual([0, 1]);
  });
});
