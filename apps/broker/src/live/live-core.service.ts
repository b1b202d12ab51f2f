import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ManagedMember, TimerScheduler } from '@runnel/coordinator';
import { Gauge } from 'prom-client';
import { BrokerConfigService } from '../core/broker-config.service';
import { EngineService } from '../core/engine.service';
import { ErrorBody, errorResponse } from '../core/errors';
import { toDomainErrorOrInternal } from '../core/error-mapping';
import { FetchService } from '../core/fetch.service';
import { MetricsService } from '../core/metrics.service';
import { ProduceService } from '../core/produce.service';
import { TopicService } from '../core/topic.service';
import { LiveReader } from './live-reader';

/**
 * What both live endpoints (WebSocket gateway and SSE controller) share: the core services, the
 * shared reader, the scheduler of the group members they run, and the set of open streams (for
 * metadata changes, shutdown and the memory gauges).
 */
@Injectable()
export class LiveCore implements OnModuleInit, OnModuleDestroy {
  readonly logger = new Logger('live');
  readonly scheduler = new TimerScheduler();
  /** Group members run for live clients (their `metadataChanged` follows topic changes). */
  readonly members = new Set<ManagedMember>();
  /** Bytes queued per open connection or stream, for /metrics. */
  readonly buffered = new Set<() => number>();
  private unsubscribeMetadata: (() => void) | null = null;

  constructor(
    readonly engine: EngineService,
    readonly topics: TopicService,
    readonly fetchService: FetchService,
    readonly produceService: ProduceService,
    readonly metrics: MetricsService,
    readonly config: BrokerConfigService,
    readonly reader: LiveReader,
  ) {}

  onModuleInit(): void {
    this.unsubscribeMetadata = this.engine.metadata.onChange(() => {
      for (const m of this.members) m.metadataChanged();
    });
    // Gauges read at scrape time: how much the live door holds in socket queues right now.
    this.registerGauge('runnel_live_send_buffer_bytes', 'Bytes queued in live (WebSocket/SSE) sockets, summed over connections.', () => {
      let total = 0;
      for (const b of this.buffered) total += b();
      return total;
    });
    this.registerGauge('runnel_live_send_buffer_bytes_max', 'Bytes queued in the fullest live socket.', () => {
      let max = 0;
      for (const b of this.buffered) max = Math.max(max, b());
      return max;
    });
    this.registerGauge('runnel_live_connections', 'Open live connections (WebSocket and SSE).', () => this.buffered.size);
  }

  onModuleDestroy(): void {
    this.unsubscribeMetadata?.();
  }

  private registerGauge(name: string, help: string, value: () => number): void {
    if (this.metrics.registry.getSingleMetric(name)) this.metrics.registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [this.metrics.registry],
      collect(this: Gauge) {
        this.set(value());
      },
    });
  }

  /**
   * Any thrown value as the live door's error frame `{"type": "error", "id"?, "error_code", "message"}`
   * (unknown errors are bugs: logged, answered 50001); `id` is the request's or subscription's.
   */
  errorFrame(e: unknown, id?: string): { type: 'error'; id?: string } & ErrorBody {
    const body = errorResponse(toDomainErrorOrInternal(e, this.logger)).body;
    return id === undefined ? { type: 'error', ...body } : { type: 'error', id, ...body };
  }
}
