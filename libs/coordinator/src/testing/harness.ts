/** Test harness: a coordinator over in-memory offsets logs, driven by a fake scheduler. */
import { decodeBatches } from '@runnel/records';
import { type CoordinatorConfig, GroupCoordinator } from '../coordinator';
import { encodeSubscription } from '../consumer-protocol';
import { decodeKey, type OffsetsTopicKey } from '../offsets-format';
import { InMemoryOffsetsLog } from '../offsets-log';
import { FakeScheduler } from '../time';
import type { JoinGroupRequest, JoinGroupResult } from '../types';

export const TEST_CONFIG: Partial<CoordinatorConfig> = {
  initialRebalanceDelayMs: 100,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
};

export interface Harness {
  scheduler: FakeScheduler;
  logs: InMemoryOffsetsLog[];
  coordinator: GroupCoordinator;
}

export async function startCoordinator(
  options: { config?: Partial<CoordinatorConfig>; logs?: InMemoryOffsetsLog[]; scheduler?: FakeScheduler; partitionExists?: (t: string, p: number) => boolean } = {},
): Promise<Harness> {
  const scheduler = options.scheduler ?? new FakeScheduler();
  const logs = options.logs ?? Array.from({ length: 3 }, () => new InMemoryOffsetsLog());
  let counter = 0;
  const coordinator = new GroupCoordinator({
    logs,
    clock: scheduler,
    scheduler,
    config: { ...TEST_CONFIG, ...options.config },
    generateId: () => `id${++counter}`,
    ...(options.partitionExists === undefined ? {} : { partitionExists: options.partitionExists }),
  });
  await coordinator.load();
  return { scheduler, logs, coordinator };
}

export function joinRequest(memberId: string, extra: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['t'] }) }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    clientKind: 'kafka',
    ...extra,
  };
}

/** A promise whose outcome can be inspected without awaiting it. */
export interface Tracked<T> {
  readonly done: boolean;
  readonly value: T;
  readonly promise: Promise<T>;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: { done: boolean; value: T | undefined } = { done: false, value: undefined };
  const tracked = {
    get done() {
      return state.done;
    },
    get value(): T {
      if (!state.done) throw new Error('track: not settled yet');
      return state.value as T;
    },
    promise: promise.then((v) => {
      state.done = true;
      state.value = v;
      return v;
    }),
  };
  return tracked;
}

export function leaderOf(results: JoinGroupResult[]): JoinGroupResult {
  const leader = results.find((r) => r.leader === r.memberId);
  if (leader === undefined) throw new Error('no leader among results');
  return leader;
}

/** Every record of every offsets partition, decoded: key and whether the value is a tombstone. */
export async function logRecords(logs: readonly InMemoryOffsetsLog[]): Promise<{ partition: number; key: OffsetsTopicKey; tombstone: boolean }[]> {
  const out: { partition: number; key: OffsetsTopicKey; tombstone: boolean }[] = [];
  for (let partition = 0; partition < logs.length; partition++) {
    const read = logs[partition]!.read(0n, Number.MAX_SAFE_INTEGER);
    for (const batch of await decodeBatches(read.records)) {
      for (const r of batch.records) out.push({ partition, key: decodeKey(r.key!), tombstone: r.value === null });
    }
  }
  return out;
}
