/**
 * kafkajs against the broker, unmodified: the admin client (topics, partitions, configs, offsets,
 * records deletion), a keyed producer landing on Kafka's murmur2 partition, an idempotent producer.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
import { Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { partitionForKey } from '@runnel/records';
import { startTestBroker, TestBroker } from '../helpers/broker';
import { kcat } from './wire-helpers';

describe('kafkajs over the Kafka wire protocol', () => {
  let b: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': 'false' });
    kafka = new Kafka({ clientId: 'runnel-test', brokers: [`127.0.0.1:${b.broker.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } });
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await b.close();
  });

  it('creates, lists, grows and deletes topics', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 2 }, { topic: 'js-b' }], waitForLeaders: true })).toBe(true);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['js-a', 'js-b']));
    // Creating it again: TOPIC_ALREADY_EXISTS, which createTopics reports as false.
    expect(await admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 2 }] })).toBe(false);
    await admin.createPartitions({ topicPartitions: [{ topic: 'js-a', count: 5 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['js-a'] });
    expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3, 4]);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'js-a', count: 3 }] })).rejects.toThrow(/partition/i);
    await admin.deleteTopics({ topics: ['js-b'] });
    expect(await admin.listTopics()).not.toContain('js-b');
    const topics = (await (await fetch(`${b.url}/admin/topics`)).json()) as { name: string }[];
    expect(topics.map((t) => t.name)).not.toContain('js-b');
  });

  it('refuses bad topics with Kafka error codes', async () => {
    await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })] });
    await expect(admin.createTopics({ topics: [{ topic: 'js-zero', numPartitions: 0 }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_PARTITIONS' })] });
    await expect(admin.deleteTopics({ topics: ['no-such-topic'] })).rejects.toThrow();
  });

  it('describes and alters topic configs', async () => {
    await admin.createTopics({ topics: [{ topic: 'js-config', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    const describe = async (): Promise<Record<string, { value: string; isDefault: boolean }>> => {
      const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'js-config' }] });
      return Object.fromEntries(r.resources[0]!.configEntries.map((e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }]));
    };
    let configs = await describe();
    expect(configs['retention.ms']).toEqual({ value: '3600000', isDefault: false });
    expect(configs['cleanup.policy']).toEqual({ value: 'delete', isDefault: true });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'js-config', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    configs = await describe();
    expect(configs['cleanup.policy']).toEqual({ value: 'compact', isDefault: false });
    // AlterConfigs replaces the whole set: retention.ms went back to the default.
    expect(configs['retention.ms']!.isDefault).toBe(true);
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'js-config', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] })).rejects.toThrow();
    const http = (await (await fetch(`${b.url}/admin/topics/js-config`)).json()) as { configs: Record<string, string> };
    expect(http.configs['cleanup.policy']).toBe('compact');
  });

  it('a keyed producer lands on the murmur2 partition; offsets, timestamps and deleteRecords agree', async () => {
    await admin.createTopics({ topics: [{ topic: 'js-keys', numPartitions: 6 }] });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const keys = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const t0 = Date.now();
    const results = await producer.send({ topic: 'js-keys', acks: -1, messages: keys.map((k) => ({ key: k, value: `v-${k}`, timestamp: String(t0) })) });
    await producer.disconnect();
    const perPartition = new Map<number, number>();
    for (const k of keys) {
      const p = partitionForKey(Buffer.from(k), 6);
      perPartition.set(p, (perPartition.get(p) ?? 0) + 1);
    }
    for (const r of results) expect(r.errorCode).toBe(0);
    const offsets = await admin.fetchTopicOffsets('js-keys');
    for (const o of offsets) expect(Number(o.high)).toBe(perPartition.get(o.partition) ?? 0);
    // Every record can be read back over HTTP on the partition murmur2 chose.
    for (const k of keys.slice(0, 5)) {
      const p = partitionForKey(Buffer.from(k), 6);
      const read = (await (await fetch(`${b.url}/topics/js-keys/partitions/${p}/records?offset=0&format=string`)).json()) as { records?: { key: string }[] } | { key: string }[];
      const records = Array.isArray(read) ? read : (read.records ?? []);
      expect(records.map((r) => r.key)).toContain(k);
    }
    const byTime = await admin.fetchTopicOffsetsByTimestamp('js-keys', t0);
    for (const o of byTime) expect(Number(o.offset)).toBe((perPartition.get(o.partition) ?? 0) > 0 ? 0 : -1);
    const busy = [...perPartition.entries()].find(([, n]) => n >= 2)!;
    await admin.deleteTopicRecords({ topic: 'js-keys', partitions: [{ partition: busy[0], offset: '1' }] });
    const after = await admin.fetchTopicOffsets('js-keys');
    expect(after.find((o) => o.partition === busy[0])!.low).toBe('1');
  });

  it('an idempotent producer gets a producer id and its batches carry sequences', async () => {
    await admin.createTopics({ topics: [{ topic: 'js-idem', numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'js-idem', acks: -1, messages: [{ value: `a${i}` }, { value: `b${i}` }] });
    await producer.disconnect();
    const seg = (await (await fetch(`${b.url}/admin/topics/js-idem/partitions/0/segments?records=true`)).json()) as { segments: { batches: { producer_id: number; base_offset: number }[] }[] };
    const batches = seg.segments.flatMap((s) => s.batches);
    expect(batches).toHaveLength(5);
    expect(new Set(batches.map((x) => x.producer_id)).size).toBe(1);
    expect(batches[0]!.producer_id).toBeGreaterThanOrEqual(0);
    const c = await kcat(b.broker.kafkaPort, ['-C', '-t', 'js-idem', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(c.stdout.trim().split('\n')).toEqual(Array.from({ length: 5 }, (_, i) => [`a${i}`, `b${i}`]).flat());
  });
});
