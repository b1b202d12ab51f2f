/**
 * Named limits and fixed values of the metadata path. Every command, batch, queue and replay loop is
 * bounded by one of these; the relations between them are asserted when the module loads.
 */

/** The metadata log's topic name (KRaft's). It is a partition log, never a user topic. */
export const METADATA_TOPIC_NAME = '__cluster_metadata';
/** File name of the metadata image inside the data directory (DESIGN.md, "On disk"). */
export const METADATA_IMAGE_FILE_NAME = 'metadata.sqlite';
/** Schema version of the SQLite image; a different stored version means "rebuild from the log". */
export const METADATA_IMAGE_SCHEMA_VERSION = 1;

/** Kafka's topic name rules (`org.apache.kafka.common.internals.Topic`). */
export const TOPIC_NAME_LENGTH_MAX = 249;
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;
/** Topics the broker owns; users may not create or delete them through the admin commands. */
export const INTERNAL_TOPIC_NAMES: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

/** Partitions one topic may have. Each is a directory with open files on a single node. */
export const TOPIC_PARTITIONS_MAX = 10_000;
/** Default partition count and replication factor when a command leaves them out. */
export const TOPIC_PARTITIONS_DEFAULT = 1;
export const REPLICATION_FACTOR_DEFAULT = 1;
/** Replication factor ceiling (Kafka keeps it within int16). */
export const REPLICATION_FACTOR_MAX = 32;
/** Topics in one cluster image. */
export const TOPICS_MAX = 100_000;
/** Brokers in one cluster image; broker ids are int32 >= 0. */
export const BROKERS_MAX = 1024;
export const BROKER_ID_MAX = 0x7fff_ffff;

/** Config overrides per resource, and bytes of one config name / value. */
export const CONFIGS_PER_RESOURCE_MAX = 256;
export const CONFIG_NAME_LENGTH_MAX = 249;
export const CONFIG_VALUE_BYTES_MAX = 32 * 1024;

/** Kafka's ConfigResource types used in ConfigRecord.resourceType. */
export const CONFIG_RESOURCE_TYPE_TOPIC = 2;
export const CONFIG_RESOURCE_TYPE_BROKER = 4;

/** Records one command may append as one batch (a topic with the most partitions, plus its configs). */
export const COMMAND_RECORDS_MAX = 1 + TOPIC_PARTITIONS_MAX + CONFIGS_PER_RESOURCE_MAX;
/**
 * Bytes one metadata batch may take. The largest command (createTopic at TOPIC_PARTITIONS_MAX
 * partitions, REPLICATION_FACTOR_MAX replicas, CONFIGS_PER_RESOURCE_MAX configs) fits; real commands
 * are a few hundred bytes per partition. The metadata log must accept batches this big.
 */
export const METADATA_BATCH_BYTES_MAX = 32 * 1024 * 1024;
/** Bytes asked of the log per read while replaying. The log returns at least one whole batch. */
export const REPLAY_READ_BYTES = 1024 * 1024;
/** Commands waiting in the controller's queue; beyond this a command is refused (CONTROLLER_BUSY). */
export const COMMAND_QUEUE_MAX = 1024;

/** Producer ids handed out per allocateProducerIds call, at most (Kafka hands out blocks of 1000). */
export const PRODUCER_ID_BLOCK_DEFAULT = 1000;
export const PRODUCER_ID_BLOCK_MAX = 1_000_000;
/** Producer ids are int64 in Kafka; here they stay within JSON's exact integers. */
export const PRODUCER_ID_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `metadata.version` recorded at cluster bootstrap (Kafka 3.9's 3.9-IV0). Recorded for tools and for
 * the Raft issue; Runnel does not gate record versions on it yet.
 */
export const METADATA_VERSION_FEATURE = 'metadata.version';
export const METADATA_VERSION_LEVEL = 21;

/** Kafka's special leader values in PartitionChangeRecord. */
export const NO_LEADER = -1;
export const NO_LEADER_CHANGE = -2;

function assertLimit(condition: boolean, message: string): void {
  if (!condition) throw new Error(`metadata constants: ${message}`);
}

assertLimit(TOPIC_PARTITIONS_MAX >= TOPIC_PARTITIONS_DEFAULT && TOPIC_PARTITIONS_DEFAULT >= 1, 'default partitions within limits');
assertLimit(TOPIC_PARTITIONS_MAX <= 0x7fff_ffff, 'partition ids are int32');
assertLimit(REPLICATION_FACTOR_DEFAULT >= 1 && REPLICATION_FACTOR_MAX <= 0x7fff, 'replication factor within int16');
assertLimit(REPLICATION_FACTOR_MAX <= BROKERS_MAX, 'a replica set fits in the broker limit');
// A createTopic batch holds: one TopicRecord, a record per partition (each replica list up to
// REPLICATION_FACTOR_MAX ids of <= 11 chars, three lists plus ~200 bytes of fields) and its configs.
assertLimit(
  TOPIC_PARTITIONS_MAX * (200 + 3 * REPLICATION_FACTOR_MAX * 11) + CONFIGS_PER_RESOURCE_MAX * (CONFIG_VALUE_BYTES_MAX + 400) <=
    METADATA_BATCH_BYTES_MAX,
  'the largest createTopic fits in one metadata batch',
);
assertLimit(REPLAY_READ_BYTES >= 64 * 1024, 'replay reads are not tiny');
assertLimit(PRODUCER_ID_BLOCK_DEFAULT <= PRODUCER_ID_BLOCK_MAX, 'default producer id block within limit');
assertLimit(COMMAND_QUEUE_MAX >= 1, 'the command queue holds at least one command');

/**
 * Topic config overrides the broker must create `__cluster_metadata-0` with. There are no snapshots
 * yet, so the image can only be rebuilt from a complete log: retention must never delete it, and it
 * must accept the largest metadata batch. Pass `metadataLogConfig()` (log-port.ts) to the LogManager.
 */
export const METADATA_LOG_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'delete',
  'retention.ms': '-1',
  'retention.bytes': '-1',
  'max.message.bytes': String(METADATA_BATCH_BYTES_MAX),
});
