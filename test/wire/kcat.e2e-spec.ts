/**
 * kcat (librdkafka) against the broker, unmodified: metadata, produce with acks 0/1/all and
 * idempotence, consume from the beginning.
 */
import { startTestBroker, TestBroker } from '../helpers/broker';
import { ApiKey } from '@runnel/protocol';
import { kcat, RawClient } from './wire-helpers';

describe('kcat over the Kafka wire protocol', () => {
  let b: TestBroker;
  let port: number;

  beforeAll(async () => {
    b = await startTestBroker({ 'num.partitions': '1' });
    port = b.broker.kafkaPort;
  });
  afterAll(async () => {
    await b.close();
  });

  it('lists metadata: this broker at its advertised address, and the topics', async () => {
    await fetch(`${b.url}/admin/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'meta-topic', partitions: 3 }) });
    const r = await kcat(port, ['-L', '-J']);
    expect(r.code).toBe(0);
    const md = JSON.parse(r.stdout) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: unknown[] }[] };
    expect(md.brokers).toEqual([{ id: 1, name: `localhost:${port}` }]);
    const topic = md.topics.find((t) => t.topic === 'meta-topic');
    expect(topic?.partitions).toHaveLength(3);
  });

  it.each([['0'], ['1'], ['all']])('produces with acks=%s and consumes from the beginning', async (acks) => {
    const topic = `kcat-acks-${acks}`;
    const lines = Array.from({ length: 20 }, (_, i) => `k${i}:value-${acks}-${i}`);
    const p = await kcat(port, ['-P', '-t', topic, '-K', ':', '-X', `acks=${acks}`], `${lines.join('\n')}\n`);
    expect(p.stderr).not.toMatch(/error/i);
    expect(p.code).toBe(0);
    const c = await kcat(port, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k=%s@%o\n']);
    expect(c.code).toBe(0);
    const got = c.stdout.trim().split('\n');
    expect(got).toEqual(lines.map((l, i) => `${l.replace(':', '=')}@${i}`));
  });

  it('produces with enable.idempotence=true', async () => {
    const topic = 'kcat-idempotent';
    const lines = Array.from({ length: 500 }, (_, i) => `idem-${i}`);
    // Small batches, five in flight: many pipelined idempotent requests on one connection, in sequence order.
    const p = await kcat(port, ['-P', '-t', topic, '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'batch.num.messages=10', '-X', 'linger.ms=0', '-X', 'max.in.flight=5'], `${lines.join('\n')}\n`);
    expect(p.code).toBe(0);
    expect(p.stderr).not.toMatch(/error|fatal/i);
    const c = await kcat(port, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(c.stdout.trim().split('\n')).toEqual(lines);
    // The batches carry a producer id (the HTTP segments view shows it).
    const seg = (await (await fetch(`${b.url}/admin/topics/${topic}/partitions/0/segments?records=true`)).json()) as { segments: { batches: { producer_id: number }[] }[] };
    const ids = seg.segments.flatMap((s) => s.batches.map((x) => x.producer_id));
    expect(ids.length).toBeGreaterThan(10);
    expect(new Set(ids).size).toBe(1);
    expect(ids.every((id) => id >= 0)).toBe(true);
  });
});

describe('the Kafka listener and the broker lifecycle', () => {
  it('is up when startBroker returns, on the port RunningBroker reports, and closed (with its connections) on shutdown', async () => {
    const b = await startTestBroker();
    const port = b.broker.kafkaPort;
    expect(port).toBeGreaterThan(0);
    const open = await RawClient.connect(port);
    const versions = await open.request(ApiKey.ApiVersions, 0, {});
    expect(versions.errorCode).toBe(0);
    await b.close();
    expect(await open.waitClosed()).toBe(true);
    await expect(RawClient.connect(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
