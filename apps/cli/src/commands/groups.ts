/**
 * `runnel groups list|describe|delete|reset-offsets`: kafka-consumer-groups.sh over the admin API.
 * reset-offsets is a dry run unless --execute is given, as in Kafka, and prints the plan either way.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../errors';
import { contextOf, enc, err, intArg, out, partitionListArg, printJson, printTable, examples } from '../output';

interface GroupListing {
  group_id: string;
  state: string;
  members: number;
  protocol: string;
}

interface GroupMember {
  member_id: string;
  client_id: string;
  client_host: string;
  client_kind: string;
  group_instance_id: string | null;
  assignment: { topic: string; partition: number }[];
}

interface GroupDescription {
  group_id: string;
  state: string;
  protocol_type: string;
  protocol: string;
  generation: number;
  leader: string | null;
  members: GroupMember[];
  offsets: { topic: string; partition: number; committed_offset: number; log_end_offset: number | null; lag: number | null }[];
}

interface ResetPlan {
  group_id: string;
  dry_run: boolean;
  offsets: { topic: string; partition: number; current_offset: number | null; new_offset: number }[];
}

function groupPath(group: string): string {
  return `/admin/groups/${enc(group)}`;
}

/** One row per partition that has a committed offset or an owner, as kafka-consumer-groups.sh --describe prints. */
function offsetRows(d: GroupDescription): (string | number | null)[][] {
  const owner = new Map<string, GroupMember>();
  for (const m of d.members) for (const tp of m.assignment) owner.set(`${tp.topic}\u0000${tp.partition}`, m);
  const rows = new Map<string, (string | number | null)[]>();
  for (const o of d.offsets) {
    const m = owner.get(`${o.topic}\u0000${o.partition}`);
    rows.set(`${o.topic}\u0000${o.partition}`, [d.group_id, o.topic, o.partition, o.committed_offset, o.log_end_offset, o.lag, m?.member_id ?? null, m?.client_id ?? null, m?.client_kind ?? null]);
  }
  for (const [k, m] of owner) {
    if (rows.has(k)) continue;
    const [topic, partition] = k.split('\u0000');
    rows.set(k, [d.group_id, topic!, Number(partition), null, null, null, m.member_id, m.client_id, m.client_kind]);
  }
  return [...rows.values()].sort((a, b) => String(a[1]).localeCompare(String(b[1])) || Number(a[2]) - Number(b[2]));
}

type ResetOptions = {
  group: string;
  topic: string;
  partitions?: number[];
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: number;
  toDatetime?: string;
  shiftBy?: number;
  dryRun?: boolean;
  execute?: boolean;
};

/** The `to` of POST /admin/groups/{g}/reset-offsets from exactly one --to-* / --shift-by flag. */
function resetTarget(opts: ResetOptions, cmd: Command): unknown {
  const given: [string, unknown][] = [];
  if (opts.toEarliest === true) given.push(['--to-earliest', 'earliest']);
  if (opts.toLatest === true) given.push(['--to-latest', 'latest']);
  if (opts.toOffset !== undefined) given.push(['--to-offset', { offset: opts.toOffset }]);
  if (opts.toDatetime !== undefined) {
    const ms = Date.parse(opts.toDatetime);
    if (Number.isNaN(ms)) throw new UsageError(`--to-datetime "${opts.toDatetime}" is not an ISO-8601 date-time; give one like 2026-11-21T14:00:00Z.`, cmd);
    given.push(['--to-datetime', { timestamp: ms }]);
  }
  if (opts.shiftBy !== undefined) given.push(['--shift-by', { shift_by: opts.shiftBy }]);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'say where to reset to: one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO, --shift-by N.'
        : `give only one reset target; got ${given.map(([f]) => f).join(' and ')}.`,
      cmd,
    );
  }
  return given[0]![1];
}

export function registerGroups(program: Command): void {
  const groups = program.command('groups').description('list, describe, delete consumer groups and reset their offsets (kafka-consumer-groups.sh)');

  groups
    .command('list')
    .description('list consumer groups')
    .addHelpText('after', examples('runnel groups list'))
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await ctx.client.get<GroupListing[]>('/admin/groups');
      if (ctx.json) return printJson(list);
      if (list.length === 0) return out('No consumer groups.');
      printTable(['GROUP', 'STATE', 'MEMBERS', 'PROTOCOL'], list.map((g) => [g.group_id, g.state, g.members, g.protocol || null]));
    });

  groups
    .command('describe')
    .description('committed offsets, log end offsets and lag per partition, with the owning members')
    .addHelpText('after', examples('runnel groups describe billing', 'runnel groups describe billing --members'))
    .argument('<group>', 'group id')
    .option('--members', 'list the members (client kind http/ws/kafka, host, assignment) instead of offsets')
    .option('--state', 'show only the group state, protocol, generation and member count')
    .action(async (group: string, opts: { members?: boolean; state?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (opts.members === true && opts.state === true) throw new UsageError('--members and --state show different views; give one.', cmd);
      const d = await ctx.client.get<GroupDescription>(groupPath(group));
      if (ctx.json) return printJson(d);
      if (opts.state === true) {
        printTable(['GROUP', 'STATE', 'PROTOCOL-TYPE', 'PROTOCOL', 'GENERATION', 'MEMBERS'], [[d.group_id, d.state, d.protocol_type || null, d.protocol || null, d.generation, d.members.length]]);
        return;
      }
      if (opts.members === true) {
        if (d.members.length === 0) return out(`Consumer group '${group}' has no active members.`);
        printTable(
          ['GROUP', 'MEMBER-ID', 'CLIENT-ID', 'KIND', 'HOST', 'PARTITIONS', 'ASSIGNMENT'],
          d.members.map((m) => [group, m.member_id, m.client_id, m.client_kind, m.client_host, m.assignment.length, m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(',') || null]),
        );
        return;
      }
      const rows = offsetRows(d);
      if (d.members.length === 0) out(`Consumer group '${group}' has no active members.\n`);
      if (rows.length === 0) return out(`Consumer group '${group}' has no committed offsets and no assigned partitions.`);
      printTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'CLIENT-ID', 'KIND'], rows);
    });

  groups
    .command('delete')
    .description('delete a group without members, and its committed offsets')
    .addHelpText('after', examples('runnel groups delete billing'))
    .argument('<group>', 'group id')
    .action(async (group: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      await ctx.client.delete(groupPath(group));
      if (ctx.json) return printJson({ group_id: group, deleted: true });
      out(`Deleted consumer group '${group}'.`);
    });

  groups
    .command('reset-offsets')
    .description('move a group\'s committed offsets on a topic (the group must have no members); a dry run unless --execute')
    .addHelpText('after', examples('runnel groups reset-offsets --group billing --topic orders --to-earliest', 'runnel groups reset-offsets -g billing -t orders --shift-by -100 --execute', 'runnel groups reset-offsets -g billing -t orders --to-datetime 2026-11-21T14:00:00Z --execute'))
    .requiredOption('-g, --group <group>', 'group id')
    .requiredOption('-t, --topic <topic>', 'topic')
    .option('--partitions <list>', 'only these partitions, e.g. 0,2 (default: all)', partitionListArg)
    .option('--to-earliest', 'to the log start offset')
    .option('--to-latest', 'to the high watermark (skip everything)')
    .option('--to-offset <n>', 'to this offset (clamped to the log bounds)', intArg(0))
    .option('--to-datetime <iso>', 'to the first offset at or after this time, e.g. 2026-11-21T14:00:00Z')
    .option('--shift-by <n>', 'move the current offset by n (negative: back)', intArg(Number.MIN_SAFE_INTEGER))
    .addOption(new Option('--dry-run', 'only print the plan (the default)').conflicts('execute'))
    .option('--execute', 'commit the new offsets')
    .action(async (opts: ResetOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const to = resetTarget(opts, cmd);
      const dryRun = opts.execute !== true;
      const plan = await ctx.client.post<ResetPlan>(`${groupPath(opts.group)}/reset-offsets`, { topic: opts.topic, to, partitions: opts.partitions, dry_run: dryRun });
      if (ctx.json) return printJson(plan);
      printTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'], plan.offsets.map((p) => [plan.group_id, p.topic, p.partition, p.current_offset, p.new_offset]));
      if (dryRun) err('Dry run: nothing was changed. Add --execute to commit these offsets.');
    });
}
