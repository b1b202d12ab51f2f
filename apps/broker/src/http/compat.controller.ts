import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { BrokerConfigService } from '../core/broker-config.service';
import { EngineService } from '../core/engine.service';
import { toDomainError } from '../core/error-mapping';
import { DomainError, DomainErrorKind, errorResponse, invalid } from '../core/errors';
import { ProduceService } from '../core/produce.service';
import { ProduceRecord, RecordFormat, encodeData, formatFromMediaType, parseHeaders, parseTimestamp, toProduceRecords } from '../core/record-format';
import { ConcatenatedJson } from './parsers';

const V3_TYPES: Record<string, RecordFormat> = { BINARY: 'binary', JSON: 'json', STRING: 'string' };

interface V3Data {
  type?: string;
  data?: unknown;
}

/** Confluent REST v3/v2 produce paths, translated onto the same produce service. */
@ApiTags('compatibility')
@Controller()
export class CompatController {
  constructor(
    private readonly produceService: ProduceService,
    private readonly engine: EngineService,
    private readonly config: BrokerConfigService,
  ) {}

  @Post('v3/clusters/:cluster_id/topics/:topic/records')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Produce (Confluent REST v3)',
    description: 'Takes Confluent v3 records ({partition_id, headers[{name, value: base64}], key{type, data}, value{type, data}, timestamp}); several records may be sent as concatenated JSON, and get one delivery report each, concatenated.',
  })
  @ApiParam({ name: 'cluster_id', description: 'This cluster\'s id (GET /admin/cluster)' })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiBody({ schema: { example: { partition_id: 0, headers: [{ name: 'source', value: 'ZG9jcw==' }], key: { type: 'STRING', data: 'user-1' }, value: { type: 'JSON', data: { total: 42 } } } } })
  @ApiOkResponse({ schema: { example: { error_code: 200, cluster_id: 'c1', topic_name: 'orders', partition_id: 0, offset: 41, timestamp: '2026-11-21T12:00:00.000Z', key: { type: 'STRING', size: 6 }, value: { type: 'JSON', size: 12 } } } })
  async produceV3(
    @Param('cluster_id') clusterId: string,
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    if (clusterId !== this.engine.clusterId) {
      throw new DomainError(DomainErrorKind.ClusterNotFound, `cluster "${clusterId}" is not this cluster; use "${this.engine.clusterId}" (GET /admin/cluster).`);
    }
    const many = body instanceof ConcatenatedJson;
    const items = many ? body.values : [body];
    if (items.length > this.config.value.httpRecordsPerRequestMax) {
      throw new DomainError(DomainErrorKind.TooLarge, `${items.length} records in one request; at most ${this.config.value.httpRecordsPerRequestMax} (http.records.per.request.max).`);
    }
    const reports: unknown[] = [];
    for (const [i, item] of items.entries()) {
      try {
        const { record, keyInfo, valueInfo } = this.v3Record(item, many ? `records[${i}]` : 'record');
        const [offset] = await this.produceService.produce(topic, [record], 'all');
        reports.push({
          error_code: 200,
          cluster_id: clusterId,
          topic_name: topic,
          partition_id: offset!.partition,
          offset: offset!.offset,
          timestamp: new Date(offset!.timestamp).toISOString(),
          key: keyInfo,
          value: valueInfo,
        });
      } catch (e) {
        const d = toDomainError(e);
        if (!d || !many) throw e;
        const { status, body: b } = errorResponse(d);
        reports.push({ error_code: status, message: b.message });
      }
    }
    if (!many) return reports[0];
    // Concatenated JSON in, concatenated delivery reports out (Confluent v3 streaming mode).
    reply.header('content-type', 'application/json');
    return reports.map((r) => JSON.stringify(r)).join('\n');
  }

  private v3Record(item: unknown, field: string): { record: ProduceRecord; keyInfo: unknown; valueInfo: unknown } {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`${field} must be a v3 record object.`);
    const r = item as { partition_id?: unknown; headers?: unknown; key?: V3Data | null; value?: V3Data | null; timestamp?: unknown };
    const data = (d: V3Data | null | undefined, name: string): { bytes: Buffer | null; info: unknown } => {
      if (d === undefined || d === null) return { bytes: null, info: null };
      if (typeof d !== 'object') throw invalid(`${field}.${name} must be {"type", "data"}.`);
      const type = (d.type ?? 'JSON').toUpperCase();
      const format = V3_TYPES[type];
      if (!format) throw invalid(`${field}.${name}.type "${d.type}" is not supported; use BINARY, JSON or STRING (schema registry types are not supported).`);
      const bytes = encodeData(d.data, format, `${field}.${name}.data`);
      return { bytes, info: { type, size: bytes?.length ?? 0 } };
    };
    const key = data(r.key, 'key');
    const value = data(r.value, 'value');
    const record: ProduceRecord = { key: key.bytes, value: value.bytes, headers: parseHeaders(r.headers, 'binary', `${field}.headers`) };
    if (r.partition_id !== undefined && r.partition_id !== null) {
      if (typeof r.partition_id !== 'number' || !Number.isInteger(r.partition_id) || r.partition_id < 0) throw invalid(`${field}.partition_id must be a non-negative integer.`);
      record.partition = r.partition_id;
    }
    const ts = parseTimestamp(r.timestamp, `${field}.timestamp`);
    if (ts !== undefined) record.timestampMs = ts;
    return { record, keyInfo: key.info, valueInfo: value.info };
  }

  @Post('topics/:topic')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Produce (Confluent REST v2)',
    description: 'Confluent v2 shape {"records": [{key, value, partition}]}; the format comes from the media type (application/vnd.kafka.{json,binary}.v2+json). Answers {"offsets": [{partition, offset, error_code, error}]}.',
  })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiBody({ schema: { example: { records: [{ key: 'user-1', value: { total: 42 } }] } } })
  @ApiOkResponse({ schema: { example: { key_schema_id: null, value_schema_id: null, offsets: [{ partition: 0, offset: 41, error_code: null, error: null }] } } })
  async produceV2(@Param('topic') topic: string, @Body() body: unknown, @Headers('content-type') contentType: string | undefined): Promise<unknown> {
    const format = formatFromMediaType(contentType) ?? 'json';
    if (typeof body !== 'object' || body === null || !('records' in body)) throw invalid('the v2 body must be {"records": [{key, value, partition}]}.');
    const records = toProduceRecords(body, format, this.config.value.httpRecordsPerRequestMax);
    const offsets = await this.produceService.produce(topic, records, 'all');
    return { key_schema_id: null, value_schema_id: null, offsets: offsets.map((o) => ({ partition: o.partition, offset: o.offset, error_code: null, error: null })) };
  }
}
