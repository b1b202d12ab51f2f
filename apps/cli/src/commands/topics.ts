/**
 * `runnel topics create|list|describe|alter|delete|delete-records`: kafka-topics.sh (and
 * kafka-delete-records.sh) over the admin API.
 */
import { Command } from 'commander';
import { ApiError, CliError, ERROR_TOPIC_EXISTS, ERROR_TOPIC_NOT_FOUND, UsageError } from '../errors';
import { configArg, collect, contextOf, enc, formatBytes, intArg, out, printJson, printTable, examples } from '../output';

interface TopicListing {
  name: string;
  partitions: number;
  replication_factor: number;
  internal: boolean;
}

interface PartitionDescription {
  partition: number;
  leader: number | null;
  leader_epoch?: number;
  replicas: number[];
  isr: number[];
  log_start_offset: number | null;
  high_watermark: number | null;
  size_bytes: number | null;
}

export interface TopicDescription {
  name: string;
  topic_id?: string;
  internal?: boolean;
  configs: Record<string, string>;
  partitions: PartitionDescription[];
}

export function topicPath(topic: string): string {
  return `/admin/topics/${enc(topic)}`;
}

/** A partition's records API: add `/records` or `/offsets`. */
export function partitionPath(topic: string, partition: number): string {
  return `/topics/${enc(topic)}/partitions/${partition}`;
}

/** Fails, naming the ones that do not exist, unless the described topic has every one of `partitions`. */
export function checkPartitions(topic: string, d: TopicDescription, partitions: number[], hint: string): void {
  const all = d.partitions.map((p) => p.partition);
  const missing = partitions.filter((p) => !all.includes(p));
  if (missing.length > 0) throw new CliError(`topic ${topic} has partitions 0..${all.length - 1}; there is no partition ${missing.join(', ')}.`, hint);
}

function printDescription(d: TopicDescription): void {
  const rf = d.partitions[0]?.replicas.length ?? 0;
  out(`Topic: ${d.name}\tTopicId: ${d.topic_id ?? '-'}\tPartitionCount: ${d.partitions.length}\tReplicationFactor: ${rf}${d.internal === true ? '\tInternal: true' : ''}`);
  printTable(
    ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOG-START-OFFSET', 'HIGH-WATERMARK', 'SIZE'],
    d.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.log_start_offset, p.high_watermark, formatBytes(p.size_bytes)]),
  );
  const configs = Object.entries(d.configs).sort(([a], [b]) => a.localeCompare(b));
  if (configs.length > 0) out(`Configs: ${configs.map(([k, v]) => `${k}=${v}`).join(', ')}`);
}

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description('create, list, describe, alter and delete topics (kafka-topics.sh)');

  topics
    .command('list')
    .description('list topics')
    .addHelpText('after', examples('runnel topics list --exclude-internal', 'runnel --json topics list'))
    .option('--exclude-internal', 'leave out internal topics such as __consumer_offsets')
    .action(async (opts: { excludeInternal?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = (await ctx.client.get<TopicListing[]>('/admin/topics')).filter((t) => !(opts.excludeInternal === true && t.internal));
      if (ctx.json) return printJson(list);
      if (list.length === 0) return out('No topics yet: create one with `runnel topics create NAME`.');
      printTable(['TOPIC', 'PARTITIONS', 'REPLICATION-FACTOR', 'INTERNAL'], list.map((t) => [t.name, t.partitions, t.replication_factor, t.internal]));
    });

  topics
    .command('create')
    .description('create a topic')
    .addHelpText('after', examples('runnel topics create orders --partitions 3 --config retention.ms=86400000 --config cleanup.policy=delete'))
    .argument('<topic>', 'topic name (1-249 characters of a-z A-Z 0-9 . _ -)')
    .option('-p, --partitions <n>', 'number of partitions (default: the broker\'s num.partitions)', intArg(1, 1_000_000))
    .option('-r, --replication-factor <n>', 'replicas per partition (default: the broker\'s default.replication.factor)', intArg(1, 32))
    .option('-c, --config <name=value>', 'a topic config, Kafka names (repeatable), e.g. retention.ms=3600000', configArg)
    .option('--if-not-exists', 'succeed when the topic already exists')
    .action(async (topic: string, opts: { partitions?: number; replicationFactor?: number; config?: Record<string, string>; ifNotExists?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body = { name: topic, partitions: opts.partitions, replication_factor: opts.replicationFactor, configs: opts.config };
      let d: TopicDescription;
      try {
        d = await ctx.client.post<TopicDescription>('/admin/topics', body);
      } catch (e) {
        if (!(e instanceof ApiError && e.errorCode === ERROR_TOPIC_EXISTS)) throw e;
        if (opts.ifNotExists !== true) throw new ApiError(e.status, e.errorCode, e.message, 'add --if-not-exists to accept an existing topic, or `runnel topics describe` it.');
        d = await ctx.client.get<TopicDescription>(topicPath(topic));
        if (ctx.json) return printJson(d);
        return out(`Topic ${topic} already exists (${d.partitions.length} partitions).`);
      }
      if (ctx.json) return printJson(d);
      out(`Created topic ${d.name} with ${d.partitions.length} partition${d.partitions.length === 1 ? '' : 's'}.`);
    });

  topics
    .command('describe')
    .description('partitions (leader, replicas, ISR, offsets, size) and configs of a topic, or of every topic')
    .addHelpText('after', examples('runnel topics describe orders', 'runnel topics describe --exclude-internal'))
    .argument('[topic]', 'topic name (default: every topic)')
    .option('--exclude-internal', 'without a topic: leave out internal topics')
    .action(async (topic: string | undefined, opts: { excludeInternal?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      let names: string[];
      if (topic !== undefined) names = [topic];
      else names = (await ctx.client.get<TopicListing[]>('/admin/topics')).filter((t) => !(opts.excludeInternal === true && t.internal)).map((t) => t.name);
      const descriptions: TopicDescription[] = [];
      for (const name of names) descriptions.push(await ctx.client.get<TopicDescription>(topicPath(name)));
      if (ctx.json) return printJson(topic === undefined ? descriptions : descriptions[0]);
      descriptions.forEach((d, i) => {
        if (i > 0) out();
        printDescription(d);
      });
    });

  topics
    .command('alter')
    .description('change topic configs or grow the partition count')
    .addHelpText('after', examples('runnel topics alter orders --partitions 6', 'runnel topics alter orders --config retention.ms=3600000 --delete-config cleanup.policy'))
    .argument('<topic>', 'topic name')
    .option('-p, --partitions <n>', 'new total partition count (grow only)', intArg(1, 1_000_000))
    .option('-c, --config <name=value>', 'set a topic config (repeatable)', configArg)
    .option('--delete-config <name>', 'remove a config override, back to the broker default (repeatable)', collect)
    .action(async (topic: string, opts: { partitions?: number; config?: Record<string, string>; deleteConfig?: string[] }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (opts.partitions === undefined && opts.config === undefined && opts.deleteConfig === undefined) {
        throw new UsageError('nothing to alter: give --partitions, --config or --delete-config.', cmd);
      }
      const done: string[] = [];
      if (opts.config !== undefined || opts.deleteConfig !== undefined) {
        const body: Record<string, string | null> = { ...opts.config };
        for (const k of opts.deleteConfig ?? []) body[k] = null;
        await ctx.client.patch(`${topicPath(topic)}/configs`, body);
        done.push(`configs ${Object.entries(body).map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`)).join(', ')}`);
      }
      if (opts.partitions !== undefined) {
        await ctx.client.post(`${topicPath(topic)}/partitions`, { count: opts.partitions });
        done.push(`${opts.partitions} partitions`);
      }
      const d = await ctx.client.get<TopicDescription>(topicPath(topic));
      if (ctx.json) return printJson(d);
      out(`Altered topic ${topic}: ${done.join('; ')}.`);
    });

  topics
    .command('delete')
    .description('delete a topic and its data')
    .addHelpText('after', examples('runnel topics delete orders --if-exists'))
    .argument('<topic>', 'topic name')
    .option('--if-exists', 'succeed when the topic does not exist')
    .action(async (topic: string, opts: { ifExists?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      try {
        await ctx.client.delete(topicPath(topic));
      } catch (e) {
        if (!(opts.ifExists === true && e instanceof ApiError && e.errorCode === ERROR_TOPIC_NOT_FOUND)) throw e;
        if (ctx.json) return printJson({ topic, deleted: false });
        return out(`Topic ${topic} does not exist; nothing to delete.`);
      }
      if (ctx.json) return printJson({ topic, deleted: true });
      out(`Deleted topic ${topic}.`);
    });

  topics
    .command('delete-records')
    .description('delete the records before an offset (kafka-delete-records.sh): advances the log start offset')
    .addHelpText('after', examples('runnel topics delete-records orders --partition 0 --before-offset 1000'))
    .argument('<topic>', 'topic name')
    .requiredOption('--partition <p>', 'partition', intArg(0))
    .requiredOption('--before-offset <offset>', 'delete records below this offset (-1: everything up to the high watermark)', intArg(-1))
    .action(async (topic: string, opts: { partition: number; beforeOffset: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const r = await ctx.client.post<{ partitions: { partition: number; low_watermark: number }[] }>(`${topicPath(topic)}/delete-records`, {
        partitions: [{ partition: opts.partition, before_offset: opts.beforeOffset }],
      });
      if (ctx.json) return printJson({ topic, ...r });
      printTable(['TOPIC', 'PARTITION', 'LOW-WATERMARK'], r.partitions.map((p) => [topic, p.partition, p.low_watermark]));
    });
}
