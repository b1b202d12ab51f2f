import { MemoryRaftLog, decodeSnapshot, encodeSnapshot, type LogEntry, type Snapshot } from './log';

const data = (epoch: number): LogEntry => ({ type: 'data', epoch, data: new Uint8Array(0) });

function logWithEpochs(epochs: number[]): MemoryRaftLog {
  const log = new MemoryRaftLog();
  for (const epoch of epochs) log.append(data(epoch));
  return log;
}

describe('MemoryRaftLog', () => {
  it('tracks epoch ranges: endOffsetForEpoch returns the largest epoch <= asked and where it ends (Kafka OffsetForLeaderEpoch)', () => {
    const log = logWithEpochs([1, 1, 3, 3, 3, 5]);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, offset: 2 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, offset: 2 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, offset: 5 });
    expect(log.endOffsetForEpoch(9)).toEqual({ epoch: 5, offset: 6 });
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, offset: 0 });
    expect(log.lastFetchedEpoch()).toBe(5);
  });

  it('refuses an entry whose epoch goes back', () => {
    const log = logWithEpochs([2]);
    expect(() => log.append(data(1))).toThrow('append epoch 1 after epoch 2');
  });

  it('truncation drops entries and the epoch ranges that started in them', () => {
    const log = logWithEpochs([1, 1, 3, 3]);
    log.truncateTo(2);
    expect(log.endOffset()).toBe(2);
    expect(log.lastFetchedEpoch()).toBe(1);
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 1, offset: 2 });
  });

  it('compaction to a snapshot deletes the prefix and answers epochs older than the snapshot with -1', () => {
    const log = logWithEpochs([1, 1, 3, 3, 4]);
    const snapshot: Snapshot = { snapshotId: { endOffset: 3, epoch: 3 }, voters: [1], data: new Uint8Array(0) };
    log.compactTo(snapshot);
    expect(log.startOffset()).toBe(3);
    expect(log.endOffset()).toBe(5);
    expect(log.epochAt(2)).toBe(3);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: -1, offset: -1 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, offset: 4 });
    expect(() => log.entryAt(2)).toThrow('outside the log');
    const copy = log.copy();
    copy.truncateTo(4);
    expect(log.endOffset()).toBe(5);
  });

  it('installing a snapshot replaces the whole log', () => {
    const log = logWithEpochs([1, 2, 2]);
    log.installSnapshot({ snapshotId: { endOffset: 10, epoch: 4 }, voters: [1, 2, 3], data: new Uint8Array(0) });
    expect([log.startOffset(), log.endOffset(), log.lastFetchedEpoch()]).toEqual([10, 10, 4]);
  });

  it('snapshot bytes round-trip with the voter set first (KIP-853)', () => {
    const snapshot: Snapshot = { snapshotId: { endOffset: 7, epoch: 2 }, voters: [1, 5, 9], data: Uint8Array.of(1, 2, 3) };
    const decoded = decodeSnapshot(snapshot.snapshotId, encodeSnapshot(snapshot));
    expect(decoded.voters).toEqual([1, 5, 9]);
    expect([...decoded.data]).toEqual([1, 2, 3]);
  });
});
