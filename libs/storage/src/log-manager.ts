/**
 * LogManager: owns one data directory.
 *
 *   <dataDir>/.lock                              pid of the owning process (exclusive)
 *   <dataDir>/.kafka_cleanshutdown               written by close(), removed by open()
 *   <dataDir>/recovery-point-offset-checkpoint   "<topic> <partition> <offset>" per log
 *   <dataDir>/log-start-offset-checkpoint
 *   <dataDir>/cleaner-offset-checkpoint
 *   <dataDir>/<topic>-<partition>/               one PartitionLog each
 *   <dataDir>/<topic>-<partition>.<uuid>-delete/ a deleted log being removed
 *
 * The lock: `.lock` is created exclusively (O_EXCL) holding our pid. If it exists and its pid is a
 * live process, open() fails with LockedError naming the directory and that pid; a lock left by a
 * dead process is taken over. Within one process a second open of the same directory also fails.
 */
import fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Clock, StorageLogger, silentLogger, systemClock } from './clock';
import { DEFAULT_LOG_CONFIG, LogConfig } from './config';
import {
  CHECKPOINT_INTERVAL_MS,
  CLEANER_INTERVAL_MS,
  CLEANER_OFFSET_CHECKPOINT_FILE,
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  FLUSH_CHECK_INTERVAL_MS,
  LOCK_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  RETENTION_CHECK_INTERVAL_MS,
} from './constants';
import { fsyncDir, readOffsetCheckpoint, writeCheckpointFile, writeOffsetCheckpoint } from './checkpoint';
import { LockedError, LogClosedError, StorageError, ioError } from './errors';
import { CleanerResult, cleanLog } from './log-cleaner';
import { PartitionLog } from './partition-log';

export interface LogManagerOptions {
  dataDir: string;
  defaults?: LogConfig;
  clock?: Clock;
  logger?: StorageLogger;
  /** Per-topic configs known at open (e.g. from the metadata image); others get `defaults`. */
  topicConfigs?: (topic: string) => LogConfig | undefined;
  /** Bound on the cleaner's key map (entries). */
  cleanerKeyMapEntriesMax?: number;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const lockedDirs = new Set<string>();

function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LogManager {
  private readonly logsByKey = new Map<string, PartitionLog>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closedFlag = false;
  private cleaning = false;

  private constructor(
    readonly dataDir: string,
    readonly defaults: LogConfig,
    private readonly clock: Clock,
    private readonly logger: StorageLogger,
    private readonly cleanerKeyMapEntriesMax: number | undefined,
  ) {}

  static async open(options: LogManagerOptions): Promise<LogManager> {
    const dataDir = path.resolve(options.dataDir);
    try {
      fs.mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw ioError(error, `creating data directory ${dataDir}`);
    }
    LogManager.lock(dataDir);
    const manager = new LogManager(dataDir, options.defaults ?? DEFAULT_LOG_CONFIG, options.clock ?? systemClock, options.logger ?? silentLogger, options.cleanerKeyMapEntriesMax);
    try {
      manager.loadLogs(options.topicConfigs);
    } catch (error) {
      LogManager.unlock(dataDir);
      throw error;
    }
    return manager;
  }

  private static lock(dataDir: string): void {
    const lockFile = path.join(dataDir, LOCK_FILE);
    if (lockedDirs.has(dataDir)) {
      throw new LockedError(`data directory ${dataDir} is already open in this process (pid ${process.pid}); close the other LogManager first`, dataDir, process.pid);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(lockFile, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        lockedDirs.add(dataDir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(error, `locking ${lockFile}`);
      }
      let holder: number | null = null;
      try {
        const text = fs.readFileSync(lockFile, 'utf8').trim();
        holder = /^\d+$/.test(text) ? Number(text) : null;
      } catch {
        holder = null;
      }
      if (holder !== null && holder !== process.pid && pidAlive(holder)) {
        throw new LockedError(
          `data directory ${dataDir} is locked by another running process (pid ${holder}); stop it or use another data directory`,
          dataDir,
          holder,
        );
      }
      // Stale lock of a dead process (or unreadable): take it over.
      fs.rmSync(lockFile, { force: true });
    }
    throw new LockedError(`could not lock data directory ${dataDir}: another process raced us for ${lockFile}; retry`, dataDir, null);
  }

  private static unlock(dataDir: string): void {
    lockedDirs.delete(dataDir);
    fs.rmSync(path.join(dataDir, LOCK_FILE), { force: true });
  }

  private loadLogs(topicConfigs: LogManagerOptions['topicConfigs']): void {
    const marker = path.join(this.dataDir, CLEAN_SHUTDOWN_FILE);
    const cleanShutdown = fs.existsSync(marker);
    if (cleanShutdown) {
      fs.rmSync(marker);
      fsyncDir(this.dataDir);
    }
    const recoveryPoints = readOffsetCheckpoint(path.join(this.dataDir, RECOVERY_POINT_CHECKPOINT_FILE));
    const logStartOffsets = readOffsetCheckpoint(path.join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE));
    const cleanerOffsets = readOffsetCheckpoint(path.join(this.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE));
    for (const entry of fs.readdirSync(this.dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(this.dataDir, entry.name);
      if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const match = /^(.+)-(\d+)$/.exec(entry.name);
      if (!match || !TOPIC_NAME.test(match[1]!)) continue;
      const topic = match[1]!;
      const partition = Number(match[2]);
      const key = partitionKey(topic, partition);
      const log = PartitionLog.load({
        dir,
        topic,
        partition,
        config: topicConfigs?.(topic) ?? this.defaults,
        clock: this.clock,
        logger: this.logger,
        recoveryPoint: recoveryPoints.get(key) ?? 0n,
        logStartOffset: logStartOffsets.get(key),
        cleanerCheckpoint: cleanerOffsets.get(key),
        cleanShutdown,
      });
      this.logsByKey.set(key, log);
    }
    if (!cleanShutdown && this.logsByKey.size > 0) this.logger.warn(`data directory ${this.dataDir} was not shut down cleanly; logs re-validated after their recovery points`);
  }

  private checkOpen(): void {
    if (this.closedFlag) throw new LogClosedError(`log manager of ${this.dataDir}`);
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logsByKey.get(partitionKey(topic, partition));
  }

  logs(): PartitionLog[] {
    return [...this.logsByKey.values()];
  }

  async createLog(topic: string, partition: number, config?: LogConfig): Promise<PartitionLog> {
    this.checkOpen();
    if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
      throw new StorageError('INVALID_PARTITION', `invalid topic name "${topic}": use 1-249 characters from [a-zA-Z0-9._-]`);
    }
    if (!Number.isSafeInteger(partition) || partition < 0) {
      throw new StorageError('INVALID_PARTITION', `invalid partition ${partition} of topic "${topic}": use an integer >= 0`);
    }
    const existing = this.getLog(topic, partition);
    if (existing) {
      if (config) existing.updateConfig(config);
      return existing;
    }
    const dir = path.join(this.dataDir, partitionKey(topic, partition));
    const log = PartitionLog.load({
      dir,
      topic,
      partition,
      config: config ?? this.defaults,
      clock: this.clock,
      logger: this.logger,
      recoveryPoint: 0n,
      logStartOffset: undefined,
      cleanerCheckpoint: undefined,
      cleanShutdown: true,
    });
    fsyncDir(this.dataDir);
    this.logsByKey.set(partitionKey(topic, partition), log);
    return log;
  }

  /** Renames the directory to `<topic>-<partition>.<uuid>-delete` (crash safe), then removes it. */
  async deleteLog(topic: string, partition: number): Promise<void> {
    this.checkOpen();
    const key = partitionKey(topic, partition);
    const log = this.logsByKey.get(key);
    if (!log) return;
    this.logsByKey.delete(key);
    log.abandon();
    const target = path.join(this.dataDir, `${key}.${randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`);
    fs.renameSync(log.dir, target);
    fsyncDir(this.dataDir);
    await fs.promises.rm(target, { recursive: true, force: true });
  }

  /** Background work: flush.ms, retention, the cleaner, checkpoints. All timers are unref'd. */
  startBackground(): void {
    this.checkOpen();
    if (this.timers.length > 0) return;
    const every = (ms: number, work: () => Promise<unknown>): void => {
      const timer = setInterval(() => {
        work().catch((error: unknown) => this.logger.error(`storage background task failed: ${String(error)}`));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(FLUSH_CHECK_INTERVAL_MS, async () => {
      const nowMs = this.clock.nowMs();
      await Promise.all(this.logs().map((log) => log.maybeFlushByTime(nowMs)));
    });
    every(RETENTION_CHECK_INTERVAL_MS, () => this.runRetentionOnce());
    every(CLEANER_INTERVAL_MS, () => this.runCleanerOnce());
    every(CHECKPOINT_INTERVAL_MS, () => this.checkpoint());
  }

  /** Applies retention to every log; returns the number of segments deleted. */
  async runRetentionOnce(nowMs: number = this.clock.nowMs()): Promise<number> {
    if (this.closedFlag) return 0;
    let deleted = 0;
    for (const log of this.logs()) deleted += log.applyRetention(nowMs);
    return deleted;
  }

  /** Compacts every log whose policy and dirty ratio call for it; one pass each. */
  async runCleanerOnce(nowMs: number = this.clock.nowMs(), options: { force?: boolean } = {}): Promise<CleanerResult[]> {
    if (this.closedFlag || this.cleaning) return [];
    this.cleaning = true;
    try {
      const results: CleanerResult[] = [];
      for (const log of this.logs()) {
        if (log.closed) continue;
        const result = await cleanLog(log, {
          nowMs,
          ...(this.cleanerKeyMapEntriesMax !== undefined ? { keyMapEntriesMax: this.cleanerKeyMapEntriesMax } : {}),
          ...(options.force !== undefined ? { force: options.force } : {}),
        });
        if (result) {
          results.push(result);
          this.logger.info(`compacted ${result.topic}-${result.partition}: ${result.segmentsCleaned} segment(s), ${result.recordsRemoved} record(s) removed`);
        }
      }
      return results;
    } finally {
      this.cleaning = false;
    }
  }

  /** Writes the recovery point, log start offset and cleaner checkpoints (atomically). */
  async checkpoint(): Promise<void> {
    if (this.closedFlag) return;
    this.writeCheckpoints();
  }

  private writeCheckpoints(): void {
    const entries = (pick: (log: PartitionLog) => bigint) =>
      new Map(this.logs().map((log) => [partitionKey(log.topic, log.partition), { topic: log.topic, partition: log.partition, offset: pick(log) }]));
    writeOffsetCheckpoint(path.join(this.dataDir, RECOVERY_POINT_CHECKPOINT_FILE), entries((log) => log.recoveryPoint));
    writeOffsetCheckpoint(path.join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE), entries((log) => log.logStartOffset));
    writeOffsetCheckpoint(path.join(this.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE), entries((log) => log.cleanerCheckpoint));
  }

  /** Flushes every log, writes checkpoints and the clean-shutdown marker, releases the lock. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    while (this.cleaning) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const log of this.logs()) await log.close();
    this.writeCheckpoints();
    this.closedFlag = true;
    writeCheckpointFile(path.join(this.dataDir, CLEAN_SHUTDOWN_FILE), []);
    LogManager.unlock(this.dataDir);
  }

  /**
   * Closes files without flushing, checkpointing or writing the clean-shutdown marker, and releases
   * the lock: what a crashed process leaves behind (the page cache keeps the writes). For tests.
   */
  abandon(): void {
    if (this.closedFlag) return;
    for (const timer of this.timers) clearInterval(timer);
    this.closedFlag = true;
    for (const log of this.logs()) log.abandon();
    LogManager.unlock(this.dataDir);
  }
}
