/**
 * Kafka's numeric error codes, as the coordinator's results carry them. Results (not exceptions)
 * carry operating errors, exactly like Kafka responses, so each door renders them once: the wire
 * door copies the number, the HTTP and live doors map it to their own codes.
 *
 * `CoordinatorError` is thrown only for bad bytes handed to a decoder (a subscription, an
 * assignment, a record of `__consumer_offsets`); broken invariants of our own throw plain `Error`.
 */
export enum ErrorCode {
  NONE = 0,
  UNKNOWN_SERVER_ERROR = -1,
  UNKNOWN_TOPIC_OR_PARTITION = 3,
  REQUEST_TIMED_OUT = 7,
  OFFSET_METADATA_TOO_LARGE = 12,
  COORDINATOR_LOAD_IN_PROGRESS = 14,
  COORDINATOR_NOT_AVAILABLE = 15,
  NOT_COORDINATOR = 16,
  ILLEGAL_GENERATION = 22,
  INCONSISTENT_GROUP_PROTOCOL = 23,
  INVALID_GROUP_ID = 24,
  UNKNOWN_MEMBER_ID = 25,
  INVALID_SESSION_TIMEOUT = 26,
  REBALANCE_IN_PROGRESS = 27,
  INVALID_COMMIT_OFFSET_SIZE = 28,
  INVALID_REQUEST = 42,
  KAFKA_STORAGE_ERROR = 56,
  NON_EMPTY_GROUP = 68,
  GROUP_ID_NOT_FOUND = 69,
  MEMBER_ID_REQUIRED = 79,
  GROUP_SUBSCRIBED_TO_TOPIC = 86,
  GROUP_MAX_SIZE_REACHED = 81,
  FENCED_INSTANCE_ID = 82,
}

/** Kafka's exception-class style name of a code, for logs and messages. */
export function errorName(code: ErrorCode): string {
  return ErrorCode[code] ?? `ERROR_${code}`;
}

export enum CoordinatorErrorKind {
  /** Input ends before a field does. */
  Truncated = 'TRUNCATED',
  /** A length or count out of range, or bytes left over. */
  BadLength = 'BAD_LENGTH',
  /** A version this code does not know. */
  UnknownVersion = 'UNKNOWN_VERSION',
  /** An argument to an encoder is out of range. */
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  constructor(
    readonly kind: CoordinatorErrorKind,
    message: string,
  ) {
    super(message);
  }
}
