import { Injectable } from '@nestjs/common';
import { TopicService } from './topic.service';

/** Offset lookups (ListOffsets in Kafka terms), shared by every door. */
@Injectable()
export class OffsetsService {
  constructor(private readonly topics: TopicService) {}

  bounds(topic: string, partition: number): { logStartOffset: bigint; highWatermark: bigint } {
    const log = this.topics.partitionLog(topic, partition);
    return { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark };
  }

  /** First offset whose timestamp is >= `timestampMs`, or null when every record is older. */
  offsetForTimestamp(topic: string, partition: number, timestampMs: bigint): bigint | null {
    const log = this.topics.partitionLog(topic, partition);
    const offset = log.offsetForTimestamp(timestampMs);
    return offset === null || offset >= log.highWatermark ? null : offset;
  }
}
