/**
 * `npm run bench:http`: the REST door's hot paths against the built broker (child process), with a
 * bare node:http server measured in the same run by the same load generator (autocannon).
 *
 * Memory state: warm (each scenario runs after a warm-up of the same scenario).
 */
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { ROOT, percentile, startBroker, startChild } from '../common';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const WARMUP_S = 1;
/** A 100-byte record value: a JSON string of 98 characters plus its quotes. */
const VALUE = 'x'.repeat(98);
const SINGLE = JSON.stringify({ value: VALUE });
const BATCH_RECORDS = 500;
const BATCH = JSON.stringify({ records: Array.from({ length: BATCH_RECORDS }, () => ({ value: VALUE })) });

/** This bench's own rounding: integers as they are, no decimals from 100 up, else 3 decimals. */
function print(name: string, value: number, unit: string): void {
  const v = Number.isInteger(value) ? String(value) : value >= 100 ? value.toFixed(0) : value.toFixed(3);
  console.log(`${name}: ${v} ${unit}`);
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, connections: number, body: string | undefined, method: 'POST' | 'GET' = 'POST', durationS = DURATION_S, requests?: autocannon.Request[]): Promise<Load> {
  const opts: autocannon.Options = {
    url,
    connections,
    pipelining: 1,
    duration: durationS,
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body } : {}),
    ...(requests ? { requests } : {}),
  };
  const r = await autocannon(opts);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/**
 * One client, one request at a time over one keep-alive connection, timed per request in µs
 * (autocannon reports whole milliseconds, which reads 0 at one client).
 */
async function sequentialLatency(url: string, body: string, requests = 3000): Promise<{ p50: number; p99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const start = process.hrtime.bigint();
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1000) : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < 300; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) samples.push(await once());
  agent.destroy();
  samples.sort((x, y) => x - y);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function warmAndLoad(url: string, connections: number, body: string | undefined, method: 'POST' | 'GET' = 'POST', requests?: autocannon.Request[]): Promise<Load> {
  await load(url, connections, body, method, WARMUP_S, requests);
  return load(url, connections, body, method, DURATION_S, requests);
}

async function main(): Promise<void> {
  console.log(`# bench:http — ${DURATION_S}s per scenario after a ${WARMUP_S}s warm-up; memory state: warm; root ${ROOT}`);
  const broker = await startBroker({ 'http.records.per.request.max': '10000' });
  const bare = await startChild(['-r', '@swc-node/register', 'bench/http/bare-server.ts'], /BARE on (http:\/\/\S+?) /);
  const bareUrl = bare.match[1]!;
  try {
    await fetch(`${broker.url}/admin/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', partitions: 4 }) });
    await fetch(`${broker.url}/admin/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'read', partitions: 1 }) });

    let bare64 = 0;
    let runnel64acks1 = 0;
    let runnel64acksAll = 0;
    for (const clients of [1, 64]) {
      const b = await warmAndLoad(`${bareUrl}/topics/bench/records`, clients, SINGLE);
      print(`bare_node_produce_single_c${clients}_requests_per_s`, b.rps, 'req/s');
      print(`bare_node_produce_single_c${clients}_p50_latency`, b.p50, 'ms');
      print(`bare_node_produce_single_c${clients}_p99_latency`, b.p99, 'ms');
      if (clients === 64) bare64 = b.rps;
      if (clients === 1) {
        const l = await sequentialLatency(`${bareUrl}/topics/bench/records`, SINGLE);
        print('bare_node_produce_single_c1_p50_latency_us', l.p50, 'us');
        print('bare_node_produce_single_c1_p99_latency_us', l.p99, 'us');
      }
      for (const acks of ['1', 'all']) {
        const r = await warmAndLoad(`${broker.url}/topics/bench/records?acks=${acks}`, clients, SINGLE);
        const tag = `http_produce_single_acks_${acks === '1' ? '1' : 'all'}_c${clients}`;
        print(`${tag}_requests_per_s`, r.rps, 'req/s');
        print(`${tag}_p50_latency`, r.p50, 'ms');
        print(`${tag}_p99_latency`, r.p99, 'ms');
        if (r.errors > 0) print(`${tag}_errors`, r.errors, 'responses');
        if (clients === 1) {
          const l = await sequentialLatency(`${broker.url}/topics/bench/records?acks=${acks}`, SINGLE);
          print(`${tag}_p50_latency_us`, l.p50, 'us');
          print(`${tag}_p99_latency_us`, l.p99, 'us');
        }
        if (clients === 64 && acks === '1') runnel64acks1 = r.rps;
        if (clients === 64 && acks === 'all') runnel64acksAll = r.rps;
      }
    }
    print('http_produce_vs_bare_node_ratio', runnel64acks1 / bare64, '(acks=1, 64 clients)');
    print('http_produce_acks_all_vs_bare_node_ratio', runnel64acksAll / bare64, '(acks=all, 64 clients)');

    for (const acks of ['1', 'all']) {
      const r = await warmAndLoad(`${broker.url}/topics/bench/records?acks=${acks}`, 8, BATCH);
      print(`http_produce_batch500_acks_${acks}_records_per_s`, r.rps * BATCH_RECORDS, 'records/s');
      print(`http_produce_batch500_acks_${acks}_mb_per_s`, (r.rps * BATCH_RECORDS * 100) / 1e6, 'MB/s');
      print(`http_produce_batch500_acks_${acks}_p99_latency`, r.p99, 'ms');
    }

    // Partition reads: preload, then 8 readers each reading 500-record pages at spread offsets.
    const preload = 200_000;
    for (let n = 0; n < preload; n += BATCH_RECORDS) {
      await fetch(`${broker.url}/topics/read/records?acks=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BATCH });
    }
    let next = 0;
    const pages = preload / BATCH_RECORDS;
    const readReq: autocannon.Request = {
      method: 'GET',
      setupRequest: (req) => {
        const page = next++ % pages;
        return { ...req, path: `/topics/read/partitions/0/records?offset=${page * BATCH_RECORDS}&max_records=${BATCH_RECORDS}` };
      },
    };
    const read = await warmAndLoad(`${broker.url}`, 8, undefined, 'GET', [readReq]);
    print('http_partition_read_records_per_s', read.rps * BATCH_RECORDS, 'records/s');
    print('http_partition_read_p99_latency', read.p99, 'ms');

    // Group consume: one consumer instance drains the preloaded topic.
    const base = `${broker.url}/consumers/bench-group`;
    await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'c', 'auto.offset.reset': 'earliest' }) });
    await fetch(`${base}/instances/c/subscription`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topics: ['read'] }) });
    let consumed = 0;
    let started = 0;
    const deadline = Date.now() + 60_000;
    while (consumed < preload && Date.now() < deadline) {
      const res = await fetch(`${base}/instances/c/records?timeout=1000&max_bytes=4194304`);
      const recs = (await res.json()) as unknown[];
      if (recs.length > 0 && started === 0) started = performance.now();
      consumed += recs.length;
    }
    const elapsedS = (performance.now() - started) / 1000;
    print('http_group_consume_records_per_s', consumed / elapsedS, 'records/s');
    await fetch(`${base}/instances/c`, { method: 'DELETE' });
    print('bench_runs_median_of', 1, 'run (run several times and take medians for RESULTS.md)');
  } finally {
    await bare.stop();
    await broker.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
