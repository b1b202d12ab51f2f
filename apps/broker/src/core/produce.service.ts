import { Injectable, Logger } from '@nestjs/common';
import { CompressionType, encodeBatchSync, partitionForKey } from '@runnel/records';
import type { AppendInfo } from '@runnel/storage';
import { invalid } from './errors';
import { MetricsService } from './metrics.service';
import type { ProduceRecord } from './record-format';
import { TopicService } from './topic.service';

export type Acks = 'all' | '1' | '0';

const ACKS: Record<string, Acks> = { all: 'all', '-1': 'all', '1': '1', '0': '0' };

/** The `acks` query parameter of every produce route (default all). */
export function parseAcks(text: string | undefined): Acks {
  const acks = ACKS[text ?? 'all'];
  if (acks === undefined) throw invalid(`acks must be all, -1, 1 or 0 (got "${text}").`);
  return acks;
}

export interface ProducedOffset {
  partition: number;
  offset: number;
  timestamp: number;
}

/**
 * The produce path every JSON door shares: choose partitions (explicit, Kafka's murmur2 of the
 * key, or spread for keyless records), build one v2 batch per partition, append them, and return
 * offsets in request order. A request is appended atomically per partition (one batch each); it
 * is fully validated before anything is appended, so a rejected request appends nothing.
 */
@Injectable()
export class ProduceService {
  private readonly logger = new Logger('produce');
  /** Next partition for keyless records, per topic. */
  private readonly spread = new Map<string, number>();

  constructor(
    private readonly topics: TopicService,
    private readonly metrics: MetricsService,
  ) {}

  async produce(topic: string, records: readonly ProduceRecord[], acks: Acks): Promise<ProducedOffset[]> {
    if (records.length === 0) throw invalid('records must hold at least one record.');
    const partitionCount = await this.topics.partitionCountForProduce(topic);
    const chosen = new Array<number>(records.length);
    const groups = new Map<number, number[]>();
    let next = this.spread.get(topic) ?? Math.floor(Math.random() * partitionCount);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let p: number;
      if (r.partition !== undefined) {
        if (r.partition >= partitionCount) this.topics.throwPartitionNotFound(topic, r.partition, partitionCount);
        p = r.partition;
      } else if (r.key !== null) {
        p = partitionForKey(r.key, partitionCount);
      } else {
        p = next % partitionCount;
        next++;
      }
      chosen[i] = p;
      let g = groups.get(p);
      if (!g) groups.set(p, (g = []));
      g.push(i);
    }
    this.spread.set(topic, next % partitionCount);

    const nowMs = BigInt(Date.now());
    const appends: { partition: number; indexes: number[]; batch: Buffer }[] = [];
    for (const [partition, indexes] of groups) {
      const batch = encodeBatchSync({
        compression: CompressionType.None,
        nowMs,
        records: indexes.map((i) => {
          const r = records[i]!;
          return { key: r.key, value: r.value, headers: r.headers, timestampMs: r.timestampMs ?? nowMs };
        }),
      });
      appends.push({ partition, indexes, batch });
    }
    const logs = appends.map((a) => this.topics.partitionLog(topic, a.partition));
    const durable = acks === 'all';
    // The batches were just built here, CRC included: the log need not verify it again.
    const pending = appends.map((a, i) => logs[i]!.append(a.batch, { durable, crcVerified: true }));
    let bytes = 0;
    for (const a of appends) bytes += a.batch.length;
    this.metrics.produced(topic, records.length, bytes);
    if (acks === '0') {
      for (const p of pending) p.catch((e: unknown) => this.logger.warn(`acks=0 append to ${topic} failed: ${(e as Error).message}`));
      return records.map((_, i) => ({ partition: chosen[i]!, offset: -1, timestamp: -1 }));
    }
    const infos: AppendInfo[] = await Promise.all(pending);
    const out = new Array<ProducedOffset>(records.length);
    appends.forEach((a, k) => {
      const info = infos[k]!;
      a.indexes.forEach((recordIndex, j) => {
        const ts = info.logAppendTimeMs >= 0n ? info.logAppendTimeMs : (records[recordIndex]!.timestampMs ?? nowMs);
        out[recordIndex] = { partition: a.partition, offset: Number(info.firstOffset) + j, timestamp: Number(ts) };
      });
    });
    return out;
  }
}
