/**
 * The Kafka wire listener: TCP on `kafka.port` at every `kafka.host` address (IPv4 and IPv6
 * loopback by default), one WireConnection per client, at most WIRE_CONNECTIONS_MAX at once.
 * Started by the composition root after the HTTP listener (before the broker says it is ready)
 * and closed before the engine closes (BeforeApplicationShutdown).
 */
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BrokerConfigService } from '../core/broker-config.service';
import { AdminService } from '../core/admin.service';
import { EngineService, advertisedEndpoint } from '../core/engine.service';
import { FetchService } from '../core/fetch.service';
import { ProducerStateService } from '../core/idempotence';
import { MetricsService } from '../core/metrics.service';
import { OffsetsService } from '../core/offsets.service';
import { TopicService } from '../core/topic.service';
import { RawProduceService } from '../core/wire-produce';
import { WireConnection } from './connection';
import { WIRE_CONNECTIONS_MAX } from './constants';
import type { WireHandlerTable } from './handler';
import { createHandlerTable } from './handlers';
import { advertisedVersions, type AdvertisedVersion } from './versions';

@Injectable()
export class WireServer implements BeforeApplicationShutdown {
  private readonly logger = new Logger('wire');
  private readonly servers: Server[] = [];
  private readonly connections = new Set<WireConnection>();
  private readonly table: WireHandlerTable;
  private readonly versions: ReadonlyMap<number, AdvertisedVersion>;
  private nextConnectionId = 1;

  constructor(
    private readonly configService: BrokerConfigService,
    engine: EngineService,
    topics: TopicService,
    fetch: FetchService,
    offsets: OffsetsService,
    admin: AdminService,
    rawProduce: RawProduceService,
    producers: ProducerStateService,
    metrics: MetricsService,
  ) {
    const config = configService.value;
    this.table = createHandlerTable({
      engine,
      topics,
      fetch,
      offsets,
      admin,
      rawProduce,
      producers,
      metrics,
      config,
      advertised: () => engine.advertisedEndpoint(),
    });
    this.versions = new Map(advertisedVersions(this.table).map((v) => [v.apiKey, v]));
  }

  /** The ApiVersions rows this broker advertises. */
  advertisedVersions(): AdvertisedVersion[] {
    return [...this.versions.values()];
  }

  /** Binds every configured address; an address that cannot be bound (no IPv6 here) is skipped unless none can. */
  async start(): Promise<number> {
    const config = this.configService.value;
    let port = config.kafkaPort;
    const failures: string[] = [];
    for (const host of config.kafkaHosts) {
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
      server.maxConnections = WIRE_CONNECTIONS_MAX;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port, host }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        failures.push(`${host}:${port} (${(e as Error).message})`);
        continue;
      }
      server.on('error', (e) => this.logger.error(`Kafka listener error: ${e.message}`));
      this.servers.push(server);
      port = (server.address() as AddressInfo).port;
    }
    if (this.servers.length === 0) throw new Error(`the Kafka listener cannot bind: ${failures.join('; ')}; set kafka.port / kafka.host (RUNNEL_KAFKA_PORT, RUNNEL_KAFKA_HOST).`);
    for (const f of failures) this.logger.warn(`Kafka listener skipped ${f}`);
    this.logger.log(`Kafka wire protocol on ${config.kafkaHosts.filter((h) => !failures.some((f) => f.startsWith(`${h}:`))).join(', ')} port ${port}, advertised as ${config.advertisedHost}:${advertisedEndpoint(config, port).port}`);
    return port;
  }

  private accept(socket: Socket): void {
    // The cap holds across every bound address (each server's maxConnections counts only its own).
    if (this.connections.size >= WIRE_CONNECTIONS_MAX) {
      this.logger.warn(`refusing a Kafka connection from ${socket.remoteAddress ?? '?'}: ${WIRE_CONNECTIONS_MAX} connections are open (WIRE_CONNECTIONS_MAX)`);
      socket.destroy();
      return;
    }
    const info = { id: this.nextConnectionId++, remoteAddress: socket.remoteAddress ?? '?', remotePort: socket.remotePort ?? 0 };
    const connection = new WireConnection(socket, info, this.table, this.versions, this.logger);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.connections) c.close('broker shutting down');
    this.connections.clear();
    this.servers.length = 0;
    await Promise.all(closing);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
