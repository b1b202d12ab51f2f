import { MemoryRaftLog } from './log';
import type { RaftMessage } from './messages';
import { RaftNode, raftConfig, type QuorumStateData, type RaftConfig, type Ready } from './raft-node';

/**
 * A scripted, fully manual cluster for unit tests (etcd's `network` in raft_test.go): the test
 * decides who ticks, which messages are delivered and which links are cut. Every Ready is persisted
 * and its messages queued at once. Randomness is fixed: the `favorite` node draws the shortest timeouts.
 * Not exported from the package index: test support only.
 */
export class TestCluster {
  readonly nodes = new Map<number, RaftNode>();
  readonly disks = new Map<number, { log: MemoryRaftLog; quorum: QuorumStateData | null }>();
  readonly applied = new Map<number, number>();
  /** Messages sent and not yet delivered, in send order. */
  queue: RaftMessage[] = [];
  /** Every Ready taken, in order (for persist-before-send checks). */
  readonly readies: { id: number; ready: Ready }[] = [];
  private readonly cut = new Set<string>();
  /** Called after every delivered message (to watch a value change step by step). */
  afterStep: (() => void) | null = null;
  /** The node that `elect` wants to win (at first, the first voter). */
  favorite: number;

  constructor(
    readonly voters: readonly number[],
    readonly observers: readonly number[] = [],
    readonly overrides: Partial<RaftConfig> = {},
  ) {
    this.favorite = voters[0]!;
    for (const id of [...voters, ...observers]) {
      this.disks.set(id, { log: new MemoryRaftLog(), quorum: null });
      this.start(id);
    }
  }

  node(id: number): RaftNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`node ${id} is down`);
    return node;
  }

  start(id: number): RaftNode {
    const disk = this.disks.get(id)!;
    const config = raftConfig({ nodeId: id, bootstrapVoters: this.voters, snapshotChunkBytesMax: 8, ...this.overrides });
    // The favorite draws the shortest timeouts, everyone else the longest: elections are not races.
    const random = { nextInt: (bound: number): number => (this.favorite === id ? 0 : bound - 1) };
    const node = new RaftNode({ config, log: disk.log.copy(), quorumState: disk.quorum, random });
    this.nodes.set(id, node);
    this.applied.set(id, 0);
    return node;
  }

  /** Crash: everything not persisted is gone; messages in flight to it are dropped. */
  crash(id: number): void {
    this.nodes.delete(id);
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  isolate(id: number): void {
    for (const other of this.disks.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Persist every pending Ready (truncate, snapshot, entries, quorum state), then queue its messages. */
  flush(): void {
    for (const [id, node] of this.nodes) {
      while (node.hasReady()) {
        const ready = node.ready();
        this.readies.push({ id, ready });
        const disk = this.disks.get(id)!;
        if (ready.truncateTo >= 0 && ready.truncateTo < disk.log.endOffset()) disk.log.truncateTo(ready.truncateTo);
        if (ready.snapshot !== null) {
          const end = ready.snapshot.snapshotId.endOffset;
          if (!ready.snapshotInstalled && end <= disk.log.endOffset() && end > disk.log.startOffset()) disk.log.compactTo(ready.snapshot);
          else disk.log.installSnapshot(ready.snapshot);
        }
        for (const entry of ready.entries) disk.log.append(entry);
        if (ready.quorumState !== null) disk.quorum = ready.quorumState;
        this.queue.push(...ready.messages);
        if (ready.applySnapshot !== null) this.applied.set(id, ready.applySnapshot.snapshotId.endOffset);
        this.applied.set(id, Math.max(this.applied.get(id)!, ready.committedBaseOffset + ready.committed.length));
        node.advance(ready);
      }
    }
  }

  /** Deliver queued messages (and what they cause) until the network is quiet. */
  deliverAll(limit = 10_000): void {
    this.flush();
    let steps = 0;
    while (this.queue.length > 0) {
      if ((steps += 1) > limit) throw new Error('network never went quiet');
      const message = this.queue.shift()!;
      const node = this.nodes.get(message.to);
      if (node === undefined || this.cut.has(`${message.from}->${message.to}`)) continue;
      node.step(message);
      this.flush();
      this.afterStep?.();
    }
  }

  /** Tick the given nodes (all live nodes by default) `times` times, delivering after each tick. */
  tick(times: number, ids: readonly number[] = [...this.nodes.keys()]): void {
    for (let i = 0; i < times; i += 1) {
      for (const id of ids) this.nodes.get(id)?.tick();
      this.deliverAll();
    }
  }

  /** Tick every live node until `id` wins an election (it draws the shortest timeouts). */
  elect(id: number): void {
    this.favorite = id;
    const node = this.node(id);
    for (let i = 0; i < 10 * node.config.fetchTimeoutTicks && node.role !== 'leader'; i += 1) this.tick(1);
    if (node.role !== 'leader') throw new Error(`node ${id} did not win: ${node.role}`);
  }

  cutLink(from: number, to: number): void {
    this.cut.add(`${from}->${to}`);
  }

  /** Take one message type out of the queue (to inspect or replay it). */
  take(type: RaftMessage['body']['type']): RaftMessage[] {
    const taken = this.queue.filter((m) => m.body.type === type);
    this.queue = this.queue.filter((m) => m.body.type !== type);
    return taken;
  }
}

export function bytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}
