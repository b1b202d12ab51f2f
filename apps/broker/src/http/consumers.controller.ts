import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsBoolean, IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ConsumersService, TopicPartitionRef } from '../core/consumers.service';
import { invalid } from '../core/errors';

export class CreateInstanceDto {
  @ApiPropertyOptional({ example: 'my-consumer', description: 'Instance id; generated when absent.' })
  @IsOptional()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ enum: ['json', 'string', 'binary'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'string', 'binary'])
  format?: 'json' | 'string' | 'binary';

  @ApiPropertyOptional({ enum: ['earliest', 'latest'], default: 'latest', name: 'auto.offset.reset' })
  @IsOptional()
  @IsIn(['earliest', 'latest'])
  'auto.offset.reset'?: 'earliest' | 'latest';

  @ApiPropertyOptional({ default: true, name: 'auto.commit.enable', description: 'Commit what each read returned, at the next read.' })
  @IsOptional()
  @IsBoolean()
  'auto.commit.enable'?: boolean;
}

export class SubscriptionDto {
  @ApiPropertyOptional({ type: [String], example: ['orders'] })
  @IsOptional()
  @IsString({ each: true })
  topics?: string[];

  @ApiPropertyOptional({ example: 'orders-.*', description: 'A regular expression over topic names (instead of topics).' })
  @IsOptional()
  @IsString()
  topic_pattern?: string;
}

export class RecordsQueryDto {
  @ApiPropertyOptional({ description: 'Long-poll up to this many ms when nothing is there yet.', default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  timeout?: number;

  @ApiPropertyOptional({ default: 1048576 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  max_bytes?: number;
}

class TopicPartitionDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ example: 0 }) partition!: number;
}

class PartitionsBodyDto {
  @ApiProperty({ type: [TopicPartitionDto] })
  @Allow()
  partitions!: unknown;
}

/** Checks `[{topic, partition}]`, naming the bad element. */
function topicPartitions(value: unknown, field: string): TopicPartitionRef[] {
  if (!Array.isArray(value)) throw invalid(`${field} must be an array of {"topic", "partition"}.`);
  return value.map((v: unknown, i) => {
    const o = v as { topic?: unknown; partition?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.topic !== 'string') throw invalid(`${field}[${i}].topic must be a string.`);
    if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) throw invalid(`${field}[${i}].partition must be a non-negative integer.`);
    return { topic: o.topic, partition: o.partition };
  });
}

function offsetsList(value: unknown, field: string): (TopicPartitionRef & { offset: bigint })[] {
  const tps = topicPartitions(value, field);
  return tps.map((tp, i) => {
    const o = (value as { offset?: unknown }[])[i]!.offset;
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw invalid(`${field}[${i}].offset must be a non-negative integer.`);
    return { ...tp, offset: BigInt(o) };
  });
}

const EXAMPLE_RECORDS = [{ topic: 'orders', partition: 0, offset: 41, timestamp: 1732190000000, key: 'user-1', value: { total: 42 }, headers: [] }];

@ApiTags('consumers')
@Controller('consumers/:group')
export class ConsumersController {
  constructor(private readonly consumers: ConsumersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a consumer instance', description: 'A group member run by the broker on your behalf; it shares the group with Kafka and WebSocket members. Idle instances are removed after consumer.instance.timeout.ms.' })
  @ApiParam({ name: 'group', example: 'billing' })
  @ApiBody({ type: CreateInstanceDto, examples: { basic: { value: { name: 'c1', format: 'json', 'auto.offset.reset': 'earliest' } } } })
  @ApiCreatedResponse({ schema: { example: { instance_id: 'c1', base_uri: 'http://localhost:8080/consumers/billing/instances/c1' } } })
  create(@Param('group') group: string, @Body() body: CreateInstanceDto, @Req() req: FastifyRequest): { instance_id: string; base_uri: string } {
    const id = this.consumers.create(group, {
      name: body.name,
      format: body.format ?? 'json',
      autoOffsetReset: body['auto.offset.reset'] ?? 'latest',
      autoCommit: body['auto.commit.enable'] ?? true,
    });
    const host = req.headers.host ?? 'localhost';
    return { instance_id: id, base_uri: `${req.protocol}://${host}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(id)}` };
  }

  @Delete('instances/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a consumer instance', description: 'Leaves the group at once (a rebalance follows).' })
  @ApiNoContentResponse()
  async remove(@Param('group') group: string, @Param('id') id: string): Promise<void> {
    await this.consumers.remove(group, id);
  }

  @Post('instances/:id/subscription')
  @HttpCode(204)
  @ApiOperation({ summary: 'Subscribe', description: '{"topics": [...]} or {"topic_pattern": "regex"}; partitions come from the group\'s assignment.' })
  @ApiBody({ type: SubscriptionDto, examples: { topics: { value: { topics: ['orders'] } } } })
  async subscribe(@Param('group') group: string, @Param('id') id: string, @Body() body: SubscriptionDto): Promise<void> {
    if ((body.topics === undefined) === (body.topic_pattern === undefined)) throw invalid('give exactly one of topics or topic_pattern.');
    if (body.topics !== undefined && body.topics.length === 0) throw invalid('topics must hold at least one topic.');
    await this.consumers.subscribe(group, id, body.topics ?? null, body.topic_pattern ?? null);
  }

  @Get('instances/:id/subscription')
  @ApiOperation({ summary: 'Current subscription' })
  @ApiOkResponse({ schema: { example: { topics: ['orders'] } } })
  subscription(@Param('group') group: string, @Param('id') id: string): { topics: string[] } {
    return { topics: this.consumers.subscription(group, id) };
  }

  @Delete('instances/:id/subscription')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe' })
  async unsubscribe(@Param('group') group: string, @Param('id') id: string): Promise<void> {
    await this.consumers.unsubscribe(group, id);
  }

  @Post('instances/:id/assignments')
  @HttpCode(204)
  @ApiOperation({ summary: 'Assign partitions manually', description: 'No group rebalance: the instance reads exactly these partitions.' })
  @ApiBody({ type: PartitionsBodyDto, examples: { one: { value: { partitions: [{ topic: 'orders', partition: 0 }] } } } })
  assign(@Param('group') group: string, @Param('id') id: string, @Body() body: PartitionsBodyDto): void {
    this.consumers.assign(group, id, topicPartitions(body.partitions, 'partitions'));
  }

  @Get('instances/:id/assignments')
  @ApiOperation({ summary: 'Current assignment' })
  @ApiOkResponse({ schema: { example: { partitions: [{ topic: 'orders', partition: 0 }] } } })
  assignments(@Param('group') group: string, @Param('id') id: string): { partitions: TopicPartitionRef[] } {
    return { partitions: this.consumers.assignment(group, id) };
  }

  @Get('instances/:id/records')
  @ApiOperation({ summary: 'Read records', description: 'Records from the assigned partitions, from the current positions; long-polls up to `timeout` ms.' })
  @ApiOkResponse({ schema: { example: EXAMPLE_RECORDS } })
  records(@Param('group') group: string, @Param('id') id: string, @Query() q: RecordsQueryDto): Promise<unknown[]> {
    return this.consumers.poll(group, id, q.timeout ?? 1000, q.max_bytes ?? 1024 * 1024);
  }

  @Post('instances/:id/offsets')
  @HttpCode(204)
  @ApiOperation({ summary: 'Commit offsets', description: '{"offsets": [{topic, partition, offset}]} (offset = the next record to read); an empty body commits everything returned so far.' })
  @ApiBody({ schema: { example: { offsets: [{ topic: 'orders', partition: 0, offset: 42 }] } } })
  async commit(@Param('group') group: string, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    const offsets = body === undefined || body === null || (typeof body === 'object' && !('offsets' in body)) ? null : offsetsList((body as { offsets: unknown }).offsets, 'offsets');
    await this.consumers.commit(group, id, offsets);
  }

  @Get('instances/:id/offsets')
  @ApiOperation({ summary: 'Committed offsets', description: 'For {"partitions": [...]} in the body, or ?partitions=topic:0,topic:1, or (neither) the current assignment.' })
  @ApiOkResponse({ schema: { example: { offsets: [{ topic: 'orders', partition: 0, offset: 42, metadata: '' }] } } })
  committed(@Param('group') group: string, @Param('id') id: string, @Body() body: unknown, @Query('partitions') partitionsQuery?: string): unknown {
    let tps: TopicPartitionRef[] | null = null;
    if (typeof body === 'object' && body !== null && 'partitions' in body) tps = topicPartitions((body).partitions, 'partitions');
    else if (partitionsQuery) {
      tps = partitionsQuery.split(',').map((s) => {
        const i = s.lastIndexOf(':');
        const p = Number(s.slice(i + 1));
        if (i <= 0 || !Number.isInteger(p) || p < 0) throw invalid(`partitions must be topic:partition pairs separated by commas (got "${s}").`);
        return { topic: s.slice(0, i), partition: p };
      });
    }
    return this.consumers.committed(group, id, tps);
  }

  @Post('instances/:id/positions')
  @HttpCode(204)
  @ApiOperation({ summary: 'Seek', description: '{"offsets": [{topic, partition, offset}]} or {"timestamps": [{topic, partition, timestamp}]}.' })
  @ApiBody({ schema: { example: { offsets: [{ topic: 'orders', partition: 0, offset: 10 }] } } })
  seek(@Param('group') group: string, @Param('id') id: string, @Body() body: unknown): void {
    const b = (body ?? {}) as { offsets?: unknown; timestamps?: unknown };
    if (b.offsets !== undefined) return this.consumers.seek(group, id, offsetsList(b.offsets, 'offsets'));
    if (b.timestamps !== undefined) {
      const tps = topicPartitions(b.timestamps, 'timestamps');
      return this.consumers.seekToTimestamps(
        group,
        id,
        tps.map((tp, i) => {
          const t = (b.timestamps as { timestamp?: unknown }[])[i]!.timestamp;
          const ms = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : NaN;
          if (!Number.isFinite(ms) || ms < 0) throw invalid(`timestamps[${i}].timestamp must be ms since the epoch or an ISO-8601 date.`);
          return { ...tp, timestampMs: BigInt(ms) };
        }),
      );
    }
    throw invalid('give "offsets": [{topic, partition, offset}] or "timestamps": [{topic, partition, timestamp}].');
  }

  @Post('instances/:id/positions/beginning')
  @HttpCode(204)
  @ApiOperation({ summary: 'Seek to the beginning' })
  @ApiBody({ type: PartitionsBodyDto })
  seekBeginning(@Param('group') group: string, @Param('id') id: string, @Body() body: PartitionsBodyDto): void {
    this.consumers.seekToEdge(group, id, topicPartitions(body.partitions, 'partitions'), 'earliest');
  }

  @Post('instances/:id/positions/end')
  @HttpCode(204)
  @ApiOperation({ summary: 'Seek to the end' })
  @ApiBody({ type: PartitionsBodyDto })
  seekEnd(@Param('group') group: string, @Param('id') id: string, @Body() body: PartitionsBodyDto): void {
    this.consumers.seekToEdge(group, id, topicPartitions(body.partitions, 'partitions'), 'latest');
  }
}
