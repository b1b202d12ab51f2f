/**
 * `runnel consume TOPIC`: the console consumer. Follows live records (long-polls) until Ctrl-C,
 * --max-messages or --timeout-ms without records. Two modes:
 * - no group: reads partitions directly (all of them, or --partition P from --offset O), one
 *   long-poll loop per partition; nothing is committed.
 * - --group G: a broker-run consumer instance that joins the group (sharing it with Kafka and
 *   WebSocket members); commits exactly what it printed, and deletes the instance on exit or Ctrl-C so
 *   the group rebalances at once.
 * Records are printed as their value (like Kafka's tool), with --print-* adding fields, or with
 * --json as one JSON object per line.
 */
import { Command } from 'commander';
import { EXIT_INTERRUPTED, READ_BYTES_MAX, READ_RECORDS_MAX } from '../constants';
import { FORMATS, Format, RunnelClient } from '../client';
import { ApiError, UsageError } from '../errors';
import { choiceArg, contextOf, err, intArg, out, examples } from '../output';
import { ConsumedRecord, followPartition, pollInstance, untilFirstFailure, withConsumerInstance } from '../reading';
import { checkPartitions, partitionPath, topicPath, TopicDescription } from './topics';

interface ConsumeOptions {
  fromBeginning?: boolean;
  group?: string;
  partition?: number;
  offset?: string;
  maxMessages?: number;
  timeoutMs?: number;
  printKey?: boolean;
  printHeaders?: boolean;
  printTimestamp?: boolean;
  printPartition?: boolean;
  printOffset?: boolean;
  keySeparator: string;
  format: Format;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One output line, fields in Kafka's console-consumer order: timestamp, partition, offset, headers, key, value. */
export function renderLine(r: ConsumedRecord, o: ConsumeOptions): string {
  const fields: string[] = [];
  if (o.printTimestamp === true) fields.push(`Timestamp:${r.timestamp}`);
  if (o.printPartition === true) fields.push(`Partition:${r.partition}`);
  if (o.printOffset === true) fields.push(`Offset:${r.offset}`);
  if (o.printHeaders === true) fields.push(r.headers.length === 0 ? 'NO_HEADERS' : r.headers.map((h) => `${h.name}:${text(h.value)}`).join(','));
  if (o.printKey === true) fields.push(text(r.key));
  fields.push(text(r.value));
  return fields.join(o.keySeparator);
}

/** Stops every loop at once: Ctrl-C, enough messages, or the idle timeout. */
class Run {
  readonly abort = new AbortController();
  printed = 0;
  /**
   * When the last record was printed; null until the broker first answered, so --timeout-ms counts
   * from a working connection, not from process start (a slow start must not end the run early).
   */
  lastRecordAtMs: number | null = null;
  interrupted = false;

  constructor(private readonly maxMessages: number | undefined) {}

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  stop(): void {
    if (!this.stopped) this.abort.abort();
  }

  /** Prints what fits under --max-messages; returns how many records were printed. */
  emit(records: ConsumedRecord[], render: (r: ConsumedRecord) => string): number {
    this.lastRecordAtMs ??= Date.now();
    let n = 0;
    for (const r of records) {
      if (this.stopped || (this.maxMessages !== undefined && this.printed >= this.maxMessages)) break;
      out(render(r));
      this.printed++;
      n++;
    }
    if (n > 0) this.lastRecordAtMs = Date.now();
    if (this.maxMessages !== undefined && this.printed >= this.maxMessages) this.stop();
    return n;
  }
}

async function consumeWithGroup(client: RunnelClient, topic: string, group: string, o: ConsumeOptions, run: Run, render: (r: ConsumedRecord) => string): Promise<void> {
  const config = { namePrefix: 'runnel-cli', format: o.format, offsetReset: o.fromBeginning === true ? 'earliest' : 'latest', autoCommit: false } as const;
  await withConsumerInstance(client, group, config, async (instance) => {
    await client.post(`${instance}/subscription`, { topics: [topic] });
    while (!run.stopped) {
      const records = await pollInstance(client, instance, READ_BYTES_MAX, run.abort.signal);
      if (records === null) return;
      const n = run.emit(records, render);
      if (n === 0) continue;
      // Commit what was printed, not what was fetched: the next member resumes right after it.
      const next = new Map<string, { topic: string; partition: number; offset: number }>();
      for (const r of records.slice(0, n)) next.set(`${r.topic}\u0000${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
      try {
        await client.post(`${instance}/offsets`, { offsets: [...next.values()] });
      } catch (e) {
        // A rebalance refuses the commit (503); like Kafka's console consumer, warn and go on: at worst the
        // group reads those records again.
        if (!(e instanceof ApiError && e.status === 503)) throw e;
        err(`warning: ${e.message} The printed records may be delivered again.`);
      }
    }
  });
}

export function registerConsume(program: Command): void {
  program
    .command('consume')
    .description('print records as they arrive (kafka-console-consumer.sh); follows until Ctrl-C, --max-messages or --timeout-ms')
    .addHelpText('after', examples('runnel consume orders --from-beginning --print-key --print-timestamp', 'runnel consume orders --group billing --max-messages 10', 'runnel consume orders --partition 0 --offset 42 --json'))
    .argument('<topic>', 'topic')
    .option('--from-beginning', 'start at the earliest offset (default: only new records; with --group: when the group has no committed offset)')
    .option('-g, --group <group>', 'consume as a member of this consumer group, committing what is printed')
    .option('-p, --partition <p>', 'read only this partition (no group)', intArg(0))
    .option('-o, --offset <offset>', 'with --partition: start at this offset, or earliest / latest')
    .option('-n, --max-messages <n>', 'exit after printing this many records', intArg(1))
    .option('--timeout-ms <ms>', 'exit when no record arrived for this long', intArg(1))
    .option('--print-key', 'print the key before the value')
    .option('--print-headers', 'print the headers (name:value,...) before the key')
    .option('--print-timestamp', 'print Timestamp:<ms> first')
    .option('--print-partition', 'print Partition:<p>')
    .option('--print-offset', 'print Offset:<o>')
    .option('--key-separator <sep>', 'separator between the printed fields', '\t')
    .option('-f, --format <format>', 'how keys and values are decoded: string (as stored), json, binary (base64)', choiceArg(FORMATS), 'string')
    .action(async (topic: string, o: ConsumeOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (o.group !== undefined && (o.partition !== undefined || o.offset !== undefined)) throw new UsageError('--group consumes the partitions the group assigns; it cannot be combined with --partition or --offset.', cmd);
      if (o.offset !== undefined && o.partition === undefined) throw new UsageError('--offset needs --partition (an offset belongs to one partition).', cmd);
      if (o.offset !== undefined && o.fromBeginning === true) throw new UsageError('--offset and --from-beginning both say where to start; give one.', cmd);
      if (o.offset !== undefined && !/^(\d+|earliest|latest)$/.test(o.offset)) throw new UsageError(`--offset "${o.offset}" must be a non-negative integer, earliest or latest.`, cmd);

      // Fails early, and clearly, on an unknown topic or partition.
      const d = await ctx.client.get<TopicDescription>(topicPath(topic));
      if (o.partition !== undefined) checkPartitions(topic, d, [o.partition], `see \`runnel topics describe ${topic}\`; grow it with \`runnel topics alter ${topic} --partitions N\`.`);

      const run = new Run(o.maxMessages);
      const render = ctx.json ? (r: ConsumedRecord) => JSON.stringify(r) : (r: ConsumedRecord) => renderLine(r, o);
      const onSigint = (): void => {
        if (run.interrupted) process.exit(EXIT_INTERRUPTED);
        run.interrupted = true;
        run.stop();
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);
      const idle = o.timeoutMs === undefined ? null : setInterval(() => {
        if (run.lastRecordAtMs !== null && Date.now() - run.lastRecordAtMs >= o.timeoutMs!) run.stop();
      }, Math.min(100, o.timeoutMs));
      try {
        if (o.group !== undefined) {
          await consumeWithGroup(ctx.client, topic, o.group, o, run, render);
        } else {
          const start = o.offset ?? (o.fromBeginning === true ? 'earliest' : 'latest');
          const partitions = o.partition !== undefined ? [o.partition] : d.partitions.map((p) => p.partition);
          // Resolve "latest" once per partition up front, so records produced while the loops start are not skipped.
          const starts = await Promise.all(
            partitions.map(async (p) => (start === 'latest' ? String((await ctx.client.get<{ high_watermark: number }>(`${partitionPath(topic, p)}/offsets`)).high_watermark) : start)),
          );
          const read = { maxRecords: READ_RECORDS_MAX, maxBytes: READ_BYTES_MAX, format: o.format, signal: run.abort.signal };
          const loops = partitions.map((p, i) => followPartition(ctx.client, topic, p, { ...read, start: starts[i]! }, (reply) => run.emit(reply.records, render)));
          // One failing loop (e.g. topic deleted) stops the others, then reports.
          await untilFirstFailure(loops, () => run.stop());
        }
      } finally {
        if (idle !== null) clearInterval(idle);
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
        err(`Processed a total of ${run.printed} message${run.printed === 1 ? '' : 's'}`);
      }
    });
}
