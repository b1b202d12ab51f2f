import { AssignmentChange, ErrorCode, ManagedMember, TopicPartition } from '@runnel/coordinator';
import type { PartitionLog } from '@runnel/storage';
import { DomainError, DomainErrorKind, invalid, partitionNotFound } from '../core/errors';
import type { RecordFormat } from '../core/record-format';
import { AUTO_COMMIT_INTERVAL_MS, PARTITIONS_PER_SUBSCRIPTION_MAX } from './constants';
import type { LiveCore } from './live-core.service';
import type { LiveChunk } from './live-reader';
import type { Feed } from './pump';

/** Where a stream starts (contract: `from`). */
export type FromSpec =
  | { kind: 'latest' }
  | { kind: 'earliest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'offsets'; offsets: Map<number, bigint> }
  | { kind: 'timestamp'; timestampMs: bigint };

export interface SubscriptionSpec {
  topics: string[];
  /** Without a group: the partitions to read (null = all). */
  partitions: number[] | null;
  from: FromSpec;
  group: string | null;
  autoCommit: boolean;
  format: RecordFormat;
  /** Exact positions to resume at (an SSE cursor), by `topic\0partition`; win over commits and `from`. */
  resume: Map<string, bigint> | null;
}

/** A partition and an offset, as frames render them. */
export interface PositionJson {
  topic: string;
  partition: number;
  offset: number;
}

export interface SubscriptionEvents {
  deliver(feed: Feed, chunk: LiveChunk): void;
  /** A group rebalance changed the partitions (already applied to the feeds). */
  assignment(revoked: PositionJson[], assigned: PositionJson[]): void;
  /** A failure after the subscription started (a read, the group member). */
  error(error: unknown): void;
  /** There may be something to deliver. */
  wake(): void;
}

export interface MemberIdentity {
  name: string;
  clientHost: string;
  clientKind: 'http' | 'ws';
  sessionTimeoutMs: number;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function toNumber(offset: bigint): number {
  const n = Number(offset);
  if (!Number.isSafeInteger(n)) throw new Error(`offset ${offset} is not a safe integer`);
  return n;
}

/**
 * One live subscription: a set of partition feeds, either chosen by the client (topics, partitions,
 * `from`) or assigned by a consumer group through a ManagedMember the broker runs for the client.
 * A group member is a real member of the coordinator's group, so it shares partitions and
 * committed offsets with HTTP consumer instances and Kafka clients of the same group id.
 *
 * Group lifecycle: assignments arrive through `onAssignment` (revoke everything, then assign, as
 * Kafka's eager protocol does); each is applied to the feeds and then pushed to the client. With
 * auto-commit the positions delivered so far are committed every AUTO_COMMIT_INTERVAL_MS, before
 * a revocation (the generation is still valid then) and on close; close leaves the group at once.
 */
export class LiveSubscription {
  readonly feeds = new Map<string, Feed>();
  private member: ManagedMember | null = null;
  private readonly unwatch = new Map<string, () => void>();
  private autoCommitTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly core: LiveCore,
    readonly spec: SubscriptionSpec,
    private readonly events: SubscriptionEvents,
    private readonly identity: MemberIdentity,
  ) {}

  /**
   * Starts reading (or joins the group). Throws a DomainError before anything is set up when a
   * topic or partition does not exist or an offset is out of range. Returns the starting positions
   * (empty for a group: those come with the assignment).
   */
  start(): PositionJson[] {
    const counts = this.spec.topics.map((t) => this.core.topics.partitionCount(t));
    if (this.spec.group !== null) {
      this.startMember();
      return [];
    }
    // By key: a partition named twice (`partitions=0,0`) is one feed, with one append listener.
    const wanted = new Map<string, PartitionLog>();
    this.spec.topics.forEach((topic, i) => {
      const count = counts[i]!;
      const partitions = this.spec.partitions ?? Array.from({ length: count }, (_, p) => p);
      for (const p of partitions) {
        if (p >= count) throw partitionNotFound(topic, p, count);
        const key = partitionKey(topic, p);
        if (!wanted.has(key)) wanted.set(key, this.core.topics.partitionLog(topic, p));
      }
    });
    if (wanted.size > PARTITIONS_PER_SUBSCRIPTION_MAX) throw invalid(`the subscription covers ${wanted.size} partitions; at most ${PARTITIONS_PER_SUBSCRIPTION_MAX}.`);
    const logs = [...wanted.values()];
    const starts = logs.map((log) => this.startOffset(log, null));
    logs.forEach((log, i) => this.addFeed(log, starts[i]!));
    this.events.wake();
    return this.positions();
  }

  /** The next offset to deliver per partition (what a commit without offsets commits). */
  positions(): PositionJson[] {
    return [...this.feeds.values()].map((f) => ({ topic: f.topic, partition: f.partition, offset: toNumber(f.position) }));
  }

  /** Where a partition starts: the resume cursor, else the group's committed offset, else `from`. */
  private startOffset(log: PartitionLog, committed: bigint | null): bigint {
    const resume = this.spec.resume;
    if (resume !== null) {
      const at = resume.get(partitionKey(log.topic, log.partition));
      if (at !== undefined) return this.core.fetchService.resolveOffset(log, at);
      // Without a group a cursor names every partition of the stream: one missing from it
      // appeared after it was written, so it is read whole. A group falls back to its commits.
      if (this.spec.group === null) return log.logStartOffset;
    }
    if (committed !== null && committed >= 0n && committed >= log.logStartOffset && committed <= log.highWatermark) return committed;
    const from = this.spec.from;
    switch (from.kind) {
      case 'latest':
        return log.highWatermark;
      case 'earliest':
        return log.logStartOffset;
      case 'offset':
        return this.core.fetchService.resolveOffset(log, from.offset);
      case 'offsets': {
        const at = from.offsets.get(log.partition);
        return at === undefined ? log.highWatermark : this.core.fetchService.resolveOffset(log, at);
      }
      case 'timestamp':
        return log.offsetForTimestamp(from.timestampMs) ?? log.highWatermark;
    }
  }

  private addFeed(log: PartitionLog, position: bigint): Feed {
    const key = partitionKey(log.topic, log.partition);
    const events = this.events;
    const feed: Feed = {
      topic: log.topic,
      partition: log.partition,
      log,
      format: this.spec.format,
      position,
      active: true,
      deliver: (chunk) => events.deliver(feed, chunk),
      failed: (error) => {
        this.removeFeed(key);
        events.error(error);
      },
    };
    this.feeds.set(key, feed);
    this.unwatch.set(key, this.core.reader.watch(log, () => events.wake()));
    return feed;
  }

  private removeFeed(key: string): Feed | undefined {
    const feed = this.feeds.get(key);
    if (!feed) return undefined;
    feed.active = false;
    this.feeds.delete(key);
    this.unwatch.get(key)?.();
    this.unwatch.delete(key);
    return feed;
  }

  private startMember(): void {
    const { name, clientHost, clientKind, sessionTimeoutMs } = this.identity;
    const member = new ManagedMember({
      coordinator: this.core.engine.groups,
      scheduler: this.core.scheduler,
      metadata: {
        listTopics: () => this.core.engine.image.topics().map((t) => t.name),
        partitionCount: (t) => this.core.engine.image.topic(t)?.partitions.length,
      },
      groupId: this.spec.group!,
      clientKind,
      name,
      clientHost,
      subscription: { topics: this.spec.topics },
      sessionTimeoutMs,
      heartbeatIntervalMs: Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
      onAssignment: (change) => this.onAssignment(change),
      onError: (e) => this.events.error(new DomainError(DomainErrorKind.NotAvailable, `the group member stopped: ${e.message} (Kafka error ${e.errorCode}); subscribe again.`)),
    });
    this.member = member;
    this.core.members.add(member);
    member.start();
    if (this.spec.autoCommit) {
      this.autoCommitTimer = setInterval(() => void this.commitDelivered().catch(() => undefined), AUTO_COMMIT_INTERVAL_MS);
      this.autoCommitTimer.unref();
    }
  }

  private async onAssignment(change: AssignmentChange): Promise<void> {
    if (this.closed) return;
    if (change.revoked.length > 0) {
      if (this.spec.autoCommit) await this.commitDelivered(change.revoked).catch(() => undefined);
      const revoked: PositionJson[] = [];
      for (const tp of change.revoked) {
        const feed = this.removeFeed(partitionKey(tp.topic, tp.partition));
        revoked.push({ topic: tp.topic, partition: tp.partition, offset: feed ? toNumber(feed.position) : -1 });
      }
      if (!this.closed) this.events.assignment(revoked, []);
    }
    if (change.assigned.length > 0 && !this.closed) {
      const committed = this.core.engine.groups.fetchOffsets(this.spec.group!, change.assigned.map((tp) => ({ topic: tp.topic, partition: tp.partition }))).partitions;
      const byKey = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]));
      const assigned: PositionJson[] = [];
      for (const tp of change.assigned) {
        const key = partitionKey(tp.topic, tp.partition);
        if (this.feeds.has(key)) continue;
        try {
          const log = this.core.topics.partitionLog(tp.topic, tp.partition);
          const feed = this.addFeed(log, this.startOffset(log, byKey.get(key) ?? null));
          assigned.push({ topic: tp.topic, partition: tp.partition, offset: toNumber(feed.position) });
        } catch (error) {
          this.events.error(error);
        }
      }
      this.events.assignment([], assigned);
      this.events.wake();
    }
  }

  /** Commits `offsets`, or every position delivered so far (optionally only of `only`). */
  async commit(offsets: PositionJson[] | null): Promise<PositionJson[]> {
    if (this.spec.group === null || this.member === null) throw invalid('this subscription has no group; commits need a subscription with "group".');
    const list = offsets ?? this.positions();
    for (const o of offsets ?? []) {
      const log = this.core.topics.partitionLog(o.topic, o.partition);
      if (BigInt(o.offset) > log.highWatermark) throw invalid(`offset ${o.offset} for ${o.topic}-${o.partition} is past the high watermark ${log.highWatermark}.`);
    }
    if (list.length === 0) return [];
    const result = await this.member.commitOffsets(list.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset) })));
    if (result.errorCode === ErrorCode.NONE) return list;
    if (result.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || result.errorCode === ErrorCode.ILLEGAL_GENERATION || result.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      throw new DomainError(DomainErrorKind.NotAvailable, `the group "${this.spec.group}" is rebalancing, so the commit was refused (Kafka error ${result.errorCode}); commit again after the next assignment.`);
    }
    if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw invalid('the commit names a partition that does not exist.');
    throw new DomainError(DomainErrorKind.Internal, `the commit failed with Kafka error ${result.errorCode}.`);
  }

  private async commitDelivered(only?: readonly TopicPartition[]): Promise<void> {
    const wanted = only ? new Set(only.map((tp) => partitionKey(tp.topic, tp.partition))) : null;
    const list = this.positions().filter((p) => !wanted || wanted.has(partitionKey(p.topic, p.partition)));
    if (list.length > 0 && this.member) await this.commit(list);
  }

  /** Stops delivering; a group member commits (auto-commit) and leaves the group at once. */
  close(): void {
    if (this.closed) return;
    const member = this.member;
    // The coordinator checks a commit's generation before its first await, so the commit is
    // accepted or refused now and leaving right after it does not race it.
    if (member && this.spec.autoCommit) void this.commitDelivered().catch(() => undefined);
    this.closed = true;
    clearInterval(this.autoCommitTimer);
    for (const key of [...this.feeds.keys()]) this.removeFeed(key);
    if (member) {
      this.core.members.delete(member);
      member.close();
    }
  }
}
