/**
 * MetadataImage: the cluster metadata state machine. It applies batches of metadata records, in log
 * order, to an SQLite database (better-sqlite3), and keeps the same state in memory maps for reads.
 *
 * Atomicity: `apply(lastOffset, records)` runs one SQLite transaction that applies every record of
 * the batch AND stores `lastOffset` as the applied offset. Either all of it commits or none of it
 * does, so after a crash the image is exactly "the log up to appliedOffset" and the controller
 * replays from appliedOffset + 1: nothing is applied twice or skipped. The memory maps are updated
 * in the same loop; when a record fails, SQLite rolls back and the maps are reloaded from SQLite.
 *
 * Durability: WAL with synchronous=NORMAL. A power loss may lose the last few transactions but never
 * corrupts the file; the lost batches are still in the metadata log (the source of truth, appended
 * durably before apply) and are replayed on start.
 *
 * Reads come from memory (no SQL on the produce path): topic objects are immutable and replaced on
 * change, so a caller may keep one without seeing it change under it.
 *
 * Tables (schema version METADATA_IMAGE_SCHEMA_VERSION):
 *
 *   image        (id = 0, schema_version)
 *   applied      (id = 0, applied_offset)                 -1 before the first batch
 *   cluster      (id = 0, cluster_id)
 *   features     (name PK, feature_level)
 *   brokers      (broker_id PK, incarnation_id, broker_epoch, end_points JSON, features JSON, rack, fenced)
 *   topics       (topic_id PK, name UNIQUE, internal)
 *   partitions   (topic_id, partition_id PK, leader, replicas JSON, isr JSON, removing_replicas JSON,
 *                 adding_replicas JSON, leader_recovery_state, leader_epoch, partition_epoch)
 *   configs      (resource_type, resource_name, name PK, value)
 *   producer_ids (id = 0, broker_id, broker_epoch, next_producer_id)
 */
import Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import {
  CONFIG_RESOURCE_TYPE_BROKER,
  CONFIG_RESOURCE_TYPE_TOPIC,
  INTERNAL_TOPIC_NAMES,
  METADATA_IMAGE_FILE_NAME,
  METADATA_IMAGE_SCHEMA_VERSION,
  NO_LEADER_CHANGE,
} from './constants';
import { MetadataErrorCode, metadataError } from './errors';
import type {
  BrokerEndpoint,
  BrokerFeature,
  ConfigRecord,
  MetadataRecord,
  PartitionChangeRecord,
  PartitionRecord,
  RegisterBrokerRecord,
  TopicRecord,
} from './records';

export interface PartitionImage {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly leaderRecoveryState: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  /** A topic the broker owns (__consumer_offsets, __transaction_state). */
  readonly internal: boolean;
  /** Indexed by partition id: partitions are 0..n-1 (grow only). */
  readonly partitions: readonly PartitionImage[];
}

export interface BrokerImage {
  readonly brokerId: number;
  readonly incarnationId: string;
  readonly brokerEpoch: bigint;
  readonly endPoints: readonly BrokerEndpoint[];
  readonly features: readonly BrokerFeature[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

export type ConfigMap = Readonly<Record<string, string>>;

/** What a batch changed, for the broker to act on (create/delete partition logs, reload configs). */
export type MetadataChange =
  | { type: 'clusterInitialized'; clusterId: string }
  | { type: 'topicCreated'; topic: TopicImage; configs: ConfigMap }
  | { type: 'topicDeleted'; name: string; topicId: string; partitionCount: number }
  | { type: 'partitionsChanged'; topic: TopicImage; previousCount: number }
  | { type: 'configChanged'; resourceType: number; resourceName: string; configs: ConfigMap; changed: Readonly<Record<string, string | null>> }
  | { type: 'brokerRegistered'; broker: BrokerImage }
  | { type: 'producerIdsAllocated'; brokerId: number; nextProducerId: bigint };

const EMPTY_CONFIGS: ConfigMap = Object.freeze({});

function configKey(resourceType: number, resourceName: string): string {
  return `${resourceType}:${resourceName}`;
}

function broken(message: string): Error {
  return metadataError(
    MetadataErrorCode.CorruptRecord,
    `Metadata record cannot be applied: ${message}. The metadata log and image disagree; delete ${METADATA_IMAGE_FILE_NAME} to rebuild it from the log.`,
  );
}

function freezePartition(p: PartitionImage): PartitionImage {
  return Object.freeze({
    ...p,
    replicas: Object.freeze([...p.replicas]),
    isr: Object.freeze([...p.isr]),
    removingReplicas: Object.freeze([...p.removingReplicas]),
    addingReplicas: Object.freeze([...p.addingReplicas]),
  });
}

function parseInts(json: string): number[] {
  return JSON.parse(json) as number[];
}

type Statement = Database.Statement;

interface Row {
  [column: string]: unknown;
}

export interface AppliedBatch {
  /** Offset of the batch's last record. */
  lastOffset: bigint;
  records: readonly MetadataRecord[];
}

function newEffects(): BatchEffects {
  return { created: new Set(), deleted: new Map(), grown: new Map(), configs: new Map(), brokers: new Set(), clusterId: null, producerIds: null };
}

/** Kafka's collision rule: metric names replace '.' with '_', so "a.b" and "a_b" may not both exist. */
export function unifyTopicName(name: string): string {
  return name.replace(/\./g, '_');
}

/** Batch-local bookkeeping that turns record-level effects into change events. */
interface BatchEffects {
  created: Set<string>;
  deleted: Map<string, { name: string; partitionCount: number }>;
  grown: Map<string, number>;
  configs: Map<string, { resourceType: number; resourceName: string; changed: Record<string, string | null> }>;
  brokers: Set<number>;
  clusterId: string | null;
  producerIds: { brokerId: number; nextProducerId: bigint } | null;
}

export class MetadataImage {
  private readonly statements: Record<string, Statement>;
  private readonly applyTransaction: (batches: readonly AppliedBatch[], changes: MetadataChange[]) => void;

  // ---- the in-memory image, in sync with SQLite after every apply ----
  private applied = -1n;
  private cluster: string | null = null;
  private readonly topicsByName = new Map<string, TopicImage>();
  private readonly topicsById = new Map<string, TopicImage>();
  /** Kafka's collision key ('.' -> '_') -> topic name, for the create-time collision check. */
  private readonly topicsByUnifiedName = new Map<string, string>();
  private readonly brokerMap = new Map<number, BrokerImage>();
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly featureLevels = new Map<string, number>();
  private producerIds: { brokerId: number; brokerEpoch: bigint; nextProducerId: bigint } | null = null;

  private constructor(private readonly db: Database.Database) {
    this.statements = {
      setApplied: db.prepare('UPDATE applied SET applied_offset = ? WHERE id = 0'),
      setCluster: db.prepare('INSERT INTO cluster (id, cluster_id) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET cluster_id = excluded.cluster_id'),
      setFeature: db.prepare('INSERT INTO features (name, feature_level) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET feature_level = excluded.feature_level'),
      insertTopic: db.prepare('INSERT INTO topics (topic_id, name, internal) VALUES (?, ?, ?)'),
      deleteTopic: db.prepare('DELETE FROM topics WHERE topic_id = ?'),
      deletePartitions: db.prepare('DELETE FROM partitions WHERE topic_id = ?'),
      upsertPartition: db.prepare(
        `INSERT INTO partitions (topic_id, partition_id, leader, replicas, isr, removing_replicas, adding_replicas,
           leader_recovery_state, leader_epoch, partition_epoch)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (topic_id, partition_id) DO UPDATE SET leader = excluded.leader, replicas = excluded.replicas,
           isr = excluded.isr, removing_replicas = excluded.removing_replicas, adding_replicas = excluded.adding_replicas,
           leader_recovery_state = excluded.leader_recovery_state, leader_epoch = excluded.leader_epoch,
           partition_epoch = excluded.partition_epoch`,
      ),
      upsertConfig: db.prepare(
        'INSERT INTO configs (resource_type, resource_name, name, value) VALUES (?, ?, ?, ?) ON CONFLICT (resource_type, resource_name, name) DO UPDATE SET value = excluded.value',
      ),
      deleteConfig: db.prepare('DELETE FROM configs WHERE resource_type = ? AND resource_name = ? AND name = ?'),
      deleteResourceConfigs: db.prepare('DELETE FROM configs WHERE resource_type = ? AND resource_name = ?'),
      upsertBroker: db.prepare(
        `INSERT INTO brokers (broker_id, incarnation_id, broker_epoch, end_points, features, rack, fenced) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (broker_id) DO UPDATE SET incarnation_id = excluded.incarnation_id, broker_epoch = excluded.broker_epoch,
           end_points = excluded.end_points, features = excluded.features, rack = excluded.rack, fenced = excluded.fenced`,
      ),
      setProducerIds: db.prepare(
        `INSERT INTO producer_ids (id, broker_id, broker_epoch, next_producer_id) VALUES (0, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET broker_id = excluded.broker_id, broker_epoch = excluded.broker_epoch, next_producer_id = excluded.next_producer_id`,
      ),
    };
    this.applyTransaction = db.transaction((batches: readonly AppliedBatch[], changes: MetadataChange[]) => {
      for (const batch of batches) {
        const effects = newEffects();
        for (const record of batch.records) this.applyRecord(record, effects);
        // Changes read the image as it is right after this batch (a later batch may remove a topic).
        changes.push(...this.changesOf(effects));
      }
      this.statements.setApplied!.run(batches[batches.length - 1]!.lastOffset);
    });
  }

  /**
   * Opens (or creates) the image at `path` (':memory:' for a throwaway one). An image written by a
   * different schema version is an error the controller answers by rebuilding from the log.
   */
  static open(path: string): MetadataImage {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = OFF');
      MetadataImage.createSchema(db);
      const image = new MetadataImage(db);
      image.load();
      return image;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Removes the image file and its WAL/shm side files (for a rebuild from the log). */
  static destroy(path: string): void {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  }

  static exists(path: string): boolean {
    return existsSync(path);
  }

  private static createSchema(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS image (id INTEGER PRIMARY KEY CHECK (id = 0), schema_version INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS applied (id INTEGER PRIMARY KEY CHECK (id = 0), applied_offset INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS cluster (id INTEGER PRIMARY KEY CHECK (id = 0), cluster_id TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS features (name TEXT PRIMARY KEY, feature_level INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS brokers (broker_id INTEGER PRIMARY KEY, incarnation_id TEXT NOT NULL,
        broker_epoch INTEGER NOT NULL, end_points TEXT NOT NULL, features TEXT NOT NULL, rack TEXT, fenced INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS topics (topic_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, internal INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS partitions (topic_id TEXT NOT NULL, partition_id INTEGER NOT NULL, leader INTEGER NOT NULL,
        replicas TEXT NOT NULL, isr TEXT NOT NULL, removing_replicas TEXT NOT NULL, adding_replicas TEXT NOT NULL,
        leader_recovery_state INTEGER NOT NULL, leader_epoch INTEGER NOT NULL, partition_epoch INTEGER NOT NULL,
        PRIMARY KEY (topic_id, partition_id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS configs (resource_type INTEGER NOT NULL, resource_name TEXT NOT NULL, name TEXT NOT NULL,
        value TEXT NOT NULL, PRIMARY KEY (resource_type, resource_name, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS producer_ids (id INTEGER PRIMARY KEY CHECK (id = 0), broker_id INTEGER NOT NULL,
        broker_epoch INTEGER NOT NULL, next_producer_id INTEGER NOT NULL);
    `);
    const version = db.prepare('SELECT schema_version FROM image WHERE id = 0').pluck().get() as number | undefined;
    if (version === undefined) {
      db.prepare('INSERT INTO image (id, schema_version) VALUES (0, ?)').run(METADATA_IMAGE_SCHEMA_VERSION);
      db.prepare('INSERT INTO applied (id, applied_offset) VALUES (0, -1)').run();
    } else if (version !== METADATA_IMAGE_SCHEMA_VERSION) {
      throw metadataError(
        MetadataErrorCode.LogInconsistent,
        `Metadata image schema version ${version} is not ${METADATA_IMAGE_SCHEMA_VERSION}: delete it to rebuild it from the metadata log.`,
      );
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- reads (memory only) ----

  /** Offset of the last record applied; -1n when nothing has been applied. */
  appliedOffset(): bigint {
    return this.applied;
  }

  clusterId(): string | null {
    return this.cluster;
  }

  /** All topics, by name. */
  topics(): TopicImage[] {
    return [...this.topicsByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  topicNames(): IterableIterator<string> {
    return this.topicsByName.keys();
  }

  topicCount(): number {
    return this.topicsByName.size;
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  /** The existing topic whose name collides with `name` ('.' vs '_'), if any. */
  topicCollidingWith(name: string): string | undefined {
    return this.topicsByUnifiedName.get(unifyTopicName(name));
  }

  topicById(topicId: string): TopicImage | undefined {
    return this.topicsById.get(topicId);
  }

  partitions(topicName: string): readonly PartitionImage[] | undefined {
    return this.topicsByName.get(topicName)?.partitions;
  }

  /** The topic's config overrides (only what was set; defaults are the broker's). */
  topicConfigs(topicName: string): ConfigMap {
    return this.configMaps.get(configKey(CONFIG_RESOURCE_TYPE_TOPIC, topicName)) ?? EMPTY_CONFIGS;
  }

  /** A broker's config overrides; brokerId '' is the cluster-wide default, as in Kafka. */
  brokerConfigs(brokerId: number | ''): ConfigMap {
    return this.configMaps.get(configKey(CONFIG_RESOURCE_TYPE_BROKER, String(brokerId))) ?? EMPTY_CONFIGS;
  }

  brokers(): BrokerImage[] {
    return [...this.brokerMap.values()].sort((a, b) => a.brokerId - b.brokerId);
  }

  broker(brokerId: number): BrokerImage | undefined {
    return this.brokerMap.get(brokerId);
  }

  featureLevel(name: string): number | undefined {
    return this.featureLevels.get(name);
  }

  /** The next producer id to hand out, and who took the last block; null before the first block. */
  producerIdState(): { brokerId: number; brokerEpoch: bigint; nextProducerId: bigint } | null {
    return this.producerIds;
  }

  /**
   * A comparable dump of the whole SQLite image (every table, ordered), for tests and tooling:
   * two images that applied the same log are equal.
   */
  dump(): Record<string, unknown[]> {
    const orderBy: Record<string, string> = {
      applied: 'id',
      cluster: 'id',
      features: 'name',
      brokers: 'broker_id',
      topics: 'name',
      partitions: 'topic_id, partition_id',
      configs: 'resource_type, resource_name, name',
      producer_ids: 'id',
    };
    const out: Record<string, unknown[]> = {};
    for (const [table, order] of Object.entries(orderBy)) {
      out[table] = this.db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).safeIntegers(true).all();
    }
    return out;
  }

  // ---- apply ----

  /**
   * Applies one batch whose last record has offset `lastOffset`, atomically with storing that
   * offset as the applied offset. Returns what changed. Throws MetadataError(CORRUPT_RECORD) when a
   * record does not fit the image; then nothing of the batch is applied.
   */
  apply(lastOffset: bigint, records: readonly MetadataRecord[]): MetadataChange[] {
    return this.applyBatches([{ lastOffset, records }]);
  }

  /**
   * Applies several consecutive batches in ONE transaction (replay: far fewer commits), with the
   * last batch's offset as the applied offset. All or nothing, as `apply`.
   */
  applyBatches(batches: readonly AppliedBatch[]): MetadataChange[] {
    if (batches.length === 0) return [];
    let previous = this.applied;
    for (const batch of batches) {
      if (batch.lastOffset <= previous) {
        throw new Error(`metadata image: batch ending at ${batch.lastOffset} is not after the applied offset ${previous}`);
      }
      previous = batch.lastOffset;
    }
    const changes: MetadataChange[] = [];
    try {
      this.applyTransaction(batches, changes);
    } catch (error) {
      // SQLite rolled back; the memory maps may hold part of the batch: reload them.
      this.load();
      throw error;
    }
    this.applied = previous;
    return changes;
  }

  private applyRecord(record: MetadataRecord, effects: BatchEffects): void {
    switch (record.type) {
      case 'ClusterIdRecord': {
        const { clusterId } = record.data;
        if (this.cluster !== null && this.cluster !== clusterId) throw broken(`cluster id ${clusterId} over ${this.cluster}`);
        this.statements.setCluster!.run(clusterId);
        this.cluster = clusterId;
        effects.clusterId = clusterId;
        return;
      }
      case 'FeatureLevelRecord':
        this.statements.setFeature!.run(record.data.name, record.data.featureLevel);
        this.featureLevels.set(record.data.name, record.data.featureLevel);
        return;
      case 'TopicRecord':
        return this.applyTopic(record.data, effects);
      case 'PartitionRecord':
        return this.applyPartition(record.data, effects);
      case 'PartitionChangeRecord':
        return this.applyPartitionChange(record.data);
      case 'ConfigRecord':
        return this.applyConfig(record.data, effects);
      case 'RemoveTopicRecord': {
        const topic = this.topicsById.get(record.data.topicId);
        if (topic === undefined) throw broken(`RemoveTopicRecord for unknown topic id ${record.data.topicId}`);
        this.statements.deletePartitions!.run(topic.topicId);
        this.statements.deleteTopic!.run(topic.topicId);
        // As Kafka: removing a topic removes its config overrides.
        this.statements.deleteResourceConfigs!.run(CONFIG_RESOURCE_TYPE_TOPIC, topic.name);
        this.configMaps.delete(configKey(CONFIG_RESOURCE_TYPE_TOPIC, topic.name));
        effects.configs.delete(configKey(CONFIG_RESOURCE_TYPE_TOPIC, topic.name));
        this.topicsById.delete(topic.topicId);
        this.topicsByName.delete(topic.name);
        this.topicsByUnifiedName.delete(unifyTopicName(topic.name));
        effects.grown.delete(topic.topicId);
        if (effects.created.delete(topic.topicId)) return; // created and removed in one batch: no event
        effects.deleted.set(topic.topicId, { name: topic.name, partitionCount: topic.partitions.length });
        return;
      }
      case 'RegisterBrokerRecord':
        return this.applyBroker(record.data, effects);
      case 'ProducerIdsRecord': {
        const { brokerId, brokerEpoch, nextProducerId } = record.data;
        if (this.producerIds !== null && nextProducerId <= this.producerIds.nextProducerId) {
          throw broken(`ProducerIdsRecord moves nextProducerId back from ${this.producerIds.nextProducerId} to ${nextProducerId}`);
        }
        this.statements.setProducerIds!.run(brokerId, brokerEpoch, nextProducerId);
        this.producerIds = { brokerId, brokerEpoch, nextProducerId };
        effects.producerIds = { brokerId, nextProducerId };
        return;
      }
      case 'NoOpRecord':
        return;
    }
  }

  private applyTopic(data: TopicRecord, effects: BatchEffects): void {
    if (this.topicsByName.has(data.name)) throw broken(`TopicRecord for existing topic ${data.name}`);
    if (this.topicsById.has(data.topicId)) throw broken(`TopicRecord reuses topic id ${data.topicId}`);
    const internal = INTERNAL_TOPIC_NAMES.has(data.name);
    this.statements.insertTopic!.run(data.topicId, data.name, internal ? 1 : 0);
    this.setTopic(Object.freeze({ name: data.name, topicId: data.topicId, internal, partitions: Object.freeze([]) }));
    effects.created.add(data.topicId);
  }

  private setTopic(topic: TopicImage): void {
    this.topicsByName.set(topic.name, topic);
    this.topicsById.set(topic.topicId, topic);
    this.topicsByUnifiedName.set(unifyTopicName(topic.name), topic.name);
  }

  private writePartition(topicId: string, p: PartitionImage): void {
    this.statements.upsertPartition!.run(
      topicId,
      p.partition,
      p.leader,
      JSON.stringify(p.replicas),
      JSON.stringify(p.isr),
      JSON.stringify(p.removingReplicas),
      JSON.stringify(p.addingReplicas),
      p.leaderRecoveryState,
      p.leaderEpoch,
      p.partitionEpoch,
    );
  }

  private applyPartition(data: PartitionRecord, effects: BatchEffects): void {
    const topic = this.topicsById.get(data.topicId);
    if (topic === undefined) throw broken(`PartitionRecord for unknown topic id ${data.topicId}`);
    const count = topic.partitions.length;
    // Partitions are dense: a PartitionRecord replaces an existing one or adds the next id.
    if (data.partitionId < 0 || data.partitionId > count) {
      throw broken(`PartitionRecord for partition ${data.partitionId} of ${topic.name}, which has ${count} partitions`);
    }
    const partition = freezePartition({
      partition: data.partitionId,
      leader: data.leader,
      replicas: data.replicas,
      isr: data.isr,
      removingReplicas: data.removingReplicas,
      addingReplicas: data.addingReplicas,
      leaderRecoveryState: data.leaderRecoveryState,
      leaderEpoch: data.leaderEpoch,
      partitionEpoch: data.partitionEpoch,
    });
    this.writePartition(topic.topicId, partition);
    const partitions = [...topic.partitions];
    partitions[data.partitionId] = partition;
    this.setTopic(Object.freeze({ ...topic, partitions: Object.freeze(partitions) }));
    if (data.partitionId === count && !effects.created.has(topic.topicId) && !effects.grown.has(topic.topicId)) {
      effects.grown.set(topic.topicId, count);
    }
  }

  private applyPartitionChange(data: PartitionChangeRecord): void {
    const topic = this.topicsById.get(data.topicId);
    const current = topic?.partitions[data.partitionId];
    if (topic === undefined || current === undefined) {
      throw broken(`PartitionChangeRecord for unknown partition ${data.topicId}-${data.partitionId}`);
    }
    const leaderChanged = data.leader !== NO_LEADER_CHANGE && data.leader !== current.leader;
    const next = freezePartition({
      partition: current.partition,
      leader: data.leader === NO_LEADER_CHANGE ? current.leader : data.leader,
      replicas: data.replicas ?? current.replicas,
      isr: data.isr ?? current.isr,
      removingReplicas: data.removingReplicas ?? current.removingReplicas,
      addingReplicas: data.addingReplicas ?? current.addingReplicas,
      leaderRecoveryState: data.leaderRecoveryState === -1 ? current.leaderRecoveryState : data.leaderRecoveryState,
      // As Kafka: the leader epoch moves with the leader; the partition epoch with any change.
      leaderEpoch: leaderChanged ? current.leaderEpoch + 1 : current.leaderEpoch,
      partitionEpoch: current.partitionEpoch + 1,
    });
    this.writePartition(topic.topicId, next);
    const partitions = [...topic.partitions];
    partitions[data.partitionId] = next;
    this.setTopic(Object.freeze({ ...topic, partitions: Object.freeze(partitions) }));
  }

  private applyConfig(data: ConfigRecord, effects: BatchEffects): void {
    const key = configKey(data.resourceType, data.resourceName);
    const configs: Record<string, string> = { ...(this.configMaps.get(key) ?? {}) };
    if (data.value === null) {
      this.statements.deleteConfig!.run(data.resourceType, data.resourceName, data.name);
      delete configs[data.name];
    } else {
      this.statements.upsertConfig!.run(data.resourceType, data.resourceName, data.name, data.value);
      configs[data.name] = data.value;
    }
    if (Object.keys(configs).length === 0) this.configMaps.delete(key);
    else this.configMaps.set(key, Object.freeze(configs));
    const topic = data.resourceType === CONFIG_RESOURCE_TYPE_TOPIC ? this.topicsByName.get(data.resourceName) : undefined;
    if (topic !== undefined && effects.created.has(topic.topicId)) return; // part of topicCreated
    const entry = effects.configs.get(key) ?? { resourceType: data.resourceType, resourceName: data.resourceName, changed: {} };
    entry.changed[data.name] = data.value;
    effects.configs.set(key, entry);
  }

  private applyBroker(data: RegisterBrokerRecord, effects: BatchEffects): void {
    this.statements.upsertBroker!.run(
      data.brokerId,
      data.incarnationId,
      data.brokerEpoch,
      JSON.stringify(data.endPoints),
      JSON.stringify(data.features),
      data.rack,
      data.fenced ? 1 : 0,
    );
    this.brokerMap.set(
      data.brokerId,
      Object.freeze({
        brokerId: data.brokerId,
        incarnationId: data.incarnationId,
        brokerEpoch: data.brokerEpoch,
        endPoints: Object.freeze(data.endPoints.map((e) => Object.freeze({ ...e }))),
        features: Object.freeze(data.features.map((f) => Object.freeze({ ...f }))),
        rack: data.rack,
        fenced: data.fenced,
      }),
    );
    effects.brokers.add(data.brokerId);
  }

  private changesOf(effects: BatchEffects): MetadataChange[] {
    const changes: MetadataChange[] = [];
    if (effects.clusterId !== null) changes.push({ type: 'clusterInitialized', clusterId: effects.clusterId });
    for (const brokerId of effects.brokers) changes.push({ type: 'brokerRegistered', broker: this.brokerMap.get(brokerId)! });
    for (const [topicId, { name, partitionCount }] of effects.deleted) changes.push({ type: 'topicDeleted', name, topicId, partitionCount });
    for (const topicId of effects.created) {
      const topic = this.topicsById.get(topicId)!;
      changes.push({ type: 'topicCreated', topic, configs: this.topicConfigs(topic.name) });
    }
    for (const [topicId, previousCount] of effects.grown) {
      changes.push({ type: 'partitionsChanged', topic: this.topicsById.get(topicId)!, previousCount });
    }
    for (const { resourceType, resourceName, changed } of effects.configs.values()) {
      const configs = this.configMaps.get(configKey(resourceType, resourceName)) ?? EMPTY_CONFIGS;
      changes.push({ type: 'configChanged', resourceType, resourceName, configs, changed: Object.freeze(changed) });
    }
    if (effects.producerIds !== null) changes.push({ type: 'producerIdsAllocated', ...effects.producerIds });
    return changes;
  }

  // ---- load: SQLite -> memory (on open, and after a rolled-back apply) ----

  private load(): void {
    const db = this.db;
    this.topicsByName.clear();
    this.topicsById.clear();
    this.topicsByUnifiedName.clear();
    this.brokerMap.clear();
    this.configMaps.clear();
    this.featureLevels.clear();
    this.applied = db.prepare('SELECT applied_offset FROM applied WHERE id = 0').pluck().safeIntegers(true).get() as bigint;
    this.cluster = (db.prepare('SELECT cluster_id FROM cluster WHERE id = 0').pluck().get() as string | undefined) ?? null;
    for (const row of db.prepare('SELECT name, feature_level FROM features').all() as Row[]) {
      this.featureLevels.set(row.name as string, row.feature_level as number);
    }
    const partitionsByTopic = new Map<string, PartitionImage[]>();
    for (const row of db.prepare('SELECT * FROM partitions ORDER BY topic_id, partition_id').all() as Row[]) {
      const list = partitionsByTopic.get(row.topic_id as string) ?? [];
      if (row.partition_id !== list.length) throw broken(`partitions of topic id ${row.topic_id as string} are not dense in the image`);
      list.push(
        freezePartition({
          partition: row.partition_id,
          leader: row.leader as number,
          replicas: parseInts(row.replicas as string),
          isr: parseInts(row.isr as string),
          removingReplicas: parseInts(row.removing_replicas as string),
          addingReplicas: parseInts(row.adding_replicas as string),
          leaderRecoveryState: row.leader_recovery_state as number,
          leaderEpoch: row.leader_epoch as number,
          partitionEpoch: row.partition_epoch as number,
        }),
      );
      partitionsByTopic.set(row.topic_id as string, list);
    }
    for (const row of db.prepare('SELECT topic_id, name, internal FROM topics').all() as Row[]) {
      const topicId = row.topic_id as string;
      this.setTopic(
        Object.freeze({
          name: row.name as string,
          topicId,
          internal: row.internal === 1,
          partitions: Object.freeze(partitionsByTopic.get(topicId) ?? []),
        }),
      );
    }
    const configs = new Map<string, Record<string, string>>();
    for (const row of db.prepare('SELECT resource_type, resource_name, name, value FROM configs').all() as Row[]) {
      const key = configKey(row.resource_type as number, row.resource_name as string);
      const map = configs.get(key) ?? {};
      map[row.name as string] = row.value as string;
      configs.set(key, map);
    }
    for (const [key, map] of configs) this.configMaps.set(key, Object.freeze(map));
    const brokers = db.prepare('SELECT * FROM brokers').safeIntegers(true).all() as Row[];
    for (const row of brokers) {
      const brokerId = Number(row.broker_id);
      this.brokerMap.set(
        brokerId,
        Object.freeze({
          brokerId,
          incarnationId: row.incarnation_id as string,
          brokerEpoch: row.broker_epoch as bigint,
          endPoints: Object.freeze(JSON.parse(row.end_points as string) as BrokerEndpoint[]),
          features: Object.freeze(JSON.parse(row.features as string) as BrokerFeature[]),
          rack: (row.rack as string | null) ?? null,
          fenced: row.fenced === 1n,
        }),
      );
    }
    const producer = db.prepare('SELECT broker_id, broker_epoch, next_producer_id FROM producer_ids WHERE id = 0').safeIntegers(true).get() as
      | Row
      | undefined;
    this.producerIds =
      producer === undefined
        ? null
        : { brokerId: Number(producer.broker_id), brokerEpoch: producer.broker_epoch as bigint, nextProducerId: producer.next_producer_id as bigint };
  }
}
