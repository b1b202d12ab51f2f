import { json, post, startTestBroker, TestBroker } from '../helpers/broker';

// kafkajs's default partitioner is the Java client's murmur2 partitioner: the reference for "the
// partition a Kafka client would choose".
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: string | Buffer) => number;
const kafkaPartition = (key: Buffer, n: number): number => (kafkaMurmur2(key) & 0x7fffffff) % n;

describe('HTTP produce and read', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker({ 'http.records.per.request.max': '100', 'http.request.bytes.max': '65536', 'http.long.poll.ms.max': '5000' });
    await post(`${b.url}/admin/topics`, { name: 'keyed', partitions: 6 });
  });
  afterAll(() => b.close());

  const read = async (topic: string, p: number, query = ''): Promise<any> => {
    const res = await fetch(`${b.url}/topics/${topic}/partitions/${p}/records?offset=0${query}`);
    expect(res.status).toBe(200);
    return json(res);
  };

  it('produces one JSON record (auto-creating the topic) and reads it back', async () => {
    const res = await post(`${b.url}/topics/orders/records`, { key: 'user-1', value: { total: 42 }, headers: [{ name: 'h', value: 'v' }] });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.topic).toBe('orders');
    expect(body.offsets).toHaveLength(1);
    expect(body.offsets[0]).toMatchObject({ partition: 0, offset: 0 });
    const got = await read('orders', 0);
    expect(got.records).toEqual([
      { topic: 'orders', partition: 0, offset: 0, timestamp: body.offsets[0].timestamp, key: 'user-1', value: { total: 42 }, headers: [{ name: 'h', value: 'v' }] },
    ]);
    expect(got.next_offset).toBe(1);
    expect(got.high_watermark).toBe(1);
    expect(got.log_start_offset).toBe(0);
  });

  it('produces a batch in order and answers offsets in request order', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ value: { i }, partition: 0, timestamp: 1_700_000_000_000 + i }));
    const body = await json(await post(`${b.url}/topics/batch/records`, { records }));
    expect(body.offsets.map((o: any) => o.offset)).toEqual(records.map((_, i) => i));
    const got = await read('batch', 0, '&max_records=20');
    expect(got.records.map((r: any) => r.value.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(got.next_offset).toBe(20);
    const rest = await json(await fetch(`${b.url}/topics/batch/partitions/0/records?offset=20&max_records=1000`));
    expect(rest.records.map((r: any) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
    expect(rest.records[0].timestamp).toBe(1_700_000_000_020);
  });

  it('puts keyed records on the partition Kafka\'s Java client (murmur2) would choose', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i * 7919}`);
    const body = await json(await post(`${b.url}/topics/keyed/records?format=string`, { records: keys.map((k) => ({ key: k, value: 'x' })) }));
    const used = new Set<number>();
    keys.forEach((k, i) => {
      // With format=string the key bytes are the UTF-8 string itself.
      expect(body.offsets[i].partition).toBe(kafkaPartition(Buffer.from(k), 6));
      used.add(body.offsets[i].partition);
    });
    expect(used.size).toBeGreaterThan(1);
  });

  it('round-trips string and binary formats, null values and ISO timestamps', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await json(await post(`${b.url}/topics/fmt/records?format=binary`, { key: bytes.toString('base64'), value: bytes.toString('base64') }));
    await json(await post(`${b.url}/topics/fmt/records?format=string`, { key: 'k', value: 'not json {', timestamp: '2024-01-02T03:04:05.000Z' }));
    await json(await post(`${b.url}/topics/fmt/records`, { key: 'tomb' }));
    const asBinary = await read('fmt', 0, '&format=binary');
    expect(asBinary.records[0].value).toBe(bytes.toString('base64'));
    const asJson = await read('fmt', 0);
    // Bytes that are not JSON come back as a JSON string: never dropped.
    expect(asJson.records[1].value).toBe('not json {');
    expect(asJson.records[1].timestamp).toBe(Date.parse('2024-01-02T03:04:05.000Z'));
    expect(asJson.records[2].value).toBeNull();
    expect(typeof asJson.records[0].value).toBe('string');
  });

  it('streams NDJSON: one reply line per record, in order, errors inline', async () => {
    const lines = ['{"value": 1, "partition": 0}', 'not json', '{"value": 2, "partition": 0}', '{"value": 3, "partition": 9}'];
    const res = await fetch(`${b.url}/topics/nd/records`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' });
    expect(res.status).toBe(200);
    const replies = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(replies).toHaveLength(4);
    expect(replies[0]).toMatchObject({ partition: 0, offset: 0 });
    expect(replies[1]).toMatchObject({ error_code: 40001 });
    expect(replies[2]).toMatchObject({ partition: 0, offset: 1 });
    expect(replies[3]).toMatchObject({ error_code: 40402 });
    const got = await read('nd', 0);
    expect(got.records.map((r: any) => r.value)).toEqual([1, 2]);
  });

  it('long-polls: a read waits for the next append and answers at once', async () => {
    await post(`${b.url}/admin/topics`, { name: 'poll', partitions: 1 });
    const started = Date.now();
    const pending = fetch(`${b.url}/topics/poll/partitions/0/records?offset=0&timeout_ms=4000`).then(json);
    await new Promise((r) => setTimeout(r, 150));
    await post(`${b.url}/topics/poll/records`, { value: 'late' });
    const got = await pending;
    expect(got.records.map((r: any) => r.value)).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(4000);
    const empty = await json(await fetch(`${b.url}/topics/poll/partitions/0/records?offset=1&timeout_ms=50`));
    expect(empty.records).toEqual([]);
    expect(empty.next_offset).toBe(1);
  });

  it('answers offsets and offset-for-time lookups', async () => {
    const got = await json(await fetch(`${b.url}/topics/batch/partitions/0/offsets`));
    expect(got).toEqual({ log_start_offset: 0, high_watermark: 50 });
    const at = await json(await fetch(`${b.url}/topics/batch/partitions/0/offsets?timestamp=1700000000010`));
    expect(at).toEqual({ offset: 10 });
    const none = await json(await fetch(`${b.url}/topics/batch/partitions/0/offsets?timestamp=${Date.now() + 1e9}`));
    expect(none).toEqual({ offset: null });
    const latest = await json(await fetch(`${b.url}/topics/batch/partitions/0/records?offset=latest`));
    expect(latest.records).toEqual([]);
    expect(latest.next_offset).toBe(50);
  });

  describe('errors: the contract codes, and nothing appended', () => {
    const hw = async (topic: string, p = 0): Promise<number> => (await json(await fetch(`${b.url}/topics/${topic}/partitions/${p}/offsets`))).high_watermark;

    it('malformed JSON is 400/40001', async () => {
      const res = await post(`${b.url}/topics/orders/records`, '{"value": ');
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body.error_code).toBe(40001);
      expect(body.message).toMatch(/JSON/);
    });

    it('wrong types are 422/42206 naming the field, and a bad record rejects the whole request', async () => {
      const before = await hw('batch');
      const res = await post(`${b.url}/topics/batch/records`, { records: [{ value: 1, partition: 0 }, { value: 2, partition: 'zero' }] });
      expect(res.status).toBe(422);
      const body = await json(res);
      expect(body.error_code).toBe(42206);
      expect(body.message).toContain('records[1].partition');
      expect(await hw('batch')).toBe(before);
      const typo = await json(await post(`${b.url}/topics/batch/records`, { valeu: 1 }));
      expect(typo.error_code).toBe(42206);
      expect(typo.message).toContain('valeu');
      const str = await post(`${b.url}/topics/batch/records?format=string`, { value: { not: 'a string' } });
      expect(str.status).toBe(422);
      const b64 = await post(`${b.url}/topics/batch/records?format=binary`, { value: '***' });
      expect((await json(b64)).error_code).toBe(40001);
      expect(await hw('batch')).toBe(before);
    });

    it('unknown partition is 404/40402; offset past the end is 416 with both bounds', async () => {
      const res = await post(`${b.url}/topics/batch/records`, { value: 1, partition: 7 });
      expect(res.status).toBe(404);
      expect((await json(res)).error_code).toBe(40402);
      const r2 = await fetch(`${b.url}/topics/batch/partitions/3/records`);
      expect((await json(r2)).error_code).toBe(40402);
      const r3 = await fetch(`${b.url}/topics/batch/partitions/0/records?offset=999`);
      expect(r3.status).toBe(416);
      const m = (await json(r3)).message as string;
      expect(m).toContain('0');
      expect(m).toContain('50');
      const r4 = await fetch(`${b.url}/topics/nope-never/partitions/0/records`);
      expect(r4.status).toBe(404);
      expect((await json(r4)).error_code).toBe(40401);
    });

    it('oversized bodies are 413/41301; too many records 413; too long a poll 422', async () => {
      const big = await post(`${b.url}/topics/batch/records`, { value: 'x'.repeat(70_000) });
      expect(big.status).toBe(413);
      expect((await json(big)).error_code).toBe(41301);
      const many = await post(`${b.url}/topics/batch/records`, { records: Array.from({ length: 101 }, () => ({ value: 1 })) });
      expect(many.status).toBe(413);
      expect((await json(many)).message).toContain('http.records.per.request.max');
      const poll = await fetch(`${b.url}/topics/batch/partitions/0/records?timeout_ms=999999`);
      expect(poll.status).toBe(422);
      const bad = await fetch(`${b.url}/topics/batch/partitions/0/records?max_records=abc`);
      expect(bad.status).toBe(422);
      expect((await json(bad)).message).toContain('max_records');
    });
  });
});
