import { BeforeApplicationShutdown, DynamicModule, Global, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { BrokerConfig } from '../config/broker-config';
import { AdminService } from './admin.service';
import { BrokerConfigService } from './broker-config.service';
import { ConsumersService } from './consumers.service';
import { EngineService } from './engine.service';
import { FetchService } from './fetch.service';
import { MetricsService } from './metrics.service';
import { OffsetsService } from './offsets.service';
import { ProduceService } from './produce.service';
import { TopicService } from './topic.service';
import { ProducerStateService } from './idempotence';
import { RawProduceService } from './wire-produce';

/** Drives the engine's shutdown: wake long-polls before the listeners close, close the engine after. */
@Injectable()
export class EngineLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly engine: EngineService,
    private readonly consumers: ConsumersService,
    private readonly metrics: MetricsService,
    private readonly admin: AdminService,
  ) {}

  onModuleInit(): void {
    this.metrics.setSources({
      partitions: () =>
        this.engine.partitionLogs().map((l) => ({ topic: l.topic, partition: l.partition, sizeBytes: l.sizeBytes(), logEndOffset: l.logEndOffset, logStartOffset: l.logStartOffset })),
      groupLags: () => this.admin.groupLags(),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.engine.beginClosing();
    await this.consumers.closeAll();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }
}

const SERVICES = [TopicService, ProduceService, FetchService, OffsetsService, AdminService, ConsumersService, MetricsService, EngineLifecycle, ProducerStateService, RawProduceService];

/** The core services every door calls. Global: doors inject them without importing each other. */
@Global()
@Module({})
export class CoreModule {
  static forConfig(config: BrokerConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: BrokerConfigService, useValue: new BrokerConfigService(config) },
        { provide: EngineService, useFactory: () => EngineService.start(config) },
        ...SERVICES,
      ],
      exports: [BrokerConfigService, EngineService, ...SERVICES],
    };
  }
}
