/**
 * Checkpoint files in Kafka's text format, written atomically (temp file, fsync, rename, fsync dir):
 *
 *   <version>\n<count>\n<entry>\n...      e.g. "0\n2\ntopic 0 42\ntopic 1 7\n"
 *
 * A missing or malformed file reads as empty (with a warning from the caller): checkpoints only
 * speed recovery up; the logs themselves are the truth.
 */
import fs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_VERSION, TEMP_FILE_SUFFIX } from './constants';
import { ioError } from './errors';

export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Writes `lines` as a checkpoint file atomically. */
export function writeCheckpointFile(file: string, lines: readonly string[]): void {
  const temp = file + TEMP_FILE_SUFFIX;
  const text = `${CHECKPOINT_VERSION}\n${lines.length}\n${lines.map((line) => line + '\n').join('')}`;
  try {
    const fd = fs.openSync(temp, 'w', 0o644);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    throw ioError(error, `writing checkpoint ${file}`);
  }
  fsyncDir(path.dirname(file));
}

/** The entry lines of a checkpoint file; null when missing, or when malformed. */
export function readCheckpointFile(file: string): string[] | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(error, `reading checkpoint ${file}`);
  }
  const lines = text.split('\n');
  if (lines[0] !== String(CHECKPOINT_VERSION)) return null;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || lines.length < count + 2) return null;
  const entries = lines.slice(2, 2 + count);
  if (entries.some((line) => line.trim() === '')) return null;
  return entries;
}

/** topic-partition -> offset checkpoints (recovery point, log start offset, cleaner offset). */
export function writeOffsetCheckpoint(file: string, offsets: ReadonlyMap<string, { topic: string; partition: number; offset: bigint }>): void {
  const lines = [...offsets.values()].map((entry) => `${entry.topic} ${entry.partition} ${entry.offset}`);
  writeCheckpointFile(file, lines);
}

export function readOffsetCheckpoint(file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const lines = readCheckpointFile(file);
  if (!lines) return out;
  for (const line of lines) {
    const parts = line.split(' ');
    if (parts.length !== 3 || !/^-?\d+$/.test(parts[1]!) || !/^-?\d+$/.test(parts[2]!)) return new Map();
    out.set(`${parts[0]}-${parts[1]}`, BigInt(parts[2]!));
  }
  return out;
}
