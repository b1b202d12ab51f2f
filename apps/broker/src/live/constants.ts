/**
 * Limits of the live door (WebSocket and SSE), together, with the relations between them asserted
 * at load. Memory a connection can hold on the server is bounded by
 *   SEND_BUFFER_HIGH_WATER_BYTES + FRAME_OUT_BYTES_MAX  (what the socket may have queued)
 * because a connection stops reading the log while its send buffer is above the high-water mark.
 */
import { strict as assert } from 'node:assert';

/** The WebSocket endpoint, on the HTTP port. */
export const WS_PATH = '/ws';

/** Open WebSocket connections per broker; the next one is closed with 42901 / 1013. */
export const WS_CONNECTIONS_MAX = 10_000;
/** Open SSE streams per broker; the next one gets 429 / 42901. */
export const SSE_STREAMS_MAX = 10_000;
/** Subscriptions one WebSocket connection may hold at once. */
export const SUBSCRIPTIONS_PER_CONNECTION_MAX = 64;
/** Topics one subscription may name. */
export const TOPICS_PER_SUBSCRIPTION_MAX = 64;
/** Partitions one subscription or SSE stream may read (across its topics). */
export const PARTITIONS_PER_SUBSCRIPTION_MAX = 4096;
/** Longest request or subscription id a client may choose. */
export const REQUEST_ID_CHARS_MAX = 256;

/**
 * A client frame above this many bytes gets error 41301 and the connection is closed (1009).
 * The `ws` library itself refuses frames above WS_PAYLOAD_BYTES_MAX before buffering them whole
 * (close 1009 with no error frame: the bytes are never read).
 */
export const FRAME_IN_BYTES_MAX = 1024 * 1024;
export const WS_PAYLOAD_BYTES_MAX = 4 * FRAME_IN_BYTES_MAX;
/** Records of one produce op. */
export const PRODUCE_RECORDS_PER_FRAME_MAX = 10_000;

/** Stored bytes read from the log per read (one `records` frame or one burst of SSE events). */
export const READ_BYTES_MAX = 256 * 1024;
/** Records per read, hence per `records` frame. */
export const READ_RECORDS_MAX = 1000;
/**
 * Rendered JSON of one read, at most: base64 (4/3) plus JSON escaping of every byte (worst case
 * \u00XX, 6x) is bounded by 6x the stored bytes plus per-record framing.
 */
export const FRAME_OUT_BYTES_MAX = 6 * READ_BYTES_MAX + READ_RECORDS_MAX * 256;
/** Above this many queued bytes a connection stops reading the log until the socket drains. */
export const SEND_BUFFER_HIGH_WATER_BYTES = 1024 * 1024;

/** Reads kept per partition so subscribers at the same offset share one decode and render. */
export const SHARED_READS_PER_PARTITION_MAX = 8;

/** Default session timeout of a WebSocket connection (pings) and of its group members. */
export const SESSION_TIMEOUT_MS_DEFAULT = 30_000;
/** Pings per session timeout: a client silent for a whole session timeout is terminated. */
export const PINGS_PER_SESSION = 3;
/** Auto-commit period of group subscriptions (as Kafka's auto.commit.interval.ms). */
export const AUTO_COMMIT_INTERVAL_MS = 5000;

/** SSE comment line period, so proxies and browsers keep idle streams open. */
export const SSE_KEEP_ALIVE_MS = 15_000;
/** Reconnect delay an EventSource is told to use (`retry:`). */
export const SSE_RETRY_MS = 1000;

assert(FRAME_IN_BYTES_MAX < WS_PAYLOAD_BYTES_MAX, 'the door sees a too-large frame before ws refuses it');
assert(READ_BYTES_MAX <= SEND_BUFFER_HIGH_WATER_BYTES, 'one read fits under the high-water mark');
assert(SESSION_TIMEOUT_MS_DEFAULT / PINGS_PER_SESSION >= 1000, 'pings at most once a second by default');
assert(AUTO_COMMIT_INTERVAL_MS < SESSION_TIMEOUT_MS_DEFAULT, 'commits happen within a session');
assert(SSE_KEEP_ALIVE_MS < 30_000, 'keep-alives under common 30 s proxy idle timeouts');
assert(SHARED_READS_PER_PARTITION_MAX >= 1, 'at least one shared read');
