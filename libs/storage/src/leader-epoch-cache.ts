/**
 * Leader epoch cache: the start offset of every leader epoch seen in this log, persisted to
 * `<partition dir>/leader-epoch-checkpoint` in Kafka's format ("0\n<n>\n<epoch> <startOffset>\n...").
 * Followers use it (later) to find where their log diverges from the leader's.
 */
import * as path from 'node:path';
import { LEADER_EPOCH_CHECKPOINT_FILE } from './constants';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
    const lines = readCheckpointFile(this.file) ?? [];
    for (const line of lines) {
      const [epoch, offset] = line.split(' ');
      if (!epoch || !offset || !/^\d+$/.test(epoch) || !/^\d+$/.test(offset)) {
        this.entries = [];
        return;
      }
      this.entries.push({ epoch: Number(epoch), startOffset: BigInt(offset) });
    }
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? -1;
  }

  /** Records that `epoch` starts at `startOffset` (ignored unless newer than the latest epoch). */
  assign(epoch: number, startOffset: bigint): void {
    if (epoch < 0 || epoch <= this.latestEpoch()) return;
    this.entries.push({ epoch, startOffset });
    this.persist();
  }

  /** End offset of `epoch` (the start of the next epoch, or `logEndOffset` for the latest). */
  endOffsetFor(epoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    let found = -1;
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i]!.epoch <= epoch) found = i;
    if (found < 0) return { epoch: -1, endOffset: -1n };
    const next = this.entries[found + 1];
    return { epoch: this.entries[found]!.epoch, endOffset: next ? next.startOffset : logEndOffset };
  }

  /** Drops epochs starting at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: bigint): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.startOffset < endOffset);
    if (this.entries.length !== before) this.persist();
  }

  /** Moves the first kept epoch's start up to `startOffset` (the log start moved). */
  truncateFromStart(startOffset: bigint): void {
    let changed = false;
    while (this.entries.length > 1 && this.entries[1]!.startOffset <= startOffset) {
      this.entries.shift();
      changed = true;
    }
    const first = this.entries[0];
    if (first && first.startOffset < startOffset) {
      first.startOffset = startOffset;
      changed = true;
    }
    if (changed) this.persist();
  }

  clear(): void {
    this.entries = [];
    this.persist();
  }

  private persist(): void {
    writeCheckpointFile(this.file, this.entries.map((entry) => `${entry.epoch} ${entry.startOffset}`));
  }
}
