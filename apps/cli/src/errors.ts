/**
 * Errors the CLI reports: every one says what went wrong and, in `hint`, how to fix it. The exit
 * status is part of the error: 1 = the operation failed, 2 = the command line was wrong (the
 * command's usage follows the message).
 */
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_USAGE } from './constants';

export class CliError extends Error {
  constructor(
    message: string,
    readonly hint: string | null = null,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad flag or argument combination that commander cannot see by itself. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command: Command | null = null,
  ) {
    super(message, null, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

/** The broker answered with an error status and its `{error_code, message}` body. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly errorCode: number | null,
    message: string,
    hint: string | null = null,
  ) {
    super(message, hint);
    this.name = 'ApiError';
  }
}

/** Error codes of the HTTP API contract (shared/spec/http-api.md) the CLI gives hints for. */
export const ERROR_TOPIC_NOT_FOUND = 40401;
export const ERROR_PARTITION_NOT_FOUND = 40402;
export const ERROR_INSTANCE_NOT_FOUND = 40403;
export const ERROR_GROUP_NOT_FOUND = 40405;
export const ERROR_TOPIC_EXISTS = 40901;
export const ERROR_GROUP_NOT_EMPTY = 40903;
export const ERROR_OFFSET_OUT_OF_RANGE = 41601;
export const ERROR_NOT_AVAILABLE = 50301;
