import { json, post, startTestBroker, TestBroker } from '../helpers/broker';

describe('Confluent REST compatibility paths', () => {
  let b: TestBroker;
  let clusterId: string;
  beforeAll(async () => {
    b = await startTestBroker();
    await post(`${b.url}/admin/topics`, { name: 'compat', partitions: 2 });
    clusterId = (await json(await fetch(`${b.url}/admin/cluster`))).cluster_id;
  });
  afterAll(() => b.close());

  it('v3: produces one record and answers its delivery report', async () => {
    const res = await post(`${b.url}/v3/clusters/${clusterId}/topics/compat/records`, {
      partition_id: 1,
      headers: [{ name: 'source', value: Buffer.from('docs').toString('base64') }],
      key: { type: 'STRING', data: 'user-1' },
      value: { type: 'JSON', data: { total: 42 } },
    });
    expect(res.status).toBe(200);
    const report = await json(res);
    expect(report).toMatchObject({ error_code: 200, cluster_id: clusterId, topic_name: 'compat', partition_id: 1, offset: 0, key: { type: 'STRING', size: 6 }, value: { type: 'JSON', size: 12 } });
    expect(Number.isNaN(Date.parse(report.timestamp))).toBe(false);
    const got = await json(await fetch(`${b.url}/topics/compat/partitions/1/records`));
    expect(got.records[0]).toMatchObject({ key: 'user-1', value: { total: 42 }, headers: [{ name: 'source', value: 'docs' }] });
  });

  it('v3: concatenated JSON records get one report each, errors inline', async () => {
    const body = [
      { partition_id: 0, value: { type: 'BINARY', data: Buffer.from([1, 2, 3]).toString('base64') } },
      { partition_id: 9, value: { type: 'JSON', data: 1 } },
      { partition_id: 0, value: { type: 'STRING', data: 'two' } },
    ].map((r) => JSON.stringify(r)).join('');
    const res = await post(`${b.url}/v3/clusters/${clusterId}/topics/compat/records`, body);
    expect(res.status).toBe(200);
    const reports = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(reports.map((r) => r.error_code)).toEqual([200, 404, 200]);
    expect(reports[0].offset).toBe(0);
    expect(reports[2].offset).toBe(1);
    const wrongCluster = await post(`${b.url}/v3/clusters/not-ours/topics/compat/records`, { value: { type: 'JSON', data: 1 } });
    expect(wrongCluster.status).toBe(404);
    const badType = await post(`${b.url}/v3/clusters/${clusterId}/topics/compat/records`, { value: { type: 'AVRO', data: 1 } });
    expect(badType.status).toBe(422);
  });

  it('v2: takes {"records": [...]} with the media type choosing the format', async () => {
    const res = await post(`${b.url}/topics/compat`, { records: [{ key: Buffer.from('k').toString('base64'), value: Buffer.from('v').toString('base64'), partition: 0 }] }, { 'content-type': 'application/vnd.kafka.binary.v2+json' });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.offsets).toEqual([{ partition: 0, offset: 2, error_code: null, error: null }]);
    const got = await json(await fetch(`${b.url}/topics/compat/partitions/0/records?offset=2&format=string`));
    expect(got.records[0]).toMatchObject({ key: 'k', value: 'v' });
    const jsonRes = await post(`${b.url}/topics/compat`, { records: [{ value: { a: 1 }, partition: 0 }] }, { 'content-type': 'application/vnd.kafka.json.v2+json' });
    expect((await json(jsonRes)).offsets[0].offset).toBe(3);
  });
});
