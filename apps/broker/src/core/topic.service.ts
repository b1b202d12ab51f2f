import { Injectable } from '@nestjs/common';
import type { PartitionLog } from '@runnel/storage';
import { BrokerConfigService } from './broker-config.service';
import { EngineService } from './engine.service';
import { DomainError, DomainErrorKind, partitionNotFound, topicNotFound } from './errors';

/** Topic lookups shared by every door: existence, auto-creation, partition logs. */
@Injectable()
export class TopicService {
  constructor(
    private readonly engine: EngineService,
    private readonly config: BrokerConfigService,
  ) {}

  /** Partition count of an existing topic, or throws topic-not-found. */
  partitionCount(topic: string): number {
    const t = this.engine.image.topic(topic);
    if (!t) throw topicNotFound(topic);
    return t.partitions.length;
  }

  /** For produce: an unknown topic is created with the broker defaults when auto-creation is on. */
  async partitionCountForProduce(topic: string): Promise<number> {
    const t = this.engine.image.topic(topic);
    if (t) return t.partitions.length;
    if (!this.config.value.autoCreateTopicsEnable) throw topicNotFound(topic);
    return this.autoCreate(topic);
  }

  async autoCreate(topic: string): Promise<number> {
    try {
      await this.engine.metadata.createTopic({
        name: topic,
        partitions: this.config.value.numPartitions,
        replicationFactor: this.config.value.defaultReplicationFactor,
        configs: {},
      });
    } catch (e) {
      // Two requests may race to create it; the loser just uses it.
      if ((e as { code?: string }).code !== 'TOPIC_ALREADY_EXISTS') throw e;
    }
    return this.partitionCount(topic);
  }

  throwPartitionNotFound(topic: string, partition: number, count: number): never {
    throw partitionNotFound(topic, partition, count);
  }

  partitionLog(topic: string, partition: number): PartitionLog {
    const count = this.partitionCount(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) throw partitionNotFound(topic, partition, count);
    const log = this.engine.logs.getLog(topic, partition);
    if (!log) throw new DomainError(DomainErrorKind.NotAvailable, `partition ${topic}-${partition} is not open on this broker yet; retry shortly.`);
    return log;
  }
}
