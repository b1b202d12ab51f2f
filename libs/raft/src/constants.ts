import { assert } from './assert';

/**
 * Every limit of the Raft core in one place (STYLE.md: "a limit on everything"). Time is counted in
 * ticks: the host calls `RaftNode.tick()` at a fixed period (the broker will use 50 ms; the
 * simulator just counts). The relations between the limits are asserted at load.
 */

/** Base election timeout; each wait draws uniformly from [base, 2 * base). */
export const ELECTION_TIMEOUT_TICKS = 20;
/** Backoff step after a lost election or an EndQuorumEpoch (rank * step for preferred successors). */
export const ELECTION_BACKOFF_TICKS = 5;
/** A follower that has not had a successful fetch for this long gives up on its leader. */
export const FETCH_TIMEOUT_TICKS = 40;
/** A leader that no majority fetched from for this long resigns (Kafka: 1.5 x fetch timeout). */
export const CHECK_QUORUM_TIMEOUT_TICKS = 60;
/**
 * An unanswered request (Fetch, FetchSnapshot, BeginQuorumEpoch) is sent again after this long. It must
 * exceed the worst round trip (network both ways plus both fsyncs), or every answer arrives after its
 * retry has replaced it and a follower never makes progress (the simulator found exactly that).
 */
export const REQUEST_TIMEOUT_TICKS = 15;
/** A follower whose last fetch returned nothing waits this long before the next one. */
export const FETCH_IDLE_TICKS = 2;
/** Entries returned by one Fetch response. */
export const FETCH_ENTRIES_MAX = 64;
/** Bytes returned by one FetchSnapshot response. */
export const SNAPSHOT_CHUNK_BYTES_MAX = 64 * 1024;
/** Appended but uncommitted entries a leader accepts before it pushes back on proposals. */
export const UNCOMMITTED_ENTRIES_MAX = 4096;
/** Voters in the quorum (KRaft controllers: 1, 3 or 5 in practice). */
export const VOTERS_MAX = 16;
/** Offsets are numbers in this core: the metadata log never gets near 2^53 records. */
export const OFFSET_MAX = Number.MAX_SAFE_INTEGER;
/** Sentinel for "no node" in messages and quorum state (Kafka uses -1). */
export const NO_NODE = -1;

assert(ELECTION_TIMEOUT_TICKS >= 2, 'election timeout must leave room for a round trip');
assert(FETCH_TIMEOUT_TICKS > ELECTION_TIMEOUT_TICKS, 'fetch timeout outlasts an election timeout');
assert(CHECK_QUORUM_TIMEOUT_TICKS > FETCH_TIMEOUT_TICKS, 'a leader resigns only after followers gave up');
assert(REQUEST_TIMEOUT_TICKS < FETCH_TIMEOUT_TICKS, 'a follower retries fetches before it gives up');
assert(FETCH_IDLE_TICKS < REQUEST_TIMEOUT_TICKS, 'idle fetch backoff is shorter than a retry');
assert(VOTERS_MAX >= 1 && FETCH_ENTRIES_MAX >= 1 && SNAPSHOT_CHUNK_BYTES_MAX >= 1, 'limits are positive');
