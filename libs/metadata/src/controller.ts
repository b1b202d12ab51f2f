/**
 * MetadataController: the single-node metadata controller (in KRaft terms, the active controller and
 * the only voter). Every command runs the same four steps, one command at a time:
 *
 *   1. validate against the current image (which already holds every earlier command);
 *   2. build the metadata records (Kafka's record types, see records.ts);
 *   3. append them as ONE batch to the metadata log, durably (the log is the source of truth);
 *   4. apply that batch to the image (SQLite + memory, atomically with the applied offset), then
 *      tell the listeners what changed.
 *
 * Commands are serialized by a queue (at most COMMAND_QUEUE_MAX waiting), so two concurrent
 * createTopic calls for one name give one success and one TOPIC_ALREADY_EXISTS, never two records.
 *
 * Failure rules: a refused command appends nothing. When the log append fails the command fails;
 * if the log nevertheless moved (a batch may be on disk) or the apply fails (a bug: validated
 * records must apply), image and log may disagree, so the controller stops taking commands
 * (NOT_RUNNING) until a restart replays the log.
 *
 * start(): opens the image and catches up by replaying the log from appliedOffset + 1. The image is
 * rebuilt from offset 0 when its file is missing, has another schema version, or claims an applied
 * offset at or past the log end (the log is the source of truth; a lost log tail wins over the image).
 * Catch-up does not emit change events: after start(), the broker reads the image (topics()) to open
 * its partitions, and onChange listeners see every change applied after that.
 *
 * The Raft issue replaces step 3 with "append to the replicated log and wait for commit", and makes
 * followers call the same apply path; nothing else here changes.
 */
import {
  BROKER_ID_MAX,
  BROKERS_MAX,
  COMMAND_QUEUE_MAX,
  COMMAND_RECORDS_MAX,
  CONFIG_RESOURCE_TYPE_TOPIC,
  INTERNAL_TOPIC_NAMES,
  METADATA_BATCH_BYTES_MAX,
  METADATA_VERSION_FEATURE,
  METADATA_VERSION_LEVEL,
  PRODUCER_ID_BLOCK_DEFAULT,
  PRODUCER_ID_BLOCK_MAX,
  PRODUCER_ID_MAX,
  REPLAY_READ_BYTES,
  REPLICATION_FACTOR_DEFAULT,
  REPLICATION_FACTOR_MAX,
  TOPIC_PARTITIONS_DEFAULT,
  TOPIC_PARTITIONS_MAX,
  TOPICS_MAX,
} from './constants';
import { MetadataError, MetadataErrorCode, metadataError } from './errors';
import { MetadataImage, type BrokerImage, type ConfigMap, type MetadataChange, type PartitionImage, type TopicImage } from './image';
import type { MetadataLogPort } from './log-port';
import {
  decodeMetadataBatches,
  encodeMetadataBatch,
  type BrokerEndpoint,
  type BrokerFeature,
  type ConfigRecord,
  type MetadataBatch,
  type MetadataRecord,
  type PartitionRecord,
} from './records';
import { randomUuid, ZERO_UUID, type RandomBytes } from './uuid';
import { validateTopicConfigs, validateTopicName } from './validation';

export interface MetadataLogger {
  warn(message: string, error?: unknown): void;
}

export interface MetadataControllerOptions {
  /** The `__cluster_metadata-0` log (a storage PartitionLog, or InMemoryMetadataLog in tests). */
  log: MetadataLogPort;
  /** The SQLite image file (`<data>/metadata.sqlite`), or ':memory:' (rebuilt from the log on every start). */
  imagePath: string;
  /** Wall clock for batch timestamps (ms since the epoch). Default Date.now. */
  nowMs?: () => bigint;
  /** Randomness for topic and incarnation ids. Default crypto.randomBytes. */
  randomBytes?: RandomBytes;
  /** Where listener errors and rebuild notices go. Default console.warn. */
  logger?: MetadataLogger;
}

export interface CreateTopicRequest {
  name: string;
  /** Default TOPIC_PARTITIONS_DEFAULT. */
  partitions?: number;
  /** Default REPLICATION_FACTOR_DEFAULT. */
  replicationFactor?: number;
  /** Config overrides with Kafka's names (`retention.ms`, ...). */
  configs?: Record<string, string>;
  /** Validate and return what would be created, appending nothing (Kafka's validateOnly; topic id ZERO_UUID). */
  validateOnly?: boolean;
}

export interface ValidateOnlyOption {
  /** Validate and return the would-be result, appending nothing (Kafka's validateOnly). */
  validateOnly?: boolean;
}

export interface CreateTopicResult {
  topic: TopicImage;
  configs: ConfigMap;
}

export interface DeleteTopicResult {
  name: string;
  topicId: string;
  partitionCount: number;
}

export interface RegisterBrokerRequest {
  brokerId: number;
  endPoints: BrokerEndpoint[];
  features?: BrokerFeature[];
  rack?: string | null;
  /** Default false: a single node is ready as soon as it registers. */
  fenced?: boolean;
  /** Default: a fresh random Uuid (a new process incarnation). */
  incarnationId?: string;
}

export interface ProducerIdBlock {
  /** The first id of the block; the block is [firstProducerId, firstProducerId + count). */
  firstProducerId: bigint;
  count: number;
}

export interface StartResult {
  /** True when the image was (re)built from offset 0. */
  rebuilt: boolean;
  /** Batches applied while catching up. */
  replayedBatches: number;
  appliedOffset: bigint;
}

/**
 * Called with each change after it is applied. A listener may return a promise: the command that
 * made the change resolves only after every listener's promise settles (so the broker has created a
 * topic's partition logs when createTopic resolves). Listeners must not await controller commands
 * (the queue would wait for itself); their errors are logged, never thrown to the command.
 */
export type MetadataChangeListener = (change: MetadataChange) => void | Promise<void>;

type State = 'new' | 'running' | 'failed' | 'closed';

/** A stale schema or a damaged/foreign SQLite file: the log can rebuild it. Other errors (EACCES, disk full) stop start(). */
function isUnusableImage(error: unknown): boolean {
  if (error instanceof MetadataError) return error.code === MetadataErrorCode.LogInconsistent;
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

export class MetadataController {
  private readonly log: MetadataLogPort;
  private readonly imagePath: string;
  private readonly nowMs: () => bigint;
  private readonly randomBytes: RandomBytes | undefined;
  private readonly logger: MetadataLogger;
  private readonly listeners = new Set<MetadataChangeListener>();
  private metadataImage: MetadataImage | null = null;
  private state: State = 'new';
  private failure: unknown = null;
  private queueTail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closing = false;

  constructor(options: MetadataControllerOptions) {
    this.log = options.log;
    this.imagePath = options.imagePath;
    this.nowMs = options.nowMs ?? (() => BigInt(Date.now()));
    this.randomBytes = options.randomBytes;
    this.logger = options.logger ?? { warn: (message, error) => console.warn(message, error ?? '') };
  }

  /** The metadata image: every query the broker needs (topics, partitions, configs, brokers). */
  get image(): MetadataImage {
    if (this.metadataImage === null) throw this.notRunning();
    return this.metadataImage;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Subscribes to changes applied after start(); returns the unsubscribe function. */
  onChange(listener: MetadataChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async start(): Promise<StartResult> {
    if (this.state !== 'new') throw new Error(`MetadataController.start: already ${this.state}`);
    const memory = this.imagePath === ':memory:';
    let rebuilt = memory || !MetadataImage.exists(this.imagePath);
    let image: MetadataImage;
    try {
      image = MetadataImage.open(this.imagePath);
    } catch (error) {
      if (!isUnusableImage(error) || memory) throw error;
      this.logger.warn(`metadata: the image ${this.imagePath} is unusable (${(error as Error).message}); rebuilding it from the metadata log.`);
      MetadataImage.destroy(this.imagePath);
      image = MetadataImage.open(this.imagePath);
      rebuilt = true;
    }
    const logEndOffset = this.log.logEndOffset;
    if (image.appliedOffset() >= logEndOffset) {
      if (image.appliedOffset() >= 0n) {
        this.logger.warn(
          `metadata: the image has applied up to offset ${image.appliedOffset()} but the metadata log ends at ${logEndOffset}; ` +
            'the log is the source of truth: rebuilding the image from it.',
        );
        image.close();
        MetadataImage.destroy(this.imagePath);
        image = MetadataImage.open(this.imagePath);
        rebuilt = true;
      }
    }
    this.metadataImage = image;
    let replayedBatches: number;
    try {
      replayedBatches = await this.catchUp(image);
    } catch (error) {
      image.close();
      this.metadataImage = null;
      this.state = 'failed';
      this.failure = error;
      throw error;
    }
    this.state = 'running';
    return { rebuilt, replayedBatches, appliedOffset: image.appliedOffset() };
  }

  /** Applies every batch of the log after the image's applied offset. */
  private async catchUp(image: MetadataImage): Promise<number> {
    let offset = image.appliedOffset() + 1n;
    let batches = 0;
    while (offset < this.log.logEndOffset) {
      const read = await this.log.read(offset, REPLAY_READ_BYTES);
      if (read.logStartOffset > offset) {
        throw metadataError(
          MetadataErrorCode.LogInconsistent,
          `The metadata log starts at offset ${read.logStartOffset} but the image needs offset ${offset}: records are missing. ` +
            'Restore the __cluster_metadata-0 directory from a backup.',
        );
      }
      const decoded = decodeMetadataBatches(read.records);
      if (decoded.length === 0 || read.nextOffset <= offset) {
        throw metadataError(MetadataErrorCode.LogInconsistent, `The metadata log returned no batch at offset ${offset} below its end ${read.logEndOffset}.`);
      }
      const before = offset;
      const pending: MetadataBatch[] = [];
      for (const batch of decoded) {
        if (batch.lastOffset < offset) continue;
        if (batch.baseOffset !== offset) {
          throw metadataError(
            MetadataErrorCode.LogInconsistent,
            `The metadata log has a batch at offsets ${batch.baseOffset}..${batch.lastOffset} but the image expects one starting at ${offset}.`,
          );
        }
        pending.push(batch);
        offset = batch.lastOffset + 1n;
      }
      // One SQLite transaction per read (up to REPLAY_READ_BYTES of batches), still all or nothing.
      image.applyBatches(pending);
      batches += pending.length;
      if (offset === before) {
        throw metadataError(MetadataErrorCode.LogInconsistent, `The metadata log returned only batches before offset ${offset}; replay cannot progress.`);
      }
    }
    return batches;
  }

  /** Waits for queued commands, then closes the image. The log belongs to the caller. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.closing) return;
    this.closing = true;
    await this.queueTail.catch(() => undefined);
    this.state = 'closed';
    this.metadataImage?.close();
    this.metadataImage = null;
  }

  // ---- commands ----

  /**
   * Records the cluster id on first boot (with metadata.version); on later boots checks that the
   * image belongs to this cluster id. Returns whether it was recorded now.
   */
  ensureClusterInitialized(clusterId: string): Promise<{ clusterId: string; created: boolean }> {
    return this.enqueue(async () => {
      if (typeof clusterId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(clusterId)) {
        throw metadataError(MetadataErrorCode.InvalidRequest, `Cluster id ${JSON.stringify(clusterId)} must be 1 to 64 characters of A-Z, a-z, 0-9, "_" and "-".`);
      }
      const current = this.image.clusterId();
      if (current === clusterId) return { clusterId, created: false };
      if (current !== null) {
        throw metadataError(
          MetadataErrorCode.InconsistentClusterId,
          `The metadata log belongs to cluster ${current}, not ${clusterId}: this data directory is another cluster's. ` +
            'Point the broker at the right data directory, or use a new empty one.',
        );
      }
      await this.appendAndApply([
        { type: 'ClusterIdRecord', data: { clusterId } },
        { type: 'FeatureLevelRecord', data: { name: METADATA_VERSION_FEATURE, featureLevel: METADATA_VERSION_LEVEL } },
      ]);
      return { clusterId, created: true };
    });
  }

  /** Registers (or re-registers) a broker. Its epoch is the offset of its registration record, as in Kafka. */
  registerBroker(request: RegisterBrokerRequest): Promise<BrokerImage> {
    return this.enqueue(async () => {
      const { brokerId } = request;
      if (!isInteger(brokerId) || brokerId < 0 || brokerId > BROKER_ID_MAX) {
        throw metadataError(MetadataErrorCode.InvalidRequest, `Broker id ${brokerId} must be an integer from 0 to ${BROKER_ID_MAX}.`);
      }
      const image = this.image;
      if (image.broker(brokerId) === undefined && image.brokers().length >= BROKERS_MAX) {
        throw metadataError(MetadataErrorCode.InvalidRequest, `The cluster already has ${BROKERS_MAX} brokers, the maximum.`);
      }
      for (const e of request.endPoints) {
        if (!isInteger(e.port) || e.port < 0 || e.port > 0xffff) {
          throw metadataError(MetadataErrorCode.InvalidRequest, `Endpoint ${e.name} has port ${e.port}; a port is 0 to 65535.`);
        }
      }
      const incarnationId = request.incarnationId ?? randomUuid(this.randomBytes);
      await this.appendAndApply([
        {
          type: 'RegisterBrokerRecord',
          data: {
            brokerId,
            incarnationId,
            brokerEpoch: this.log.logEndOffset,
            endPoints: request.endPoints.map((e) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
            features: (request.features ?? []).map((f) => ({ ...f })),
            rack: request.rack ?? null,
            fenced: request.fenced ?? false,
          },
        },
      ]);
      return image.broker(brokerId)!;
    });
  }

  createTopic(request: CreateTopicRequest): Promise<CreateTopicResult> {
    return this.enqueue(async () => {
      const image = this.image;
      const { name } = request;
      validateTopicName(name);
      const existing = image.topic(name);
      if (existing !== undefined) {
        throw metadataError(
          MetadataErrorCode.TopicAlreadyExists,
          `Topic "${name}" already exists (topic id ${existing.topicId}). Choose another name, or delete it first.`,
        );
      }
      const other = image.topicCollidingWith(name);
      if (other !== undefined) {
        throw metadataError(
          MetadataErrorCode.InvalidTopic,
          `Topic "${name}" collides with existing topic "${other}": names that differ only by "." and "_" may not both exist (as in Kafka). Choose another name.`,
        );
      }
      if (image.topicCount() >= TOPICS_MAX) {
        throw metadataError(MetadataErrorCode.InvalidRequest, `The cluster already has ${TOPICS_MAX} topics, the maximum. Delete unused topics first.`);
      }
      const partitions = request.partitions ?? TOPIC_PARTITIONS_DEFAULT;
      if (!isInteger(partitions) || partitions < 1 || partitions > TOPIC_PARTITIONS_MAX) {
        throw metadataError(
          MetadataErrorCode.InvalidPartitions,
          `Topic "${name}": the number of partitions must be an integer from 1 to ${TOPIC_PARTITIONS_MAX}; got ${partitions}.`,
        );
      }
      const replicationFactor = request.replicationFactor ?? REPLICATION_FACTOR_DEFAULT;
      const brokers = this.replicaBrokers(name, replicationFactor);
      const configs = validateTopicConfigs(name, { ...(request.configs ?? {}) });
      const topicId = randomUuid(this.randomBytes, (id) => image.topicById(id) !== undefined);
      const records: MetadataRecord[] = [{ type: 'TopicRecord', data: { name, topicId } }];
      for (const [key, value] of Object.entries(configs)) records.push({ type: 'ConfigRecord', data: topicConfig(name, key, value) });
      const partitionRecords: PartitionRecord[] = [];
      for (let p = 0; p < partitions; p++) partitionRecords.push(newPartition(topicId, p, brokers, replicationFactor));
      if (request.validateOnly === true) {
        const topic: TopicImage = { name, topicId: ZERO_UUID, internal: INTERNAL_TOPIC_NAMES.has(name), partitions: partitionRecords.map(partitionImageOf) };
        return { topic, configs };
      }
      for (const data of partitionRecords) records.push({ type: 'PartitionRecord', data });
      await this.appendAndApply(records);
      return { topic: image.topic(name)!, configs: image.topicConfigs(name) };
    });
  }

  deleteTopic(name: string): Promise<DeleteTopicResult> {
    return this.enqueue(async () => {
      const topic = this.existingTopic(name);
      if (topic.internal) {
        throw metadataError(MetadataErrorCode.InvalidTopic, `Topic "${name}" is internal to the broker and cannot be deleted.`);
      }
      await this.appendAndApply([{ type: 'RemoveTopicRecord', data: { topicId: topic.topicId } }]);
      return { name, topicId: topic.topicId, partitionCount: topic.partitions.length };
    });
  }

  /** Grows the topic to `totalCount` partitions (Kafka's CreatePartitions: grow only). */
  createPartitions(name: string, totalCount: number, options: ValidateOnlyOption = {}): Promise<TopicImage> {
    return this.enqueue(async () => {
      const topic = this.existingTopic(name);
      const current = topic.partitions.length;
      if (!isInteger(totalCount) || totalCount > TOPIC_PARTITIONS_MAX) {
        throw metadataError(
          MetadataErrorCode.InvalidPartitions,
          `Topic "${name}": the partition count must be an integer up to ${TOPIC_PARTITIONS_MAX}; got ${totalCount}.`,
        );
      }
      if (totalCount <= current) {
        throw metadataError(
          MetadataErrorCode.InvalidPartitions,
          `Topic "${name}" has ${current} partitions; the new count ${totalCount} must be larger (partitions can only be added).`,
        );
      }
      const replicationFactor = topic.partitions[0]?.replicas.length ?? REPLICATION_FACTOR_DEFAULT;
      const brokers = this.replicaBrokers(name, replicationFactor);
      const records: MetadataRecord[] = [];
      for (let p = current; p < totalCount; p++) records.push({ type: 'PartitionRecord', data: newPartition(topic.topicId, p, brokers, replicationFactor) });
      if (options.validateOnly === true) {
        return { ...topic, partitions: [...topic.partitions, ...records.map((r) => partitionImageOf(r.data as PartitionRecord))] };
      }
      await this.appendAndApply(records);
      return this.image.topic(name)!;
    });
  }

  /**
   * Incremental alter (Kafka's IncrementalAlterConfigs SET/DELETE): sets `set`, removes `remove`,
   * keeps the other overrides. The resulting overrides are validated as a whole.
   */
  alterTopicConfigs(name: string, set: Record<string, string>, remove: readonly string[] = [], options: ValidateOnlyOption = {}): Promise<ConfigMap> {
    return this.enqueue(async () => {
      this.existingTopic(name);
      for (const key of remove) {
        if (Object.prototype.hasOwnProperty.call(set, key)) {
          throw metadataError(MetadataErrorCode.InvalidRequest, `Config "${key}" of topic "${name}" is both set and deleted; give it once.`);
        }
      }
      const next: Record<string, string> = { ...this.image.topicConfigs(name), ...set };
      for (const key of remove) delete next[key];
      return this.writeTopicConfigs(name, next, options.validateOnly === true);
    });
  }

  /** Full replace (Kafka's AlterConfigs): the overrides become exactly `configs`. */
  replaceTopicConfigs(name: string, configs: Record<string, string>, options: ValidateOnlyOption = {}): Promise<ConfigMap> {
    return this.enqueue(async () => {
      this.existingTopic(name);
      return this.writeTopicConfigs(name, { ...configs }, options.validateOnly === true);
    });
  }

  /** Hands `brokerId` the next block of producer ids (Kafka's AllocateProducerIds). */
  allocateProducerIds(brokerId: number, count: number = PRODUCER_ID_BLOCK_DEFAULT): Promise<ProducerIdBlock> {
    return this.enqueue(async () => {
      const broker = this.image.broker(brokerId);
      if (broker === undefined) {
        throw metadataError(MetadataErrorCode.InvalidRequest, `Broker ${brokerId} is not registered: register it before asking for producer ids.`);
      }
      if (!isInteger(count) || count < 1 || count > PRODUCER_ID_BLOCK_MAX) {
        throw metadataError(MetadataErrorCode.InvalidRequest, `A producer id block has 1 to ${PRODUCER_ID_BLOCK_MAX} ids; got ${count}.`);
      }
      const firstProducerId = this.image.producerIdState()?.nextProducerId ?? 0n;
      const nextProducerId = firstProducerId + BigInt(count);
      if (nextProducerId > PRODUCER_ID_MAX) {
        throw metadataError(MetadataErrorCode.InvalidRequest, `Producer ids are exhausted (the next block would pass ${PRODUCER_ID_MAX}).`);
      }
      await this.appendAndApply([{ type: 'ProducerIdsRecord', data: { brokerId, brokerEpoch: broker.brokerEpoch, nextProducerId } }]);
      return { firstProducerId, count };
    });
  }

  // ---- internals ----

  private existingTopic(name: string): TopicImage {
    const topic = typeof name === 'string' ? this.image.topic(name) : undefined;
    if (topic === undefined) {
      throw metadataError(MetadataErrorCode.UnknownTopic, `Topic "${String(name)}" does not exist. Check the name, or create the topic first.`);
    }
    return topic;
  }

  /** The brokers replicas go to, after checking the replication factor against them. */
  private replicaBrokers(topicName: string, replicationFactor: number): number[] {
    const available = this.image
      .brokers()
      .filter((b) => !b.fenced)
      .map((b) => b.brokerId);
    if (!isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > REPLICATION_FACTOR_MAX) {
      throw metadataError(
        MetadataErrorCode.InvalidReplicationFactor,
        `Topic "${topicName}": the replication factor must be an integer from 1 to ${REPLICATION_FACTOR_MAX}; got ${replicationFactor}.`,
      );
    }
    if (replicationFactor > available.length) {
      const plural = available.length === 1 ? 'broker is' : 'brokers are';
      throw metadataError(
        MetadataErrorCode.InvalidReplicationFactor,
        `Topic "${topicName}": replication factor ${replicationFactor} is larger than the number of available brokers: ` +
          `only ${available.length} ${plural} registered${available.length > 0 ? ` (${available.join(', ')})` : ''}. ` +
          `Use a replication factor of at most ${Math.max(available.length, 1)}${available.length === 0 ? ' after registering a broker' : ''}.`,
      );
    }
    return available;
  }

  private async writeTopicConfigs(name: string, next: Record<string, string>, validateOnly: boolean): Promise<ConfigMap> {
    validateTopicConfigs(name, next);
    if (validateOnly) return Object.freeze(next);
    const current = this.image.topicConfigs(name);
    const records: MetadataRecord[] = [];
    for (const [key, value] of Object.entries(next)) {
      if (current[key] !== value) records.push({ type: 'ConfigRecord', data: topicConfig(name, key, value) });
    }
    for (const key of Object.keys(current)) {
      if (!Object.prototype.hasOwnProperty.call(next, key)) records.push({ type: 'ConfigRecord', data: topicConfig(name, key, null) });
    }
    if (records.length > 0) await this.appendAndApply(records);
    return this.image.topicConfigs(name);
  }

  /** Steps 3 and 4: one durable batch, then apply and notify. */
  private async appendAndApply(records: MetadataRecord[]): Promise<void> {
    if (records.length > COMMAND_RECORDS_MAX) throw new Error(`metadata: a command built ${records.length} records (max ${COMMAND_RECORDS_MAX})`);
    const batch = encodeMetadataBatch(records, this.nowMs());
    if (batch.length > METADATA_BATCH_BYTES_MAX) {
      throw metadataError(MetadataErrorCode.InvalidRequest, `The command needs a ${batch.length}-byte metadata batch; the maximum is ${METADATA_BATCH_BYTES_MAX}.`);
    }
    const image = this.image;
    const expectedOffset = image.appliedOffset() + 1n;
    let appended: { firstOffset: bigint; lastOffset: bigint };
    try {
      appended = await this.log.append(batch, { durable: true });
    } catch (error) {
      // The batch may be (partly) in the log: if the log moved, image and log may now disagree.
      if (this.log.logEndOffset !== expectedOffset) this.fail(error);
      throw error;
    }
    if (appended.firstOffset !== expectedOffset || appended.lastOffset !== expectedOffset + BigInt(records.length - 1)) {
      const error = new Error(
        `metadata: the log put the batch at ${appended.firstOffset}..${appended.lastOffset}, expected ${expectedOffset}..${expectedOffset + BigInt(records.length - 1)}: another writer?`,
      );
      this.fail(error);
      throw error;
    }
    let changes: MetadataChange[];
    try {
      changes = image.apply(appended.lastOffset, records);
    } catch (error) {
      this.fail(error);
      throw error;
    }
    await this.emit(changes);
  }

  private async emit(changes: readonly MetadataChange[]): Promise<void> {
    const pending: Array<Promise<void>> = [];
    for (const change of changes) {
      for (const listener of [...this.listeners]) {
        const warn = (error: unknown): void => this.logger.warn(`metadata: a change listener failed on ${change.type}`, error);
        try {
          const result = listener(change);
          if (result instanceof Promise) pending.push(result.catch(warn));
        } catch (error) {
          warn(error);
        }
      }
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  private fail(error: unknown): void {
    this.state = 'failed';
    this.failure = error;
    this.logger.warn('metadata: the controller stopped taking commands; restart the broker to replay the metadata log.', error);
  }

  private notRunning(): MetadataError {
    const why =
      this.state === 'new'
        ? 'it has not started (call start() first)'
        : this.state === 'closed' || this.closing
          ? 'it is closed'
          : `it failed (${this.failure instanceof Error ? this.failure.message : String(this.failure)}); restart the broker to replay the metadata log`;
    return metadataError(MetadataErrorCode.NotRunning, `The metadata controller cannot take commands: ${why}.`, this.failure ?? undefined);
  }

  /** Runs `command` after every earlier one has finished (serialized; no interleaving). */
  private enqueue<T>(command: () => Promise<T>): Promise<T> {
    if (this.state !== 'running' || this.closing) return Promise.reject(this.notRunning());
    if (this.queued >= COMMAND_QUEUE_MAX) {
      return Promise.reject(
        metadataError(MetadataErrorCode.ControllerBusy, `The metadata controller has ${COMMAND_QUEUE_MAX} commands waiting; retry later.`),
      );
    }
    this.queued += 1;
    const run = async (): Promise<T> => {
      try {
        if (this.state !== 'running') throw this.notRunning();
        return await command();
      } finally {
        this.queued -= 1;
      }
    };
    const result = this.queueTail.then(run, run);
    this.queueTail = result.catch(() => undefined);
    return result;
  }
}

function partitionImageOf(record: PartitionRecord): PartitionImage {
  const { partitionId, topicId: _topicId, ...rest } = record;
  return { partition: partitionId, ...rest };
}

/** Replicas per partition (Kafka reports the first partition's); 0 for a topic without partitions. */
export function replicationFactorOf(topic: TopicImage): number {
  return topic.partitions[0]?.replicas.length ?? 0;
}

function topicConfig(topicName: string, name: string, value: string | null): ConfigRecord {
  return { resourceType: CONFIG_RESOURCE_TYPE_TOPIC, resourceName: topicName, name, value };
}

/** Round-robin replica placement from `brokers` (sorted ids); the first replica leads. */
function newPartition(topicId: string, partitionId: number, brokers: readonly number[], replicationFactor: number): PartitionRecord {
  const replicas: number[] = [];
  for (let i = 0; i < replicationFactor; i++) replicas.push(brokers[(partitionId + i) % brokers.length]!);
  return {
    partitionId,
    topicId,
    replicas,
    isr: [...replicas],
    removingReplicas: [],
    addingReplicas: [],
    leader: replicas[0]!,
    leaderRecoveryState: 0,
    leaderEpoch: 0,
    partitionEpoch: 0,
  };
}

