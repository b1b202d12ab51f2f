/** @runnel/storage: the log engine (segments, indexes, partition logs, recovery, retention, compaction). */
export * from './clock';
export * from './config';
export * from './constants';
export * from './errors';
export { OffsetIndex, TimeIndex } from './indexes';
export { LogSegment, segmentFileName } from './log-segment';
export type { BatchInfo, BatchLocation, SegmentRecovery, SegmentOptions } from './log-segment';
export { LeaderEpochCache } from './leader-epoch-cache';
export type { EpochEntry } from './leader-epoch-cache';
export { PartitionLog } from './partition-log';
export type { AppendInfo, AppendOptions, FetchResult, SegmentInfo, RecoveryReport } from './partition-log';
export { LogManager } from './log-manager';
export type { LogManagerOptions } from './log-manager';
export { OffsetMap, cleanLog } from './log-cleaner';
export type { CleanerResult, CleanOptions } from './log-cleaner';
export { readCheckpointFile, writeCheckpointFile, readOffsetCheckpoint } from './checkpoint';
