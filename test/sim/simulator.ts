import {
  MemoryRaftLog,
  RaftAssertionError,
  RaftNode,
  raftConfig,
  type LogEntry,
  type QuorumStateData,
  type RaftConfig,
  type RaftMessage,
  type Ready,
} from '@runnel/raft';
import { Prng } from './prng';

/**
 * A deterministic simulator for the Raft core: N nodes, a simulated clock (ticks), a simulated
 * network and simulated disks, all driven by one seeded PRNG, so a seed replays exactly.
 *
 * Faults (until `ticks - LIVENESS_BOUND_TICKS`): message delay (1..4 ticks, hence reordering), drop,
 * duplication, partitions (random split, isolated leader, one-way links), crashes that lose every
 * Ready not yet persisted (and in-flight messages to the node), restarts from the durable log and
 * quorum-state (later, or at once: a bounce), slow disks (a Ready takes 0..2 ticks to persist; its messages leave only after),
 * voter changes, graceful resignations, snapshots.
 *
 * Invariants, checked after every step, tick and persisted Ready:
 *  - election safety: at most one leader per epoch;
 *  - log matching: one entry per (epoch, offset), and equal (epoch, offset) means equal predecessor;
 *  - leader completeness: a new leader's log holds every committed entry;
 *  - state machine safety: every node applies the same entry at each offset, in order, and a
 *    snapshot holds exactly the committed prefix it claims (digest);
 *  - the high watermark of a node never goes back during its life, and restarts at most at the
 *    committed offset (it restarts from the snapshot; it is not persisted, as in KRaft);
 *  - nothing committed is lost: at the end, a majority of the final voters holds every committed
 *    entry durably (log or snapshot).
 * Liveness: after the faults stop (links healed, crashed nodes restarted, no drops) a leader must be
 * elected and a newly proposed entry committed within LIVENESS_BOUND_TICKS.
 */

/**
 * Ticks allowed, after the faults stop, to elect a leader and commit a new proposal. The budget:
 * a stale leader may hold on until check-quorum (60) and its followers until their fetch timeout
 * (40); a voter stuck in a rejected pre-vote waits for the leader's next BeginQuorumEpoch (15); an
 * election is a pre-vote and a vote round (2 round trips of at most 14 ticks each) after a 20-40
 * tick timeout, and split votes retry with a fresh timeout; a lagging majority catches up at 64
 * entries per round trip; then one more round trip commits. That is ~200 ticks for a bad case with
 * two split votes; 400 leaves room. Observed over 10,000 seeds: median ~11, p99 ~72, max 320.
 */
export const LIVENESS_BOUND_TICKS = 400;
export const SIM_TICKS_MIN = LIVENESS_BOUND_TICKS + 100;
const WHEEL_SLOTS = 16;
/** With DISK_DELAY_MAX_TICKS the worst round trip stays below REQUEST_TIMEOUT_TICKS. */
const DELAY_MAX_TICKS = 4;
const DISK_DELAY_MAX_TICKS = 2;
const TRACE_EVENTS_DEFAULT = 150;

export interface SimBugs {
  /** Candidates count rejected votes as granted ("a leader that counts votes wrongly"). */
  readonly forgeVotes?: boolean;
  /** fsync lies: a crash also loses the last few "persisted" entries. */
  readonly lyingFsync?: boolean;
}

export interface SimOptions {
  readonly seed: number;
  readonly ticks: number;
  readonly trace?: boolean;
  readonly traceEvents?: number;
  readonly bugs?: SimBugs;
}

export interface SimResult {
  readonly seed: number;
  readonly ticks: number;
  readonly violation: string | null;
  /** The last events before the violation (only with `trace: true`). */
  readonly trace: readonly string[];
  /** Per leader loss (crash, isolation, resignation): ticks until an entry of a newer epoch committed. */
  readonly recoveryTicks: readonly number[];
  /** Ticks from the end of the faults to the first committed new proposal (-1 if never). */
  readonly livenessTicks: number;
  readonly committedEntries: number;
  readonly leaderEpochs: number;
  readonly nodes: number;
}

class SimViolation extends Error {}

interface SimNode {
  readonly id: number;
  readonly rng: Prng;
  config: RaftConfig;
  raft: RaftNode | null;
  incarnation: number;
  disk: MemoryRaftLog;
  diskQuorum: QuorumStateData | null;
  inflight: Ready | null;
  inflightDoneTick: number;
  appliedOffset: number;
  digest: number;
  lastHw: number;
  traceState: string;
}

interface FaultProfile {
  readonly dropP: number;
  readonly dupP: number;
  readonly delayMaxTicks: number;
  readonly diskDelayMaxTicks: number;
  readonly crashP: number;
  readonly restartP: number;
  /** Crash and restart at once (kill -9 under a supervisor): loses what was not persisted, nothing else. */
  readonly bounceP: number;
  readonly partitionP: number;
  readonly healP: number;
  readonly proposeP: number;
  readonly voterChangeP: number;
  readonly snapshotP: number;
  readonly resignP: number;
}

function mix(hash: number, value: number): number {
  return (Math.imul(hash ^ value, 16777619) + 0x9e3779b9) | 0;
}

function entryUid(entry: LogEntry): number {
  if (entry.type === 'data') {
    const d = entry.data;
    return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  }
  return mix(entry.type === 'leaderChange' ? 0x4c43 : 0x564f, entry.epoch);
}

export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

class Simulation {
  private readonly rng: Prng;
  private readonly ticks: number;
  private readonly faultEnd: number;
  private readonly bugs: SimBugs;
  private readonly tracing: boolean;
  private readonly traceLimit: number;
  private readonly traceRing: string[] = [];
  private readonly nodes: SimNode[] = [];
  private readonly profile: FaultProfile;
  private readonly wheelMessages: RaftMessage[][] = [];
  private readonly wheelIncarnations: number[][] = [];
  private blocked: Uint8Array;
  private now = 0;
  private dropP: number;
  private dupP: number;
  private readonly leaderByEpoch: number[] = [];
  private readonly committed: LogEntry[] = [];
  private readonly digestAt: number[] = [0];
  private readonly entryByKey = new Map<number, LogEntry>();
  private readonly prevByKey = new Map<number, LogEntry | null>();
  private nextProposalId = 1;
  private livenessFirstId = Infinity;
  private livenessTicks = -1;
  private lossStartTick = -1;
  private lossEpoch = 0;
  private readonly recoveryTicks: number[] = [];

  constructor(private readonly options: SimOptions) {
    if (!(options.ticks >= SIM_TICKS_MIN)) throw new Error(`ticks must be >= ${SIM_TICKS_MIN}`);
    this.rng = new Prng(options.seed);
    this.ticks = options.ticks;
    this.faultEnd = options.ticks - LIVENESS_BOUND_TICKS;
    this.bugs = options.bugs ?? {};
    this.tracing = options.trace === true;
    this.traceLimit = options.traceEvents ?? TRACE_EVENTS_DEFAULT;
    const rng = this.rng;
    const nodeCount = 3 + rng.nextInt(3);
    const voterCount = rng.chance(0.05) ? 1 : nodeCount === 5 && rng.chance(0.5) ? 5 : 3;
    this.profile = {
      dropP: [0, 0.01, 0.05, 0.15][rng.nextInt(4)]!,
      dupP: [0, 0, 0.02, 0.05][rng.nextInt(4)]!,
      delayMaxTicks: 1 + rng.nextInt(DELAY_MAX_TICKS),
      diskDelayMaxTicks: rng.nextInt(DISK_DELAY_MAX_TICKS + 1),
      crashP: [0.0005, 0.001, 0.003][rng.nextInt(3)]!,
      restartP: 0.02,
      bounceP: [0.001, 0.005][rng.nextInt(2)]!,
      partitionP: [0.001, 0.003][rng.nextInt(2)]!,
      healP: 0.01,
      proposeP: [0.05, 0.2, 0.5][rng.nextInt(3)]!,
      voterChangeP: [0, 0.002, 0.01][rng.nextInt(3)]!,
      snapshotP: [0, 0.002, 0.01][rng.nextInt(3)]!,
      resignP: 0.0005,
    };
    this.dropP = this.profile.dropP;
    this.dupP = this.profile.dupP;
    this.blocked = new Uint8Array(nodeCount * nodeCount);
    for (let i = 0; i < WHEEL_SLOTS; i += 1) {
      this.wheelMessages.push([]);
      this.wheelIncarnations.push([]);
    }
    const bootstrapVoters = Array.from({ length: voterCount }, (_, i) => i);
    for (let id = 0; id < nodeCount; id += 1) {
      const config = raftConfig({ nodeId: id, bootstrapVoters, snapshotChunkBytesMax: 8 });
      const node: SimNode = {
        id,
        rng: rng.fork(),
        config,
        raft: null,
        incarnation: 0,
        disk: new MemoryRaftLog(),
        diskQuorum: null,
        inflight: null,
        inflightDoneTick: 0,
        appliedOffset: 0,
        digest: 0,
        lastHw: 0,
        traceState: '',
      };
      this.nodes.push(node);
      this.start(node);
    }
    this.trace(`seed ${options.seed}: ${nodeCount} nodes, voters [${bootstrapVoters.join(',')}], ${JSON.stringify(this.profile)}`);
  }

  run(): SimResult {
    let violation: string | null = null;
    try {
      for (this.now = 1; this.now <= this.ticks; this.now += 1) this.tickOnce();
      this.finalChecks();
    } catch (error) {
      if (error instanceof SimViolation) violation = error.message;
      else if (error instanceof RaftAssertionError) violation = `assertion: ${error.message}`;
      else violation = `crash: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      violation = `tick ${this.now}: ${violation}`;
      this.trace(`VIOLATION ${violation}`);
    }
    return {
      seed: this.options.seed,
      ticks: this.ticks,
      violation,
      trace: this.traceRing,
      recoveryTicks: this.recoveryTicks,
      livenessTicks: this.livenessTicks,
      committedEntries: this.committed.length,
      leaderEpochs: this.leaderByEpoch.filter((id) => id !== undefined).length,
      nodes: this.nodes.length,
    };
  }

  private tickOnce(): void {
    const now = this.now;
    if (now <= this.faultEnd) this.injectFaults();
    else this.livenessStep();
    this.deliver();
    for (const node of this.nodes) {
      if (node.raft === null) continue;
      node.raft.tick();
      this.checkNode(node);
    }
    for (const node of this.nodes) this.processReady(node);
  }

  // ----- nodes -----

  private start(node: SimNode): void {
    node.raft = new RaftNode({ config: node.config, log: node.disk.copy(), quorumState: node.diskQuorum, random: node.rng });
    node.appliedOffset = 0;
    node.digest = 0;
    node.lastHw = node.raft.highWatermark;
    node.inflight = null;
    // Across a restart the HW restarts from the snapshot: it may only cover committed data.
    if (node.raft.highWatermark > this.committed.length) throw new SimViolation(`n${node.id} restarts with HW ${node.raft.highWatermark} past the committed ${this.committed.length}`);
  }

  private crash(node: SimNode): void {
    if (node.raft === null) return;
    this.noteLeaderLoss(node, 'crash');
    node.raft = null;
    node.inflight = null;
    node.incarnation += 1;
    if (this.bugs.lyingFsync) {
      const lost = Math.min(3, node.disk.endOffset() - node.disk.startOffset());
      node.disk.truncateTo(node.disk.endOffset() - lost);
    }
    this.trace(`crash n${node.id}`);
  }

  private processReady(node: SimNode): void {
    const raft = node.raft;
    if (raft === null) return;
    if (node.inflight !== null) {
      if (this.now < node.inflightDoneTick) return;
      const ready = node.inflight;
      node.inflight = null;
      this.complete(node, raft, ready);
    }
    if (!raft.hasReady()) return;
    const ready = raft.ready();
    const delay = this.profile.diskDelayMaxTicks === 0 ? 0 : this.rng.nextInt(this.profile.diskDelayMaxTicks + 1);
    if (delay === 0) this.complete(node, raft, ready);
    else {
      node.inflight = ready;
      node.inflightDoneTick = this.now + delay;
    }
  }

  /** The host side of the Ready contract: persist, then send, then apply, then advance. */
  private complete(node: SimNode, raft: RaftNode, ready: Ready): void {
    const disk = node.disk;
    if (ready.truncateTo >= 0 && ready.truncateTo < disk.endOffset()) disk.truncateTo(Math.max(ready.truncateTo, disk.startOffset()));
    const snapshot = ready.snapshot;
    if (snapshot !== null) {
      const end = snapshot.snapshotId.endOffset;
      const compactable =
        !ready.snapshotInstalled && end > disk.startOffset() && end <= disk.endOffset() && disk.epochAt(end - 1) === snapshot.snapshotId.epoch;
      if (compactable) disk.compactTo(snapshot);
      else if (end > disk.startOffset() || ready.snapshotInstalled) disk.installSnapshot(snapshot);
    }
    if (ready.entries.length > 0) {
      if (disk.endOffset() !== ready.entriesBaseOffset) {
        throw new SimViolation(`n${node.id} persists entries at ${ready.entriesBaseOffset} but its disk ends at ${disk.endOffset()}`);
      }
      for (let i = 0; i < ready.entries.length; i += 1) {
        const entry = ready.entries[i]!;
        this.checkLogMatching(node, ready.entriesBaseOffset + i, entry);
        disk.append(entry);
      }
    }
    if (ready.quorumState !== null) {
      node.diskQuorum = ready.quorumState;
    }
    for (const message of ready.messages) this.send(message);
    if (ready.applySnapshot !== null) {
      const snap = ready.applySnapshot;
      const end = snap.snapshotId.endOffset;
      const digest = new DataView(snap.data.buffer, snap.data.byteOffset, 4).getInt32(0);
      if (end >= this.digestAt.length) throw new SimViolation(`n${node.id} applies a snapshot at ${end} beyond the committed ${this.committed.length}`);
      if (this.digestAt[end] !== digest) throw new SimViolation(`n${node.id} applies a snapshot at ${end} whose state differs from the committed prefix`);
      node.appliedOffset = end;
      node.digest = digest;
      this.trace(`n${node.id} applies snapshot end=${end}`);
    }
    for (let i = 0; i < ready.committed.length; i += 1) this.apply(node, ready.committedBaseOffset + i, ready.committed[i]!);
    raft.advance(ready);
    this.checkNode(node);
  }

  private apply(node: SimNode, offset: number, entry: LogEntry): void {
    if (offset !== node.appliedOffset) throw new SimViolation(`n${node.id} applies offset ${offset} after ${node.appliedOffset - 1}`);
    if (offset < this.committed.length) {
      if (this.committed[offset] !== entry) {
        throw new SimViolation(`state machine safety: n${node.id} applies ${describeEntry(entry)} at ${offset}, others applied ${describeEntry(this.committed[offset]!)}`);
      }
    } else {
      this.committed.push(entry);
      this.digestAt.push(mix(this.digestAt[offset]!, entryUid(entry)));
      if (this.tracing) this.trace(`commit ${offset} ${describeEntry(entry)} (first applied by n${node.id})`);
      if (this.lossStartTick >= 0 && entry.epoch > this.lossEpoch) {
        this.recoveryTicks.push(this.now - this.lossStartTick);
        this.lossStartTick = -1;
      }
      if (this.livenessTicks < 0 && entry.type === 'data' && entryUid(entry) >= this.livenessFirstId) this.livenessTicks = this.now - this.faultEnd;
    }
    node.digest = this.digestAt[offset + 1]!;
    node.appliedOffset = offset + 1;
  }

  // ----- invariants -----

  private checkNode(node: SimNode): void {
    const raft = node.raft!;
    const hw = raft.highWatermark;
    if (hw < node.lastHw) throw new SimViolation(`n${node.id} high watermark went back from ${node.lastHw} to ${hw}`);
    node.lastHw = hw;
    if (this.tracing) {
      const state = `${raft.role} e=${raft.epoch} leader=${raft.leaderId} voted=${raft.votedId} hw=${hw} end=${raft.raftLog.endOffset()} voters=[${raft.voters.join(',')}]`;
      if (state !== node.traceState) {
        node.traceState = state;
        this.trace(`n${node.id} ${state}`);
      }
    }
    if (raft.role !== 'leader') return;
    const epoch = raft.epoch;
    const known = this.leaderByEpoch[epoch];
    if (known === undefined) {
      this.leaderByEpoch[epoch] = node.id;
      this.checkLeaderCompleteness(node, raft);
    } else if (known !== node.id) {
      throw new SimViolation(`election safety: two leaders in epoch ${epoch}: n${known} and n${node.id}`);
    }
  }

  private checkLeaderCompleteness(node: SimNode, raft: RaftNode): void {
    const log = raft.raftLog;
    const start = log.startOffset();
    if (start > this.committed.length) throw new SimViolation(`leader n${node.id} has a snapshot past the committed log`);
    for (let offset = start; offset < this.committed.length; offset += 1) {
      if (offset >= log.endOffset() || log.entryAt(offset) !== this.committed[offset]) {
        throw new SimViolation(`leader completeness: new leader n${node.id} of epoch ${raft.epoch} lacks committed offset ${offset}`);
      }
    }
  }

  private checkLogMatching(node: SimNode, offset: number, entry: LogEntry): void {
    if (entry.epoch >= 1 << 26 || offset >= 1 << 26) throw new Error('simulation too long for the log-matching keys');
    const key = entry.epoch * (1 << 26) + offset;
    const prev = offset - 1 >= node.disk.startOffset() ? node.disk.entryAt(offset - 1) : null;
    const seen = this.entryByKey.get(key);
    if (seen === undefined) {
      this.entryByKey.set(key, entry);
      this.prevByKey.set(key, prev);
      return;
    }
    if (seen !== entry) throw new SimViolation(`log matching: two different entries of epoch ${entry.epoch} at offset ${offset}`);
    const seenPrev = this.prevByKey.get(key) ?? null;
    if (prev !== null && seenPrev !== null && prev !== seenPrev) {
      throw new SimViolation(`log matching: n${node.id} holds epoch ${entry.epoch} at offset ${offset} after a different entry`);
    }
    if (seenPrev === null && prev !== null) this.prevByKey.set(key, prev);
  }

  private finalChecks(): void {
    if (this.livenessTicks < 0) {
      throw new SimViolation(`liveness: no new proposal committed within ${LIVENESS_BOUND_TICKS} ticks after the faults stopped`);
    }
    const leader = this.currentLeader();
    if (leader === null) throw new SimViolation('liveness: no leader at the end');
    const voters = leader.raft!.voters;
    const majority = (voters.length >> 1) + 1;
    for (let offset = 0; offset < this.committed.length; offset += 1) {
      let holders = 0;
      for (const id of voters) {
        const disk = this.nodes[id]!.disk;
        if (offset < disk.startOffset() || (offset < disk.endOffset() && disk.entryAt(offset) === this.committed[offset])) holders += 1;
      }
      if (holders < majority) throw new SimViolation(`durability: committed offset ${offset} is held by ${holders} of ${voters.length} voters`);
    }
  }

  // ----- network -----

  private send(message: RaftMessage): void {
    if (this.dropP > 0 && this.rng.chance(this.dropP)) {
      if (this.tracing) this.trace(`drop ${describeMessage(message)}`);
      return;
    }
    this.enqueue(message);
    if (this.dupP > 0 && this.rng.chance(this.dupP)) this.enqueue(message);
  }

  private enqueue(message: RaftMessage): void {
    const slot = (this.now + 1 + this.rng.nextInt(this.profile.delayMaxTicks)) % WHEEL_SLOTS;
    this.wheelMessages[slot]!.push(message);
    this.wheelIncarnations[slot]!.push(this.nodes[message.to]!.incarnation);
  }

  private deliver(): void {
    const slot = this.now % WHEEL_SLOTS;
    const messages = this.wheelMessages[slot]!;
    const incarnations = this.wheelIncarnations[slot]!;
    if (messages.length === 0) return;
    this.wheelMessages[slot] = [];
    this.wheelIncarnations[slot] = [];
    const n = this.nodes.length;
    for (let i = 0; i < messages.length; i += 1) {
      let message = messages[i]!;
      const node = this.nodes[message.to]!;
      const raft = node.raft;
      if (raft === null || node.incarnation !== incarnations[i] || this.blocked[message.from * n + message.to] === 1) continue;
      if (this.bugs.forgeVotes && message.body.type === 'VoteResponse' && !message.body.voteGranted) {
        message = { ...message, body: { ...message.body, voteGranted: true } };
      }
      if (this.tracing) this.trace(`deliver ${describeMessage(message)}`);
      raft.step(message);
      this.checkNode(node);
    }
  }

  // ----- faults -----

  private injectFaults(): void {
    const rng = this.rng;
    const p = this.profile;
    if (rng.chance(p.crashP)) {
      const live = this.nodes.filter((node) => node.raft !== null);
      if (live.length > 0) this.crash(live[rng.nextInt(live.length)]!);
    }
    if (rng.chance(p.restartP)) {
      const down = this.nodes.filter((node) => node.raft === null);
      if (down.length > 0) {
        const node = down[rng.nextInt(down.length)]!;
        this.start(node);
        this.trace(`restart n${node.id} from disk end=${node.disk.endOffset()} quorum=${JSON.stringify(node.diskQuorum)}`);
      }
    }
    if (rng.chance(p.bounceP)) {
      const node = this.nodes[rng.nextInt(this.nodes.length)]!;
      if (node.raft !== null) {
        this.crash(node);
        this.start(node);
        this.trace(`restart n${node.id} at once from disk end=${node.disk.endOffset()} quorum=${JSON.stringify(node.diskQuorum)}`);
      }
    }
    if (rng.chance(p.partitionP)) this.partition();
    if (rng.chance(p.healP) && this.blocked.includes(1)) {
      this.blocked.fill(0);
      this.trace('heal all links');
    }
    if (rng.chance(p.proposeP)) this.propose();
    if (rng.chance(p.voterChangeP)) this.changeVoters();
    if (rng.chance(p.snapshotP)) {
      const node = this.nodes[rng.nextInt(this.nodes.length)]!;
      const raft = node.raft;
      if (raft !== null && node.inflight === null && node.appliedOffset > raft.raftLog.startOffset()) {
        const data = new Uint8Array(16);
        new DataView(data.buffer).setInt32(0, node.digest);
        raft.snapshot(node.appliedOffset, data);
        this.trace(`n${node.id} snapshot at ${node.appliedOffset}`);
      }
    }
    if (rng.chance(p.resignP)) {
      const leader = this.currentLeader();
      if (leader !== null) {
        this.noteLeaderLoss(leader, 'resign');
        leader.raft!.resign();
        this.checkNode(leader);
      }
    }
  }

  private partition(): void {
    const rng = this.rng;
    const n = this.nodes.length;
    const kind = rng.nextInt(3);
    if (kind === 0) {
      const side = this.nodes.map(() => rng.nextInt(2));
      for (let a = 0; a < n; a += 1) for (let b = 0; b < n; b += 1) this.blocked[a * n + b] = side[a] !== side[b] ? 1 : 0;
      this.trace(`partition sides [${side.join(',')}]`);
      const leader = this.currentLeader();
      if (leader !== null) {
        const mates = side.filter((s) => s === side[leader.id]).length;
        if (mates * 2 <= n) this.noteLeaderLoss(leader, 'minority');
      }
    } else if (kind === 1) {
      const leader = this.currentLeader();
      if (leader === null) return;
      for (let other = 0; other < n; other += 1) {
        if (other === leader.id) continue;
        this.blocked[leader.id * n + other] = 1;
        this.blocked[other * n + leader.id] = 1;
      }
      this.noteLeaderLoss(leader, 'isolated');
      this.trace(`isolate leader n${leader.id}`);
    } else {
      const a = rng.nextInt(n);
      const b = rng.nextInt(n);
      if (a === b) return;
      this.blocked[a * n + b] = 1;
      this.trace(`one-way link cut n${a} -> n${b}`);
    }
  }

  private propose(): void {
    const leader = this.currentLeader();
    if (leader === null) return;
    const id = this.nextProposalId;
    const data = new Uint8Array(8);
    new DataView(data.buffer).setUint32(0, id);
    const result = leader.raft!.propose(data);
    if (result.ok) {
      this.nextProposalId += 1;
      if (this.tracing) this.trace(`propose #${id} at n${leader.id} -> offset ${result.offset} epoch ${result.epoch}`);
    }
  }

  private changeVoters(): void {
    const leader = this.currentLeader();
    if (leader === null) return;
    const raft = leader.raft!;
    const voters = raft.voters;
    const others = this.nodes.filter((node) => !voters.includes(node.id));
    let result;
    if (others.length > 0 && (voters.length <= 2 || this.rng.chance(0.5))) {
      result = raft.addVoter(others[this.rng.nextInt(others.length)]!.id);
    } else {
      result = raft.removeVoter(voters[this.rng.nextInt(voters.length)]!);
    }
    this.trace(`voter change at n${leader.id}: ${JSON.stringify(result)}`);
    this.checkNode(leader);
  }

  private livenessStep(): void {
    if (this.now === this.faultEnd + 1) {
      this.blocked.fill(0);
      this.dropP = 0;
      this.dupP = 0;
      for (const node of this.nodes) if (node.raft === null) this.start(node);
      this.livenessFirstId = this.nextProposalId;
      this.trace('faults stop: links healed, all nodes up, no drops');
    }
    if (this.livenessTicks < 0 && this.now % 3 === 0) this.propose();
  }

  private currentLeader(): SimNode | null {
    let best: SimNode | null = null;
    for (const node of this.nodes) {
      const raft = node.raft;
      if (raft !== null && raft.role === 'leader' && (best === null || raft.epoch > best.raft!.epoch)) best = node;
    }
    return best;
  }

  private noteLeaderLoss(node: SimNode, why: string): void {
    const raft = node.raft;
    if (raft === null || raft.role !== 'leader' || this.currentLeader() !== node) return;
    if (this.lossStartTick < 0) {
      this.lossStartTick = this.now;
      this.lossEpoch = raft.epoch;
    }
    this.trace(`leader n${node.id} of epoch ${raft.epoch} lost (${why})`);
  }

  private trace(event: string): void {
    if (!this.tracing) return;
    this.traceRing.push(`t=${this.now} ${event}`);
    if (this.traceRing.length > this.traceLimit * 2) this.traceRing.splice(0, this.traceRing.length - this.traceLimit);
  }
}

export function describeEntry(entry: LogEntry): string {
  switch (entry.type) {
    case 'data':
      return `data#${entryUid(entry)}@e${entry.epoch}`;
    case 'leaderChange':
      return `leaderChange(n${entry.leaderId})@e${entry.epoch}`;
    case 'voters':
      return `voters[${entry.voters.join(',')}]@e${entry.epoch}`;
  }
}

export function describeMessage(message: RaftMessage): string {
  const b = message.body;
  const head = `n${message.from}->n${message.to} #${message.correlationId} ${b.type}`;
  switch (b.type) {
    case 'VoteRequest':
      return `${head} ${b.preVote ? 'pre ' : ''}epoch=${b.candidateEpoch} last=${b.lastOffset}@e${b.lastOffsetEpoch}`;
    case 'VoteResponse':
      return `${head} granted=${b.voteGranted} leader=${b.leaderId} epoch=${b.leaderEpoch}`;
    case 'BeginQuorumEpochRequest':
    case 'BeginQuorumEpochResponse':
      return `${head} leader=${b.leaderId} epoch=${b.leaderEpoch}`;
    case 'EndQuorumEpochRequest':
      return `${head} leader=${b.leaderId} epoch=${b.leaderEpoch} successors=[${b.preferredSuccessors.join(',')}]`;
    case 'EndQuorumEpochResponse':
      return `${head} epoch=${b.leaderEpoch}`;
    case 'FetchRequest':
      return `${head} epoch=${b.currentLeaderEpoch} offset=${b.fetchOffset} lastEpoch=${b.lastFetchedEpoch}`;
    case 'FetchResponse':
      return (
        `${head} err=${b.errorCode} leader=${b.currentLeader.leaderId}@e${b.currentLeader.leaderEpoch} hw=${b.highWatermark}` +
        (b.divergingEpoch !== null ? ` diverging=${b.divergingEpoch.endOffset}@e${b.divergingEpoch.epoch}` : '') +
        (b.snapshotId !== null ? ` snapshot=${b.snapshotId.endOffset}@e${b.snapshotId.epoch}` : '') +
        (b.records.length > 0 ? ` records@${b.baseOffset}=[${b.records.map(describeEntry).join(' ')}]` : '')
      );
    case 'FetchSnapshotRequest':
      return `${head} snapshot=${b.snapshotId.endOffset}@e${b.snapshotId.epoch} position=${b.position}`;
    case 'FetchSnapshotResponse':
      return `${head} err=${b.errorCode} position=${b.position} bytes=${b.unalignedRecords.length}/${b.size}`;
  }
}
