import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsService } from '../core/metrics.service';

/** Records every request's latency by route template (not raw URL, so label cardinality stays bounded). */
export function setupRequestMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requestServed(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
