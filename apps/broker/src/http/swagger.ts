import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Runnel')
    .setDescription(
      'Kafka semantics over HTTP: produce, read partitions with long-poll, consumer groups (Confluent REST v2 consumer API, extended), ' +
        'Confluent v2/v3 produce compatibility and the admin API. Errors are `{"error_code": <5 digits>, "message": "..."}`. ' +
        'Live subscriptions: WebSocket at `/ws` and Server-Sent Events at `/topics/{topic}/events`.',
    )
    .setVersion('0.1.0')
    .addTag('produce', 'Append records to a topic')
    .addTag('read', 'Read a partition without a group')
    .addTag('consumers', 'Consumer groups over HTTP')
    .addTag('admin', 'Topics, groups, cluster')
    .addTag('compatibility', 'Confluent REST v2/v3 produce paths')
    .addTag('live', 'Server-Sent Events (the WebSocket protocol at /ws is described in the README)')
    .addTag('ops', 'Health, readiness, metrics')
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function setupSwagger(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', customSiteTitle: 'Runnel API' });
}
