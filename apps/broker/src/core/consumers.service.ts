import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AssignmentChange, ErrorCode, ManagedMember, TimerScheduler } from '@runnel/coordinator';
import { randomUUID } from 'node:crypto';
import { BrokerConfigService } from './broker-config.service';
import { EngineService } from './engine.service';
import { DomainError, DomainErrorKind, invalid } from './errors';
import { FetchService } from './fetch.service';
import { MetricsService } from './metrics.service';
import { RecordFormat, RenderedRecord, renderRecord } from './record-format';
import { TopicService } from './topic.service';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface InstanceOptions {
  name: string | undefined;
  format: RecordFormat;
  autoOffsetReset: 'earliest' | 'latest';
  autoCommit: boolean;
}

/** Records per consumer-instance read, at most (with max_bytes, the budget of one poll). */
const POLL_RECORDS_MAX = 10_000;
const INSTANCES_MAX = 10_000;

const key = (tp: TopicPartitionRef): string => `${tp.topic}\u0000${tp.partition}`;

/**
 * One HTTP consumer instance: a group member the broker runs for the client (ManagedMember),
 * or a manual assignment. Positions are the next offset to read per partition.
 */
class Instance {
  member: ManagedMember | null = null;
  manual: TopicPartitionRef[] | null = null;
  assigned: TopicPartitionRef[] = [];
  readonly positions = new Map<string, bigint>();
  /** Positions handed out by reads and not yet committed (what an empty commit commits). */
  readonly uncommitted = new Map<string, TopicPartitionRef & { offset: bigint }>();
  expiry: NodeJS.Timeout | undefined;
  private assignmentWaiters: (() => void)[] = [];

  constructor(
    readonly group: string,
    readonly id: string,
    readonly options: InstanceOptions,
  ) {}

  partitions(): TopicPartitionRef[] {
    return this.manual ?? this.assigned;
  }

  waitForAssignment(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.assignmentWaiters.push(done);
    });
  }

  assignmentChanged(): void {
    const waiters = this.assignmentWaiters;
    this.assignmentWaiters = [];
    for (const w of waiters) w();
  }
}

/** The Confluent-v2-shaped consumer instance API, on the shared coordinator. */
@Injectable()
export class ConsumersService implements OnModuleInit {
  private readonly logger = new Logger('consumers');
  private readonly instances = new Map<string, Instance>();
  private readonly scheduler = new TimerScheduler();

  constructor(
    private readonly engine: EngineService,
    private readonly topics: TopicService,
    private readonly fetchService: FetchService,
    private readonly config: BrokerConfigService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    // Pattern subscriptions and leaders react to topics appearing or growing.
    this.engine.metadata.onChange(() => {
      for (const i of this.instances.values()) i.member?.metadataChanged();
    });
  }

  create(group: string, options: InstanceOptions): string {
    if (group.length === 0) throw invalid('the group id must not be empty.');
    const id = options.name ?? `rest-consumer-${randomUUID()}`;
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(id)) throw invalid('name must be 1-249 characters of [A-Za-z0-9._-].');
    const k = `${group}\u0000${id}`;
    if (this.instances.has(k)) throw new DomainError(DomainErrorKind.InstanceExists, `consumer instance "${id}" already exists in group "${group}"; pick another name or delete it first.`);
    if (this.instances.size >= INSTANCES_MAX) throw new DomainError(DomainErrorKind.TooManyRequests, `too many consumer instances (${INSTANCES_MAX}); delete idle ones.`);
    const instance = new Instance(group, id, options);
    this.instances.set(k, instance);
    this.touch(instance);
    return id;
  }

  private get(group: string, id: string): Instance {
    const i = this.instances.get(`${group}\u0000${id}`);
    if (!i) throw new DomainError(DomainErrorKind.InstanceNotFound, `consumer instance "${id}" of group "${group}" does not exist (or expired after consumer.instance.timeout.ms of inactivity); create it with POST /consumers/${group}.`);
    this.touch(i);
    return i;
  }

  /** Every request keeps an instance alive; an idle one is removed and leaves its group. */
  private touch(i: Instance): void {
    clearTimeout(i.expiry);
    i.expiry = setTimeout(() => {
      this.logger.log(`consumer instance ${i.group}/${i.id} expired after ${this.config.value.consumerInstanceTimeoutMs} ms idle`);
      void this.remove(i.group, i.id).catch(() => undefined);
    }, this.config.value.consumerInstanceTimeoutMs);
    i.expiry.unref();
  }

  async remove(group: string, id: string): Promise<void> {
    const i = this.get(group, id);
    clearTimeout(i.expiry);
    this.instances.delete(`${group}\u0000${id}`);
    if (i.options.autoCommit) await this.commitUncommitted(i).catch(() => undefined);
    i.member?.close();
    i.member = null;
    i.assignmentChanged();
  }

  async closeAll(): Promise<void> {
    for (const i of [...this.instances.values()]) await this.remove(i.group, i.id).catch(() => undefined);
  }

  async subscribe(group: string, id: string, topics: string[] | null, pattern: string | null): Promise<void> {
    const i = this.get(group, id);
    if (i.manual) throw new DomainError(DomainErrorKind.AlreadySubscribed, 'this instance has a manual assignment; subscriptions and manual assignments are exclusive. Delete the instance or create another.');
    let subscription: { topics: readonly string[] } | { pattern: RegExp };
    if (pattern !== null) {
      try {
        subscription = { pattern: new RegExp(pattern) };
      } catch (e) {
        throw invalid(`topic_pattern is not a valid regular expression: ${(e as Error).message}.`);
      }
    } else {
      for (const t of topics!) if (!this.engine.image.topic(t) && this.config.value.autoCreateTopicsEnable) await this.topics.autoCreate(t);
      subscription = { topics: topics! };
    }
    if (i.member) {
      i.member.setSubscription(subscription);
    } else {
      i.member = new ManagedMember({
        coordinator: this.engine.groups,
        scheduler: this.scheduler,
        metadata: {
          listTopics: () => this.engine.image.topics().map((t) => t.name),
          partitionCount: (t) => this.engine.image.topic(t)?.partitions.length,
        },
        groupId: group,
        clientKind: 'http',
        name: id,
        clientHost: 'http',
        subscription,
        onAssignment: (change) => this.onAssignment(i, change),
        onError: (e) => this.logger.warn(`consumer instance ${group}/${id} stopped: ${e.message} (Kafka error ${e.errorCode})`),
      });
      i.member.start();
    }
  }

  private async onAssignment(i: Instance, change: AssignmentChange): Promise<void> {
    if (change.revoked.length > 0) {
      // The generation is still valid: commit what was read from the revoked partitions.
      if (i.options.autoCommit) await this.commitUncommitted(i, change.revoked).catch(() => undefined);
      const gone = new Set(change.revoked.map(key));
      for (const k of gone) {
        i.positions.delete(k);
        i.uncommitted.delete(k);
      }
      i.assigned = i.assigned.filter((tp) => !gone.has(key(tp)));
    }
    if (change.assigned.length > 0) {
      const have = new Set(i.assigned.map(key));
      for (const tp of change.assigned) if (!have.has(key(tp))) i.assigned.push({ topic: tp.topic, partition: tp.partition });
    }
    i.assignmentChanged();
  }

  subscription(group: string, id: string): string[] {
    const i = this.get(group, id);
    return i.member ? i.member.topics() : [];
  }

  async unsubscribe(group: string, id: string): Promise<void> {
    const i = this.get(group, id);
    if (i.options.autoCommit) await this.commitUncommitted(i).catch(() => undefined);
    i.member?.close();
    i.member = null;
    i.assigned = [];
    i.positions.clear();
    i.uncommitted.clear();
  }

  assign(group: string, id: string, partitions: TopicPartitionRef[]): void {
    const i = this.get(group, id);
    if (i.member) throw new DomainError(DomainErrorKind.AlreadySubscribed, 'this instance is subscribed; unsubscribe before assigning partitions manually.');
    for (const tp of partitions) this.topics.partitionLog(tp.topic, tp.partition);
    i.manual = partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
    const keep = new Set(i.manual.map(key));
    for (const k of [...i.positions.keys()]) if (!keep.has(k)) i.positions.delete(k);
  }

  assignment(group: string, id: string): TopicPartitionRef[] {
    return this.get(group, id).partitions().map((tp) => ({ topic: tp.topic, partition: tp.partition }));
  }

  /** The next offset to read: the position, else the committed offset, else the reset policy. */
  private position(i: Instance, tp: TopicPartitionRef): bigint {
    const k = key(tp);
    const p = i.positions.get(k);
    const log = this.topics.partitionLog(tp.topic, tp.partition);
    if (p !== undefined) return p < log.logStartOffset ? log.logStartOffset : p;
    const [committed] = this.engine.groups.fetchOffsets(i.group, [tp]).partitions;
    let start: bigint;
    if (committed && committed.offset >= 0n && committed.offset >= log.logStartOffset && committed.offset <= log.highWatermark) start = committed.offset;
    else start = i.options.autoOffsetReset === 'earliest' ? log.logStartOffset : log.highWatermark;
    i.positions.set(k, start);
    return start;
  }

  async poll(group: string, id: string, timeoutMs: number, maxBytes: number): Promise<RenderedRecord[]> {
    const i = this.get(group, id);
    if (timeoutMs > this.config.value.httpLongPollMsMax) throw invalid(`timeout ${timeoutMs} is above the limit of ${this.config.value.httpLongPollMsMax} ms (http.long.poll.ms.max).`);
    if (i.options.autoCommit) await this.commitUncommitted(i);
    const deadline = Date.now() + timeoutMs;
    if (i.partitions().length === 0 && i.member && timeoutMs > 0) await i.waitForAssignment(timeoutMs);
    for (;;) {
      const out = await this.readOnce(i, maxBytes);
      const left = deadline - Date.now();
      if (out.length > 0 || left <= 0 || !this.instances.has(`${group}\u0000${id}`)) return out;
      const tps = i.partitions();
      if (tps.length === 0) {
        await i.waitForAssignment(left);
        continue;
      }
      const logs = tps.map((tp) => this.topics.partitionLog(tp.topic, tp.partition));
      await Promise.race([this.fetchService.waitForAppend(logs, tps.map((tp) => this.position(i, tp)), left), i.waitForAssignment(left)]);
    }
  }

  private async readOnce(i: Instance, maxBytes: number): Promise<RenderedRecord[]> {
    const out: RenderedRecord[] = [];
    let bytesLeft = maxBytes;
    const tps = [...i.partitions()];
    for (const tp of tps) {
      if (bytesLeft <= 0 || out.length >= POLL_RECORDS_MAX) break;
      const log = this.topics.partitionLog(tp.topic, tp.partition);
      const from = this.position(i, tp);
      const r = await this.fetchService.read(log, from, { maxRecords: POLL_RECORDS_MAX - out.length, maxBytes: bytesLeft });
      // A rebalance may have taken the partition while reading.
      if (!i.partitions().some((p) => key(p) === key(tp))) continue;
      bytesLeft -= r.bytes;
      for (const rec of r.records) out.push(renderRecord(rec, i.options.format));
      i.positions.set(key(tp), r.nextOffset);
      if (r.nextOffset !== from) i.uncommitted.set(key(tp), { topic: tp.topic, partition: tp.partition, offset: r.nextOffset });
      this.metrics.fetched(tp.topic, 'http-consumer', r.records.length, r.bytes);
    }
    // Fairness: start the next poll where this one stopped.
    if (i.manual === null && i.assigned.length > 1) i.assigned.push(i.assigned.shift()!);
    return out;
  }

  private async commitUncommitted(i: Instance, only?: TopicPartitionRef[]): Promise<void> {
    const wanted = only ? new Set(only.map(key)) : null;
    const offsets = [...i.uncommitted.entries()].filter(([k]) => !wanted || wanted.has(k)).map(([, v]) => v);
    if (offsets.length === 0) return;
    await this.commitOffsets(i, offsets);
    for (const o of offsets) if (i.uncommitted.get(key(o))?.offset === o.offset) i.uncommitted.delete(key(o));
  }

  private async commitOffsets(i: Instance, offsets: (TopicPartitionRef & { offset: bigint })[]): Promise<void> {
    const list = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }));
    const result = i.member
      ? await i.member.commitOffsets(list)
      : await this.engine.groups.commitOffsets({ groupId: i.group, generationId: -1, memberId: '', offsets: list });
    if (result.errorCode === ErrorCode.NONE) return;
    if (result.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || result.errorCode === ErrorCode.ILLEGAL_GENERATION || result.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      throw new DomainError(DomainErrorKind.NotAvailable, `the group "${i.group}" is rebalancing, so the commit was refused (Kafka error ${result.errorCode}); read again and commit after the rebalance.`);
    }
    if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw invalid('the commit names a partition that does not exist.');
    throw new DomainError(DomainErrorKind.Internal, `the commit failed with Kafka error ${result.errorCode}.`);
  }

  async commit(group: string, id: string, offsets: (TopicPartitionRef & { offset: bigint })[] | null): Promise<void> {
    const i = this.get(group, id);
    if (offsets === null) return this.commitUncommitted(i);
    for (const o of offsets) {
      const log = this.topics.partitionLog(o.topic, o.partition);
      if (o.offset > log.highWatermark) throw invalid(`offset ${o.offset} for ${o.topic}-${o.partition} is past the high watermark ${log.highWatermark}.`);
    }
    await this.commitOffsets(i, offsets);
    for (const o of offsets) i.uncommitted.delete(key(o));
  }

  committed(group: string, id: string, partitions: TopicPartitionRef[] | null): { offsets: unknown[] } {
    const i = this.get(group, id);
    const tps = partitions ?? i.partitions();
    const result = this.engine.groups.fetchOffsets(group, tps);
    return {
      offsets: result.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset), metadata: p.metadata })),
    };
  }

  private requireAssigned(i: Instance, tp: TopicPartitionRef): void {
    if (!i.partitions().some((p) => key(p) === key(tp))) {
      throw new DomainError(DomainErrorKind.PartitionNotFound, `${tp.topic}-${tp.partition} is not assigned to this instance; its assignment is ${JSON.stringify(i.partitions())}.`);
    }
  }

  seek(group: string, id: string, offsets: (TopicPartitionRef & { offset: bigint })[]): void {
    const i = this.get(group, id);
    for (const o of offsets) this.requireAssigned(i, o);
    for (const o of offsets) i.positions.set(key(o), o.offset);
  }

  seekToTimestamps(group: string, id: string, targets: (TopicPartitionRef & { timestampMs: bigint })[]): void {
    const i = this.get(group, id);
    for (const t of targets) this.requireAssigned(i, t);
    for (const t of targets) {
      const log = this.topics.partitionLog(t.topic, t.partition);
      i.positions.set(key(t), log.offsetForTimestamp(t.timestampMs) ?? log.highWatermark);
    }
  }

  seekToEdge(group: string, id: string, partitions: TopicPartitionRef[], edge: 'earliest' | 'latest'): void {
    const i = this.get(group, id);
    for (const tp of partitions) this.requireAssigned(i, tp);
    for (const tp of partitions) {
      const log = this.topics.partitionLog(tp.topic, tp.partition);
      i.positions.set(key(tp), edge === 'earliest' ? log.logStartOffset : log.highWatermark);
    }
  }
}
