import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { DomainError, DomainErrorKind, invalid } from '../core/errors';
import { parseFormat } from '../core/record-format';
import { SESSION_TIMEOUT_MS_DEFAULT, SSE_KEEP_ALIVE_MS, SSE_RETRY_MS, SSE_STREAMS_MAX } from './constants';
import { LiveCore } from './live-core.service';
import type { LiveChunk } from './live-reader';
import { Feed, Pump, Sink } from './pump';
import { parseCursor, parseFromQuery, parsePartitionsQuery } from './parsers';
import { LiveSubscription } from './subscription';

/** Shortest and longest keep-alive period a client may ask for with `keep_alive_ms`. */
const KEEP_ALIVE_MS_MIN = 100;
const KEEP_ALIVE_MS_MAX = 60_000;

/**
 * One SSE stream: a LiveSubscription whose records become `id: <cursor>`, `event: record`,
 * `data: <record JSON>` events. The cursor is the next offset of every partition of the stream
 * after that record, so an EventSource that reconnects with it (Last-Event-ID) starts exactly after
 * the last record it saw. The starting cursor (and each new group assignment) goes out as an
 * event with only an `id:` line: a browser records it as its last event id without firing an
 * event, so a reconnect before the first record resumes with no gap either.
 */
class SseStream implements Sink {
  readonly pump: Pump;
  subscription!: LiveSubscription;
  private closedFlag = false;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: LiveCore,
    private readonly res: ServerResponse,
    private readonly onClosed: (s: SseStream) => void,
  ) {
    this.pump = new Pump(core, this, () => this.subscription.feeds.values());
  }

  get stream(): ServerResponse {
    return this.res;
  }

  /** The response's queue; on Node 20 its writableLength already includes the socket's. */
  readonly bufferedBytes = (): number => this.res.writableLength;
  get closed(): boolean {
    return this.closedFlag || this.res.destroyed || this.res.writableEnded;
  }

  /** Every partition's next offset, by partition order: `0:13,1:5`. */
  private cursorParts(except: Feed | null): { before: string; after: string; partition: number } {
    const feeds = [...this.subscription.feeds.values()].sort((a, b) => a.partition - b.partition);
    const before: string[] = [];
    const after: string[] = [];
    for (const f of feeds) {
      if (f === except) continue;
      (except !== null && f.partition > except.partition ? after : before).push(`${f.partition}:${f.position}`);
    }
    return { before: before.join(','), after: after.join(','), partition: except?.partition ?? -1 };
  }

  cursor(): string {
    return this.cursorParts(null).before;
  }

  deliver(feed: Feed, chunk: LiveChunk): void {
    const { before, after } = this.cursorParts(feed);
    const head = before === '' ? '' : `${before},`;
    const tail = after === '' ? '' : `,${after}`;
    let text = '';
    for (let i = 0; i < chunk.records.length; i++) {
      text += `id: ${head}${feed.partition}:${chunk.offsets[i]! + 1n}${tail}\nevent: record\ndata: ${chunk.records[i]}\n\n`;
    }
    // Records removed by compaction or control batches can move the position past the last record.
    if (chunk.nextOffset > chunk.offsets[chunk.offsets.length - 1]! + 1n) text += `id: ${head}${feed.partition}:${chunk.nextOffset}${tail}\n\n`;
    this.res.write(text);
    this.core.metrics.fetched(feed.topic, 'sse', chunk.records.length, chunk.bytes);
  }

  write(text: string): void {
    if (!this.closed) this.res.write(text);
  }

  startKeepAlive(periodMs: number): void {
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), periodMs);
    this.keepAlive.unref();
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.keepAlive);
    this.core.buffered.delete(this.bufferedBytes);
    this.subscription?.close();
    if (!this.res.writableEnded) this.res.end();
    this.onClosed(this);
  }
}

/** `GET /topics/{topic}/events`: Server-Sent Events (shared/spec/live-protocol.md). */
@ApiTags('live')
@Controller()
export class SseController {
  private readonly streams = new Set<SseStream>();

  constructor(private readonly core: LiveCore) {
    core.engine.onClosing(() => {
      for (const s of [...this.streams]) s.close();
    });
  }

  @Get('topics/:topic/events')
  @ApiParam({ name: 'topic', type: String, example: 'orders' })
  @ApiOperation({
    summary: 'Live records of a topic as Server-Sent Events',
    description:
      'Each record is one event: `id: <cursor>` (the next offset of every partition, e.g. `0:13,1:5`), `event: record`, `data: <record JSON>`. ' +
      'Reconnect with `Last-Event-ID` (EventSource does) or `?last_event_id=` to resume with no gap and no repeat. Comment lines keep idle streams alive.',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'from', required: false, description: 'earliest | latest (default) | <offset> | timestamp:<ms>' })
  @ApiQuery({ name: 'partitions', required: false, description: 'comma-separated partitions (default all); not with group' })
  @ApiQuery({ name: 'group', required: false, description: 'read as a member of this consumer group (auto-commit)' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'string', 'binary'] })
  @ApiQuery({ name: 'last_event_id', required: false, description: 'a cursor to resume after (as the Last-Event-ID header)' })
  @ApiQuery({ name: 'keep_alive_ms', required: false, description: `keep-alive comment period (default ${SSE_KEEP_ALIVE_MS})` })
  events(
    @Param('topic') topic: string,
    @Query() query: Record<string, string | undefined>,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    if (this.streams.size >= SSE_STREAMS_MAX) throw new DomainError(DomainErrorKind.TooManyRequests, `the broker holds ${SSE_STREAMS_MAX} event streams, its limit; try again later.`);
    const group = query.group === undefined || query.group === '' ? null : query.group;
    let partitions: number[] | null = null;
    if (query.partitions !== undefined && query.partitions !== '') {
      if (group !== null) throw invalid('partitions cannot be combined with group: a group assigns the partitions.');
      partitions = parsePartitionsQuery(query.partitions);
    }
    const lastEventId = lastEventIdHeader || query.last_event_id || '';
    let keepAliveMs = SSE_KEEP_ALIVE_MS;
    if (query.keep_alive_ms !== undefined) {
      keepAliveMs = Number(query.keep_alive_ms);
      if (!Number.isSafeInteger(keepAliveMs) || keepAliveMs < KEEP_ALIVE_MS_MIN || keepAliveMs > KEEP_ALIVE_MS_MAX) throw invalid(`keep_alive_ms must be an integer from ${KEEP_ALIVE_MS_MIN} to ${KEEP_ALIVE_MS_MAX}.`);
    }
    const spec = {
      topics: [topic],
      partitions,
      from: parseFromQuery(query.from),
      group,
      autoCommit: true,
      format: parseFormat(query.format),
      resume: lastEventId === '' ? null : parseCursor(topic, lastEventId),
    };
    const res = reply.raw;
    const stream = new SseStream(this.core, res, (s) => this.streams.delete(s));
    stream.subscription = new LiveSubscription(
      this.core,
      spec,
      {
        deliver: (feed, chunk) => stream.deliver(feed, chunk),
        assignment: () => stream.write(`id: ${stream.cursor()}\n\n`),
        error: (e) => stream.write(`event: error\ndata: ${JSON.stringify(this.core.errorFrame(e))}\n\n`),
        wake: () => stream.pump.wake(),
      },
      { name: `sse-${randomUUID()}`, clientHost: reply.request.ip, clientKind: 'http', sessionTimeoutMs: SESSION_TIMEOUT_MS_DEFAULT },
    );
    // Throws (404, 416, 422) before anything is written: the error filter answers in JSON.
    stream.subscription.start();
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const cursor = stream.cursor();
    res.write(`: runnel ${topic}\nretry: ${SSE_RETRY_MS}\n${cursor === '' ? '' : `id: ${cursor}\n`}\n`);
    this.streams.add(stream);
    this.core.buffered.add(stream.bufferedBytes);
    stream.startKeepAlive(keepAliveMs);
    res.on('close', () => stream.close());
    stream.pump.wake();
  }
}
