/**
 * The CLI's only way to the broker (besides dump-log, which reads files offline): its HTTP API
 * (shared/spec/http-api.md) over Node's global fetch. Turns the ways a request can fail into
 * CliErrors that name the URL and the fix: broker not reachable, no answer in time, an error reply.
 */
import { CliError, ApiError, ERROR_GROUP_NOT_EMPTY, ERROR_GROUP_NOT_FOUND, ERROR_INSTANCE_NOT_FOUND, ERROR_NOT_AVAILABLE, ERROR_OFFSET_OUT_OF_RANGE, ERROR_PARTITION_NOT_FOUND, ERROR_TOPIC_NOT_FOUND } from './errors';
import { REQUEST_TIMEOUT_MS, SERVER_ENV } from './constants';

export type Query = Record<string, string | number | boolean | undefined>;

/** How the API encodes keys and values (its `format` parameter): as stored, as JSON, or base64. */
export const FORMATS = ['string', 'json', 'binary'] as const;
export type Format = (typeof FORMATS)[number];

export interface RequestOptions {
  query?: Query;
  /** JSON-encoded unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Whole-request deadline; REQUEST_TIMEOUT_MS by default. */
  timeoutMs?: number;
  /** Cancels the request (Ctrl-C); a cancelled request rejects with an AbortError. */
  signal?: AbortSignal;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export class RunnelClient {
  readonly server: string;

  constructor(server: string) {
    this.server = server.replace(/\/+$/, '');
  }

  url(path: string, query: Query = {}): string {
    const u = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  async post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  async patch<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body });
  }

  async delete<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /** Sends one request; resolves with the parsed JSON reply (undefined for an empty one), or throws a CliError. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    const text = await res.text();
    if (!res.ok) throw this.replyError(method, path, res.status, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${method} ${this.url(path)} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, `is ${this.server} a Runnel broker? Check --server or ${SERVER_ENV}.`);
    }
  }

  /** The raw response (for streaming bodies); error statuses are still turned into CliErrors. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query);
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    try {
      return await fetch(url, { method, headers, signal, ...(body === undefined ? {} : { body }) });
    } catch (e) {
      if (options.signal?.aborted) throw e;
      throw this.networkError(url, e, timeout.aborted ? timeoutMs : null);
    }
  }

  networkError(url: string, e: unknown, timedOutMs: number | null): CliError {
    if (timedOutMs !== null) {
      return new CliError(`the broker at ${this.server} did not answer ${url} within ${timedOutMs} ms.`, 'check that it is healthy (GET /health), or that --server points at the right broker.');
    }
    const code = causeCode(e);
    if (code !== null && !NETWORK_CODES.has(code) && !code.startsWith('UND_ERR')) {
      return new CliError(`request to ${url} failed: ${code}.`);
    }
    const reason = code ?? causeMessage(e);
    return new CliError(
      `cannot reach the Runnel broker at ${this.server}${reason === null ? '' : ` (${reason})`}.`,
      `start one with \`npm start\` (it listens on http://localhost:8080), or point the CLI at yours with --server URL or ${SERVER_ENV}=URL.`,
    );
  }

  private replyError(method: string, path: string, status: number, text: string): ApiError {
    let errorCode: number | null = null;
    let message = text.trim().slice(0, 500) || `HTTP ${status}`;
    try {
      const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      if (typeof body.error_code === 'number') errorCode = body.error_code;
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // Not JSON: keep the text.
    }
    if (status === 404 && errorCode === null) {
      return new ApiError(status, null, `${method} ${this.url(path)} is not an endpoint of this broker (404).`, `is ${this.server} a Runnel broker of a matching version? Check --server or ${SERVER_ENV}.`);
    }
    return new ApiError(status, errorCode, `${message}${errorCode === null ? ` (HTTP ${status})` : ` (${errorCode})`}`, hintFor(errorCode));
  }
}

function causeCode(e: unknown): string | null {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    c = (c as { cause?: unknown }).cause;
  }
  return null;
}

function causeMessage(e: unknown): string | null {
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== '' ? cause.message : null;
}

function hintFor(errorCode: number | null): string | null {
  switch (errorCode) {
    case ERROR_TOPIC_NOT_FOUND:
      return 'list topics with `runnel topics list`; create one with `runnel topics create NAME`.';
    case ERROR_GROUP_NOT_FOUND:
      return 'list groups with `runnel groups list`.';
    case ERROR_GROUP_NOT_EMPTY:
      return 'stop the group\'s consumers (see `runnel groups describe GROUP --members`), then try again.';
    case ERROR_PARTITION_NOT_FOUND:
      return 'see the topic\'s partitions with `runnel topics describe TOPIC`.';
    case ERROR_OFFSET_OUT_OF_RANGE:
      return 'see the valid range with `runnel offsets TOPIC --time -2` (earliest) and `--time -1` (latest).';
    case ERROR_INSTANCE_NOT_FOUND:
      return 'the broker removed the consumer instance (idle longer than consumer.instance.timeout.ms, or the broker restarted); run the command again.';
    case ERROR_NOT_AVAILABLE:
      return 'the broker is starting, shutting down or rebalancing; try again in a moment (GET /ready tells when it takes writes).';
    default:
      return null;
  }
}

/** True when `e` is the rejection of a request we cancelled ourselves (Ctrl-C, --max-messages reached). */
export function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: unknown }).code === 'ABORT_ERR');
}
