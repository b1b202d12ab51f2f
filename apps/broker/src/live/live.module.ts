import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { join, resolve } from 'node:path';
import { LiveCore } from './live-core.service';
import { LiveGateway } from './live.gateway';
import { LiveReader } from './live-reader';
import { SseController } from './sse.controller';

/**
 * Where the /live page lives: next to this file (running from the sources), else in the source
 * tree beside dist/ (the TypeScript build does not copy it; no build step is needed to serve it).
 */
export const LIVE_PAGE_ROOTS = [join(__dirname, 'static'), resolve(__dirname, '../../../../../apps/broker/src/live/static')];

/** The live door: WebSocket subscriptions at /ws, Server-Sent Events, and the /live page. */
@Module({
  providers: [LiveReader, LiveCore, LiveGateway],
  controllers: [SseController],
})
export class LiveDoorModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // `/live` redirects to `/live/`, which serves live.html as it is on disk.
    await fastify.register(fastifyStatic, { root: LIVE_PAGE_ROOTS, prefix: '/live/', index: ['live.html'], redirect: true, decorateReply: false, wildcard: false });
  }
}
