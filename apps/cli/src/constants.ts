/**
 * Limits and defaults of the `runnel` command line, in one place (STYLE.md: a limit on everything).
 * The relations between them are asserted below, at load.
 */
import { strict as assert } from 'node:assert';

/** Where the CLI looks for a broker when neither --server nor RUNNEL_SERVER is given. */
export const SERVER_DEFAULT = 'http://localhost:8080';
export const SERVER_ENV = 'RUNNEL_SERVER';

/** Exit statuses: ok, the operation failed, the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** A second Ctrl-C while cleaning up: leave at once, as shells expect (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** Longest wait for one ordinary (non long-poll) admin or produce request. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Long-poll a read asks the broker for; the broker caps it at http.long.poll.ms.max (30 s by default). */
export const POLL_TIMEOUT_MS = 1_000;
/** Extra time a long-poll request gets on top of its timeout before the CLI gives up on it. */
export const POLL_GRACE_MS = 10_000;

/** consume --group: how long leaving the group (deleting the consumer instance) may take on exit. */
export const LEAVE_TIMEOUT_MS = 5_000;

/** Records per read request (the broker accepts 1..10000). */
export const READ_RECORDS_MAX = 500;
export const READ_BYTES_MAX = 1024 * 1024;
/** The broker's limit on max_records, used by the consumer perf tool. */
export const READ_RECORDS_LIMIT = 10_000;

/** Console producer: records per request, bytes per request, and how long a partial batch waits for more lines. */
export const PRODUCE_BATCH_RECORDS_MAX = 500;
export const PRODUCE_BATCH_BYTES_MAX = 512 * 1024;
export const PRODUCE_LINGER_MS = 5;
/** The broker's http.records.per.request.max default: a batch must never exceed it. */
export const BROKER_RECORDS_PER_REQUEST_MAX = 10_000;

/** Producer perf tool: records per request, requests in flight, and the interim report period (Kafka: 5 s). */
export const PERF_BATCH_RECORDS_DEFAULT = 200;
export const PERF_INFLIGHT_DEFAULT = 4;
export const PERF_INFLIGHT_MAX = 64;
export const PERF_REPORT_INTERVAL_MS = 5_000;
export const PERF_RECORD_BYTES_MAX = 1024 * 1024;
/** Distinct random payloads the producer perf tool cycles through (Kafka's tool uses one buffer). */
export const PERF_PAYLOADS = 16;
/** Consumer perf tool with --group: how often it asks whether the join gave it partitions yet. */
export const PERF_ASSIGNMENT_CHECK_MS = 10;
/** Consumer perf tool: give up after this long without a record (Kafka's --timeout default is 10 s). */
export const PERF_CONSUME_TIMEOUT_MS_DEFAULT = 10_000;

/** dump-log: bytes of a batch header read before the whole batch; files above this size get a progress bar on a TTY. */
export const DUMP_PROGRESS_BYTES_MIN = 64 * 1024 * 1024;
/** dump-log --print-data-log: payload characters shown per record before "...". */
export const DUMP_PAYLOAD_CHARS_MAX = 1_000;

assert(PRODUCE_BATCH_RECORDS_MAX <= BROKER_RECORDS_PER_REQUEST_MAX);
assert(PERF_BATCH_RECORDS_DEFAULT <= BROKER_RECORDS_PER_REQUEST_MAX);
assert(READ_RECORDS_MAX <= READ_RECORDS_LIMIT);
assert(PERF_INFLIGHT_DEFAULT <= PERF_INFLIGHT_MAX);
assert(POLL_TIMEOUT_MS < POLL_GRACE_MS);
assert(LEAVE_TIMEOUT_MS <= REQUEST_TIMEOUT_MS);
