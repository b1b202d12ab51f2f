/**
 * Fetch: whole stored batches, sent as stored (the response is encoded with the batches
 * referenced, not copied). Rules, as in Kafka:
 *   - a partition reads at most partition_max_bytes, the response at most max_bytes, except that
 *     the first batch of the first partition with data is sent whole even past both limits (so a
 *     batch larger than the limits never stalls a consumer);
 *   - an offset below the log start or past the high watermark is OFFSET_OUT_OF_RANGE;
 *   - nothing past the high watermark is sent; the last stable offset is the high watermark (no
 *     transactions yet), so read_committed and read_uncommitted read the same records;
 *   - with fewer than min_bytes available the request waits (up to max_wait_ms, capped) for an
 *     append to any of its partitions, driven by append notifications, then reads again.
 */
import { ErrorCode, type FetchRequest, type FetchResponse, type FetchResponsePartitionData } from '@runnel/protocol';
import { BATCH_HEADER_BYTES, BATCH_OFFSET_RECORDS_COUNT, batchSizeAt } from '@runnel/records';
import type { PartitionLog } from '@runnel/storage';
import { WIRE_FETCH_RESPONSE_BYTES_MAX, WIRE_FETCH_WAIT_MS_MAX, WIRE_REQUEST_PARTITIONS_MAX } from '../constants';
import { kafkaFailure } from '../errors';
import type { WireContext } from '../handler';
import type { WireDeps } from './deps';

const EMPTY: Buffer = Buffer.alloc(0);
const READ_COMMITTED = 1;

interface Target {
  topic: string;
  partition: number;
  log: PartitionLog | null;
  errorCode: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
}

function recordsIn(buf: Buffer): number {
  let count = 0;
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= buf.length) {
    count += buf.readInt32BE(pos + BATCH_OFFSET_RECORDS_COUNT);
    pos += batchSizeAt(buf, pos);
  }
  return count;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

export async function handleFetch(deps: WireDeps, request: FetchRequest, context: WireContext): Promise<FetchResponse> {
  const { engine } = deps;
  const readCommitted = (request.isolationLevel ?? 0) === READ_COMMITTED;
  const responseBytesMax = clamp(request.maxBytes ?? WIRE_FETCH_RESPONSE_BYTES_MAX, 1, WIRE_FETCH_RESPONSE_BYTES_MAX);
  const waitMs = clamp(request.maxWaitMs, 0, WIRE_FETCH_WAIT_MS_MAX);
  const minBytes = Math.max(0, request.minBytes);

  const targets: Target[] = [];
  const grouped: { topic: string; topicId: string | undefined; targets: Target[] }[] = [];
  for (const t of request.topics) {
    const name = t.topic ?? (t.topicId !== undefined ? engine.image.topicById(t.topicId)?.name : undefined) ?? '';
    const image = engine.image.topic(name);
    const group = { topic: name, topicId: t.topicId, targets: [] as Target[] };
    grouped.push(group);
    for (const p of t.partitions) {
      if (targets.length >= WIRE_REQUEST_PARTITIONS_MAX) break;
      const exists = image !== undefined && p.partition >= 0 && p.partition < image.partitions.length;
      const log = exists ? (engine.logs.getLog(name, p.partition) ?? null) : null;
      const target: Target = {
        topic: name,
        partition: p.partition,
        log,
        errorCode: !exists ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : log === null ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: Math.max(0, p.partitionMaxBytes),
      };
      targets.push(target);
      group.targets.push(target);
    }
  }

  const readAll = (): { data: Map<Target, FetchResponsePartitionData>; bytes: number; errors: number } => {
    const data = new Map<Target, FetchResponsePartitionData>();
    let budget = responseBytesMax;
    let bytes = 0;
    let errors = 0;
    for (const target of targets) {
      const base = { partitionIndex: target.partition, lastStableOffset: -1n, logStartOffset: -1n, highWatermark: -1n, abortedTransactions: readCommitted ? [] : null, preferredReadReplica: -1, records: EMPTY };
      const log = target.log;
      if (log === null || log.closed) {
        errors++;
        data.set(target, { ...base, errorCode: target.errorCode === (ErrorCode.NONE as number) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : target.errorCode });
        continue;
      }
      const hw = log.highWatermark;
      const start = log.logStartOffset;
      const bounds = { highWatermark: hw, lastStableOffset: hw, logStartOffset: start };
      if (target.fetchOffset < start || target.fetchOffset > hw) {
        errors++;
        data.set(target, { ...base, ...bounds, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
        continue;
      }
      let records: Buffer = EMPTY;
      const limit = Math.min(target.partitionMaxBytes, budget);
      if (target.fetchOffset < hw && (limit > 0 || bytes === 0)) {
        try {
          const read = log.read(target.fetchOffset, Math.max(limit, 1), { maxOffset: hw });
          // Past the limits only as the first data of the response.
          if (read.records.length <= limit || bytes === 0) records = read.records;
        } catch (e) {
          errors++;
          data.set(target, { ...base, ...bounds, errorCode: kafkaFailure(e).code });
          continue;
        }
      }
      budget -= records.length;
      bytes += records.length;
      data.set(target, { ...base, ...bounds, errorCode: ErrorCode.NONE, records });
    }
    return { data, bytes, errors };
  };

  let result = readAll();
  if (result.bytes < minBytes && result.errors === 0 && waitMs > 0 && targets.length > 0) {
    const deadline = Date.now() + waitMs;
    const logs = targets.map((t) => t.log).filter((l): l is PartitionLog => l !== null);
    let closing = false;
    const unsubscribe = engine.onClosing(() => (closing = true));
    try {
      while (result.bytes < minBytes && result.errors === 0 && !closing) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        await deps.fetch.waitForAppend(logs, logs.map((l) => l.highWatermark), remaining);
        result = readAll();
      }
    } finally {
      unsubscribe();
    }
  }

  for (const [target, d] of result.data) {
    if (d.records !== null && d.records.length > 0) deps.metrics.fetched(target.topic, 'wire', recordsIn(d.records), d.records.length);
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: grouped.map((g) => ({
      topic: g.topic,
      ...(context.apiVersion >= 13 && g.topicId !== undefined ? { topicId: g.topicId } : {}),
      partitions: g.targets.map((t) => result.data.get(t)!),
    })),
  };
}
