/**
 * A full disk, for real: the data dir lives on a small tmpfs (the tests run as root, as CI does).
 * Produce until the disk refuses: the broker answers 507/50701 naming the problem, nothing of the
 * refused request becomes visible, every acknowledged record survives a restart once space is back.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, post, startTestBroker } from '../helpers/broker';

const mount = (dir: string, sizeMb: number, remount = false): void => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `${remount ? 'remount,' : ''}size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`this test mounts a small tmpfs to fill the disk and needs root (as CI runs): ${(e as Error).message}`);
  }
};

describe('full disk', () => {
  it('refuses with 507/50701, appends nothing of the refused request, and keeps every acknowledged record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runnel-full-'));
    mount(dir, 16);
    try {
      let b = await startTestBroker({ 'http.request.bytes.max': String(4 * 1024 * 1024) }, dir);
      await post(`${b.url}/admin/topics`, { name: 'fill', partitions: 1 });
      const value = 'v'.repeat(1000);
      const body = { records: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value, partition: 0 })) };
      let acked = 0;
      let refused: { status: number; body: any } | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const res = await post(`${b.url}/topics/fill/records?acks=all`, body);
        if (res.status === 200) {
          const r = await json(res);
          expect(r.offsets[0].offset).toBe(acked);
          acked += r.offsets.length;
        } else {
          refused = { status: res.status, body: await json(res) };
        }
      }
      expect(refused).toBeDefined();
      expect(refused!.status).toBe(507);
      expect(refused!.body.error_code).toBe(50701);
      expect(refused!.body.message).toMatch(/disk|space/i);
      expect(acked).toBeGreaterThan(0);
      // Nothing of the refused request is visible: the high watermark is exactly what was acknowledged.
      const bounds = await json(await fetch(`${b.url}/topics/fill/partitions/0/offsets`));
      expect(bounds.high_watermark).toBe(acked);
      // A second attempt is refused the same way (the log is not wedged by the failed write).
      const again = await post(`${b.url}/topics/fill/records?acks=all`, body);
      expect(again.status).toBe(507);

      // Space comes back (the operator grows the volume); a stop and restart keeps every acknowledged record.
      mount(dir, 64, true);
      await b.stop();
      b = await startTestBroker({}, dir);
      let offset = 0;
      let seen = 0;
      for (;;) {
        const page = await json(await fetch(`${b.url}/topics/fill/partitions/0/records?offset=${offset}&max_records=10000&max_bytes=8388608`));
        if (page.records.length === 0) break;
        for (const r of page.records) {
          expect(r.offset).toBe(seen);
          expect(r.value).toBe(value);
          seen++;
        }
        offset = page.next_offset;
      }
      expect(seen).toBe(acked);
      const after = await post(`${b.url}/topics/fill/records?acks=all`, { value: 'after', partition: 0 });
      expect(after.status).toBe(200);
      expect((await json(after)).offsets[0].offset).toBe(acked);
      await b.stop();
    } finally {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // already unmounted
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
