/**
 * The engine of one node: the log manager (data dir, lock, recovery), the metadata log and its
 * SQLite image, and the group coordinator. Owned here, wrapped once, and used by every door
 * through the core services.
 *
 * Start order: lock + recover logs -> meta.properties -> metadata log replayed into the image ->
 * partition logs for every topic -> internal topics -> coordinator load -> background work.
 * Stop order is the reverse, ending with the clean-shutdown marker written by the log manager.
 */
import { Logger } from '@nestjs/common';
import { GroupCoordinator, TimerScheduler, systemClock } from '@runnel/coordinator';
import { MetadataController, MetadataChange, metadataLogConfig } from '@runnel/metadata';
import { BATCH_HEADER_BYTES, type BatchHeader, batchSizeAt, readBatchHeader } from '@runnel/records';
import { LogConfig, LogManager, PartitionLog, logConfigToStrings, parseLogConfig } from '@runnel/storage';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerConfig } from '../config/broker-config';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const METADATA_TOPIC = '__cluster_metadata';
const META_PROPERTIES = 'meta.properties';
const META_FORMAT_VERSION = 1;

/** Kafka-style cluster id: 16 random bytes, base64url without padding (22 characters). */
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function readProperties(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq > 0) out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

/** Where Kafka clients are told to connect: the advertised host, and the advertised port or else `kafkaPort`. */
export function advertisedEndpoint(config: BrokerConfig, kafkaPort: number): { host: string; port: number } {
  return { host: config.advertisedHost, port: config.advertisedPort || kafkaPort };
}

/**
 * Visits the header (and size) of every whole batch of `log` from `from` (at least the log start)
 * up to `to`, reading `chunkBytes` at a time, until `visit` returns false or `bytesMax` bytes have
 * been read. Synchronous; bounded by the caller's limits.
 */
export function scanBatchHeaders(
  log: PartitionLog,
  from: bigint,
  to: bigint,
  limits: { chunkBytes: number; bytesMax?: number },
  visit: (header: BatchHeader, sizeBytes: number) => boolean,
): void {
  let offset = from < log.logStartOffset ? log.logStartOffset : from;
  let scanned = 0;
  while (offset < to && scanned < (limits.bytesMax ?? Infinity)) {
    const r = log.read(offset, limits.chunkBytes, { maxOffset: to });
    if (r.records.length === 0) return;
    scanned += r.records.length;
    let pos = 0;
    let next = offset;
    while (pos + BATCH_HEADER_BYTES <= r.records.length) {
      const size = batchSizeAt(r.records, pos);
      if (pos + size > r.records.length) break;
      const h = readBatchHeader(r.records, pos);
      next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      if (!visit(h, size)) return;
      pos += size;
    }
    if (next <= offset) return;
    offset = next;
  }
}

/** Writes a small file atomically: temp file, fsync, rename. */
function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export class EngineService {
  private readonly logger = new Logger('engine');
  private serving = false;
  private closing = false;
  private readonly closingListeners = new Set<() => void>();

  private constructor(
    readonly config: BrokerConfig,
    readonly logs: LogManager,
    readonly metadata: MetadataController,
    readonly groups: GroupCoordinator,
    readonly clusterId: string,
    private readonly topicDefaults: LogConfig,
  ) {}

  get image(): MetadataController['image'] {
    return this.metadata.image;
  }

  static async start(config: BrokerConfig): Promise<EngineService> {
    const logger = new Logger('engine');
    const topicDefaults = parseLogConfig(config.topicDefaults);
    const logs = await LogManager.open({
      dataDir: config.dataDir,
      defaults: topicDefaults,
      logger: { info: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) },
    });
    try {
      const clusterId = EngineService.loadMetaProperties(config);
      const metadataLog = logs.getLog(METADATA_TOPIC, 0) ?? (await logs.createLog(METADATA_TOPIC, 0, metadataLogConfig(topicDefaults)));
      const metadata = new MetadataController({ log: metadataLog, imagePath: join(config.dataDir, 'metadata.sqlite'), logger: { warn: (m: string) => logger.warn(m) } });
      await metadata.start();
      await metadata.ensureClusterInitialized(clusterId);
      // Registered now with the configured ports (topics need a registered broker), and again in
      // markServing() with the ports really bound.
      await metadata.registerBroker({
        brokerId: config.nodeId,
        endPoints: [{ name: 'PLAINTEXT', ...advertisedEndpoint(config, config.kafkaPort), securityProtocol: 0 }],
      });
      const engine = new EngineService(
        config,
        logs,
        metadata,
        // The coordinator is created once the offsets topic's logs are open (below).
        undefined as unknown as GroupCoordinator,
        clusterId,
        topicDefaults,
      );
      await engine.syncLogsWithImage();
      // Awaited by the controller: a command resolves only once its partition logs exist.
      metadata.onChange((change) => engine.applyChange(change));
      if (!metadata.image.topic(CONSUMER_OFFSETS_TOPIC)) {
        await metadata.createTopic({
          name: CONSUMER_OFFSETS_TOPIC,
          partitions: config.offsetsTopicNumPartitions,
          replicationFactor: 1,
          configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(100 * 1024 * 1024) },
        });
      }
      await engine.syncLogsWithImage();
      const offsetsPartitions = metadata.image.topic(CONSUMER_OFFSETS_TOPIC)!.partitions.length;
      const groups = new GroupCoordinator({
        logs: Array.from({ length: offsetsPartitions }, (_, p) => logs.getLog(CONSUMER_OFFSETS_TOPIC, p)!),
        clock: systemClock,
        scheduler: new TimerScheduler(),
        partitionExists: (topic, partition) => (metadata.image.topic(topic)?.partitions.length ?? 0) > partition,
        logger: { info: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) },
        config: {
          initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
          minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
          maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        },
      });
      await groups.load();
      (engine as { groups: GroupCoordinator }).groups = groups;
      logs.startBackground();
      logger.log(`engine started: cluster ${clusterId}, node ${config.nodeId}, ${logs.logs().length} partition logs in ${config.dataDir}`);
      return engine;
    } catch (e) {
      await logs.close().catch(() => undefined);
      throw e;
    }
  }

  /** meta.properties: created on first start; afterwards it must match this node. */
  private static loadMetaProperties(config: BrokerConfig): string {
    const path = join(config.dataDir, META_PROPERTIES);
    if (existsSync(path)) {
      const props = readProperties(path);
      if (props['node.id'] !== String(config.nodeId)) {
        throw new Error(`data dir ${config.dataDir} belongs to node ${props['node.id']}, not node ${config.nodeId}; use that node id (RUNNEL_NODE_ID) or another data dir.`);
      }
      if (!props['cluster.id']) throw new Error(`${path} has no cluster.id; the data dir is damaged.`);
      return props['cluster.id'];
    }
    const clusterId = newClusterId();
    writeFileAtomic(path, `#Runnel node metadata\nversion=${META_FORMAT_VERSION}\nnode.id=${config.nodeId}\ncluster.id=${clusterId}\n`);
    return clusterId;
  }

  /** Topic-level config of a topic: the broker defaults overlaid with the topic's overrides. */
  topicLogConfig(topic: string): LogConfig {
    return parseLogConfig(this.image.topicConfigs(topic), this.topicDefaults);
  }

  /** Every topic config with its effective value (override or broker default), Kafka names. */
  effectiveTopicConfigs(topic: string): Record<string, string> {
    return logConfigToStrings(this.topicLogConfig(topic));
  }

  private syncing: Promise<void> = Promise.resolve();

  /** Opens a log for every partition of every topic in the image and deletes logs of topics gone (serialized). */
  syncLogsWithImage(): Promise<void> {
    const next = this.syncing.then(() => this.syncOnce());
    this.syncing = next.catch(() => undefined);
    return next;
  }

  private async syncOnce(): Promise<void> {
    const wanted = new Set<string>();
    for (const t of this.image.topics()) {
      const config = this.topicLogConfig(t.name);
      for (let p = 0; p < t.partitions.length; p++) {
        wanted.add(`${t.name}\u0000${p}`);
        const log = this.logs.getLog(t.name, p);
        if (!log) await this.logs.createLog(t.name, p, config);
        else log.updateConfig(config);
      }
    }
    for (const log of this.logs.logs()) {
      if (log.topic === METADATA_TOPIC) continue;
      if (!wanted.has(`${log.topic}\u0000${log.partition}`)) await this.logs.deleteLog(log.topic, log.partition);
    }
  }

  private async applyChange(change: MetadataChange): Promise<void> {
    try {
      await this.syncLogsWithImage();
    } catch (e) {
      this.logger.error(`applying metadata change ${JSON.stringify(change)} failed: ${(e as Error).message}`);
    }
  }

  partitionLogs(): PartitionLog[] {
    return this.logs.logs().filter((l) => l.topic !== METADATA_TOPIC);
  }

  /** The ports actually bound (port 0 = any free port), once the listeners are up. */
  boundPorts = { httpPort: 0, kafkaPort: 0 };
  /** The Kafka API version ranges the wire door advertises (set by the composition root at start). */
  kafkaApiVersions: readonly { apiKey: number; name: string; minVersion: number; maxVersion: number }[] = [];

  /** Where Kafka clients should connect to this node: the configured Kafka port until the listener is bound. */
  advertisedEndpoint(): { host: string; port: number } {
    return advertisedEndpoint(this.config, this.boundPorts.kafkaPort || this.config.kafkaPort);
  }

  /**
   * Registers this node (RegisterBrokerRecord) with the ports it really listens on, then opens
   * for traffic. Called once the HTTP and Kafka listeners are bound.
   */
  async markServing(ports: { httpPort: number; kafkaPort: number }): Promise<void> {
    this.boundPorts = ports;
    await this.metadata.registerBroker({
      brokerId: this.config.nodeId,
      endPoints: [{ name: 'PLAINTEXT', ...advertisedEndpoint(this.config, ports.kafkaPort), securityProtocol: 0 }],
    });
    this.serving = true;
  }

  /** Null when the broker can take writes; otherwise why not. */
  notReadyReason(): string | null {
    if (this.closing) return 'shutting down';
    if (!this.serving) return 'starting';
    return null;
  }

  /** Called when shutdown begins: wakes long-polls so in-flight requests finish quickly. */
  onClosing(listener: () => void): () => void {
    if (this.closing) {
      listener();
      return () => undefined;
    }
    this.closingListeners.add(listener);
    return () => this.closingListeners.delete(listener);
  }

  beginClosing(): void {
    if (this.closing) return;
    this.closing = true;
    for (const l of [...this.closingListeners]) l();
    this.closingListeners.clear();
  }

  private closed: Promise<void> | undefined;

  /** Idempotent: the first call closes the coordinator, the metadata image and the logs. */
  close(): Promise<void> {
    return (this.closed ??= this.closeOnce());
  }

  private async closeOnce(): Promise<void> {
    this.beginClosing();
    this.groups.shutdown();
    await this.metadata.close();
    await this.logs.close();
    this.logger.log('engine stopped: logs flushed, clean shutdown marked');
  }
}
