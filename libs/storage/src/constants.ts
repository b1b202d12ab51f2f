/**
 * Named limits and on-disk names of the log engine (TigerBeetle style: every limit lives here,
 * and the relations between them are asserted at load).
 */
import { strict as assert } from 'node:assert';
import { BATCH_HEADER_BYTES } from '@runnel/records';

/** File name suffixes, exactly as Kafka names them so Kafka's tools read our segments. */
export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
/** Compaction writes `<base>.log.cleaned`, renames it to `<base>.log.swap` (the commit point), then to `.log`. */
export const CLEANED_FILE_SUFFIX = '.cleaned';
export const SWAP_FILE_SUFFIX = '.swap';
/** Retention and truncation rename a segment's files to `<name>.deleted` before removing them. */
export const DELETED_FILE_SUFFIX = '.deleted';
/** A deleted partition directory is renamed to `<topic>-<partition>.<uuid>-delete` before removal. */
export const DELETE_DIR_SUFFIX = '-delete';

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
/** Written by a clean close, removed on open: its absence means the last stop was unclean. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** Holds the pid of the process that owns the data directory. */
export const LOCK_FILE = '.lock';
/** Checkpoints are written to `<file>.tmp`, fsynced, then renamed over the old one. */
export const TEMP_FILE_SUFFIX = '.tmp';
/** Kafka's checkpoint file format version. */
export const CHECKPOINT_VERSION = 0;

/** Digits in a segment file name (Kafka: 20, zero padded). */
export const SEGMENT_NAME_DIGITS = 20;

/** Offset index entry: 4-byte relative offset + 4-byte position. */
export const OFFSET_INDEX_ENTRY_BYTES = 8;
/** Time index entry: 8-byte timestamp + 4-byte relative offset. */
export const TIME_INDEX_ENTRY_BYTES = 12;

/** A segment's relative offsets and positions are int32: a segment never holds more. */
export const SEGMENT_RELATIVE_OFFSET_MAX = 0x7fffffff;
export const SEGMENT_POSITION_MAX = 0x7fffffff;

/** Recovery, the cleaner and index scans read files in chunks of this size (never whole segments). */
export const SCAN_CHUNK_BYTES = 1024 * 1024;
/** Header-walk reads in `read()` and index lookups use a small chunk: the walk spans about one index interval. */
export const HEADER_SCAN_CHUNK_BYTES = 16 * 1024;
/** A single stored batch is never larger than this (Kafka's hard cap is int32; ours is saner). */
export const BATCH_BYTES_MAX = 256 * 1024 * 1024;

/** The cleaner's key map holds at most this many keys per pass; more dirty keys mean more passes. */
export const CLEANER_KEY_MAP_ENTRIES_MAX = 1_000_000;
/** Keys longer than this are hashed (MD5) in the key map instead of stored whole. */
export const CLEANER_KEY_INLINE_BYTES_MAX = 16;

/** Background timer periods (all timers are unref'd). */
export const RETENTION_CHECK_INTERVAL_MS = 5 * 60 * 1000;
export const CLEANER_INTERVAL_MS = 15 * 1000;
export const CHECKPOINT_INTERVAL_MS = 60 * 1000;
export const FLUSH_CHECK_INTERVAL_MS = 1000;

/**
 * Group commit: fdatasyncs of one partition log allowed in flight at once. Appends arriving while
 * the maximum is in flight wait and share the next sync.
 */
export const SYNCS_IN_FLIGHT_MAX = 2;

/**
 * Write gathering: appends of one event-loop turn are written with one writev per segment; the
 * queue is written early once it holds this many bytes or appends (Linux IOV_MAX is 1024). Large
 * writes are what the page cache takes fastest (measured here: 110 KB writes ~3 GB/s, 1-4 MiB
 * writes ~5 GB/s); a bigger queue holds more request buffers out of the CPU cache (measured:
 * 2 MiB beat both 1 MiB and 4 MiB in bench:storage).
 */
export const WRITE_GATHER_BYTES = 2 * 1024 * 1024;
export const WRITE_GATHER_APPENDS_MAX = 1024;

/** Listeners per partition for onAppend (long-polls and live subscribers). */
export const APPEND_LISTENERS_MAX = 100_000;

assert(HEADER_SCAN_CHUNK_BYTES >= BATCH_HEADER_BYTES);
assert(SCAN_CHUNK_BYTES >= HEADER_SCAN_CHUNK_BYTES);
assert(BATCH_BYTES_MAX <= SEGMENT_POSITION_MAX);
assert(CLEANER_KEY_MAP_ENTRIES_MAX > 0);
assert(WRITE_GATHER_BYTES > 0 && WRITE_GATHER_APPENDS_MAX > 0);
