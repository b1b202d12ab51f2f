import { json, post, startTestBroker, TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/wait';

jest.setTimeout(90_000);

describe('HTTP consumer groups', () => {
  let b: TestBroker;
  const settings = { 'consumer.instance.timeout.ms': '1500' };
  beforeAll(async () => {
    b = await startTestBroker(settings);
    await post(`${b.url}/admin/topics`, { name: 'work', partitions: 6 });
    await post(`${b.url}/topics/work/records`, { records: Array.from({ length: 60 }, (_, i) => ({ value: i, partition: i % 6 })) });
  });
  afterAll(() => b.close());

  const base = (g: string, id: string): string => `${b.url}/consumers/${g}/instances/${id}`;
  const assignment = async (g: string, id: string): Promise<string[]> => {
    // Reading drives the member (as a poll drives a Kafka consumer) and returns its partitions.
    await fetch(`${base(g, id)}/records?timeout=0`);
    const a = await json(await fetch(`${base(g, id)}/assignments`));
    return a.partitions.map((p: any) => `${p.topic}-${p.partition}`).sort();
  };

  it('creates an instance, reads from earliest and commits', async () => {
    const created = await json(await post(`${b.url}/consumers/solo`, { name: 'c1', 'auto.offset.reset': 'earliest', 'auto.commit.enable': false }));
    expect(created.instance_id).toBe('c1');
    expect(created.base_uri).toMatch(/\/consumers\/solo\/instances\/c1$/);
    const dup = await post(`${b.url}/consumers/solo`, { name: 'c1' });
    expect(dup.status).toBe(409);
    expect((await json(dup)).error_code).toBe(40902);
    expect((await post(`${base('solo', 'c1')}/subscription`, { topics: ['work'] })).status).toBe(204);
    expect((await json(await fetch(`${base('solo', 'c1')}/subscription`))).topics).toEqual(['work']);
    const seen: any[] = [];
    await eventually(async () => {
      const recs = await json(await fetch(`${base('solo', 'c1')}/records?timeout=200`));
      seen.push(...recs);
      return seen.length >= 60 ? true : undefined;
    }, 20_000, 'all 60 records');
    expect(seen).toHaveLength(60);
    expect(new Set(seen.map((r) => `${r.partition}:${r.offset}`)).size).toBe(60);
    expect(seen[0]).toHaveProperty('timestamp');
    expect(seen[0]).toHaveProperty('headers');
    expect((await post(`${base('solo', 'c1')}/offsets`, {})).status).toBe(204);
    const committed = await json(await fetch(`${base('solo', 'c1')}/offsets?partitions=work:0,work:5`));
    expect(committed.offsets).toEqual([
      expect.objectContaining({ topic: 'work', partition: 0, offset: 10 }),
      expect.objectContaining({ topic: 'work', partition: 5, offset: 10 }),
    ]);
    const g = await json(await fetch(`${b.url}/admin/groups/solo`));
    expect(g.members[0]).toMatchObject({ client_kind: 'http' });
    expect(g.offsets).toContainEqual(expect.objectContaining({ topic: 'work', partition: 0, committed_offset: 10, log_end_offset: 10, lag: 0 }));
    expect((await fetch(base('solo', 'c1'), { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(`${base('solo', 'c1')}/records`);
    expect(gone.status).toBe(404);
    expect((await json(gone)).error_code).toBe(40403);
  });

  it('three instances split the partitions and rebalance when one is deleted or expires', async () => {
    for (const id of ['a', 'b', 'c']) {
      await post(`${b.url}/consumers/trio`, { name: id, 'auto.offset.reset': 'earliest' });
      await post(`${base('trio', id)}/subscription`, { topics: ['work'] });
    }
    const split = await eventually(async () => {
      const all = await Promise.all(['a', 'b', 'c'].map((id) => assignment('trio', id)));
      const flat = all.flat();
      return all.every((a) => a.length === 2) && new Set(flat).size === 6 ? all : undefined;
    }, 20_000, 'a 2/2/2 split');
    expect(split.flat().sort()).toEqual(['work-0', 'work-1', 'work-2', 'work-3', 'work-4', 'work-5']);

    expect((await fetch(base('trio', 'c'), { method: 'DELETE' })).status).toBe(204);
    const afterDelete = await eventually(async () => {
      const all = await Promise.all(['a', 'b'].map((id) => assignment('trio', id)));
      return all.every((a) => a.length === 3) && new Set(all.flat()).size === 6 ? all : undefined;
    }, 20_000, 'a 3/3 split after delete');
    expect(afterDelete.flat()).toHaveLength(6);

    // Instance b goes quiet: after consumer.instance.timeout.ms it is removed and a takes everything.
    const all6 = await eventually(async () => {
      const a = await assignment('trio', 'a');
      return a.length === 6 ? a : undefined;
    }, 20_000, 'a to own all partitions after b expires');
    expect(all6).toHaveLength(6);
    const expired = await fetch(`${base('trio', 'b')}/assignments`);
    expect(expired.status).toBe(404);
    const groups = await json(await fetch(`${b.url}/admin/groups`));
    expect(groups).toContainEqual(expect.objectContaining({ group_id: 'trio', members: 1 }));
  });

  it('manual assignment, seeking, and errors for unknown instances and groups', async () => {
    await post(`${b.url}/consumers/manual`, { name: 'm', 'auto.commit.enable': false });
    expect((await post(`${base('manual', 'm')}/assignments`, { partitions: [{ topic: 'work', partition: 2 }] })).status).toBe(204);
    expect((await post(`${base('manual', 'm')}/positions`, { offsets: [{ topic: 'work', partition: 2, offset: 7 }] })).status).toBe(204);
    const recs = await json(await fetch(`${base('manual', 'm')}/records?timeout=500`));
    expect(recs.map((r: any) => r.offset)).toEqual([7, 8, 9]);
    await post(`${base('manual', 'm')}/positions/beginning`, { partitions: [{ topic: 'work', partition: 2 }] });
    const again = await json(await fetch(`${base('manual', 'm')}/records?timeout=500`));
    expect(again[0].offset).toBe(0);
    const badBody = await post(`${base('manual', 'm')}/assignments`, { partitions: [{ topic: 'work', partition: -1 }] });
    expect(badBody.status).toBe(422);
    expect((await fetch(`${b.url}/consumers/manual/instances/zzz/records`)).status).toBe(404);
    const noGroup = await fetch(`${b.url}/admin/groups/never-was`);
    expect(noGroup.status).toBe(404);
    expect((await json(noGroup)).error_code).toBe(40405);
  });

  it('commits survive a restart and reset-offsets is refused while members exist', async () => {
    await post(`${b.url}/consumers/keep`, { name: 'k', 'auto.commit.enable': false });
    await post(`${base('keep', 'k')}/subscription`, { topics: ['work'] });
    await eventually(async () => ((await assignment('keep', 'k')).length === 6 ? true : undefined), 20_000, 'k to own the topic');
    expect((await post(`${base('keep', 'k')}/offsets`, { offsets: [{ topic: 'work', partition: 1, offset: 6 }] })).status).toBe(204);
    const refused = await post(`${b.url}/admin/groups/keep/reset-offsets`, { topic: 'work', to: 'earliest' });
    expect(refused.status).toBe(409);
    expect((await json(refused)).error_code).toBe(40903);
    await fetch(base('keep', 'k'), { method: 'DELETE' });

    await b.stop();
    b = await startTestBroker(settings, b.dataDir);
    const g = await json(await fetch(`${b.url}/admin/groups/keep`));
    expect(g.offsets).toContainEqual(expect.objectContaining({ topic: 'work', partition: 1, committed_offset: 6, lag: 4 }));
    const plan = await json(await post(`${b.url}/admin/groups/keep/reset-offsets`, { topic: 'work', to: { shift_by: -2 }, dry_run: true }));
    expect(plan.offsets).toContainEqual(expect.objectContaining({ topic: 'work', partition: 1, current_offset: 6, new_offset: 4 }));
    const still = await json(await fetch(`${b.url}/admin/groups/keep`));
    expect(still.offsets).toContainEqual(expect.objectContaining({ partition: 1, committed_offset: 6 }));
    await post(`${b.url}/admin/groups/keep/reset-offsets`, { topic: 'work', to: 'latest', partitions: [1] });
    const reset = await json(await fetch(`${b.url}/admin/groups/keep`));
    expect(reset.offsets).toContainEqual(expect.objectContaining({ partition: 1, committed_offset: 10, lag: 0 }));
    expect((await fetch(`${b.url}/admin/groups/keep`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${b.url}/admin/groups/keep`)).status).toBe(404);
  });
});
