/**
 * One engine, two doors: records produced by kcat (plain and compressed, with keys and headers)
 * read over HTTP, and keys produced over HTTP found by kcat on the partition Kafka's own
 * partitioner (murmur2, as in kafkajs and the Java client) chooses.
 */
import { json, post, startTestBroker, TestBroker } from '../helpers/broker';
import { kcat } from './wire-helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: string | Buffer) => number;
const kafkaPartition = (key: string, n: number): number => (kafkaMurmur2(Buffer.from(key)) & 0x7fffffff) % n;

interface HttpRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: { name: string; value: string }[];
}

describe('kcat and HTTP over one engine', () => {
  let b: TestBroker;
  let port: number;

  const httpRead = async (topic: string, p: number): Promise<HttpRecord[]> => {
    const res = await fetch(`${b.url}/topics/${topic}/partitions/${p}/records?offset=0&format=string&max_records=1000`);
    expect(res.status).toBe(200);
    return (await json<{ records: HttpRecord[] }>(res)).records;
  };

  beforeAll(async () => {
    b = await startTestBroker();
    port = b.broker.kafkaPort;
  });
  afterAll(() => b.close());

  it.each([['none'], ['gzip'], ['snappy'], ['lz4'], ['zstd']])('a record produced by kcat (compression %s) is readable over HTTP', async (codec) => {
    const topic = `from-kcat-${codec}`;
    const lines = Array.from({ length: 10 }, (_, i) => `key-${i}|value-${codec}-${i}`);
    const p = await kcat(port, ['-P', '-t', topic, '-p', '0', '-K', '|', '-z', codec, '-H', 'origin=kcat'], `${lines.join('\n')}\n`);
    expect(p.code).toBe(0);
    const records = await httpRead(topic, 0);
    expect(records.map((r) => [r.offset, r.key, r.value])).toEqual(lines.map((l, i) => [i, ...l.split('|')]));
    expect(records[0]!.headers).toEqual([{ name: 'origin', value: 'kcat' }]);
  });

  it('keys produced over HTTP are on the partition a Kafka client chooses, where kcat reads them', async () => {
    const topic = 'from-http';
    expect((await post(`${b.url}/admin/topics`, { name: topic, partitions: 5 })).status).toBeLessThan(300);
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i}`);
    const res = await post(`${b.url}/topics/${topic}/records?format=string`, { records: keys.map((k) => ({ key: k, value: `order of ${k}` })) });
    expect(res.status).toBe(200);
    for (let p = 0; p < 5; p++) {
      const c = await kcat(port, ['-C', '-t', topic, '-p', String(p), '-o', 'beginning', '-e', '-f', '%k\n']);
      expect(c.code).toBe(0);
      const got = c.stdout.split('\n').filter((l) => l !== '');
      expect(got).toEqual(keys.filter((k) => kafkaPartition(k, 5) === p));
    }
  });

  it('kcat with the murmur2 partitioner puts a key where the HTTP door puts it', async () => {
    const topic = 'same-partition';
    expect((await post(`${b.url}/admin/topics`, { name: topic, partitions: 4 })).status).toBeLessThan(300);
    const keys = Array.from({ length: 20 }, (_, i) => `device-${i}`);
    const p = await kcat(port, ['-P', '-t', topic, '-K', '=', '-X', 'partitioner=murmur2_random'], `${keys.map((k) => `${k}=from-kcat`).join('\n')}\n`);
    expect(p.code).toBe(0);
    const http = await json<{ offsets: { partition: number }[] }>(await post(`${b.url}/topics/${topic}/records?format=string`, { records: keys.map((k) => ({ key: k, value: 'from-http' })) }));
    for (let part = 0; part < 4; part++) {
      const records = await httpRead(topic, part);
      const byKcat = records.filter((r) => r.value === 'from-kcat').map((r) => r.key);
      const byHttp = records.filter((r) => r.value === 'from-http').map((r) => r.key);
      expect(byKcat).toEqual(byHttp);
      expect(byHttp).toEqual(keys.filter((_, i) => http.offsets[i]!.partition === part));
    }
  });
});
