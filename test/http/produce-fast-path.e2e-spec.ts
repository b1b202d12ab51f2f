/**
 * The produce route's fast path (apps/broker/src/http/produce-fast-path.ts) serves JSON bodies of
 * known length ahead of Fastify; a chunked body of the same bytes goes through Fastify and the
 * ProduceController. Both must answer alike: same status, same body, same headers that matter.
 */
import { request } from 'node:http';
import { ProduceFastPath } from '../../apps/broker/src/http/produce-fast-path';
import { json, post, startTestBroker, TestBroker } from '../helpers/broker';

interface Answer {
  status: number;
  contentType: string | undefined;
  body: any;
}

/** Sends `body` with a content-length (fast path) or chunked (the framework path). */
function send(url: string, body: string, chunked: boolean, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (!chunked) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    if (chunked) {
      // Two writes without a content-length: Node sends transfer-encoding: chunked.
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      req.end(body.slice(half));
    } else {
      req.end(body);
    }
  });
}

describe('produce fast path', () => {
  let b: TestBroker;
  let taken: boolean[];
  let spy: jest.SpyInstance;
  beforeAll(async () => {
    b = await startTestBroker({ 'http.records.per.request.max': '5', 'http.request.bytes.max': '4096' });
    await post(`${b.url}/admin/topics`, { name: 'fast', partitions: 1 });
  });
  beforeEach(() => {
    taken = [];
    const original = ProduceFastPath.prototype.handle;
    spy = jest.spyOn(ProduceFastPath.prototype, 'handle').mockImplementation(function (this: ProduceFastPath, req, res) {
      const served = original.call(this, req, res);
      if (req.method === 'POST') taken.push(served);
      return served;
    });
  });
  afterEach(() => spy.mockRestore());
  afterAll(() => b.close());

  it('serves a JSON body of known length itself, and a chunked one through the framework, with the same answer', async () => {
    const fast = await send(`${b.url}/topics/fast/records?acks=1`, JSON.stringify({ key: 'k', value: { n: 1 } }), false);
    const framework = await send(`${b.url}/topics/fast/records?acks=1`, JSON.stringify({ key: 'k', value: { n: 2 } }), true);
    expect(taken).toEqual([true, false]);
    expect(fast.status).toBe(200);
    expect(framework.status).toBe(200);
    expect(fast.contentType).toBe(framework.contentType);
    expect(fast.body.topic).toBe('fast');
    expect(framework.body.offsets[0].offset).toBe(fast.body.offsets[0].offset + 1);
    const read = await json(await fetch(`${b.url}/topics/fast/partitions/0/records?offset=${fast.body.offsets[0].offset}`));
    expect(read.records.map((r: { value: unknown }) => r.value)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('reads a body of known length that arrives in several pieces', async () => {
    const body = JSON.stringify({ records: [{ value: 'a'.repeat(1000) }, { value: 'b'.repeat(1000) }] });
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request(`${b.url}/topics/fast/records?acks=1`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.on('error', reject);
      req.flushHeaders();
      req.write(body.slice(0, 700));
      setTimeout(() => {
        req.write(body.slice(700, 1500));
        setTimeout(() => req.end(body.slice(1500)), 20);
      }, 20);
    });
    expect(taken).toEqual([true]);
    expect(answer.status).toBe(200);
    expect(answer.body.offsets).toHaveLength(2);
    const read = await json(await fetch(`${b.url}/topics/fast/partitions/0/records?offset=${answer.body.offsets[0].offset}`));
    expect(read.records.map((r: { value: string }) => r.value.length)).toEqual([1000, 1000]);
  });

  const failures: [string, string, string, number, number][] = [
    ['malformed JSON', '', '{"value": ', 400, 40001],
    ['a bad acks value', '?acks=2', '{"value": 1}', 422, 42206],
    ['an unknown format', '?format=xml', '{"value": 1}', 422, 42206],
    ['a partition that does not exist', '', '{"value": 1, "partition": 9}', 404, 40402],
    ['more records than http.records.per.request.max', '', JSON.stringify({ records: Array.from({ length: 6 }, () => ({ value: 1 })) }), 413, 41301],
    ['wrong types', '', '{"records": 5}', 422, 42206],
    ['an invalid topic name', '', '{"value": 1}', 422, 42206],
  ];
  it.each(failures)('answers %s the same way on both paths, appending nothing', async (_what, query, body, status, code) => {
    const topic = _what === 'an invalid topic name' ? 'bad%20name' : 'fast';
    const before = (await json(await fetch(`${b.url}/admin/topics/fast`))).partitions[0].high_watermark;
    const fast = await send(`${b.url}/topics/${topic}/records${query}`, body, false);
    const framework = await send(`${b.url}/topics/${topic}/records${query}`, body, true);
    expect(taken).toEqual([true, false]);
    expect(fast).toEqual(framework);
    expect(fast.status).toBe(status);
    expect(fast.body.error_code).toBe(code);
    const after = (await json(await fetch(`${b.url}/admin/topics/fast`))).partitions[0].high_watermark;
    expect(after).toBe(before);
  });

  it('leaves oversized bodies, other media types and other routes to the framework', async () => {
    const big = await send(`${b.url}/topics/fast/records`, JSON.stringify({ value: 'x'.repeat(5000) }), false);
    expect(big.status).toBe(413);
    expect(big.body.error_code).toBe(41301);
    const binary = await send(`${b.url}/topics/fast/records`, JSON.stringify({ value: Buffer.from('hi').toString('base64') }), false, 'application/vnd.kafka.binary.v2+json');
    expect(binary.status).toBe(200);
    const other = await send(`${b.url}/topics/fast/partitions/0/records`, '{"value": 1}', false);
    expect(other.status).toBe(404);
    expect(taken).toEqual([false, false, false]);
  });

  it('records its requests in the request latency metric, as the framework does', async () => {
    await send(`${b.url}/topics/fast/records?acks=1`, '{"value": 3}', false);
    await send(`${b.url}/topics/fast/records?acks=1`, '{"value": 4}', true);
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('runnel_http_request_duration_seconds_count{') && l.includes('route="/topics/:topic/records"') && l.includes('status="200"'));
    expect(line).toBeDefined();
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThanOrEqual(2);
  });
});
