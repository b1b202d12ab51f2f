/**
 * `runnel offsets TOPIC [--time -1|-2|MS]`: GetOffsetShell. -1 (latest) is the high watermark,
 * -2 (earliest) the log start offset, a time (ms or ISO-8601) the first offset whose timestamp is at
 * or after it (none when every record is older).
 */
import { Command, InvalidArgumentError } from 'commander';
import { contextOf, out, partitionListArg, printJson, printTable, examples } from '../output';
import { checkPartitions, partitionPath, topicPath, TopicDescription } from './topics';

type TimeSpec = 'latest' | 'earliest' | number;

export function timeArg(value: string): TimeSpec {
  const v = value.trim();
  if (v === '-1' || v === 'latest') return 'latest';
  if (v === '-2' || v === 'earliest') return 'earliest';
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  const ms = Date.parse(v);
  if (!/^\d/.test(v) || Number.isNaN(ms)) throw new InvalidArgumentError(`"${value}" is not -1 (latest), -2 (earliest), a time in ms since the epoch or an ISO-8601 date-time.`);
  return ms;
}

export function registerOffsets(program: Command): void {
  program
    .command('offsets')
    .description('offsets of each partition of a topic (GetOffsetShell)')
    .addHelpText('after', examples('runnel offsets orders', 'runnel offsets orders --time -2', 'runnel offsets orders --time 2026-11-21T14:00:00Z'))
    .argument('<topic>', 'topic')
    .option('--time <time>', '-1 latest (high watermark), -2 earliest (log start), or a time: ms since the epoch or ISO-8601', timeArg, 'latest' as TimeSpec)
    .option('--partitions <list>', 'only these partitions, e.g. 0,1', partitionListArg)
    .action(async (topic: string, opts: { time: TimeSpec; partitions?: number[] }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const d = await ctx.client.get<TopicDescription>(topicPath(topic));
      const partitions = opts.partitions ?? d.partitions.map((p) => p.partition);
      checkPartitions(topic, d, partitions, `see \`runnel topics describe ${topic}\`.`);
      const rows: { topic: string; partition: number; offset: number | null }[] = [];
      for (const p of partitions) {
        const path = `${partitionPath(topic, p)}/offsets`;
        if (typeof opts.time === 'number') {
          const r = await ctx.client.get<{ offset: number | null }>(path, { query: { timestamp: opts.time } });
          rows.push({ topic, partition: p, offset: r.offset });
        } else {
          const r = await ctx.client.get<{ log_start_offset: number; high_watermark: number }>(path);
          rows.push({ topic, partition: p, offset: opts.time === 'latest' ? r.high_watermark : r.log_start_offset });
        }
      }
      if (ctx.json) return printJson(rows);
      printTable(['TOPIC', 'PARTITION', 'OFFSET'], rows.map((r) => [r.topic, r.partition, r.offset ?? 'none']));
      if (typeof opts.time === 'number' && rows.some((r) => r.offset === null)) out(`(none: no record at or after ${new Date(opts.time).toISOString()} in that partition)`);
    });
}
