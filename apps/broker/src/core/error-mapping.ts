/**
 * Translates the libraries' typed errors into domain errors, once, so every door renders the
 * same failure the same way.
 */
import { DomainError, DomainErrorKind } from './errors';

interface CodedError {
  name?: string;
  code?: string | number;
  message?: string;
}

/** Library error codes -> domain kinds. Unknown codes are not domain errors (they are bugs). */
const KIND_BY_CODE: Record<string, DomainErrorKind> = {
  // libs/storage
  CORRUPT_BATCH: DomainErrorKind.InvalidPayload,
  BATCH_TOO_LARGE: DomainErrorKind.TooLarge,
  OFFSET_OUT_OF_RANGE: DomainErrorKind.OffsetOutOfRange,
  INVALID_CONFIG: DomainErrorKind.InvalidPayload,
  DISK_FULL: DomainErrorKind.Storage,
  IO_ERROR: DomainErrorKind.Storage,
  LOG_CLOSED: DomainErrorKind.NotAvailable,
  // libs/metadata
  TOPIC_ALREADY_EXISTS: DomainErrorKind.TopicExists,
  UNKNOWN_TOPIC: DomainErrorKind.TopicNotFound,
  INVALID_TOPIC: DomainErrorKind.InvalidPayload,
  INVALID_PARTITIONS: DomainErrorKind.InvalidPayload,
  INVALID_REPLICATION_FACTOR: DomainErrorKind.InvalidPayload,
  // libs/records
  INVALID_RECORD: DomainErrorKind.InvalidPayload,
};

export function toDomainError(e: unknown): DomainError | undefined {
  if (e instanceof DomainError) return e;
  if (typeof e !== 'object' || e === null) return undefined;
  const ce = e as CodedError;
  if (typeof ce.code === 'string') {
    const kind = KIND_BY_CODE[ce.code];
    if (kind) return new DomainError(kind, ce.message ?? ce.code);
    if (ce.code === 'ENOSPC') return new DomainError(DomainErrorKind.Storage, 'the disk is full; free space or raise retention limits. Nothing of this request was written.');
  }
  return undefined;
}

/**
 * Any thrown value as a domain error. A value no mapping knows is a bug, not an operating error:
 * its stack goes to `logger` and the client gets 50001 without the details.
 */
export function toDomainErrorOrInternal(e: unknown, logger: { error(message: string): void }): DomainError {
  const domain = toDomainError(e);
  if (domain) return domain;
  logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return new DomainError(DomainErrorKind.Internal, 'internal error; the broker logged the details.');
}
