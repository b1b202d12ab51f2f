import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { BrokerConfigService } from '../core/broker-config.service';
import { Acks, ProduceService } from '../core/produce.service';
import { RecordFormat, toProduceRecord } from '../core/record-format';
import { ErrorDto, ProduceRequestDto, ProduceResponseDto } from './dto/produce.dto';
import { ProduceQuery, produceJson, produceOptions } from './produce-request';
import { toDomainError } from '../core/error-mapping';
import { errorResponse, malformed } from '../core/errors';


@ApiTags('produce')
@Controller()
export class ProduceController {
  constructor(
    private readonly produceService: ProduceService,
    private readonly config: BrokerConfigService,
  ) {}

  @Post('topics/:topic/records')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Produce records',
    description:
      'One record, or {"records": [...]}. Partition: explicit, else murmur2 of the key (same as Kafka clients), else spread. ' +
      'With Content-Type application/x-ndjson: one record per line in, one reply line per record out, streaming. ' +
      'Unknown topics are created when auto.create.topics.enable is true.',
  })
  @ApiParam({ name: 'topic', type: String, example: 'orders' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'string', 'binary'], description: 'Key/value encoding (default json).' })
  @ApiQuery({ name: 'acks', required: false, enum: ['all', '-1', '1', '0'], description: 'all (default): durable (fsync, group-committed) before the reply; 1: written; 0: reply at once.' })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({
    type: ProduceRequestDto,
    examples: {
      single: { value: { key: 'user-1', value: { total: 42 } } },
      batch: { value: { records: [{ key: 'user-1', value: { total: 42 } }, { value: 'no key', headers: [{ name: 'source', value: 'docs' }] }] } },
    },
  })
  @ApiOkResponse({ type: ProduceResponseDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'Topic not found (40401) or partition not found (40402)' })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'Too large (41301)' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Invalid record (42206); nothing was appended' })
  async produce(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ProduceResponseDto | undefined> {
    // The hottest route: read params, query and headers off the request directly (no per-parameter
    // pipe pass); every value is checked here or in the core.
    const { topic } = req.params as { topic: string };
    const query = req.query as ProduceQuery;
    const contentType = req.headers['content-type'];
    if (contentType?.startsWith('application/x-ndjson')) {
      const { format, acks } = produceOptions(query, contentType);
      await this.produceStream(topic, req.raw, reply, format, acks);
      return undefined;
    }
    return produceJson(this.produceService, topic, query, contentType, req.body, this.config.value.httpRecordsPerRequestMax);
  }

  /**
   * NDJSON streaming: reply lines are written in request order as each record is appended;
   * a bad line gets an error line and the stream goes on.
   */
  private async produceStream(topic: string, input: Readable, reply: FastifyReply, format: RecordFormat, acks: Acks): Promise<void> {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    let tail: Promise<void> = Promise.resolve();
    let lineNo = 0;
    const lineMax = this.config.value.httpRequestBytesMax;
    const handle = (line: string): void => {
      lineNo++;
      const n = lineNo;
      const result = (async (): Promise<string> => {
        try {
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch (e) {
            throw malformed(`line ${n} is not valid JSON (${(e as Error).message}).`);
          }
          const record = toProduceRecord(parsed, format, `line ${n}`);
          const [offset] = await this.produceService.produce(topic, [record], acks);
          return JSON.stringify(offset);
        } catch (e) {
          const d = toDomainError(e);
          if (!d) throw e;
          return JSON.stringify(errorResponse(d).body);
        }
      })();
      tail = tail.then(async () => {
        const text = await result.catch((e: unknown) => JSON.stringify({ error_code: 50001, message: (e as Error).message }));
        if (!out.write(`${text}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      });
    };
    let buffered = '';
    input.setEncoding('utf8');
    for await (const chunk of input as AsyncIterable<string>) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line !== '') handle(line);
      }
      if (buffered.length > lineMax) {
        await tail;
        out.end(`${JSON.stringify({ error_code: 41301, message: `an NDJSON line is longer than ${lineMax} bytes; send one record per line.` })}\n`);
        return;
      }
      await tail;
    }
    if (buffered.trim() !== '') handle(buffered.trim());
    await tail;
    out.end();
  }
}
