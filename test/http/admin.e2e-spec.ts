import { json, post, startTestBroker, TestBroker } from '../helpers/broker';

const patch = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('HTTP admin API', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker({ 'auto.create.topics.enable': 'false' });
  });
  afterAll(() => b.close());

  it('describes the cluster', async () => {
    const c = await json(await fetch(`${b.url}/admin/cluster`));
    expect(typeof c.cluster_id).toBe('string');
    expect(c.cluster_id.length).toBeGreaterThan(0);
    expect(c.controller).toBe(1);
    expect(c.brokers).toHaveLength(1);
    expect(c.brokers[0].id).toBe(1);
    // The ports really bound (the test asks for port 0), not the configured 0.
    expect(c.brokers[0].kafka_port).toBe(b.broker.kafkaPort);
    expect(c.brokers[0].kafka_port).toBeGreaterThan(0);
    expect(c.brokers[0].http_port).toBe(Number(new URL(b.url).port));
    expect(typeof c.version).toBe('string');
    // The Kafka APIs served on the wire port (what kafka-broker-api-versions.sh lists).
    expect(c.api_versions).toContainEqual({ api_key: 0, name: 'Produce', min_version: 3, max_version: 9 });
    expect(c.api_versions).toContainEqual(expect.objectContaining({ api_key: 18, name: 'ApiVersions', min_version: 0 }));
  });

  it('creates, lists, describes, alters, grows and deletes a topic', async () => {
    const created = await post(`${b.url}/admin/topics`, { name: 'inventory', partitions: 2, configs: { 'retention.ms': '3600000' } });
    expect(created.status).toBe(201);
    const list = await json(await fetch(`${b.url}/admin/topics`));
    expect(list).toContainEqual({ name: 'inventory', partitions: 2, replication_factor: 1, internal: false });
    expect(list.find((t: any) => t.name === '__consumer_offsets')?.internal).toBe(true);

    await post(`${b.url}/topics/inventory/records`, { value: 1, partition: 1 });
    const d = await json(await fetch(`${b.url}/admin/topics/inventory`));
    expect(d.name).toBe('inventory');
    expect(d.configs['retention.ms']).toBe('3600000');
    expect(d.configs['cleanup.policy']).toBe('delete');
    expect(d.partitions).toHaveLength(2);
    expect(d.partitions[1]).toMatchObject({ partition: 1, leader: 1, replicas: [1], isr: [1], log_start_offset: 0, high_watermark: 1 });
    expect(d.partitions[1].size_bytes).toBeGreaterThan(0);

    const altered = await patch(`${b.url}/admin/topics/inventory/configs`, { 'retention.ms': '7200000', 'cleanup.policy': 'compact' });
    expect(altered.status).toBe(200);
    const d2 = await json(await fetch(`${b.url}/admin/topics/inventory`));
    expect(d2.configs['retention.ms']).toBe('7200000');
    expect(d2.configs['cleanup.policy']).toBe('compact');

    const grown = await post(`${b.url}/admin/topics/inventory/partitions`, { count: 4 });
    expect(grown.status).toBe(201);
    expect((await json(await fetch(`${b.url}/admin/topics/inventory`))).partitions).toHaveLength(4);
    const produced = await json(await post(`${b.url}/topics/inventory/records`, { value: 'new', partition: 3 }));
    expect(produced.offsets[0]).toMatchObject({ partition: 3, offset: 0 });
    const shrink = await post(`${b.url}/admin/topics/inventory/partitions`, { count: 2 });
    expect(shrink.status).toBe(422);
    expect((await json(shrink)).message).toMatch(/4/);

    const del = await fetch(`${b.url}/admin/topics/inventory`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const gone = await fetch(`${b.url}/admin/topics/inventory`);
    expect(gone.status).toBe(404);
    expect((await json(gone)).error_code).toBe(40401);
    const again = await post(`${b.url}/admin/topics`, { name: 'inventory', partitions: 1 });
    expect(again.status).toBe(201);
    const fresh = await json(await fetch(`${b.url}/topics/inventory/partitions/0/records`));
    expect(fresh.records).toEqual([]);
  });

  it('refuses bad topics and configs with errors that name the problem', async () => {
    const exists = await post(`${b.url}/admin/topics`, { name: 'inventory' });
    expect(exists.status).toBe(409);
    expect((await json(exists)).error_code).toBe(40901);
    for (const name of ['bad name', '..', 'x'.repeat(250), 'ü']) {
      const res = await post(`${b.url}/admin/topics`, { name });
      expect(res.status).toBe(422);
      expect((await json(res)).error_code).toBe(42206);
    }
    const unknown = await json(await post(`${b.url}/admin/topics`, { name: 'cfg1', configs: { 'retention.mss': '1' } }));
    expect(unknown.error_code).toBe(42206);
    expect(unknown.message).toContain('retention.mss');
    const range = await json(await post(`${b.url}/admin/topics`, { name: 'cfg2', configs: { 'min.cleanable.dirty.ratio': '7' } }));
    expect(range.message).toContain('min.cleanable.dirty.ratio');
    const rf = await post(`${b.url}/admin/topics`, { name: 'cfg3', replication_factor: 3 });
    expect(rf.status).toBe(422);
    const parts = await post(`${b.url}/admin/topics`, { name: 'cfg4', partitions: 0 });
    expect(parts.status).toBe(422);
    const list = (await json(await fetch(`${b.url}/admin/topics`))).map((t: any) => t.name);
    expect(list).not.toEqual(expect.arrayContaining(['cfg1', 'cfg2', 'cfg3', 'cfg4']));
    const bad = await patch(`${b.url}/admin/topics/inventory/configs`, { 'segment.bytes': 'big' });
    expect(bad.status).toBe(422);
    const missing = await patch(`${b.url}/admin/topics/nope/configs`, { 'retention.ms': '1' });
    expect(missing.status).toBe(404);
    // auto-creation is off here: produce to an unknown topic is 404
    const noTopic = await post(`${b.url}/topics/not-there/records`, { value: 1 });
    expect(noTopic.status).toBe(404);
    expect((await json(noTopic)).error_code).toBe(40401);
  });

  it('deletes records before an offset and shows segments and log dirs', async () => {
    await post(`${b.url}/admin/topics`, { name: 'trim', partitions: 1 });
    await post(`${b.url}/topics/trim/records`, { records: Array.from({ length: 10 }, (_, i) => ({ value: i })) });
    const res = await post(`${b.url}/admin/topics/trim/delete-records`, { partitions: [{ partition: 0, before_offset: 4 }] });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ partitions: [{ partition: 0, low_watermark: 4 }] });
    const got = await json(await fetch(`${b.url}/topics/trim/partitions/0/records?offset=0`));
    expect(got.log_start_offset).toBe(4);
    expect(got.records[0].offset).toBe(4);
    const segs = await json(await fetch(`${b.url}/admin/topics/trim/partitions/0/segments?records=true`));
    expect(segs.segments.length).toBeGreaterThanOrEqual(1);
    expect(segs.segments[0]).toMatchObject({ base_offset: 0 });
    expect(segs.segments[0].size_bytes).toBeGreaterThan(0);
    expect(segs.segments[0].batches[0]).toMatchObject({ base_offset: 0, last_offset: 9, record_count: 10 });
    const dirs = await json(await fetch(`${b.url}/admin/log-dirs`));
    expect(dirs[0].path).toBe(b.dataDir);
    expect(dirs[0].partitions).toContainEqual(expect.objectContaining({ topic: 'trim', partition: 0, log_start_offset: 4, log_end_offset: 10 }));
  });

  it('serves health, readiness, metrics, Swagger UI and the OpenAPI document', async () => {
    expect((await fetch(`${b.url}/health`)).status).toBe(200);
    const ready = await fetch(`${b.url}/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toContain('runnel_produce_records_total');
    expect(metrics).toMatch(/runnel_partition_size_bytes\{topic="trim",partition="0"\} \d+/);
    expect(metrics).toContain('runnel_http_request_duration_seconds_bucket');
    const docs = await fetch(`${b.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const doc = await json(await fetch(`${b.url}/openapi.json`));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/topics/{topic}/records', '/admin/topics', '/consumers/{group}']));
    const unknownRoute = await fetch(`${b.url}/no/such/route`);
    expect(unknownRoute.status).toBe(404);
  });
});
