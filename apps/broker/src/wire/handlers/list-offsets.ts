/**
 * ListOffsets: -2 = earliest (log start), -1 = latest (high watermark; the last stable offset is
 * the same until transactions exist), otherwise the first offset whose timestamp is at or after
 * the given one, with that record's timestamp (-1/-1 when every record is older). v0 answers in
 * its own shape, a list of offsets.
 */
import { ErrorCode, type ListOffsetsRequest, type ListOffsetsResponse, type ListOffsetsResponseListOffsetsPartitionResponse } from '@runnel/protocol';
import { kafkaFailure } from '../errors';
import type { WireContext } from '../handler';
import type { WireDeps } from './deps';

const EARLIEST = -2n;
const LATEST = -1n;

export async function handleListOffsets(deps: WireDeps, request: ListOffsetsRequest, context: WireContext): Promise<ListOffsetsResponse> {
  const v0 = context.apiVersion === 0;
  const topics = [];
  for (const t of request.topics) {
    const partitions: ListOffsetsResponseListOffsetsPartitionResponse[] = [];
    for (const p of t.partitions) {
      const answer = (offset: bigint, timestamp: bigint): ListOffsetsResponseListOffsetsPartitionResponse =>
        v0 ? { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: offset < 0n ? [] : [offset] } : { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, timestamp, offset, leaderEpoch: -1 };
      try {
        const log = deps.topics.partitionLog(t.name, p.partitionIndex);
        if (p.timestamp === EARLIEST) partitions.push(answer(log.logStartOffset, -1n));
        else if (p.timestamp === LATEST) partitions.push(answer(log.highWatermark, -1n));
        else if (p.timestamp < 0n) partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNSUPPORTED_VERSION, ...(v0 ? { oldStyleOffsets: [] } : { timestamp: -1n, offset: -1n }) });
        else {
          const found = deps.offsets.offsetForTimestamp(t.name, p.partitionIndex, p.timestamp);
          if (found === null) partitions.push(answer(-1n, -1n));
          else {
            const at = found < log.logStartOffset ? log.logStartOffset : found;
            const read = await deps.fetch.read(log, at, { maxRecords: 1, maxBytes: 1 });
            const record = read.records[0];
            partitions.push(answer(record?.offset ?? at, record?.timestampMs ?? p.timestamp));
          }
        }
      } catch (e) {
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: kafkaFailure(e).code, ...(v0 ? { oldStyleOffsets: [] } : { timestamp: -1n, offset: -1n }) });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
}
