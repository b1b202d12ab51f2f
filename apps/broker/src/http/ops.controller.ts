import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EngineService } from '../core/engine.service';
import { MetricsService } from '../core/metrics.service';

@ApiTags('ops')
@Controller()
export class OpsController {
  constructor(
    private readonly engine: EngineService,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness', description: '200 while the process runs.' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness', description: '200 only when the broker can take writes (engine open, listeners up, not shutting down); 503 otherwise.' })
  @ApiOkResponse({ schema: { example: { status: 'ready' } } })
  @ApiResponse({ status: 503, schema: { example: { status: 'not ready', reason: 'shutting down' } } })
  ready(@Res({ passthrough: true }) reply: FastifyReply): { status: string; reason?: string } {
    const reason = this.engine.notReadyReason();
    if (reason === null) return { status: 'ready' };
    reply.status(503);
    return { status: 'not ready', reason };
  }

  @Get('metrics')
  @HttpCode(200)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics', description: 'Produce/fetch rates and bytes, HTTP latency histograms, partition sizes, group lag.' })
  async metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
