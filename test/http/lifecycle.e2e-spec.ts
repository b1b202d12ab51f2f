/**
 * The built server as a user runs it: one process per data dir, clean SIGTERM shutdown, and no
 * acknowledged acks=all record lost to kill -9.
 */
import { rmSync } from 'node:fs';
import { json, post, spawnBroker, tempDir } from '../helpers/broker';

jest.setTimeout(120_000);

describe('broker process lifecycle', () => {
  it('refuses a second start on the same data dir while the first runs, and shuts down cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const first = await spawnBroker(dir);
    try {
      await post(`${first.url}/topics/life/records`, { value: 'hello' });
      const second = spawnBroker(dir);
      await expect(second).rejects.toThrow(/data dir|locked|in use/i);
      expect((await fetch(`${first.url}/ready`)).status).toBe(200);
    } finally {
      first.proc.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/shutting down cleanly/);
    const again = await spawnBroker(dir);
    const got = await json(await fetch(`${again.url}/topics/life/partitions/0/records`));
    expect(got.records.map((r: any) => r.value)).toEqual(['hello']);
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects bad settings at boot with a message naming the setting', async () => {
    const dir = tempDir();
    await expect(spawnBroker(dir, { 'num.partitions': 'many' })).rejects.toThrow(/num\.partitions.*whole number/);
    await expect(spawnBroker(dir, { 'no.such.setting': '1' })).rejects.toThrow(/unknown setting "no\.such\.setting"/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged acks=all record to kill -9', async () => {
    const dir = tempDir();
    const broker = await spawnBroker(dir);
    await post(`${broker.url}/admin/topics`, { name: 'durable', partitions: 2 });
    const acked: { partition: number; offset: number; value: number }[] = [];
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const value = w * 1_000_000 + i;
        try {
          const res = await post(`${broker.url}/topics/durable/records?acks=all`, { value, partition: value % 2 });
          if (res.status !== 200) continue;
          const body = await json(res);
          acked.push({ partition: body.offsets[0].partition, offset: body.offsets[0].offset, value });
        } catch {
          return; // the process is gone
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 1500));
    broker.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await broker.exited;
    expect(acked.length).toBeGreaterThan(50);

    const restarted = await spawnBroker(dir);
    const stored = new Map<string, number>();
    for (const p of [0, 1]) {
      let offset = 0;
      for (;;) {
        const got = await json(await fetch(`${restarted.url}/topics/durable/partitions/${p}/records?offset=${offset}&max_records=10000`));
        for (const r of got.records) stored.set(`${p}:${r.offset}`, r.value);
        if (got.records.length === 0) break;
        offset = got.next_offset;
      }
    }
    const lost = acked.filter((a) => stored.get(`${a.partition}:${a.offset}`) !== a.value);
    expect(lost).toEqual([]);
    restarted.proc.kill('SIGTERM');
    await restarted.exited;
    rmSync(dir, { recursive: true, force: true });
  });
});
