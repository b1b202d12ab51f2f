import { json, post, startTestBroker } from '../helpers/broker';

describe('clean shutdown', () => {
  it('finishes in-flight long-polls (woken, not timed out) and keeps every acknowledged record', async () => {
    const b = await startTestBroker({ 'http.long.poll.ms.max': '300000' });
    await post(`${b.url}/admin/topics`, { name: 'drain', partitions: 1 });
    const acked = await json(await post(`${b.url}/topics/drain/records?acks=1`, { records: [{ value: 1 }, { value: 2 }] }));
    expect(acked.offsets.map((o: any) => o.offset)).toEqual([0, 1]);
    // A long-poll that would wait ~5 minutes: shutdown must wake it, not wait for it.
    const poll = fetch(`${b.url}/topics/drain/partitions/0/records?offset=2&timeout_ms=290000`).then(async (r) => ({ status: r.status, body: await json(r) }));
    await new Promise((r) => setTimeout(r, 200));
    await b.stop();
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(answered.body.records).toEqual([]);
    const again = await startTestBroker({}, b.dataDir);
    const got = await json(await fetch(`${again.url}/topics/drain/partitions/0/records?offset=0`));
    expect(got.records.map((r: any) => r.value)).toEqual([1, 2]);
    await again.close();
  });
});
