import type { BrokerConfig } from '../../config/broker-config';
import type { AdminService } from '../../core/admin.service';
import type { EngineService } from '../../core/engine.service';
import type { FetchService } from '../../core/fetch.service';
import type { ProducerStateService } from '../../core/idempotence';
import type { MetricsService } from '../../core/metrics.service';
import type { OffsetsService } from '../../core/offsets.service';
import type { TopicService } from '../../core/topic.service';
import type { RawProduceService } from '../../core/wire-produce';

/** The core services the wire handlers call (the door only translates). */
export interface WireDeps {
  engine: EngineService;
  topics: TopicService;
  fetch: FetchService;
  offsets: OffsetsService;
  admin: AdminService;
  rawProduce: RawProduceService;
  producers: ProducerStateService;
  metrics: MetricsService;
  config: BrokerConfig;
  /** Where Kafka clients should connect to this node (advertised host, advertised or actual port). */
  advertised(): { host: string; port: number };
}
