/**
 * Kafka's eager assignors, with Kafka's exact algorithms so a group led by one of our managed
 * members splits partitions the way a Java-led group would:
 *
 * - `range` (RangeAssignor): per topic, the members subscribed to it in MemberInfo order (static
 *   members by group.instance.id first, then the rest by member id); with n partitions and m
 *   members each gets n / m consecutive partitions and the first n % m get one more.
 * - `roundrobin` (RoundRobinAssignor): every partition of every subscribed topic, topics sorted by
 *   name then partitions by number, dealt out over the members in MemberInfo order, circularly,
 *   skipping members not subscribed to the partition's topic.
 *
 * `RoundRobinAssigner` is kafkajs's default protocol name; it assigns like `roundrobin` so kafkajs
 * consumers and managed members can share a group whoever leads it.
 * Topics missing from `partitionsPerTopic` (unknown to the metadata) are left out, as in Kafka.
 */
import { compareStrings, type TopicPartition } from './consumer-protocol';

export interface AssignorMember {
  memberId: string;
  groupInstanceId: string | null;
  topics: readonly string[];
}

/** memberId -> partitions, topic then partition order; every member has an entry. */
export type GroupAssignment = Map<string, TopicPartition[]>;

export interface Assignor {
  readonly name: string;
  assign(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment;
}

export const RANGE_ASSIGNOR_NAME = 'range';
export const ROUND_ROBIN_ASSIGNOR_NAME = 'roundrobin';
export const KAFKAJS_ROUND_ROBIN_ASSIGNOR_NAME = 'RoundRobinAssigner';

/** Kafka's `MemberInfo.compareTo`. */
export function compareMembers(a: AssignorMember, b: AssignorMember): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return compareStrings(a.groupInstanceId, b.groupInstanceId);
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

function emptyAssignment(members: readonly AssignorMember[]): GroupAssignment {
  const assignment: GroupAssignment = new Map();
  for (const m of members) {
    if (assignment.has(m.memberId)) throw new Error(`assignor: duplicate member ${m.memberId}`);
    assignment.set(m.memberId, []);
  }
  return assignment;
}

function partitionCount(partitionsPerTopic: ReadonlyMap<string, number>, topic: string): number | undefined {
  const count = partitionsPerTopic.get(topic);
  if (count === undefined) return undefined;
  if (!Number.isInteger(count) || count < 0) throw new Error(`assignor: bad partition count ${count} for ${topic}`);
  return count;
}

export const rangeAssignor: Assignor = {
  name: RANGE_ASSIGNOR_NAME,
  assign(members, partitionsPerTopic) {
    const assignment = emptyAssignment(members);
    const membersPerTopic = new Map<string, AssignorMember[]>();
    for (const member of members) {
      for (const topic of new Set(member.topics)) {
        const list = membersPerTopic.get(topic);
        if (list === undefined) membersPerTopic.set(topic, [member]);
        else list.push(member);
      }
    }
    for (const [topic, topicMembers] of membersPerTopic) {
      const count = partitionCount(partitionsPerTopic, topic);
      if (count === undefined) continue;
      topicMembers.sort(compareMembers);
      const perMember = Math.floor(count / topicMembers.length);
      const withExtra = count % topicMembers.length;
      topicMembers.forEach((member, i) => {
        const start = perMember * i + Math.min(i, withExtra);
        const length = perMember + (i + 1 > withExtra ? 0 : 1);
        const list = assignment.get(member.memberId)!;
        for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
      });
    }
    for (const list of assignment.values()) list.sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
    return assignment;
  },
};

function roundRobin(name: string): Assignor {
  return {
    name,
    assign(members, partitionsPerTopic) {
      const assignment = emptyAssignment(members);
      const sorted = [...members].sort(compareMembers);
      const subscribed = sorted.map((m) => new Set(m.topics));
      const topics = [...new Set(members.flatMap((m) => m.topics))].sort(compareStrings);
      let cursor = 0;
      for (const topic of topics) {
        const count = partitionCount(partitionsPerTopic, topic);
        if (count === undefined) continue;
        for (let partition = 0; partition < count; partition++) {
          // Some member subscribes to `topic` (it came from a subscription), so this ends within one lap.
          let steps = 0;
          while (!subscribed[cursor % sorted.length]!.has(topic)) {
            cursor++;
            if (++steps > sorted.length) throw new Error('roundrobin: no member subscribed to a subscribed topic');
          }
          assignment.get(sorted[cursor % sorted.length]!.memberId)!.push({ topic, partition });
          cursor++;
        }
      }
      return assignment;
    },
  };
}

export const roundRobinAssignor: Assignor = roundRobin(ROUND_ROBIN_ASSIGNOR_NAME);
export const kafkajsRoundRobinAssignor: Assignor = roundRobin(KAFKAJS_ROUND_ROBIN_ASSIGNOR_NAME);

/** The assignors managed members run, in their order of preference. */
export const MANAGED_ASSIGNORS: readonly Assignor[] = [rangeAssignor, roundRobinAssignor, kafkajsRoundRobinAssignor];

export function assignorByName(name: string): Assignor | undefined {
  return MANAGED_ASSIGNORS.find((a) => a.name === name);
}
