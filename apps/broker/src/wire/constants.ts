/**
 * Limits of the Kafka wire door, in one place. Every connection, queue and wait has a maximum;
 * the relations between them are asserted at load.
 */

/** Largest request frame (Kafka's socket.request.max.bytes default); a larger size closes the connection. */
export const WIRE_FRAME_BYTES_MAX = 100 * 1024 * 1024;
/** Open client connections per broker; further connections are closed at once. */
export const WIRE_CONNECTIONS_MAX = 1000;
/** Requests read but not yet answered, per connection; beyond it the connection stops reading (backpressure). */
export const WIRE_IN_FLIGHT_REQUESTS_MAX = 100;
/** Response bytes queued in a socket before the connection stops reading requests. */
export const WIRE_SOCKET_PENDING_BYTES_MAX = 64 * 1024 * 1024;
/** A connection with no traffic for this long is closed (Kafka's connections.max.idle.ms). */
export const WIRE_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** Longest Fetch long-poll (max_wait_ms is capped to it). */
export const WIRE_FETCH_WAIT_MS_MAX = 30_000;
/** Topics and partitions in one request (anything larger is answered with INVALID_REQUEST or closes). */
export const WIRE_REQUEST_PARTITIONS_MAX = 100_000;
/** Fetch max_bytes cap for one response (Kafka's fetch.max.bytes default is 50 MiB). */
export const WIRE_FETCH_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

function assertLimits(): void {
  if (WIRE_IN_FLIGHT_REQUESTS_MAX < 5) throw new Error('clients pipeline up to 5 requests: allow at least that many in flight');
  if (WIRE_FETCH_RESPONSE_BYTES_MAX > WIRE_SOCKET_PENDING_BYTES_MAX) throw new Error('one fetch response must fit in the socket budget');
  if (WIRE_CONNECTIONS_MAX < 1 || WIRE_FRAME_BYTES_MAX < 1024) throw new Error('wire limits too small');
}
assertLimits();
