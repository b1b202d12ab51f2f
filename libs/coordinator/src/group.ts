/**
 * The in-memory state of one group (Kafka's GroupMetadata + MemberMetadata). Pure bookkeeping:
 * the protocol rules, timers and persistence live in `GroupCoordinator`, which owns these objects.
 *
 * Invariants (checked by `assertInvariants`):
 * - the leader, when set, is a member; with no members there is no leader;
 * - a static member's instance id maps back to it in `staticMembers`;
 * - pending-sync ids are members; a pending (MEMBER_ID_REQUIRED) id is never also a member;
 * - `Empty` and `Dead` groups have no members.
 */
import type { Cancel } from './time';
import type { ClientKind, GroupState, JoinGroupProtocol, JoinGroupResult, SyncGroupResult } from './types';

export const EMPTY_BUFFER = Buffer.alloc(0);

/** Allowed transitions, from Kafka's GroupState valid previous states. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance', 'Empty'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export class Member {
  assignment: Buffer = EMPTY_BUFFER;
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null;
  awaitingSync: ((result: SyncGroupResult) => void) | null = null;
  /** Joined and not yet through a completed join phase: may be expired while awaiting join. */
  isNew = false;
  heartbeatCancel: Cancel | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    readonly clientKind: ClientKind,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly JoinGroupProtocol[],
  ) {}

  metadata(protocolName: string): Buffer {
    const protocol = this.protocols.find((p) => p.name === protocolName);
    if (protocol === undefined) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
    return protocol.metadata;
  }

  /** Same protocols, in the same order, with the same metadata (Kafka's `MemberMetadata.matches`). */
  matches(protocols: readonly JoinGroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The first of this member's protocols among `candidates`. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (choice === undefined) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  expireTimestampMs: number | null;
}

export function offsetMapKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  currentStateTimestampMs: number | null = null;
  /** Insertion-ordered, like Kafka's members map. */
  readonly members = new Map<string, Member>();
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, each with its expiry timer. */
  readonly pendingMembers = new Map<string, Cancel>();
  readonly pendingSyncMembers = new Set<string>();
  /** A new member joined during the initial (delayed) join: extend the delay once more. */
  newMemberAdded = false;
  joinTimer: { kind: 'initial' | 'normal'; cancel: Cancel } | null = null;
  syncTimer: Cancel | null = null;
  readonly offsets = new Map<string, CommittedOffset>();

  constructor(readonly groupId: string) {}

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${state}`);
    }
    this.state = state;
    this.currentStateTimestampMs = nowMs;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get numAwaitingJoin(): number {
    let count = 0;
    for (const m of this.members.values()) if (m.awaitingJoin !== null) count++;
    return count;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0;
  }

  /** The longest rebalance timeout of the members: how long a join phase may take. */
  get rebalanceTimeoutMs(): number {
    let timeout = 0;
    for (const m of this.members.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs);
    return timeout;
  }

  add(member: Member): void {
    if (this.members.has(member.memberId)) throw new Error(`group ${this.groupId}: member ${member.memberId} added twice`);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (member === undefined) return undefined;
    this.members.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.pendingSyncMembers.delete(memberId);
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    member.heartbeatCancel?.();
    member.heartbeatCancel = null;
    return member;
  }

  /** A static member rejoined without its member id: it takes a new id, and the old id is fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const member = this.members.get(oldMemberId);
    if (member === undefined) throw new Error(`group ${this.groupId}: static member ${oldMemberId} missing`);
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  /** A known instance id bound to another member id: the caller is an older instance. */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null | undefined): boolean {
    if (groupInstanceId === null || groupInstanceId === undefined) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /**
   * Kafka's `supportsProtocols`: an empty group takes any non-empty protocol list; otherwise the
   * protocol type must match and one of the member's protocols must be supported by all members.
   */
  supportsProtocols(protocolType: string, protocols: readonly JoinGroupProtocol[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    return protocols.some((p) => this.countSupporting(p.name) === this.members.size);
  }

  private countSupporting(protocolName: string): number {
    let count = 0;
    for (const m of this.members.values()) if (m.protocols.some((p) => p.name === protocolName)) count++;
    return count;
  }

  /** Kafka's `selectProtocol`: among protocols every member supports, the one most members prefer. */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`group ${this.groupId}: selectProtocol with no members`);
    const candidates = new Set<string>();
    const first = this.members.values().next().value!;
    for (const p of first.protocols) if (this.countSupporting(p.name) === this.members.size) candidates.add(p.name);
    if (candidates.size === 0) throw new Error(`group ${this.groupId}: no protocol supported by all members`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    return best!;
  }

  /** If the leader did not rejoin, any member that did becomes leader. False when none rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.awaitingJoin !== null) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Kafka's `initNextGeneration`. */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  assertInvariants(): void {
    const fail = (m: string) => {
      throw new Error(`group ${this.groupId} (${this.state}): ${m}`);
    };
    if (this.leaderId !== null && !this.members.has(this.leaderId)) fail(`leader ${this.leaderId} is not a member`);
    if (this.members.size === 0 && this.leaderId !== null) fail('leader without members');
    if (this.members.size > 0 && this.leaderId === null) fail('members without a leader');
    for (const [instanceId, memberId] of this.staticMembers) {
      if (this.members.get(memberId)?.groupInstanceId !== instanceId) fail(`static member ${instanceId} -> ${memberId} dangling`);
    }
    for (const id of this.pendingSyncMembers) if (!this.members.has(id)) fail(`pending-sync ${id} is not a member`);
    for (const id of this.pendingMembers.keys()) if (this.members.has(id)) fail(`pending ${id} is also a member`);
    if ((this.is('Empty') || this.is('Dead')) && this.members.size > 0) fail('members in an empty or dead group');
  }
}
