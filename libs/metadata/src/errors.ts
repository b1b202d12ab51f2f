/**
 * The one error type of the metadata path for refused commands and unreadable metadata. Codes are
 * stable strings so the broker maps them to HTTP statuses and Kafka error codes in one place; each
 * message names the problem and the fix. Broken invariants of our own code throw plain `Error`s.
 */
export enum MetadataErrorCode {
  TopicAlreadyExists = 'TOPIC_ALREADY_EXISTS',
  UnknownTopic = 'UNKNOWN_TOPIC',
  /** Bad topic name, a name colliding with an existing one ('.' vs '_'), or an internal topic. */
  InvalidTopic = 'INVALID_TOPIC',
  InvalidPartitions = 'INVALID_PARTITIONS',
  InvalidReplicationFactor = 'INVALID_REPLICATION_FACTOR',
  InvalidConfig = 'INVALID_CONFIG',
  InvalidRequest = 'INVALID_REQUEST',
  /** The image already belongs to another cluster id. */
  InconsistentClusterId = 'INCONSISTENT_CLUSTER_ID',
  /** A command before `start()`, after `close()`, or after the controller failed. */
  NotRunning = 'NOT_RUNNING',
  /** The command queue is full (COMMAND_QUEUE_MAX). */
  ControllerBusy = 'CONTROLLER_BUSY',
  /** A record in the metadata log that cannot be decoded or applied. */
  CorruptRecord = 'CORRUPT_RECORD',
  /** The metadata log cannot rebuild the image (its start is past the image). */
  LogInconsistent = 'LOG_INCONSISTENT',
}

export class MetadataError extends Error {
  override readonly name = 'MetadataError';
  constructor(
    readonly code: MetadataErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function metadataError(code: MetadataErrorCode, message: string, cause?: unknown): MetadataError {
  return cause === undefined ? new MetadataError(code, message) : new MetadataError(code, message, { cause });
}
