/**
 * Composition root: builds the Nest application over the engine and opens the doors.
 * Used by main.ts and, in-process on port 0, by the e2e tests.
 */
import 'reflect-metadata';
import { installAsyncResourceBindShim } from './node-compat';
import { Logger, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import type { BrokerConfig } from './config/broker-config';
import { invalid } from './core/errors';
import { DomainErrorFilter } from './http/domain-error.filter';
import { setupHttpParsers } from './http/parsers';
import { setupSwagger } from './http/swagger';
import { setupRequestMetrics } from './http/request-metrics';
import { EngineService } from './core/engine.service';
import { ApiKey } from '@runnel/protocol';
import { WireServer } from './wire/wire-server';
import { ProduceFastPath } from './http/produce-fast-path';
import { ProduceService } from './core/produce.service';
import { MetricsService } from './core/metrics.service';

/** Fastify's default keep-alive timeout, kept for the server the broker creates for it. */
const FASTIFY_KEEP_ALIVE_TIMEOUT_MS = 72_000;

export interface RunningBroker {
  app: NestFastifyApplication;
  httpUrl: string;
  httpPort: number;
  /** The port the Kafka wire listener is bound to. */
  kafkaPort: number;
  config: BrokerConfig;
  close(): Promise<void>;
}

const LEVELS: Record<BrokerConfig['logLevel'], LogLevel[]> = {
  error: ['error', 'fatal'],
  warn: ['error', 'fatal', 'warn'],
  info: ['error', 'fatal', 'warn', 'log'],
  debug: ['error', 'fatal', 'warn', 'log', 'debug', 'verbose'],
};

/** Flattens class-validator errors into one message that names every bad field. */
function validationMessage(errors: import('class-validator').ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    for (const c of Object.values(e.constraints ?? {})) out.push(c.replace(e.property, path));
    if (e.children?.length) out.push(...validationMessage(e.children, path));
  }
  return out;
}

export async function buildApp(config: BrokerConfig): Promise<NestFastifyApplication> {
  installAsyncResourceBindShim();
  // The single hot route is served ahead of the framework (http/produce-fast-path.ts); every other
  // request goes to Fastify. Fastify's own server defaults are kept (keep-alive 72 s).
  const fastPath = new ProduceFastPath();
  const adapter = new FastifyAdapter({
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
      const server = createServer((req, res) => {
        if (!fastPath.handle(req, res)) handler(req, res);
      });
      server.keepAliveTimeout = FASTIFY_KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
    bodyLimit: config.httpRequestBytesMax,
    // Keep-alive connections that are idle are closed on shutdown; in-flight requests finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forConfig(config), adapter, {
    logger: LEVELS[config.logLevel],
    abortOnError: false,
    bodyParser: false,
  });
  // WebSockets on the HTTP port; the live door parses its own frames (error frames for bad ones),
  // so Nest's per-message JSON parse is skipped.
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser: () => undefined }));
  setupHttpParsers(app, config);
  fastPath.attach({ produce: app.get(ProduceService), metrics: app.get(MetricsService), config });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preClose', (done) => {
      fastPath.close();
      done();
    });
  setupRequestMetrics(app);
  app.useGlobalFilters(new DomainErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => invalid(`invalid request: ${validationMessage(errors).join('; ')}.`),
    }),
  );
  setupSwagger(app);
  // Signals are handled once, in main.ts (SIGTERM/SIGINT -> RunningBroker.close()); Nest's own
  // shutdown hooks would close the app a second time.
  return app;
}

export async function startBroker(config: BrokerConfig): Promise<RunningBroker> {
  const app = await buildApp(config);
  await app.listen(config.httpPort, config.host);
  const address = app.getHttpServer().address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const httpUrl = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  let kafkaPort: number;
  try {
    const wire = app.get(WireServer);
    kafkaPort = await wire.start();
    app.get(EngineService).kafkaApiVersions = wire.advertisedVersions().map((v) => ({
      apiKey: v.apiKey,
      name: ApiKey[v.apiKey] ?? `api-${v.apiKey}`,
      minVersion: v.minVersion,
      maxVersion: v.maxVersion,
    }));
  } catch (e) {
    await app.close();
    throw e;
  }
  await app.get(EngineService).markServing({ httpPort: address.port, kafkaPort });
  let closing: Promise<void> | undefined;
  return {
    app,
    httpUrl,
    httpPort: address.port,
    kafkaPort,
    config,
    close: () => (closing ??= app.close().then(() => new Logger('broker').log('stopped cleanly'))),
  };
}
