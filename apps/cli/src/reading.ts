/**
 * The reading `consume` and `perf consume` share: a partition's long-poll loop, a broker-run consumer
 * instance (deleted on the way out, so its group rebalances at once) and one poll of it, and running
 * loops side by side so that the first failure stops the others.
 */
import { Format, isAbort, RunnelClient } from './client';
import { LEAVE_TIMEOUT_MS, POLL_GRACE_MS, POLL_TIMEOUT_MS } from './constants';
import { enc } from './output';
import { partitionPath } from './commands/topics';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  headers: { name: string; value: unknown }[];
}

/** A partition read's reply (GET /topics/T/partitions/P/records). */
export interface ReadReply {
  records: ConsumedRecord[];
  next_offset: number;
  high_watermark: number;
  log_start_offset: number;
}

export interface PartitionRead {
  /** An offset, earliest or latest. */
  start: string;
  maxRecords: number;
  maxBytes: number;
  format: Format;
  /** Ends the loop, cancelling the poll in flight. */
  signal: AbortSignal;
}

/** Long-polls one partition from `read.start` until `read.signal` aborts, handing every reply to `onReply`. */
export async function followPartition(client: RunnelClient, topic: string, partition: number, read: PartitionRead, onReply: (reply: ReadReply) => void): Promise<void> {
  let offset = read.start;
  while (!read.signal.aborted) {
    let reply: ReadReply;
    try {
      reply = await client.get<ReadReply>(`${partitionPath(topic, partition)}/records`, {
        query: { offset, max_records: read.maxRecords, max_bytes: read.maxBytes, timeout_ms: POLL_TIMEOUT_MS, format: read.format },
        timeoutMs: POLL_TIMEOUT_MS + POLL_GRACE_MS,
        signal: read.signal,
      });
    } catch (e) {
      if (read.signal.aborted && isAbort(e)) return;
      throw e;
    }
    onReply(reply);
    offset = String(reply.next_offset);
  }
}

export interface InstanceConfig {
  /** The instance is named `<namePrefix>-<pid>-<random>`. */
  namePrefix: string;
  format: Format;
  offsetReset: 'earliest' | 'latest';
  autoCommit: boolean;
}

/**
 * Creates a consumer instance in `group` and runs `use` with its path; deletes it on the way out
 * (even on Ctrl-C), so the others get its partitions without waiting for a timeout.
 */
export async function withConsumerInstance<T>(client: RunnelClient, group: string, config: InstanceConfig, use: (instance: string) => Promise<T>): Promise<T> {
  const base = `/consumers/${enc(group)}`;
  const created = await client.post<{ instance_id: string }>(base, {
    name: `${config.namePrefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    format: config.format,
    'auto.offset.reset': config.offsetReset,
    'auto.commit.enable': config.autoCommit,
  });
  const instance = `${base}/instances/${enc(created.instance_id)}`;
  try {
    return await use(instance);
  } finally {
    await client.delete(instance, { timeoutMs: LEAVE_TIMEOUT_MS }).catch(() => undefined);
  }
}

/** One long-poll of a consumer instance's records; null when `signal` cancelled it. */
export async function pollInstance(client: RunnelClient, instance: string, maxBytes: number, signal: AbortSignal): Promise<ConsumedRecord[] | null> {
  try {
    return await client.get<ConsumedRecord[]>(`${instance}/records`, {
      query: { timeout: POLL_TIMEOUT_MS, max_bytes: maxBytes },
      timeoutMs: POLL_TIMEOUT_MS + POLL_GRACE_MS,
      signal,
    });
  } catch (e) {
    if (signal.aborted && isAbort(e)) return null;
    throw e;
  }
}

/** Awaits every loop; the first to fail calls `stop` (ending the others), and its error is thrown once all have ended. */
export async function untilFirstFailure(loops: Promise<void>[], stop: () => void): Promise<void> {
  const results = await Promise.allSettled(
    loops.map((l) =>
      l.catch((e: unknown) => {
        stop();
        throw e;
      }),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
