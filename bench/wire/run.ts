/**
 * `npm run bench:wire`: the Kafka door's figures and the same work on NATS JetStream and Redis
 * Streams, as `name: value unit` lines on stdout (notes about method go to stderr).
 *
 * Method:
 * - Everything runs on this machine, on loopback, one server at a time: first our broker (a child
 *   process from the TypeScript sources, or from dist/ with BENCH_WIRE_DIST=1, over a temp data
 *   dir), then nats-server, then redis-server, each in its own temp dir. Every phase is bounded in
 *   time and records; every child process and temp dir is removed at the end, also on failure.
 * - Record = 100-byte value, no key. MB/s counts record value bytes (1 MB = 1e6 B).
 * - Lean generator (the figure compared with the peers): raw sockets, prebuilt Produce v7
 *   requests of one 1000-record batch, 4 connections (one partition each) x 4 pipelined requests.
 * - Durability, equivalent on the three servers: acks=1 (in the OS page cache, no fsync per
 *   request; our flush policy by default never fsyncs on acks=1), JetStream's default file store
 *   (written to the OS, synced every 2 minutes), Redis AOF `appendfsync everysec`. Our acks=-1
 *   (group-committed fdatasync before the answer) is printed too, for scale, and not compared.
 * - Peers are driven by their fastest client: a raw NATS text-protocol publisher with async acks
 *   (peers.ts; 8 connections, 8192 messages in flight each) and redis-benchmark pipelining XADD
 *   (4 clients x 64 deep). Those settings were the best of a sweep on this machine (NATS 1-32
 *   connections, Redis 1-50 clients x 16-1000 deep).
 * - `wire_lean_produce_acks1_single_record_requests` sends one record per Produce request (64 in
 *   flight per connection): the per-request cost, comparable to one PUB or one XADD; not a ratio.
 * - Consume: raw Fetch v11 loops (one connection per partition) over everything produced, counting
 *   records from batch headers. Latency: single-record Produce requests one at a time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { note, print } from '../common';
import { Child, LOOPBACK, cleanup, connect, freePort, nowSeconds, quantile, startChild, tempDir } from './common';
import { kafkajsProduce } from './kafkajs-load';
import { LoadFigures, leanProduce, produceLatencies, rawConsume } from './kafka-load';
import { PeerServer, ProduceFigures, RECORD_BYTES, installPeers, natsProduce, redisProduce, startNats, startRedis } from './peers';

const ROOT = resolve(__dirname, '../..');
const MB = 1e6;
const PHASE_MS = Number(process.env.BENCH_WIRE_PHASE_MS ?? 5_000);
const RECORDS_MAX = 10_000_000;
const PARTITIONS = 4;
const CONNECTIONS = 4;
const PIPELINE_DEPTH = 4;
const RECORDS_PER_BATCH = 1_000;
/** In-flight single-record requests per connection (the listener allows 100). */
const SINGLE_RECORD_PIPELINE_DEPTH = 64;
const LATENCY_SAMPLES_MAX = 5_000;
const LATENCY_MS = 3_000;
const KAFKAJS_IN_FLIGHT = 4;
const NATS_CONNECTIONS = 8;
const REDIS_CLIENTS = 4;
const REDIS_PIPELINE = 64;
const REDIS_RECORDS = 1_000_000;
const PEER_TIMEOUT_MS = 120_000;
const CONSUME_TIMEOUT_MS = 120_000;
const BROKER_START_MS = 60_000;

interface Broker {
  child: Child;
  httpUrl: string;
  kafkaPort: number;
}

async function startBrokerProcess(): Promise<Broker> {
  const httpPort = await freePort();
  const kafkaPort = await freePort();
  const dataDir = tempDir('bench-runnel-');
  const settings: Record<string, string> = {
    'data-dir': dataDir,
    'http-port': String(httpPort),
    'kafka-port': String(kafkaPort),
    host: LOOPBACK,
    'kafka.host': LOOPBACK,
    'advertised.host': LOOPBACK,
    'log.level': 'info',
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '4',
  };
  const args = Object.entries(settings).flatMap(([k, v]) => [`--${k}`, v]);
  const dist = resolve(ROOT, 'dist/apps/broker/src/main.js');
  const useDist = process.env.BENCH_WIRE_DIST === '1';
  if (useDist && !existsSync(dist)) throw new Error('dist/apps/broker/src/main.js is missing: run `npm run build` first');
  const command = useDist ? [dist] : ['-r', '@swc-node/register', resolve(ROOT, 'apps/broker/src/main.ts')];
  note(`broker: node ${useDist ? 'dist' : 'sources (swc)'}, data dir ${dataDir}`);
  const child = await startChild(process.execPath, [...command, ...args], /HTTP on/, BROKER_START_MS, { ...process.env, NODE_ENV: 'production' });
  // The HTTP listener opens last; check the Kafka port answers too.
  for (let attempt = 0; ; attempt++) {
    try {
      (await connect(kafkaPort)).destroy();
      break;
    } catch (e) {
      if (attempt > 100) throw e;
      await delay(100);
    }
  }
  return { child, httpUrl: `http://${LOOPBACK}:${httpPort}`, kafkaPort };
}

async function createTopic(httpUrl: string, name: string, partitions: number): Promise<void> {
  const res = await fetch(`${httpUrl}/admin/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, partitions }) });
  if (!res.ok) throw new Error(`create topic ${name}: ${res.status} ${await res.text()}`);
}

async function endOffsets(httpUrl: string, topic: string, partitions: number): Promise<bigint[]> {
  const out: bigint[] = [];
  for (let p = 0; p < partitions; p++) {
    const res = await fetch(`${httpUrl}/topics/${topic}/partitions/${p}/offsets`);
    if (!res.ok) throw new Error(`offsets of ${topic}-${p}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { high_watermark: number };
    out.push(BigInt(body.high_watermark));
  }
  return out;
}

/** The `<prefix>_records_per_second` and `<prefix>_mb_per_second` lines. */
function printRate(prefix: string, recordsPerSecond: number, mbPerSecond: number): void {
  print(`${prefix}_records_per_second`, recordsPerSecond, 'records/s');
  print(`${prefix}_mb_per_second`, mbPerSecond, 'MB/s');
}

function printProduce(prefix: string, figures: LoadFigures): number {
  const recordsPerSecond = figures.records / figures.seconds;
  printRate(prefix, recordsPerSecond, (figures.records * RECORD_BYTES) / MB / figures.seconds);
  return recordsPerSecond;
}

async function benchBroker(): Promise<number> {
  const broker = await startBrokerProcess();
  try {
    await createTopic(broker.httpUrl, 'bench', PARTITIONS);
    await createTopic(broker.httpUrl, 'bench-kafkajs', PARTITIONS);
    await createTopic(broker.httpUrl, 'latency', 1);
    const lean = { port: broker.kafkaPort, topic: 'bench', partitions: PARTITIONS, connections: CONNECTIONS, depth: PIPELINE_DEPTH, recordsPerBatch: RECORDS_PER_BATCH, recordBytes: RECORD_BYTES, durationMs: PHASE_MS, recordsMax: RECORDS_MAX };
    // A short warm-up (JIT, page cache, segment files), not counted.
    await leanProduce({ ...lean, acks: 1, durationMs: 1_000 });
    const leanRate = printProduce('wire_lean_produce_acks1', await leanProduce({ ...lean, acks: 1 }));
    printProduce('wire_lean_produce_acksall', await leanProduce({ ...lean, acks: -1 }));
    // For scale only: one record per Produce request (what NATS and Redis do per message), deeper pipelines.
    printProduce('wire_lean_produce_acks1_single_record_requests', await leanProduce({ ...lean, acks: 1, recordsPerBatch: 1, depth: SINGLE_RECORD_PIPELINE_DEPTH }));

    const ends = await endOffsets(broker.httpUrl, 'bench', PARTITIONS);
    const consumed = await rawConsume(broker.kafkaPort, 'bench', ends, 4 * 1024 * 1024, CONSUME_TIMEOUT_MS);
    const expected = ends.reduce((a, b) => a + Number(b), 0);
    if (consumed.records !== expected) throw new Error(`consumed ${consumed.records} records, expected ${expected}`);
    printRate('wire_raw_consume', consumed.records / consumed.seconds, consumed.bytes / MB / consumed.seconds);

    for (const [name, acks] of [['acks1', 1], ['acksall', -1]] as const) {
      const samples = await produceLatencies(broker.kafkaPort, 'latency', acks, RECORD_BYTES, LATENCY_SAMPLES_MAX, LATENCY_MS);
      print(`wire_produce_latency_${name}_p50`, quantile(samples, 0.5), 'ms');
      print(`wire_produce_latency_${name}_p99`, quantile(samples, 0.99), 'ms');
    }

    const kafkajs = { port: broker.kafkaPort, topic: 'bench-kafkajs', recordsPerBatch: RECORDS_PER_BATCH, recordBytes: RECORD_BYTES, inFlight: KAFKAJS_IN_FLIGHT, durationMs: PHASE_MS, recordsMax: RECORDS_MAX };
    await kafkajsProduce({ ...kafkajs, acks: 1, durationMs: 1_000 }); // warm-up, not counted
    printProduce('wire_kafkajs_produce_acks1', await kafkajsProduce({ ...kafkajs, acks: 1 }));
    printProduce('wire_kafkajs_produce_acksall', await kafkajsProduce({ ...kafkajs, acks: -1 }));
    return leanRate;
  } finally {
    await broker.child.stop();
  }
}

/** Starts a peer server, prints its produce figures as `<prefix>_...` and stops it; resolves with its records/s. */
async function benchPeer(prefix: string, start: () => Promise<PeerServer>, produce: (port: number) => Promise<ProduceFigures>): Promise<number> {
  const server = await start();
  try {
    const figures = await produce(server.port);
    printRate(prefix, figures.recordsPerSecond, (figures.recordsPerSecond * RECORD_BYTES) / MB);
    return figures.recordsPerSecond;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const start = nowSeconds();
  installPeers();
  note(`record ${RECORD_BYTES} B; lean generator: ${CONNECTIONS} connections x ${PIPELINE_DEPTH} pipelined Produce v7 of ${RECORDS_PER_BATCH} records; phases ${PHASE_MS} ms`);
  note('durability compared: wire acks=1 (OS page cache, no fsync) vs JetStream file store default (OS, sync every 2 min) vs Redis AOF everysec');
  const wire = await benchBroker();
  const nats = await benchPeer('nats_jetstream_produce', startNats, (port) => natsProduce(port, NATS_CONNECTIONS, PHASE_MS, RECORDS_MAX));
  const redis = await benchPeer('redis_streams_produce', startRedis, (port) => redisProduce(port, REDIS_CLIENTS, REDIS_PIPELINE, REDIS_RECORDS, PEER_TIMEOUT_MS));
  print('wire_vs_nats_produce_ratio', wire / nats, 'x');
  print('wire_vs_redis_produce_ratio', wire / redis, 'x');
  note(`done in ${(nowSeconds() - start).toFixed(1)} s`);
}

process.once('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.once('SIGTERM', () => {
  cleanup();
  process.exit(143);
});
main()
  .catch((e: unknown) => {
    process.stderr.write(`bench:wire failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(cleanup);
