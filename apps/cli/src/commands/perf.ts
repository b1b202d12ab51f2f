/**
 * `runnel perf produce|consume`: kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh over
 * the HTTP API, printing the same summary lines.
 *
 * produce: records of --record-size random upper-case letters (as Kafka's tool), sent in batches
 * of --batch-records with up to --inflight requests at once, paced to --throughput records/s (-1:
 * as fast as possible). A record's latency is its request's round trip (send to reply); every
 * record of a batch gets the batch's latency, so percentiles are over records, as in Kafka.
 * consume: reads every partition from the start until --messages records arrived, and prints
 * Kafka's CSV line; with --group it reads as a group member (from the group's committed offsets) and
 * times the join as rebalance.time.ms.
 */
import { Command } from 'commander';
import { randomInt } from 'node:crypto';
import {
  PERF_ASSIGNMENT_CHECK_MS,
  PERF_BATCH_RECORDS_DEFAULT,
  PERF_CONSUME_TIMEOUT_MS_DEFAULT,
  PERF_INFLIGHT_DEFAULT,
  PERF_INFLIGHT_MAX,
  PERF_PAYLOADS,
  PERF_RECORD_BYTES_MAX,
  PERF_REPORT_INTERVAL_MS,
  READ_RECORDS_LIMIT,
  BROKER_RECORDS_PER_REQUEST_MAX,
} from '../constants';
import { CliError, UsageError } from '../errors';
import { choiceArg, contextOf, enc, intArg, out, printJson, progressBar, examples } from '../output';
import { ConsumedRecord, followPartition, pollInstance, ReadReply, untilFirstFailure, withConsumerInstance } from '../reading';
import { topicPath, TopicDescription } from './topics';

const MB = 1024 * 1024;

/** Latencies of groups of records (one group per request): percentiles weighted by record count. */
export class LatencyStats {
  private readonly latencies: number[] = [];
  private readonly counts: number[] = [];
  records = 0;
  bytes = 0;
  private latencySum = 0;
  maxMs = 0;

  add(latencyMs: number, records: number, bytes: number): void {
    this.latencies.push(latencyMs);
    this.counts.push(records);
    this.records += records;
    this.bytes += bytes;
    this.latencySum += latencyMs * records;
    if (latencyMs > this.maxMs) this.maxMs = latencyMs;
  }

  avgMs(): number {
    return this.records === 0 ? 0 : this.latencySum / this.records;
  }

  /** The latency at or below which `fraction` of the records were acknowledged. */
  percentiles(fractions: number[]): number[] {
    const order = this.latencies.map((_, i) => i).sort((a, b) => this.latencies[a]! - this.latencies[b]!);
    return fractions.map((f) => {
      if (this.records === 0) return 0;
      const rank = Math.max(1, Math.ceil(f * this.records));
      let seen = 0;
      for (const i of order) {
        seen += this.counts[i]!;
        if (seen >= rank) return this.latencies[i]!;
      }
      return this.maxMs;
    });
  }
}

function randomPayload(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += String.fromCharCode(65 + randomInt(26));
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Kafka's "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency" (+ percentiles in the summary). */
export function produceSummary(stats: LatencyStats, elapsedMs: number, withPercentiles: boolean): string {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const line = `${stats.records} records sent, ${(stats.records / seconds).toFixed(1)} records/sec (${(stats.bytes / MB / seconds).toFixed(2)} MB/sec), ${stats.avgMs().toFixed(2)} ms avg latency, ${stats.maxMs.toFixed(2)} ms max latency`;
  if (!withPercentiles) return `${line}.`;
  const [p50, p95, p99, p999] = stats.percentiles([0.5, 0.95, 0.99, 0.999]).map((v) => Math.round(v));
  return `${line}, ${p50} ms 50th, ${p95} ms 95th, ${p99} ms 99th, ${p999} ms 99.9th.`;
}

interface PerfProduceOptions {
  topic: string;
  records: number;
  recordSize: number;
  throughput: number;
  batchRecords: number;
  inflight: number;
  acks: 'all' | '1' | '0';
}

interface PerfConsumeOptions {
  topic: string;
  messages: number;
  timeoutMs: number;
  fetchRecords: number;
  group?: string;
}

function timestampText(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

function base64Bytes(v: unknown): number {
  if (typeof v !== 'string') return 0;
  const pad = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
  return (v.length * 3) / 4 - pad;
}

export function registerPerf(program: Command): void {
  const perf = program.command('perf').description('throughput and latency tests (kafka-producer-perf-test.sh, kafka-consumer-perf-test.sh)');

  perf
    .command('produce')
    .description('produce --records records of --record-size bytes and print throughput and latency percentiles')
    .addHelpText('after', examples('runnel perf produce --topic perf --records 100000 --record-size 100 --throughput -1', 'runnel perf produce --topic perf --records 10000 --record-size 1000 --throughput 2000 --acks 1'))
    .requiredOption('-t, --topic <topic>', 'topic (auto-created when the broker allows)')
    .requiredOption('-n, --records <n>', 'records to send', intArg(1))
    .requiredOption('--record-size <bytes>', 'bytes per record value', intArg(1, PERF_RECORD_BYTES_MAX))
    .option('--throughput <n>', 'records/s to aim at; -1 = as fast as possible', intArg(-1), -1)
    .option('--batch-records <n>', 'records per request', intArg(1, BROKER_RECORDS_PER_REQUEST_MAX), PERF_BATCH_RECORDS_DEFAULT)
    .option('--inflight <n>', 'requests in flight at once', intArg(1, PERF_INFLIGHT_MAX), PERF_INFLIGHT_DEFAULT)
    .option('--acks <acks>', 'all, 1 or 0', choiceArg(['all', '1', '0'] as const), 'all')
    .action(async (o: PerfProduceOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (o.throughput === 0) throw new UsageError('--throughput 0 would never send; give a positive rate or -1 (unthrottled).');
      const payloads = Array.from({ length: PERF_PAYLOADS }, () => randomPayload(o.recordSize));
      // Throttled runs send smaller batches so the pace is smooth (about 20 requests/s at least).
      const batchRecords = o.throughput > 0 ? Math.max(1, Math.min(o.batchRecords, Math.floor(o.throughput / 20))) : o.batchRecords;
      const stats = new LatencyStats();
      const window = { stats: new LatencyStats(), startMs: Date.now() };
      const bar = progressBar('producing |{bar}| {percentage}% {value}/{total} records | {rate} rec/s', o.records, { rate: 0 });
      const startMs = Date.now();
      let queued = 0;
      // A holder, not a `let`: it is set inside callbacks, which control-flow narrowing cannot see.
      const run: { failure: Error | null } = { failure: null };
      const path = `/topics/${enc(o.topic)}/records`;
      const reporter = bar === null && !ctx.json
        ? setInterval(() => {
            out(produceSummary(window.stats, Date.now() - window.startMs, false));
            window.stats = new LatencyStats();
            window.startMs = Date.now();
          }, PERF_REPORT_INTERVAL_MS)
        : null;

      const worker = async (): Promise<void> => {
        while (run.failure === null && queued < o.records) {
          const n = Math.min(batchRecords, o.records - queued);
          const first = queued;
          queued += n;
          if (o.throughput > 0) {
            const dueMs = startMs + (first / o.throughput) * 1000;
            const wait = dueMs - Date.now();
            if (wait > 0) await sleep(wait);
          }
          const records = Array.from({ length: n }, (_, i) => ({ value: payloads[(first + i) % PERF_PAYLOADS]! }));
          const sentMs = performance.now();
          try {
            await ctx.client.post(path, { records }, { query: { format: 'string', acks: o.acks } });
          } catch (e) {
            run.failure ??= e instanceof Error ? e : new Error(String(e));
            return;
          }
          const latencyMs = performance.now() - sentMs;
          stats.add(latencyMs, n, n * o.recordSize);
          window.stats.add(latencyMs, n, n * o.recordSize);
          bar?.update(stats.records, { rate: Math.round(stats.records / (Math.max(1, Date.now() - startMs) / 1000)) });
        }
      };
      try {
        await Promise.all(Array.from({ length: o.inflight }, () => worker()));
      } finally {
        if (reporter !== null) clearInterval(reporter);
        bar?.stop();
      }
      if (run.failure !== null) {
        if (run.failure instanceof CliError) throw new CliError(`${run.failure.message} (after ${stats.records} records were sent)`, run.failure.hint, run.failure.exitCode);
        throw run.failure;
      }
      const elapsedMs = Date.now() - startMs;
      if (ctx.json) {
        const [p50, p95, p99, p999] = stats.percentiles([0.5, 0.95, 0.99, 0.999]);
        return printJson({
          records: stats.records,
          elapsed_ms: elapsedMs,
          records_per_sec: stats.records / (Math.max(elapsedMs, 1) / 1000),
          mb_per_sec: stats.bytes / MB / (Math.max(elapsedMs, 1) / 1000),
          avg_latency_ms: stats.avgMs(),
          max_latency_ms: stats.maxMs,
          p50_ms: p50,
          p95_ms: p95,
          p99_ms: p99,
          p999_ms: p999,
        });
      }
      out(produceSummary(stats, elapsedMs, true));
    });

  perf
    .command('consume')
    .description('read --messages records from every partition as fast as possible and print Kafka\'s consumer perf line')
    .addHelpText('after', examples('runnel perf consume --topic perf --messages 100000'))
    .requiredOption('-t, --topic <topic>', 'topic')
    .requiredOption('-n, --messages <n>', 'records to read', intArg(1))
    .option('--timeout-ms <ms>', 'fail when no record arrives for this long', intArg(1), PERF_CONSUME_TIMEOUT_MS_DEFAULT)
    .option('--fetch-records <n>', 'records per read request (without --group)', intArg(1, READ_RECORDS_LIMIT), READ_RECORDS_LIMIT)
    .option('-g, --group <group>', 'consume as a member of this group (from its committed offsets, else the start), timing the join as rebalance.time.ms')
    .action(async (o: PerfConsumeOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const d = await ctx.client.get<TopicDescription>(topicPath(o.topic));
      const abort = new AbortController();
      const bar = progressBar('consuming |{bar}| {percentage}% {value}/{total} records', o.messages);
      let records = 0;
      let bytes = 0;
      // Null until the first reply: the idle timeout counts from a working connection, not from process start.
      let lastProgressMs: number | null = null;
      const startMs = Date.now();
      const idle = setInterval(() => {
        if (lastProgressMs !== null && Date.now() - lastProgressMs >= o.timeoutMs) abort.abort();
      }, Math.min(100, o.timeoutMs));
      let rebalanceMs = 0;
      const counted = (batch: ConsumedRecord[]): void => {
        lastProgressMs = Date.now();
        if (batch.length === 0) return;
        const take = Math.min(batch.length, o.messages - records);
        for (const r of batch.slice(0, take)) bytes += base64Bytes(r.key) + base64Bytes(r.value);
        records += take;
        bar?.update(records);
        if (records >= o.messages) abort.abort();
      };
      // Reading stops once --messages records were counted: counted() aborts then.
      const read = { start: 'earliest', maxRecords: o.fetchRecords, maxBytes: 8 * MB, format: 'binary', signal: abort.signal } as const;
      const onReply = (reply: ReadReply): void => {
        if (reply.records.length > 0 || lastProgressMs === null) counted(reply.records);
      };
      // --group: a broker-run consumer instance; rebalance.time.ms is subscribe -> first assignment.
      const groupRead = (group: string): Promise<void> =>
        withConsumerInstance(ctx.client, group, { namePrefix: 'runnel-perf', format: 'binary', offsetReset: 'earliest', autoCommit: true }, async (instance) => {
          const joinStartMs = Date.now();
          await ctx.client.post(`${instance}/subscription`, { topics: [o.topic] });
          while (!abort.signal.aborted) {
            const a = await ctx.client.get<{ partitions: unknown[] }>(`${instance}/assignments`);
            if (a.partitions.length > 0) break;
            if (Date.now() - joinStartMs > o.timeoutMs) throw new CliError(`the group "${group}" gave this member no partitions within ${o.timeoutMs} ms.`, 'other members may hold every partition; see `runnel groups describe ' + group + ' --members`.');
            await sleep(PERF_ASSIGNMENT_CHECK_MS);
          }
          rebalanceMs = Date.now() - joinStartMs;
          while (!abort.signal.aborted && records < o.messages) {
            const batch = await pollInstance(ctx.client, instance, 8 * MB, abort.signal);
            if (batch === null) break;
            if (batch.length > 0 || lastProgressMs === null) counted(batch);
          }
          // Commit what the reads returned (as Kafka's tool does with auto commit), then leave.
          await ctx.client.post(`${instance}/offsets`, {}).catch(() => undefined);
        });
      try {
        if (o.group !== undefined) {
          await groupRead(o.group);
        } else {
          await untilFirstFailure(d.partitions.map((p) => followPartition(ctx.client, o.topic, p.partition, read, onReply)), () => abort.abort());
        }
      } finally {
        clearInterval(idle);
        bar?.stop();
      }
      const endMs = Date.now();
      const totalSeconds = Math.max(1, endMs - startMs) / 1000;
      // Kafka's fetch.time.ms is the run minus the rebalance.
      const fetchMs = Math.max(1, endMs - startMs - rebalanceMs);
      const mb = bytes / MB;
      if (ctx.json) {
        printJson({
          start_time: new Date(startMs).toISOString(),
          end_time: new Date(endMs).toISOString(),
          data_consumed_mb: mb,
          mb_per_sec: mb / totalSeconds,
          records,
          records_per_sec: records / totalSeconds,
          rebalance_time_ms: rebalanceMs,
          fetch_time_ms: fetchMs,
          fetch_mb_per_sec: mb / (fetchMs / 1000),
          fetch_records_per_sec: records / (fetchMs / 1000),
        });
      } else {
        out('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
        out(
          [timestampText(startMs), timestampText(endMs), mb.toFixed(4), (mb / totalSeconds).toFixed(4), records, (records / totalSeconds).toFixed(4), rebalanceMs, fetchMs, (mb / (fetchMs / 1000)).toFixed(4), (records / (fetchMs / 1000)).toFixed(4)].join(', '),
        );
      }
      if (records < o.messages) {
        throw new CliError(`only ${records} of ${o.messages} records arrived: none for ${o.timeoutMs} ms.`, `the topic may hold fewer records (see \`runnel offsets ${o.topic}\`); produce more, lower --messages, or raise --timeout-ms.`);
      }
    });
}
