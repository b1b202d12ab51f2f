/**
 * Named limits and defaults of the group coordinator. Defaults carry Kafka's config names in their
 * comments; the broker may override every `*_DEFAULT` through `CoordinatorConfig`. The relations
 * between limits are asserted when the module loads, so a bad edit fails at start-up.
 */

/** The compacted internal topic holding committed offsets and group metadata. */
export const OFFSETS_TOPIC_NAME = '__consumer_offsets';
/** `offsets.topic.num.partitions` (Kafka's default). */
export const OFFSETS_TOPIC_PARTITIONS_DEFAULT = 50;
/** Ceiling on `offsets.topic.num.partitions`. */
export const OFFSETS_TOPIC_PARTITIONS_MAX = 1000;

/** `group.initial.rebalance.delay.ms`. */
export const GROUP_INITIAL_REBALANCE_DELAY_MS_DEFAULT = 3000;
/** `group.min.session.timeout.ms`. */
export const GROUP_MIN_SESSION_TIMEOUT_MS_DEFAULT = 6000;
/** `group.max.session.timeout.ms`. */
export const GROUP_MAX_SESSION_TIMEOUT_MS_DEFAULT = 1_800_000;
/**
 * `group.max.size`. Kafka's default is Int.MaxValue; we keep a limit on everything, so the default
 * is the ceiling below, and the broker may lower it.
 */
export const GROUP_MAX_SIZE_DEFAULT = 10_000;
export const GROUP_MAX_SIZE_CEILING = 10_000;
/**
 * How long a brand-new member may sit in a JoinGroup before it is dropped (Kafka's
 * `GroupCoordinator.NewMemberJoinTimeoutMs`): a client that disconnected while its JoinGroup was
 * parked would otherwise stay a defunct member of every rebalance.
 */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;
/** `offset.metadata.max.bytes`. */
export const OFFSET_METADATA_MAX_BYTES_DEFAULT = 4096;
/** `offsets.retention.ms` (7 days). */
export const OFFSETS_RETENTION_MS_DEFAULT = 7 * 24 * 60 * 60 * 1000;
/** `offsets.retention.check.interval.ms`. */
export const OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT = 600_000;

/** Groups one coordinator holds (live and offsets-only together). */
export const GROUPS_MAX = 100_000;
/** Bytes of a group id, member id, client id or topic name: Kafka's int16 string length. */
export const NAME_BYTES_MAX = 0x7fff;
/** Protocols one member may advertise in a JoinGroup. */
export const PROTOCOLS_PER_MEMBER_MAX = 64;
/** Bytes of one protocol's metadata (a subscription) or of one member's assignment. */
export const PROTOCOL_METADATA_BYTES_MAX = 1024 * 1024;
/** Partitions in one OffsetCommit or OffsetFetch request. */
export const OFFSETS_PER_REQUEST_MAX = 100_000;
/** Members in one LeaveGroup batch. */
export const LEAVE_MEMBERS_MAX = GROUP_MAX_SIZE_CEILING;
/** Topics a subscription may name (and topics in an assignment). */
export const SUBSCRIPTION_TOPICS_MAX = 100_000;
/** Partitions of one topic in an assignment or owned-partitions list. */
export const TOPIC_PARTITIONS_MAX = 1_000_000;
/** Records per batch the coordinator appends to `__consumer_offsets`. */
export const OFFSETS_RECORDS_PER_BATCH_MAX = 10_000;
/** Bytes asked per read while replaying `__consumer_offsets` at load. */
export const LOAD_READ_BYTES = 1024 * 1024;

/** Consumer protocol versions we decode and encode (ConsumerProtocolSubscription/Assignment). */
export const CONSUMER_PROTOCOL_VERSION_MAX = 3;
/** The protocol type consumers put in JoinGroup. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Managed members: client defaults (Kafka consumer client defaults where one exists). */
export const MANAGED_SESSION_TIMEOUT_MS_DEFAULT = 45_000;
/** Broker-run members rejoin at once, so they need far less than `max.poll.interval.ms`. */
export const MANAGED_REBALANCE_TIMEOUT_MS_DEFAULT = 60_000;
export const MANAGED_HEARTBEAT_INTERVAL_MS_DEFAULT = 3000;
/** `retry.backoff.ms`: pause before re-joining after an error that is not a rebalance. */
export const MANAGED_RETRY_BACKOFF_MS = 100;
/** Ceiling of the doubling backoff between failed join attempts (a coordinator still loading, say). */
export const MANAGED_RETRY_BACKOFF_MAX_MS = 5000;
/** Consecutive failed join attempts after which a managed member gives up and reports an error. */
export const MANAGED_JOIN_ATTEMPTS_MAX = 50;
/**
 * Client ids of managed members start with `runnel-<kind>:`. Their owners live in the broker
 * process, so such members found in `__consumer_offsets` at load are gone and are removed at once.
 */
export const MANAGED_CLIENT_ID_PREFIX_HTTP = 'runnel-http:';
export const MANAGED_CLIENT_ID_PREFIX_WS = 'runnel-ws:';

/** Sentinels of Kafka's protocol. */
export const UNKNOWN_MEMBER_ID = '';
export const NO_GENERATION = -1;
export const NO_LEADER_EPOCH = -1;
export const NO_OFFSET = -1n;

function assertLimit(condition: boolean, message: string): void {
  if (!condition) throw new Error(`coordinator constants: ${message}`);
}

assertLimit(GROUP_MIN_SESSION_TIMEOUT_MS_DEFAULT <= GROUP_MAX_SESSION_TIMEOUT_MS_DEFAULT, 'session timeout bounds ordered');
assertLimit(GROUP_MAX_SIZE_DEFAULT <= GROUP_MAX_SIZE_CEILING, 'group.max.size default under its ceiling');
assertLimit(OFFSETS_TOPIC_PARTITIONS_DEFAULT <= OFFSETS_TOPIC_PARTITIONS_MAX, 'offsets partitions default under its ceiling');
assertLimit(MANAGED_HEARTBEAT_INTERVAL_MS_DEFAULT * 3 <= MANAGED_SESSION_TIMEOUT_MS_DEFAULT, 'three heartbeats fit in a session');
assertLimit(
  MANAGED_SESSION_TIMEOUT_MS_DEFAULT >= GROUP_MIN_SESSION_TIMEOUT_MS_DEFAULT &&
    MANAGED_SESSION_TIMEOUT_MS_DEFAULT <= GROUP_MAX_SESSION_TIMEOUT_MS_DEFAULT,
  'managed session timeout accepted by default bounds',
);
assertLimit(MANAGED_RETRY_BACKOFF_MS <= MANAGED_RETRY_BACKOFF_MAX_MS, 'managed backoff under its ceiling');
assertLimit(OFFSET_METADATA_MAX_BYTES_DEFAULT <= NAME_BYTES_MAX, 'offset metadata fits an int16 string');
assertLimit(LOAD_READ_BYTES > 0 && OFFSETS_RECORDS_PER_BATCH_MAX > 0, 'positive batch limits');
