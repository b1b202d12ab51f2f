/**
 * `npm run bench:live`: the live door's figures, as `name: value unit` lines on stdout (notes on
 * method go to stderr).
 *
 * Method:
 * - The broker runs from the sources in a child process (node + @swc-node/register, log level warn,
 *   data in a temp dir, default flush policy); the producer and every subscriber are `ws` clients in
 *   this process, so both sides share one monotonic clock.
 * - Producer: one WebSocket connection sending `produce` ops (acks "1") on a 1 ms tick, each frame
 *   carrying the records due at the target rate; every record's value is {"t": <send time, us>}.
 *   A record is delivered when a subscriber's `records` frame holding it arrives: latency =
 *   arrival - t, for every record at every subscriber (histogram: 10 us buckets to 100 ms, then 1 ms).
 * - Latency scenarios: 1,000 and 10,000 records/s to 1, 100 and 1,000 subscribers (one subscription
 *   each, from latest, on a fresh 1-partition topic), WARMUP_MS then MEASURE_MS each.
 * - Saturation: 100 subscribers; the producer keeps PRODUCE_IN_FLIGHT frames of 1,000 records in
 *   flight for SATURATION_MS; figure = records delivered to all subscribers per second.
 * - Idle connection memory: 1,000 connections, each with one subscription to a quiet topic; the
 *   broker's JS heap after a full GC (through its inspector) plus external memory, and its RSS,
 *   before and after, divided by 1,000.
 * - The machine has 2 cores shared with other work: the subscribers' parsing runs on the same
 *   cores as the broker, so the highest fan-outs measure the pair, not the broker alone.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { note, print } from '../common';

const ROOT = resolve(__dirname, '../..');
const WARMUP_MS = 500;
const MEASURE_MS = 3000;
const SATURATION_MS = 4000;
/** After a scenario, how long the stragglers may take before the next one starts. */
const TAIL_WAIT_MS = 5000;
const PRODUCE_IN_FLIGHT = 4;
const SATURATION_BATCH = 1000;
const IDLE_CONNECTIONS = 1000;
const RATES = [1000, 10_000];
const FANOUTS = [1, 100, 1000];

const T_KEY = Buffer.from('"t":');
const start = process.hrtime.bigint();
const nowUs = (): number => Number(process.hrtime.bigint() - start) / 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Latency histogram: 10 us buckets below 100 ms, 1 ms buckets to 60 s. */
class Histogram {
  private readonly fine = new Float64Array(10_000);
  private readonly coarse = new Float64Array(60_000);
  count = 0;

  add(us: number): void {
    this.count++;
    if (us < 100_000) this.fine[Math.max(0, Math.floor(us / 10))]!++;
    else this.coarse[Math.min(59_999, Math.floor(us / 1000))]!++;
  }

  /** The q-quantile in ms. */
  quantileMs(q: number): number {
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.fine.length; i++) {
      seen += this.fine[i]!;
      if (seen >= target) return ((i + 1) * 10) / 1000;
    }
    for (let i = 100; i < this.coarse.length; i++) {
      seen += this.coarse[i]!;
      if (seen >= target) return i + 1;
    }
    return 60_000;
  }
}

interface Broker {
  proc: ChildProcess;
  url: string;
  inspector: string;
}

function spawnBroker(dataDir: string): Promise<Broker> {
  const proc = spawn(
    process.execPath,
    [...(process.env.LIVE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.LIVE_BENCH_CPU_PROF}`] : []), '--inspect=127.0.0.1:0', '-r', '@swc-node/register', 'apps/broker/src/main.ts', '--data-dir', dataDir, '--http-port', '0', '--kafka-port', '0', '--log.level', 'warn', '--group.initial.rebalance.delay.ms', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
  );
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const http = /HTTP on (http:\/\/\S+)/.exec(out);
      const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(out);
      if (http && inspector) {
        proc.stdout.off('data', onData);
        proc.stdout.resume();
        resolvePromise({ proc, url: http[1]!.replace(/[(),]+$/, ''), inspector: inspector[1]! });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (d: Buffer) => {
      onData(d);
      if (/error/i.test(d.toString())) process.stderr.write(d);
    });
    proc.once('exit', (code) => reject(new Error(`broker exited (${code}):\n${out}`)));
  });
}

function collectGarbage(inspector: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const ws = new WebSocket(inspector);
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
    ws.on('message', (d) => {
      if ((JSON.parse((d as Buffer).toString()) as { id?: number }).id === 1) {
        ws.close();
        resolvePromise();
      }
    });
    ws.on('error', reject);
  });
}

async function memory(b: Broker): Promise<{ liveBytes: number; rssBytes: number }> {
  await collectGarbage(b.inspector);
  const text = await (await fetch(`${b.url}/metrics`)).text();
  const metric = (name: string): number => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)![1]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${b.proc.pid}/status`, 'utf8'))!;
  return { liveBytes: metric('runnel_process_nodejs_heap_size_used_bytes') + metric('runnel_process_nodejs_external_memory_bytes'), rssBytes: Number(rss[1]) * 1024 };
}

/** CPU time the broker process has used so far (user + system), in seconds, from /proc. */
function brokerCpuSeconds(b: Broker): number {
  const fields = readFileSync(`/proc/${b.proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function createTopic(url: string, name: string): Promise<void> {
  const res = await fetch(`${url}/admin/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, partitions: 1 }) });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false, skipUTF8Validation: true });
  return new Promise((r, reject) => {
    ws.once('open', () => r(ws));
    ws.once('error', reject);
  });
}

/** Subscribes every socket to `topic` under `id` and waits for all `subscribed` replies. */
async function subscribeAll(sockets: WebSocket[], topic: string, id: string): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((r) => {
          const onMessage = (d: Buffer): void => {
            if (d.includes('"subscribed"') && d.includes(`"${id}"`)) {
              ws.off('message', onMessage);
              r();
            }
          };
          ws.on('message', onMessage);
          ws.send(JSON.stringify({ op: 'subscribe', id, topic }));
        }),
    ),
  );
}

function unsubscribeAll(sockets: WebSocket[], id: string): void {
  for (const ws of sockets) ws.send(JSON.stringify({ op: 'unsubscribe', id }));
}

/** Reads every `"t":<us>` in a records frame without decoding it (the clients must stay cheap). */
function forEachT(buf: Buffer, fn: (us: number) => void): void {
  let pos = buf.indexOf(T_KEY);
  while (pos >= 0) {
    let i = pos + T_KEY.length;
    let v = 0;
    let frac = 0;
    let scale = 0;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c >= 48 && c <= 57) {
        if (scale > 0) {
          frac += (c - 48) / scale;
          scale *= 10;
        } else v = v * 10 + (c - 48);
      } else if (c === 46 && scale === 0) scale = 10;
      else break;
    }
    fn(v + frac);
    pos = buf.indexOf(T_KEY, i);
  }
}

async function latencyScenario(b: Broker, producer: WebSocket, subscribers: WebSocket[], rate: number): Promise<void> {
  const topic = `live-bench-${subscribers.length}-${rate}`;
  await createTopic(b.url, topic);
  const id = `lat-${subscribers.length}-${rate}`;
  await subscribeAll(subscribers, topic, id);
  const hist = new Histogram();
  // Records count by when they were sent: every record sent inside the window is measured, however
  // late it arrives (records still missing after the tail wait count at the tail's end, a floor).
  let windowStartUs = Infinity;
  let windowEndUs = Infinity;
  let delivered = 0;
  const listeners = subscribers.map((ws) => {
    const onMessage = (d: Buffer): void => {
      const arrival = nowUs();
      forEachT(d, (t) => {
        delivered++;
        if (t >= windowStartUs && t < windowEndUs) hist.add(arrival - t);
      });
    };
    ws.on('message', onMessage);
    return onMessage;
  });
  let sent = 0;
  let sentInWindow = 0;
  const cpu0 = brokerCpuSeconds(b);
  const t0 = Date.now();
  let seq = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsed = Date.now() - t0;
      if (elapsed >= WARMUP_MS && windowStartUs === Infinity) windowStartUs = nowUs();
      if (elapsed >= WARMUP_MS + MEASURE_MS) {
        windowEndUs = nowUs();
        clearInterval(timer);
        done();
        return;
      }
      const due = Math.floor((elapsed * rate) / 1000) - sent;
      if (due <= 0) return;
      const t = nowUs();
      const records = new Array<{ value: { t: number } }>(due);
      for (let i = 0; i < due; i++) records[i] = { value: { t } };
      producer.send(JSON.stringify({ op: 'produce', id: `p${seq++}`, topic, records, acks: '1' }));
      sent += due;
      if (t >= windowStartUs) sentInWindow += due;
    }, 1);
  });
  const brokerCpuShare = (brokerCpuSeconds(b) - cpu0) / ((Date.now() - t0) / 1000);
  const expected = sent * subscribers.length;
  for (let i = 0; i < TAIL_WAIT_MS / 100 && delivered < expected; i++) await sleep(100);
  const missing = sentInWindow * subscribers.length - hist.count;
  const floorUs = nowUs() - windowEndUs;
  for (let i = 0; i < missing; i++) hist.add(floorUs);
  subscribers.forEach((ws, i) => ws.off('message', listeners[i]!));
  unsubscribeAll(subscribers, id);
  const name = `live_latency_${rate}rps_${subscribers.length}sub`;
  print(`${name}_p50`, hist.quantileMs(0.5), 'ms');
  print(`${name}_p99`, hist.quantileMs(0.99), 'ms');
  print(`${name}_p999`, hist.quantileMs(0.999), 'ms');
  note(
    `${name}: broker CPU ${(brokerCpuShare * 100).toFixed(0)}% of a core; ${sent} records produced, ${delivered}/${expected} deliveries; ${hist.count} measured` +
      (missing > 0 ? `, of which ${missing} had not arrived after the ${TAIL_WAIT_MS} ms tail wait (counted at ${(floorUs / 1000).toFixed(0)} ms, a floor)` : ''),
  );
}

async function saturation(b: Broker, producer: WebSocket, subscribers: WebSocket[]): Promise<void> {
  const topic = 'live-bench-saturation';
  await createTopic(b.url, topic);
  note('saturation: subscribing');
  await subscribeAll(subscribers, topic, 'sat');
  note('saturation: producing');
  let delivered = 0;
  const listeners = subscribers.map((ws) => {
    const onMessage = (d: Buffer): void => {
      forEachT(d, () => delivered++);
    };
    ws.on('message', onMessage);
    return onMessage;
  });
  const body = (seq: number): string => JSON.stringify({ op: 'produce', id: `s${seq}`, topic, records: Array.from({ length: SATURATION_BATCH }, () => ({ value: { t: 0 } })), acks: '1' });
  let inFlight = 0;
  let seq = 0;
  let stop = false;
  const frame = body(0);
  const onReply = (d: Buffer): void => {
    if (!d.includes('"produced"')) return;
    inFlight--;
    if (!stop) send();
  };
  const send = (): void => {
    while (inFlight < PRODUCE_IN_FLIGHT) {
      inFlight++;
      seq++;
      producer.send(frame);
    }
  };
  producer.on('message', onReply);
  const before = delivered;
  const cpu0 = brokerCpuSeconds(b);
  const t0 = process.hrtime.bigint();
  send();
  await sleep(SATURATION_MS);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const count = delivered - before;
  const cpuShare = (brokerCpuSeconds(b) - cpu0) / seconds;
  stop = true;
  producer.off('message', onReply);
  await sleep(500);
  subscribers.forEach((ws, i) => ws.off('message', listeners[i]!));
  unsubscribeAll(subscribers, 'sat');
  print('live_saturation_100sub_delivered', count / seconds, 'records/s');
  note(`saturation: broker CPU ${(cpuShare * 100).toFixed(0)}% of a core; ${seq * SATURATION_BATCH} records produced in ${seconds.toFixed(1)} s, ${count} delivered to ${subscribers.length} subscribers`);
}

async function idleMemory(b: Broker): Promise<WebSocket[]> {
  await createTopic(b.url, 'live-bench-idle');
  const before = await memory(b);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < IDLE_CONNECTIONS; i++) sockets.push(await open(b.url));
  await subscribeAll(sockets, 'live-bench-idle', 'idle');
  await sleep(200);
  const after = await memory(b);
  print('live_idle_connection_memory', (after.liveBytes - before.liveBytes) / IDLE_CONNECTIONS, 'bytes');
  print('live_idle_connection_rss', (after.rssBytes - before.rssBytes) / IDLE_CONNECTIONS, 'bytes');
  unsubscribeAll(sockets, 'idle');
  return sockets;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-bench-live-'));
  const b = await spawnBroker(dataDir);
  note(`broker pid ${b.proc.pid} at ${b.url}`);
  try {
    const producer = await open(b.url);
    // Idle memory first (fresh process), and those 1,000 connections serve the fan-outs after.
    const sockets = await idleMemory(b);
    // LIVE_BENCH_ONLY=10000x100,saturation runs only those scenarios (for profiling).
    const only = process.env.LIVE_BENCH_ONLY?.split(',');
    for (const fanout of FANOUTS) {
      for (const rate of RATES) if (!only || only.includes(`${rate}x${fanout}`)) await latencyScenario(b, producer, sockets.slice(0, fanout), rate);
    }
    if (!only || only.includes('saturation')) await saturation(b, producer, sockets.slice(0, 100));
    for (const ws of sockets) ws.terminate();
    producer.terminate();
  } finally {
    b.proc.kill('SIGTERM');
    await new Promise((r) => b.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
