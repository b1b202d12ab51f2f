/**
 * Typed errors of the log engine. Operating errors (bad input, full disk, a locked directory)
 * are reported with a `code` and a message that names the problem and the fix; broken
 * invariants are assertion failures and are not caught.
 */
export type StorageErrorCode =
  | 'CORRUPT_BATCH'
  | 'BATCH_TOO_LARGE'
  | 'OFFSET_OUT_OF_RANGE'
  | 'INVALID_OFFSET'
  | 'LOCKED'
  | 'DISK_FULL'
  | 'IO_ERROR'
  | 'INVALID_CONFIG'
  | 'LOG_CLOSED'
  | 'INVALID_PARTITION';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class CorruptBatchError extends StorageError {
  constructor(message: string, readonly batchIndex: number, readonly problem: string) {
    super('CORRUPT_BATCH', message);
  }
}

export class BatchTooLargeError extends StorageError {
  constructor(message: string, readonly sizeBytes: number, readonly maxBytes: number) {
    super('BATCH_TOO_LARGE', message);
  }
}

export class OffsetOutOfRangeError extends StorageError {
  constructor(message: string, readonly offset: bigint, readonly logStartOffset: bigint, readonly logEndOffset: bigint) {
    super('OFFSET_OUT_OF_RANGE', message);
  }
}

export class InvalidOffsetError extends StorageError {
  constructor(message: string) {
    super('INVALID_OFFSET', message);
  }
}

export class LockedError extends StorageError {
  constructor(message: string, readonly dataDir: string, readonly holderPid: number | null) {
    super('LOCKED', message);
  }
}

export class DiskFullError extends StorageError {
  constructor(message: string, cause: unknown) {
    super('DISK_FULL', message, { cause });
  }
}

export class LogConfigError extends StorageError {
  constructor(message: string, readonly key: string, readonly value: string) {
    super('INVALID_CONFIG', message);
  }
}

export class LogClosedError extends StorageError {
  constructor(what: string) {
    super('LOG_CLOSED', `${what} is closed; reopen it through LogManager.open() before using it`);
  }
}

/** Maps a failed file operation to a typed error: ENOSPC becomes DiskFullError. */
export function ioError(error: unknown, what: string): StorageError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DiskFullError(`${what} failed: the disk is full (${code}); free space or lower retention.bytes/retention.ms, then retry`, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StorageError('IO_ERROR', `${what} failed: ${message}`, { cause: error });
}
