import { RaftAssertionError } from './assert';
import type { LogEntry } from './log';
import { RaftErrorCode, type EndQuorumEpochRequest, type FetchResponse, type RaftMessage, type VoteResponse } from './messages';
import { bytes, TestCluster } from './test-cluster';

/**
 * One test per rule, each citing where the rule comes from (as etcd's raft_paper_test.go does):
 * Raft §n is the extended Raft paper; KIP-595 (KRaft), KIP-996 (pre-vote), KIP-630 (snapshots) and
 * KIP-853 (voter changes) are Kafka's. Then scripted scenarios.
 */

function vote(from: number, to: number, candidateEpoch: number, lastOffsetEpoch: number, lastOffset: number, preVote = false): RaftMessage {
  return {
    from,
    to,
    correlationId: 7,
    body: { type: 'VoteRequest', clusterId: 'runnel', voterId: to, candidateEpoch, candidateId: from, lastOffsetEpoch, lastOffset, preVote },
  };
}

function answersTo(cluster: TestCluster, to: number, type: 'VoteResponse' | 'FetchResponse'): RaftMessage[] {
  cluster.flush();
  return cluster.queue.filter((m) => m.to === to && m.body.type === type);
}

function entries(cluster: TestCluster, id: number): LogEntry[] {
  const log = cluster.node(id).raftLog;
  return log.slice(log.startOffset(), log.endOffset());
}

function commit(cluster: TestCluster, leader: number, count: number, firstValue = 1): void {
  for (let i = 0; i < count; i += 1) expect(cluster.node(leader).propose(bytes(firstValue + i)).ok).toBe(true);
  cluster.tick(6);
}

describe('elections', () => {
  it('Raft §5.2 / KIP-996: a voter that times out wins a pre-vote, then a vote in epoch + 1, and announces itself', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    expect(c.node(1).role).toBe('leader');
    expect(c.node(1).epoch).toBe(1);
    for (const id of [2, 3]) {
      expect(c.node(id).role).toBe('follower');
      expect(c.node(id).leaderId).toBe(1);
      expect(c.node(id).epoch).toBe(1);
    }
  });

  it('Raft §5.2: a voter grants at most one vote per epoch', () => {
    const c = new TestCluster([1, 2, 3]);
    c.node(3).step(vote(1, 3, 1, 0, 0));
    c.node(3).step(vote(2, 3, 1, 0, 0));
    const answers = answersTo(c, 1, 'VoteResponse').concat(answersTo(c, 2, 'VoteResponse'));
    expect(answers.map((m) => [m.to, (m.body as VoteResponse).voteGranted])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(c.node(3).votedId).toBe(1);
  });

  it('Raft §5.4.1 / KIP-595: a voter rejects a candidate whose log is less up to date (last epoch, then end offset)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    commit(c, 1, 2);
    const end = c.node(3).raftLog.endOffset();
    c.node(3).step(vote(2, 3, 5, 1, end - 1));
    c.node(3).step(vote(1, 3, 6, 0, end + 10));
    c.node(3).step(vote(1, 3, 7, 1, end));
    const granted = answersTo(c, 2, 'VoteResponse').concat(answersTo(c, 1, 'VoteResponse')).map((m) => (m.body as VoteResponse).voteGranted);
    expect(granted).toEqual([false, false, true]);
  });

  it('KIP-595 quorum-state: the vote is persisted in the same Ready that carries the granting VoteResponse', () => {
    const c = new TestCluster([1, 2, 3]);
    c.node(2).step(vote(1, 2, 1, 0, 0));
    const ready = c.node(2).ready();
    expect(ready.quorumState).toEqual({ leaderEpoch: 1, leaderId: -1, votedId: 1 });
    expect(ready.messages.map((m) => (m.body as VoteResponse).voteGranted)).toEqual([true]);
  });

  it('Raft §5.1: a request with a higher epoch moves the receiver to that epoch, and a leader steps down', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.node(1).step(vote(2, 1, 9, 0, 0));
    expect(c.node(1).role).toBe('unattached');
    expect(c.node(1).epoch).toBe(9);
    expect((answersTo(c, 2, 'VoteResponse')[0]!.body as VoteResponse).voteGranted).toBe(false); // its log is behind
  });

  it('Raft §5.1: a request with a stale epoch is rejected and answered with the current epoch', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.node(2).step(vote(3, 2, 0, 0, 0));
    const answer = answersTo(c, 3, 'VoteResponse')[0]!.body as VoteResponse;
    expect(answer.voteGranted).toBe(false);
    expect(answer.leaderEpoch).toBe(1);
    expect(answer.leaderId).toBe(1);
  });

  it('KIP-996: a pre-vote changes no state, and a follower that hears from its leader rejects it', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    const before = [c.node(2).epoch, c.node(2).votedId, c.node(2).leaderId];
    c.node(2).step(vote(3, 2, 2, 1, 100, true));
    expect((answersTo(c, 3, 'VoteResponse')[0]!.body as VoteResponse).voteGranted).toBe(false);
    expect([c.node(2).epoch, c.node(2).votedId, c.node(2).leaderId]).toEqual(before);
    expect(c.readies.filter((r) => r.id === 2).at(-1)!.ready.quorumState).toBe(null);
  });

  it('KIP-996: a follower that has not heard from its leader since it (re)started grants a pre-vote', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(1);
    c.crash(2);
    const restarted = c.start(2);
    expect([restarted.role, restarted.leaderId]).toEqual(['follower', 1]);
    restarted.step(vote(3, 2, 2, 1, 100, true));
    expect((answersTo(c, 3, 'VoteResponse')[0]!.body as VoteResponse).voteGranted).toBe(true);
  });

  it('KIP-996: a partitioned voter does not inflate epochs with pre-vote, and does without it', () => {
    for (const preVote of [true, false]) {
      const c = new TestCluster([1, 2, 3], [], { preVote });
      c.elect(1);
      c.isolate(3);
      c.tick(400);
      if (preVote) expect(c.node(3).epoch).toBe(1);
      else expect(c.node(3).epoch).toBeGreaterThan(5);
      c.heal();
      c.tick(200);
      // With pre-vote the leader was never disturbed; without, the returning voter's epoch forced an election.
      expect(c.node(1).role === 'leader' && c.node(1).epoch === 1).toBe(preVote);
      // With pre-vote the voter sits in a pre-vote the leader rejects, until the leader re-announces
      // itself (BeginQuorumEpoch to voters that stopped fetching) and the voter follows it again.
      if (preVote) expect([c.node(3).role, c.node(3).leaderId]).toEqual(['follower', 1]);
    }
  });
});

describe('replication', () => {
  it('KIP-595: a new leader appends a LeaderChange entry and its HW waits until a majority has it', () => {
    const c = new TestCluster([1, 2, 3]);
    const leader = c.node(1);
    const atElection: unknown[] = [];
    c.afterStep = () => {
      if (leader.role === 'leader' && atElection.length === 0) atElection.push(leader.highWatermark, entries(c, 1));
    };
    c.elect(1);
    expect(atElection).toEqual([0, [{ type: 'leaderChange', epoch: 1, leaderId: 1, voters: [1, 2, 3] }]]);
    c.tick(4);
    expect(leader.highWatermark).toBe(1);
  });

  it('KIP-595: the HW is the median of the voters\u2019 fetch offsets, so one follower of two is enough', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(3);
    commit(c, 1, 5);
    expect(c.node(1).highWatermark).toBe(6);
    expect(c.node(2).highWatermark).toBe(6);
  });

  it('Raft §5.4.2 / KIP-595: a leader never moves the HW onto entries of older epochs alone', () => {
    const c = new TestCluster([1, 2, 3], [], { fetchEntriesMax: 1 });
    c.elect(1);
    c.tick(4);
    c.crash(3);
    // Entry 1 reaches node 2, but node 1 crashes before it learns that: entry 1 stays uncommitted.
    c.node(1).propose(bytes(42));
    c.afterStep = () => {
      if (c.node(2).raftLog.endOffset() === 2) c.cutLink(2, 1);
    };
    c.tick(3, [2]);
    c.afterStep = null;
    expect(c.node(1).highWatermark).toBe(1);
    c.crash(1);
    c.heal();
    expect(c.node(2).raftLog.endOffset()).toBe(2);
    expect(c.node(2).highWatermark).toBe(1);
    c.start(3);
    c.elect(2);
    const leader = c.node(2);
    const epochStart = 2; // offset of node 2's LeaderChange
    const seen: number[] = [];
    c.afterStep = () => seen.push(leader.highWatermark);
    c.tick(10);
    expect(leader.highWatermark).toBe(3);
    expect(seen).not.toContain(epochStart); // node 3 held offset 1 (old epoch) before offset 2: no commit then
  });

  it('KIP-595 DivergingEpoch: a follower with entries the leader lacks truncates to the leader\u2019s end offset for that epoch', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    commit(c, 1, 2);
    c.isolate(1);
    c.node(1).propose(bytes(100));
    c.node(1).propose(bytes(101));
    c.tick(1, [1]);
    c.elect(2);
    commit(c, 2, 1, 200);
    const fetches: FetchResponse[] = [];
    c.afterStep = () => {
      for (const m of c.queue) if (m.to === 1 && m.body.type === 'FetchResponse' && m.body.divergingEpoch !== null) fetches.push(m.body);
    };
    c.heal();
    c.tick(80);
    expect(fetches[0]?.divergingEpoch).toEqual({ epoch: 1, endOffset: 3 });
    expect(entries(c, 1)).toEqual(entries(c, 2));
    expect(entries(c, 3)).toEqual(entries(c, 2));
  });

  it('KIP-595: a Fetch from an older epoch is answered FENCED_LEADER_EPOCH with the current leader', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.node(1).step({ from: 2, to: 1, correlationId: 3, body: { type: 'FetchRequest', clusterId: 'runnel', replicaId: 2, currentLeaderEpoch: 0, fetchOffset: 0, lastFetchedEpoch: 0 } });
    const answer = answersTo(c, 2, 'FetchResponse').find((m) => m.correlationId === 3)!.body as FetchResponse;
    expect(answer.errorCode).toBe(RaftErrorCode.FENCED_LEADER_EPOCH);
    expect(answer.currentLeader).toEqual({ leaderId: 1, leaderEpoch: 1 });
    expect(answer.records).toEqual([]);
  });

  it('KIP-595 observers: they replicate and apply, but neither count for the HW nor campaign', () => {
    const c = new TestCluster([1, 2, 3], [9]);
    c.elect(1);
    c.tick(30); // the observer asks a voter who leads
    expect([c.node(9).role, c.node(9).leaderId]).toEqual(['follower', 1]);
    c.crash(2);
    c.crash(3);
    c.node(1).propose(bytes(5));
    c.tick(20);
    expect(c.node(9).raftLog.endOffset()).toBe(2);
    expect(c.node(1).highWatermark).toBe(1); // the observer's offset 2 does not make a majority
    c.crash(1);
    c.tick(300);
    expect(c.node(9).role).not.toBe('leader');
    expect(c.node(9).epoch).toBe(1);
    expect(c.queue.some((m) => m.body.type === 'VoteRequest')).toBe(false);
  });
});

describe('leadership changes', () => {
  it('KIP-595 check-quorum: a leader that no majority fetches from resigns', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.isolate(1);
    c.tick(c.node(1).config.checkQuorumTimeoutTicks + 1, [1]);
    expect(c.node(1).role).toBe('resigned');
    expect(c.node(1).propose(bytes(1)).ok).toBe(false);
  });

  it('KIP-595 EndQuorumEpoch: a resigning leader lists the best-replicated voter first, and that voter is elected next', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(3);
    commit(c, 1, 3);
    c.start(3); // node 3 is behind: it restarted with an old log
    c.node(1).resign();
    c.flush();
    const ends = c.take('EndQuorumEpochRequest');
    expect(ends.map((m) => (m.body as EndQuorumEpochRequest).preferredSuccessors)).toEqual([
      [2, 3],
      [2, 3],
    ]);
    c.queue.push(...ends);
    c.tick(60);
    expect(c.node(2).role).toBe('leader');
    expect(c.node(2).epoch).toBe(2);
  });

  it('KIP-595 restart: a leader comes back resigned, a voter keeps its epoch and vote', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(1);
    c.crash(2);
    expect(c.start(1).role).toBe('resigned');
    const voter = c.start(2);
    expect([voter.role, voter.epoch, voter.votedId, voter.leaderId]).toEqual(['follower', 1, 1, 1]);
  });
});

describe('snapshots', () => {
  it('KIP-630: a follower behind the leader\u2019s log start downloads the snapshot in chunks, installs and applies it', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(3);
    commit(c, 1, 6);
    const leader = c.node(1);
    leader.snapshot(leader.appliedOffset, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    c.flush();
    expect(leader.raftLog.startOffset()).toBe(7);
    let chunks = 0;
    c.afterStep = () => {
      chunks += c.queue.filter((m) => m.body.type === 'FetchSnapshotResponse').length > 0 ? 1 : 0;
    };
    c.start(3);
    c.tick(30);
    const follower = c.node(3);
    expect(follower.raftLog.latestSnapshot()?.snapshotId).toEqual({ endOffset: 7, epoch: 1 });
    expect([...follower.raftLog.latestSnapshot()!.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(follower.raftLog.latestSnapshot()!.voters).toEqual([1, 2, 3]);
    expect(chunks).toBeGreaterThanOrEqual(3); // 4 + 12 + 10 bytes in chunks of 8
    expect(c.applied.get(3)).toBe(7);
    commit(c, 1, 1, 50);
    expect(follower.highWatermark).toBe(8);
  });
});

describe('voter changes', () => {
  it('KIP-853: no change before the leader committed in its epoch, and only one uncommitted change at a time', () => {
    const c = new TestCluster([1, 2, 3], [4]);
    const early: unknown[] = [];
    c.afterStep = () => {
      if (c.node(1).role === 'leader' && early.length === 0) early.push(c.node(1).addVoter(4));
    };
    c.elect(1);
    c.afterStep = null;
    expect(early).toEqual([{ ok: false, error: 'NOT_COMMITTED_IN_EPOCH' }]);
    c.tick(30);
    const added = c.node(1).addVoter(4);
    expect(added.ok).toBe(true);
    expect(c.node(1).removeVoter(2)).toEqual({ ok: false, error: 'CHANGE_IN_PROGRESS' });
    c.tick(6);
    expect(c.node(1).removeVoter(2).ok).toBe(true);
  });

  it('KIP-853: a voter set is effective when appended: the HW needs a majority of the new set at once', () => {
    const c = new TestCluster([1], [2, 3]);
    c.elect(1);
    c.tick(30);
    expect(c.node(1).addVoter(2).ok).toBe(true);
    expect(c.node(1).voters).toEqual([1, 2]);
    c.crash(2);
    c.node(1).propose(bytes(9));
    c.tick(10);
    const hw = c.node(1).highWatermark;
    expect(hw).toBeLessThan(c.node(1).raftLog.endOffset()); // alone it no longer has a majority of [1, 2]
    c.start(2);
    c.tick(10);
    expect(c.node(1).highWatermark).toBe(c.node(1).raftLog.endOffset());
    expect(c.node(2).voters).toEqual([1, 2]);
  });

  it('KIP-853: a leader that removes itself keeps leading until the change commits, then resigns', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.tick(6);
    expect(c.node(1).removeVoter(1).ok).toBe(true);
    expect(c.node(1).role).toBe('leader');
    c.tick(100);
    expect(c.node(1).isVoter()).toBe(false);
    expect([2, 3].some((id) => c.node(id).role === 'leader')).toBe(true);
    expect(c.node(1).role).not.toBe('leader');
  });

  it('KIP-853: truncating an uncommitted VotersRecord reverts the voter set', () => {
    const c = new TestCluster([1, 2, 3], [4]);
    c.elect(1);
    c.tick(30);
    c.isolate(1);
    expect(c.node(1).addVoter(4).ok).toBe(true);
    expect(c.node(1).voters).toEqual([1, 2, 3, 4]);
    c.tick(2, [1]);
    c.elect(2);
    commit(c, 2, 1);
    c.heal();
    c.tick(100);
    expect(c.node(1).voters).toEqual([1, 2, 3]);
    expect(entries(c, 1)).toEqual(entries(c, 2));
  });
});

describe('assertions', () => {
  it('a follower refuses to truncate below its high watermark (committed data is never dropped)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    commit(c, 1, 3);
    const follower = c.node(2);
    expect(follower.highWatermark).toBe(4);
    const lie: RaftMessage = {
      from: 1,
      to: 2,
      correlationId: 0,
      body: { type: 'FetchResponse', errorCode: 0, highWatermark: 4, divergingEpoch: { epoch: 1, endOffset: 1 }, currentLeader: { leaderId: 1, leaderEpoch: 1 }, snapshotId: null, baseOffset: 4, records: [] },
    };
    // Make the lie answer the follower's outstanding fetch.
    c.isolate(2);
    c.tick(3, [2]);
    const pending = c.readies.filter((r) => r.id === 2).flatMap((r) => r.ready.messages).filter((m) => m.body.type === 'FetchRequest').at(-1)!;
    expect(() => follower.step({ ...lie, correlationId: pending.correlationId })).toThrow(RaftAssertionError);
  });
});

describe('scenario: campaign, partition the leader, heal, check logs', () => {
  it('keeps every committed entry and ends with identical logs', () => {
    const c = new TestCluster([1, 2, 3, 4, 5]);
    c.elect(1);
    commit(c, 1, 3, 10);
    const committed = entries(c, 1).slice(0, c.node(1).highWatermark);
    c.isolate(1);
    c.node(1).propose(bytes(99)); // never commits: the old leader is alone
    c.favorite = 3; // whoever times out first; make it node 3
    c.tick(120);
    const leader = [2, 3, 4, 5].find((id) => c.node(id).role === 'leader')!;
    expect(leader).toBeDefined();
    expect(c.node(leader).epoch).toBeGreaterThan(1);
    expect(c.node(1).role).not.toBe('leader'); // check-quorum
    commit(c, leader, 2, 20);
    c.heal();
    c.tick(100);
    for (const id of [1, 2, 3, 4, 5]) {
      expect(entries(c, id)).toEqual(entries(c, leader));
      expect(entries(c, id).slice(0, committed.length)).toEqual(committed);
    }
    expect(entries(c, leader).some((e) => e.type === 'data' && e.data[3] === 99)).toBe(false);
    expect(c.node(1).describeQuorum().errorCode).toBe(RaftErrorCode.NOT_LEADER_OR_FOLLOWER);
    const quorum = c.node(leader).describeQuorum();
    expect(quorum.currentVoters.map((v) => v.replicaId)).toEqual([1, 2, 3, 4, 5]);
    expect(quorum.highWatermark).toBe(c.node(leader).highWatermark);
  });
});
