/**
 * Flow control: a WebSocket client that reads nothing while 100,000 records (~100 MiB) are
 * produced must not make the server hold them. The broker runs in its own process so its memory
 * is its own.
 *
 * Bounds stated and checked:
 *   - the bytes the server has queued for that connection (runnel_live_send_buffer_bytes_max, the
 *     socket's own count) stay at most SEND_BUFFER_HIGH_WATER_BYTES + FRAME_OUT_BYTES_MAX;
 *   - the broker's live memory (JS heap in use after a full collection, run through the
 *     inspector, plus Buffers outside the heap) grows by less than MEMORY_GROWTH_BYTES_MAX
 *     (24 MiB) while the 100 MiB the client does not read are produced.
 * Then the client reads again and gets every record once, in order: lagging loses nothing.
 */
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { post, tempDir } from '../helpers/broker';
import { FRAME_OUT_BYTES_MAX, SEND_BUFFER_HIGH_WATER_BYTES } from '../../apps/broker/src/live/constants';
import { SourceBroker, spawnSourceBroker } from './child-broker';
import { WsClient, createTopic } from './live-helpers';

jest.setTimeout(120_000);

const RECORDS = 100_000;
const PER_REQUEST = 500;
const VALUE = 'x'.repeat(1024);
const MEMORY_GROWTH_BYTES_MAX = 24 * 1024 * 1024;

let broker: SourceBroker;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir();
  broker = await spawnSourceBroker(dataDir);
});

afterAll(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function bufferedMax(): Promise<number> {
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  const m = /^runnel_live_send_buffer_bytes_max (\d+)/m.exec(text);
  if (!m) throw new Error('runnel_live_send_buffer_bytes_max missing from /metrics');
  return Number(m[1]);
}

/** The broker's live memory: JS heap in use after a full collection, plus Buffers outside the heap. */
async function liveMemoryBytes(): Promise<number> {
  await broker.collectGarbage();
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  const metric = (name: string): number => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)![1]);
  return metric('runnel_process_nodejs_heap_size_used_bytes') + metric('runnel_process_nodejs_external_memory_bytes');
}

async function produceBatch(from: number, count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ value: { n: from + i, pad: VALUE } }));
  const res = await post(`${broker.url}/topics/flow/records?acks=1`, { records });
  if (res.status !== 200) throw new Error(`produce: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

it('a client that reads nothing while 100,000 records are produced does not grow server memory', async () => {
  await createTopic(broker.url, 'flow', 1);
  // Warm up the produce path (JIT, pools) so the baseline is not the cold process.
  for (let i = 0; i < 20; i++) await produceBatch(-20 * PER_REQUEST + i * PER_REQUEST, PER_REQUEST);
  const slow = await WsClient.open(broker.url);
  slow.send({ op: 'subscribe', id: 'slow', topic: 'flow' });
  await slow.reply('subscribed', 'slow');
  // The client stops reading its socket: the kernel buffers fill, then the server's.
  const socket = (slow.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  const before = await liveMemoryBytes();

  let maxBuffered = 0;
  for (let sent = 0; sent < RECORDS; sent += PER_REQUEST) {
    await produceBatch(sent, PER_REQUEST);
    if (sent % (10 * PER_REQUEST) === 0) maxBuffered = Math.max(maxBuffered, await bufferedMax());
  }
  maxBuffered = Math.max(maxBuffered, await bufferedMax());
  const after = await liveMemoryBytes();
  const growth = after - before;
  console.log(
    `flow control: the server queued at most ${maxBuffered} bytes for the slow client; live memory ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB ` +
      `(${growth >= 0 ? '+' : ''}${(growth / 2 ** 20).toFixed(1)} MiB) while ${((RECORDS * VALUE.length) / 2 ** 20).toFixed(0)} MiB of values went unread`,
  );
  // It did fill up (the test measures a real backlog) ...
  expect(maxBuffered).toBeGreaterThan(SEND_BUFFER_HIGH_WATER_BYTES / 2);
  // ... and stayed within the bounds.
  expect(maxBuffered).toBeLessThanOrEqual(SEND_BUFFER_HIGH_WATER_BYTES + FRAME_OUT_BYTES_MAX);
  expect(growth).toBeLessThan(MEMORY_GROWTH_BYTES_MAX);

  // Reading again delivers everything, in order, once.
  socket.resume();
  let expected = 0;
  while (expected < RECORDS) {
    const f = await slow.next((x) => x.type === 'records' && x.id === 'slow', `records from n=${expected}`);
    for (const r of f.records as { value: { n: number } }[]) {
      if (r.value.n !== expected) throw new Error(`expected record n=${expected}, got ${r.value.n}`);
      expected++;
    }
  }
  expect(expected).toBe(RECORDS);
  await slow.close();
});
