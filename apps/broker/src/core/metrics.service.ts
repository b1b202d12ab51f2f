import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  partitions(): { topic: string; partition: number; sizeBytes: number; logEndOffset: bigint; logStartOffset: bigint }[];
  groupLags(): { group: string; topic: string; partition: number; lag: number }[];
}

/** Prometheus metrics (`GET /metrics`): produce/fetch rates and bytes, request latency, partition sizes, group lag. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly producedRecords = new Counter({ name: 'runnel_produce_records_total', help: 'Records appended, by topic.', labelNames: ['topic'], registers: [this.registry] });
  private readonly producedBytes = new Counter({ name: 'runnel_produce_bytes_total', help: 'Record batch bytes appended, by topic.', labelNames: ['topic'], registers: [this.registry] });
  private readonly fetchedRecords = new Counter({ name: 'runnel_fetch_records_total', help: 'Records returned to readers, by topic and door.', labelNames: ['topic', 'door'], registers: [this.registry] });
  private readonly fetchedBytes = new Counter({ name: 'runnel_fetch_bytes_total', help: 'Stored bytes read for readers, by topic and door.', labelNames: ['topic', 'door'], registers: [this.registry] });
  private readonly requestSeconds = new Histogram({
    name: 'runnel_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private sources: MetricsSources | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'runnel_process_' });
    const sources = (): MetricsSources | undefined => this.sources;
    new Gauge({
      name: 'runnel_partition_size_bytes',
      help: 'Bytes on disk per partition.',
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of sources()?.partitions() ?? []) this.set({ topic: p.topic, partition: String(p.partition) }, p.sizeBytes);
      },
    });
    new Gauge({
      name: 'runnel_partition_log_end_offset',
      help: 'Log end offset per partition.',
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of sources()?.partitions() ?? []) this.set({ topic: p.topic, partition: String(p.partition) }, Number(p.logEndOffset));
      },
    });
    new Gauge({
      name: 'runnel_group_lag_records',
      help: 'Records between a group\'s committed offset and the log end, per partition.',
      labelNames: ['group', 'topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const l of sources()?.groupLags() ?? []) this.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
      },
    });
  }

  setSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  produced(topic: string, records: number, bytes: number): void {
    this.producedRecords.inc({ topic }, records);
    this.producedBytes.inc({ topic }, bytes);
  }

  /** One HTTP request served; `route` is the route template (bounded label cardinality). */
  requestServed(method: string, route: string, status: number, seconds: number): void {
    this.requestSeconds.observe({ method, route, status: String(status) }, seconds);
  }

  fetched(topic: string, door: string, records: number, bytes: number): void {
    if (records === 0 && bytes === 0) return;
    this.fetchedRecords.inc({ topic, door }, records);
    this.fetchedBytes.inc({ topic, door }, bytes);
  }
}
