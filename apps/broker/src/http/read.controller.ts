import { Controller, Get, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BrokerConfigService } from '../core/broker-config.service';
import { invalid } from '../core/errors';
import { FetchService } from '../core/fetch.service';
import { OffsetsService } from '../core/offsets.service';
import { parseFormat, parseTimestamp, renderRecord } from '../core/record-format';
import { ErrorDto } from './dto/produce.dto';
import { OffsetsQueryDto, ReadQueryDto, ReadResponseDto, RecordDto } from './dto/read.dto';

const partitionPipe = new ParseIntPipe({ exceptionFactory: () => invalid('partition must be a non-negative integer.') });

@ApiTags('read')
@Controller('topics/:topic/partitions/:partition')
export class ReadController {
  constructor(
    private readonly fetchService: FetchService,
    private readonly offsets: OffsetsService,
    private readonly config: BrokerConfigService,
  ) {}

  @Get('records')
  @ApiOperation({
    summary: 'Read a partition',
    description: 'Reads records from an offset without a consumer group. Long-polls up to timeout_ms when nothing is there yet and answers as soon as records arrive.',
  })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiParam({ name: 'partition', example: 0 })
  @ApiOkResponse({ type: ReadResponseDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'Topic (40401) or partition (40402) not found' })
  @ApiResponse({ status: 416, type: ErrorDto, description: 'Offset past the high watermark (41601); the message gives both bounds' })
  async read(@Param('topic') topic: string, @Param('partition', partitionPipe) partition: number, @Query() q: ReadQueryDto): Promise<ReadResponseDto> {
    const limits = this.config.value;
    const timeoutMs = q.timeout_ms ?? 0;
    if (timeoutMs > limits.httpLongPollMsMax) throw invalid(`timeout_ms ${timeoutMs} is above the limit of ${limits.httpLongPollMsMax} ms (http.long.poll.ms.max).`);
    const maxBytes = q.max_bytes ?? 1024 * 1024;
    if (maxBytes > limits.httpFetchBytesMax) throw invalid(`max_bytes ${maxBytes} is above the limit of ${limits.httpFetchBytesMax} (http.fetch.bytes.max).`);
    const format = parseFormat(q.format);
    const spec = q.offset === undefined ? 'earliest' : q.offset === 'earliest' || q.offset === 'latest' ? q.offset : BigInt(q.offset);
    const result = await this.fetchService.fetch(topic, partition, spec, { maxRecords: q.max_records ?? 500, maxBytes, isolation: q.isolation ?? 'read_uncommitted' }, timeoutMs, 'http');
    return {
      records: result.records.map((r) => renderRecord(r, format)) as RecordDto[],
      next_offset: Number(result.nextOffset),
      high_watermark: Number(result.highWatermark),
      log_start_offset: Number(result.logStartOffset),
    };
  }

  @Get('offsets')
  @ApiOperation({
    summary: 'Partition offsets, or the offset for a time',
    description: 'With ?timestamp=ms: {"offset": n}, the first offset whose timestamp is >= ms (null when none). Without: {"log_start_offset", "high_watermark"}.',
  })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiParam({ name: 'partition', example: 0 })
  @ApiOkResponse({ schema: { example: { log_start_offset: 0, high_watermark: 42 } } })
  offsetsOf(@Param('topic') topic: string, @Param('partition', partitionPipe) partition: number, @Query() q: OffsetsQueryDto): Record<string, number | null> {
    if (q.timestamp !== undefined) {
      const ts = parseTimestamp(q.timestamp, 'timestamp')!;
      const offset = this.offsets.offsetForTimestamp(topic, partition, ts);
      return { offset: offset === null ? null : Number(offset) };
    }
    const b = this.offsets.bounds(topic, partition);
    return { log_start_offset: Number(b.logStartOffset), high_watermark: Number(b.highWatermark) };
  }
}
