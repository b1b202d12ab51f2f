/**
 * Failures in Kafka's terms: every error a handler meets is turned into a Kafka error code here,
 * once. Library codes (metadata, storage) map directly where Kafka has a precise code; the rest go
 * through the core's domain errors.
 */
import { ErrorCode } from '@runnel/protocol';
import { DomainErrorKind } from '../core/errors';
import { toDomainError } from '../core/error-mapping';
import type { RawProduceProblem } from '../core/wire-produce';

export interface KafkaFailure {
  code: number;
  message: string;
}

const BY_LIBRARY_CODE: Record<string, number> = {
  TOPIC_ALREADY_EXISTS: ErrorCode.TOPIC_ALREADY_EXISTS,
  UNKNOWN_TOPIC: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  INVALID_TOPIC: ErrorCode.INVALID_TOPIC_EXCEPTION,
  INVALID_PARTITIONS: ErrorCode.INVALID_PARTITIONS,
  INVALID_REPLICATION_FACTOR: ErrorCode.INVALID_REPLICATION_FACTOR,
  INVALID_CONFIG: ErrorCode.INVALID_CONFIG,
  INVALID_REQUEST: ErrorCode.INVALID_REQUEST,
  NOT_RUNNING: ErrorCode.REQUEST_TIMED_OUT,
  CONTROLLER_BUSY: ErrorCode.REQUEST_TIMED_OUT,
  CORRUPT_BATCH: ErrorCode.CORRUPT_MESSAGE,
  BATCH_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  LOG_CLOSED: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  DISK_FULL: ErrorCode.KAFKA_STORAGE_ERROR,
  IO_ERROR: ErrorCode.KAFKA_STORAGE_ERROR,
};

const BY_DOMAIN_KIND: Record<DomainErrorKind, number> = {
  [DomainErrorKind.Malformed]: ErrorCode.INVALID_REQUEST,
  [DomainErrorKind.TopicNotFound]: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  [DomainErrorKind.PartitionNotFound]: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  [DomainErrorKind.InstanceNotFound]: ErrorCode.UNKNOWN_MEMBER_ID,
  [DomainErrorKind.GroupNotFound]: ErrorCode.GROUP_ID_NOT_FOUND,
  [DomainErrorKind.ClusterNotFound]: ErrorCode.INVALID_REQUEST,
  [DomainErrorKind.TopicExists]: ErrorCode.TOPIC_ALREADY_EXISTS,
  [DomainErrorKind.AlreadySubscribed]: ErrorCode.INVALID_REQUEST,
  [DomainErrorKind.InstanceExists]: ErrorCode.INVALID_REQUEST,
  [DomainErrorKind.GroupNotEmpty]: ErrorCode.NON_EMPTY_GROUP,
  [DomainErrorKind.TooLarge]: ErrorCode.MESSAGE_TOO_LARGE,
  [DomainErrorKind.InvalidPayload]: ErrorCode.INVALID_REQUEST,
  [DomainErrorKind.OffsetOutOfRange]: ErrorCode.OFFSET_OUT_OF_RANGE,
  [DomainErrorKind.TooManyRequests]: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
  [DomainErrorKind.NotAvailable]: ErrorCode.LEADER_NOT_AVAILABLE,
  [DomainErrorKind.Storage]: ErrorCode.KAFKA_STORAGE_ERROR,
  [DomainErrorKind.Internal]: ErrorCode.UNKNOWN_SERVER_ERROR,
};

/** The Kafka error code and message for anything a handler caught. */
export function kafkaFailure(e: unknown): KafkaFailure {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && BY_LIBRARY_CODE[code] !== undefined) return { code: BY_LIBRARY_CODE[code], message };
  const d = toDomainError(e);
  if (d !== undefined) return { code: BY_DOMAIN_KIND[d.kind], message: d.message };
  return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message };
}

export const PRODUCE_ERROR_CODES: Record<RawProduceProblem, number> = {
  unknown_topic_or_partition: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  invalid_topic: ErrorCode.INVALID_TOPIC_EXCEPTION,
  corrupt_message: ErrorCode.CORRUPT_MESSAGE,
  invalid_record: ErrorCode.INVALID_RECORD,
  message_too_large: ErrorCode.MESSAGE_TOO_LARGE,
  unsupported_compression: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  invalid_txn_state: ErrorCode.INVALID_TXN_STATE,
  out_of_order_sequence: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  invalid_producer_epoch: ErrorCode.INVALID_PRODUCER_EPOCH,
  not_available: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  storage: ErrorCode.KAFKA_STORAGE_ERROR,
  unknown: ErrorCode.UNKNOWN_SERVER_ERROR,
};
