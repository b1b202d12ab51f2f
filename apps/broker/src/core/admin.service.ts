import { Injectable } from '@nestjs/common';
import { ErrorCode, decodeAssignment } from '@runnel/coordinator';
import { compressionOf, isControlBatch, isTransactionalBatch } from '@runnel/records';
import type { PartitionLog } from '@runnel/storage';
import { BrokerConfigService } from './broker-config.service';
import { CONSUMER_OFFSETS_TOPIC, EngineService, scanBatchHeaders } from './engine.service';
import { DomainError, DomainErrorKind, invalid, topicNotFound } from './errors';
import { TopicService } from './topic.service';
import { RUNNEL_VERSION } from '../version';


/** A group's offset reset target, as the admin API and the CLI give it. */
export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number } | { shift_by: number };

/** The admin API's semantics: topics, configs, records deletion, segments, groups, log dirs. */
@Injectable()
export class AdminService {
  constructor(
    private readonly engine: EngineService,
    private readonly topics: TopicService,
    private readonly config: BrokerConfigService,
  ) {}

  cluster(): unknown {
    const c = this.config.value;
    return {
      cluster_id: this.engine.clusterId,
      controller: c.nodeId,
      brokers: this.engine.image.brokers().map((b) => ({
        id: b.brokerId,
        host: b.endPoints[0]?.host ?? c.advertisedHost,
        kafka_port: b.endPoints[0]?.port ?? c.kafkaPort,
        http_port: b.brokerId === c.nodeId ? this.engine.boundPorts.httpPort : null,
        fenced: b.fenced,
      })),
      version: RUNNEL_VERSION,
      // What kafka-broker-api-versions.sh shows: the Kafka APIs this broker serves on its wire port.
      api_versions: this.engine.kafkaApiVersions.map((v) => ({ api_key: v.apiKey, name: v.name, min_version: v.minVersion, max_version: v.maxVersion })),
    };
  }

  listTopics(): unknown[] {
    return this.engine.image
      .topics()
      .map((t) => ({ name: t.name, partitions: t.partitions.length, replication_factor: t.partitions[0]?.replicas.length ?? 1, internal: t.internal }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createTopic(name: string, partitions: number | undefined, replicationFactor: number | undefined, configs: Record<string, unknown>): Promise<unknown> {
    const strings: Record<string, string> = {};
    for (const [k, v] of Object.entries(configs)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalid(`configs.${k} must be a string, number or boolean.`);
      strings[k] = String(v);
    }
    await this.engine.metadata.createTopic({
      name,
      partitions: partitions ?? this.config.value.numPartitions,
      replicationFactor: replicationFactor ?? this.config.value.defaultReplicationFactor,
      configs: strings,
    });
    return this.describeTopic(name);
  }

  /** Effective configs: every topic config with the topic's override or the broker default. */
  private effectiveConfigs(topic: string): Record<string, string> {
    return this.engine.effectiveTopicConfigs(topic);
  }

  describeTopic(name: string): unknown {
    const t = this.engine.image.topic(name);
    if (!t) throw topicNotFound(name);
    return {
      name: t.name,
      topic_id: t.topicId,
      internal: t.internal,
      configs: this.effectiveConfigs(name),
      partitions: t.partitions.map((p) => {
        const log = this.engine.logs.getLog(name, p.partition);
        return {
          partition: p.partition,
          leader: p.leader,
          leader_epoch: p.leaderEpoch,
          replicas: [...p.replicas],
          isr: [...p.isr],
          log_start_offset: log ? Number(log.logStartOffset) : null,
          high_watermark: log ? Number(log.highWatermark) : null,
          size_bytes: log ? log.sizeBytes() : null,
        };
      }),
    };
  }

  async deleteTopic(name: string): Promise<void> {
    if (!this.engine.image.topic(name)) throw topicNotFound(name);
    await this.engine.metadata.deleteTopic(name);
  }

  async alterConfigs(name: string, body: Record<string, unknown>): Promise<unknown> {
    if (!this.engine.image.topic(name)) throw topicNotFound(name);
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const [k, v] of Object.entries(body)) {
      if (v === null) remove.push(k);
      else if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalid(`${k} must be a string, number, boolean or null (null removes the override).`);
      else set[k] = String(v);
    }
    if (Object.keys(set).length === 0 && remove.length === 0) throw invalid('give at least one config to set, e.g. {"retention.ms": "3600000"}.');
    await this.engine.metadata.alterTopicConfigs(name, set, remove);
    return { name, configs: this.effectiveConfigs(name) };
  }

  async createPartitions(name: string, count: number): Promise<unknown> {
    if (!this.engine.image.topic(name)) throw topicNotFound(name);
    await this.engine.metadata.createPartitions(name, count);
    return this.describeTopic(name);
  }

  async deleteRecords(name: string, partitions: { partition: number; before_offset: number }[]): Promise<unknown> {
    // Check every partition before changing any: nothing half done.
    const plan = partitions.map((p) => {
      const log = this.topics.partitionLog(name, p.partition);
      const before = p.before_offset === -1 ? log.highWatermark : BigInt(p.before_offset);
      if (before > log.highWatermark) {
        throw new DomainError(DomainErrorKind.OffsetOutOfRange, `before_offset ${before} is past the high watermark ${log.highWatermark} of ${name}-${p.partition}; use at most ${log.highWatermark} (or -1).`);
      }
      return { log, before };
    });
    const out = [];
    for (const { log, before } of plan) {
      const low = await log.deleteRecordsBefore(before);
      out.push({ partition: log.partition, low_watermark: Number(low) });
    }
    return { partitions: out };
  }

  async segments(name: string, partition: number, withBatches: boolean): Promise<unknown> {
    const log = this.topics.partitionLog(name, partition);
    const segments = log.segmentInfos().map((s) => ({
      base_offset: Number(s.baseOffset),
      next_offset: Number(s.nextOffset),
      size_bytes: s.sizeBytes,
      // Offsets the segment spans (records, plus any removed by compaction); ?records=true gives exact batch counts.
      record_count: Number(s.nextOffset - s.baseOffset),
      first_timestamp: s.firstTimestampMs === null ? null : Number(s.firstTimestampMs),
      last_timestamp: s.lastTimestampMs === null ? null : Number(s.lastTimestampMs),
      ...(withBatches ? { batches: this.batchesOf(log, s.baseOffset, s.nextOffset) } : {}),
    }));
    return { topic: name, partition, log_start_offset: Number(log.logStartOffset), high_watermark: Number(log.highWatermark), segments };
  }

  /** The DumpLogSegments view of one segment's batches, bounded so a huge segment cannot exhaust memory. */
  private batchesOf(log: PartitionLog, from: bigint, to: bigint): unknown[] {
    const out: unknown[] = [];
    const batchesMax = 10_000;
    scanBatchHeaders(log, from, to, { chunkBytes: 1024 * 1024 }, (h, size) => {
      out.push({
        base_offset: Number(h.baseOffset),
        last_offset: Number(h.baseOffset + BigInt(h.lastOffsetDelta)),
        record_count: h.recordsCount,
        size_bytes: size,
        crc: h.crc,
        compression: ['none', 'gzip', 'snappy', 'lz4', 'zstd'][compressionOf(h.attributes)] ?? 'unknown',
        is_control: isControlBatch(h.attributes),
        is_transactional: isTransactionalBatch(h.attributes),
        producer_id: Number(h.producerId),
        partition_leader_epoch: h.partitionLeaderEpoch,
        max_timestamp: Number(h.maxTimestamp),
      });
      return out.length < batchesMax;
    });
    return out;
  }

  listGroups(): unknown[] {
    const groups = this.engine.groups.listGroups().groups;
    const described = new Map(this.engine.groups.describeGroups(groups.map((g) => g.groupId)).map((d) => [d.groupId, d]));
    return groups
      .map((g) => ({ group_id: g.groupId, state: g.state, members: g.members, protocol: described.get(g.groupId)?.protocol ?? '' }))
      .sort((a, b) => a.group_id.localeCompare(b.group_id));
  }

  private groupExists(group: string): boolean {
    const [d] = this.engine.groups.describeGroups([group]);
    if (d && d.state !== 'Dead' && (d.members.length > 0 || d.state !== 'Empty')) return true;
    return this.engine.groups.fetchOffsets(group, null).partitions.some((p) => p.offset >= 0n);
  }

  describeGroup(group: string): unknown {
    if (!this.groupExists(group)) throw new DomainError(DomainErrorKind.GroupNotFound, `consumer group "${group}" does not exist (no members and no committed offsets).`);
    const [d] = this.engine.groups.describeGroups([group]);
    const committed = this.engine.groups.fetchOffsets(group, null).partitions.filter((p) => p.offset >= 0n);
    return {
      group_id: group,
      state: d?.state ?? 'Empty',
      protocol_type: d?.protocolType ?? '',
      protocol: d?.protocol ?? '',
      generation: d?.generationId ?? -1,
      leader: d?.leader ?? null,
      members: (d?.members ?? []).map((m) => ({
        member_id: m.memberId,
        client_id: m.clientId,
        client_host: m.clientHost,
        client_kind: m.clientKind,
        group_instance_id: m.groupInstanceId,
        assignment: this.decodeMemberAssignment(m.assignment),
      })),
      offsets: committed
        .map((c) => {
          const log = this.engine.logs.getLog(c.topic, c.partition);
          const end = log ? Number(log.highWatermark) : null;
          return {
            topic: c.topic,
            partition: c.partition,
            committed_offset: Number(c.offset),
            log_end_offset: end,
            lag: end === null ? null : Math.max(0, end - Number(c.offset)),
            metadata: c.metadata,
          };
        })
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    };
  }

  private decodeMemberAssignment(bytes: Buffer): { topic: string; partition: number }[] {
    if (bytes.length === 0) return [];
    try {
      return decodeAssignment(bytes).assignedPartitions.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p })));
    } catch {
      return [];
    }
  }

  /** Lag per committed partition of every group (for /metrics). */
  groupLags(): { group: string; topic: string; partition: number; lag: number }[] {
    const out: { group: string; topic: string; partition: number; lag: number }[] = [];
    for (const g of this.engine.groups.listGroups().groups) {
      for (const c of this.engine.groups.fetchOffsets(g.groupId, null).partitions) {
        if (c.offset < 0n) continue;
        const log = this.engine.logs.getLog(c.topic, c.partition);
        if (log) out.push({ group: g.groupId, topic: c.topic, partition: c.partition, lag: Math.max(0, Number(log.highWatermark - c.offset)) });
      }
    }
    return out;
  }

  async resetOffsets(group: string, topic: string, to: unknown, partitions: number[] | undefined, dryRun: boolean): Promise<unknown> {
    const [d] = this.engine.groups.describeGroups([group]);
    if (d && d.members.length > 0) {
      throw new DomainError(DomainErrorKind.GroupNotEmpty, `group "${group}" has ${d.members.length} active member(s); stop its consumers first (offsets can only be reset while the group is empty).`);
    }
    const count = this.topics.partitionCount(topic);
    const list = partitions ?? Array.from({ length: count }, (_, i) => i);
    const current = new Map(this.engine.groups.fetchOffsets(group, list.map((partition) => ({ topic, partition }))).partitions.map((p) => [p.partition, p.offset]));
    const plan = list.map((partition) => {
      const log = this.topics.partitionLog(topic, partition);
      const cur = current.get(partition) ?? -1n;
      const target = this.resetTarget(log, cur, to);
      return { topic, partition, current_offset: cur < 0n ? null : Number(cur), new_offset: Number(target) };
    });
    if (!dryRun) {
      const result = await this.engine.groups.resetOffsets(
        group,
        plan.map((p) => ({ topic, partition: p.partition, offset: BigInt(p.new_offset) })),
      );
      if (result.errorCode !== ErrorCode.NONE) throw new DomainError(DomainErrorKind.GroupNotEmpty, `reset refused by the coordinator (Kafka error ${result.errorCode}); make sure the group has no members.`);
    }
    return { group_id: group, dry_run: dryRun, offsets: plan };
  }

  private resetTarget(log: PartitionLog, current: bigint, to: unknown): bigint {
    const clamp = (o: bigint): bigint => (o < log.logStartOffset ? log.logStartOffset : o > log.highWatermark ? log.highWatermark : o);
    if (to === 'earliest') return log.logStartOffset;
    if (to === 'latest') return log.highWatermark;
    if (typeof to === 'object' && to !== null) {
      const o = to as Record<string, unknown>;
      const n = (k: string): bigint => {
        const v = o[k];
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`to.${k} must be an integer.`);
        return BigInt(v);
      };
      if ('offset' in o) return clamp(n('offset'));
      if ('timestamp' in o) return log.offsetForTimestamp(n('timestamp')) ?? log.highWatermark;
      if ('shift_by' in o) return clamp((current < 0n ? log.logStartOffset : current) + n('shift_by'));
    }
    throw invalid('to must be "earliest", "latest", {"offset": n}, {"timestamp": ms} or {"shift_by": n}.');
  }

  async deleteGroup(group: string): Promise<void> {
    if (!this.groupExists(group)) throw new DomainError(DomainErrorKind.GroupNotFound, `consumer group "${group}" does not exist.`);
    const [result] = await this.engine.groups.deleteGroups([group]);
    if (result && result.errorCode === ErrorCode.NON_EMPTY_GROUP) {
      throw new DomainError(DomainErrorKind.GroupNotEmpty, `group "${group}" still has members; stop its consumers first.`);
    }
    if (result && result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) {
      throw new DomainError(DomainErrorKind.Internal, `deleting group "${group}" failed with Kafka error ${result.errorCode}.`);
    }
  }

  logDirs(): unknown[] {
    return [
      {
        path: this.config.value.dataDir,
        partitions: this.engine
          .partitionLogs()
          .filter((l) => l.topic !== CONSUMER_OFFSETS_TOPIC || l.sizeBytes() > 0)
          .map((l) => ({
            topic: l.topic,
            partition: l.partition,
            size_bytes: l.sizeBytes(),
            log_start_offset: Number(l.logStartOffset),
            log_end_offset: Number(l.logEndOffset),
            high_watermark: Number(l.highWatermark),
            segments: l.segmentInfos().length,
          }))
          .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
      },
    ];
  }
}
