import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { DomainError, DomainErrorKind, invalid, malformed } from '../core/errors';
import { parseAcks } from '../core/produce.service';
import { parseFormat, toProduceRecords } from '../core/record-format';
import {
  FRAME_IN_BYTES_MAX,
  PINGS_PER_SESSION,
  PRODUCE_RECORDS_PER_FRAME_MAX,
  REQUEST_ID_CHARS_MAX,
  SUBSCRIPTIONS_PER_CONNECTION_MAX,
  TOPICS_PER_SUBSCRIPTION_MAX,
} from './constants';
import type { LiveCore } from './live-core.service';
import { Feed, Pump, Sink } from './pump';
import { nonNegativeInteger, parseFrom, parsePartitions } from './parsers';
import { LiveSubscription, PositionJson } from './subscription';

/** WebSocket close codes (RFC 6455). */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** Close reasons are short fixed ASCII (a close frame holds at most 123 bytes of reason). */
export const CLOSE_REASONS: Record<number, string> = {
  [CLOSE_GOING_AWAY]: 'broker shutting down',
  [CLOSE_INVALID_PAYLOAD]: 'frame is not JSON',
  [CLOSE_POLICY]: 'bad connection parameters',
  [CLOSE_TOO_BIG]: 'frame too large',
  [CLOSE_TRY_AGAIN_LATER]: 'too many connections',
};

type Frame = Record<string, unknown>;

function optionalString(frame: Frame, field: string): string | undefined {
  const v = frame[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > REQUEST_ID_CHARS_MAX) throw invalid(`${field} must be a non-empty string of at most ${REQUEST_ID_CHARS_MAX} characters.`);
  return v;
}

function requiredString(frame: Frame, field: string, op: string): string {
  const v = optionalString(frame, field);
  if (v === undefined) throw invalid(`${field} is required for op "${op}".`);
  return v;
}

function parseTopics(frame: Frame): string[] {
  const one = frame.topic;
  const many = frame.topics;
  if (one !== undefined && many !== undefined) throw invalid('give either topic or topics, not both.');
  if (many !== undefined) {
    if (!Array.isArray(many) || many.length === 0 || many.some((t) => typeof t !== 'string' || t.length === 0)) throw invalid('topics must be a non-empty array of topic names.');
    if (many.length > TOPICS_PER_SUBSCRIPTION_MAX) throw invalid(`topics names ${many.length} topics; at most ${TOPICS_PER_SUBSCRIPTION_MAX} per subscription.`);
    return [...new Set(many as string[])];
  }
  if (typeof one !== 'string' || one.length === 0) throw invalid('topic is required for op "subscribe" (or topics: [...]).');
  return [one];
}

function parseCommitOffsets(v: unknown): PositionJson[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v)) throw invalid('offsets must be an array of {"topic", "partition", "offset"}.');
  return v.map((o: unknown, i) => {
    if (typeof o !== 'object' || o === null) throw invalid(`offsets[${i}] must be an object {"topic", "partition", "offset"}.`);
    const r = o as Record<string, unknown>;
    if (typeof r.topic !== 'string' || r.topic.length === 0) throw invalid(`offsets[${i}].topic must be a topic name.`);
    return { topic: r.topic, partition: Number(nonNegativeInteger(r.partition, `offsets[${i}].partition`)), offset: Number(nonNegativeInteger(r.offset, `offsets[${i}].offset`)) };
  });
}

/**
 * One WebSocket client: its subscriptions, its pump (log -> socket, at the client's pace), its
 * liveness (pings) and its request handling. Every request frame gets an answer; a bad one gets an
 * error frame naming the problem and the connection stays open, except for a frame that is not
 * JSON (1007) or too large (1009), after which the stream cannot be trusted.
 */
export class WsConnection implements Sink {
  readonly id = randomUUID();
  private readonly subscriptions = new Map<string, LiveSubscription>();
  private readonly pump: Pump;
  private lastSeenMs = Date.now();
  private readonly pingTimer: NodeJS.Timeout;
  private closedFlag = false;

  constructor(
    private readonly core: LiveCore,
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly sessionTimeoutMs: number,
    private readonly onClosed: (c: WsConnection) => void,
  ) {
    this.pump = new Pump(core, this, () => this.allFeeds());
    ws.on('message', (data: WebSocket.RawData) => this.onMessage(data));
    ws.on('pong', () => (this.lastSeenMs = Date.now()));
    ws.on('close', () => this.cleanup());
    // A client's protocol error (a frame above maxPayload, bad masking) is the client's problem:
    // replace the adapter's error-level logging with a debug line; ws closes the socket itself.
    ws.removeAllListeners('error');
    ws.on('error', (e: Error) => {
      core.logger.debug(`live connection ${this.id}: ${e.message}`);
      this.cleanup();
    });
    this.pingTimer = setInterval(() => this.checkAlive(), Math.max(1, Math.floor(sessionTimeoutMs / PINGS_PER_SESSION)));
    this.pingTimer.unref();
    core.buffered.add(this.bufferedBytes);
  }

  // Sink
  get stream(): Socket {
    return this.socket;
  }
  readonly bufferedBytes = (): number => this.ws.bufferedAmount;
  get closed(): boolean {
    return this.closedFlag || this.ws.readyState !== WebSocket.OPEN;
  }

  private *allFeeds(): Iterable<Feed> {
    for (const s of this.subscriptions.values()) yield* s.feeds.values();
  }

  /** A client silent for a whole session timeout (no pong, no frame) is dead: terminate it. */
  private checkAlive(): void {
    if (this.closed) return;
    if (Date.now() - this.lastSeenMs > this.sessionTimeoutMs) {
      this.core.logger.log(`live connection ${this.id} silent for ${this.sessionTimeoutMs} ms: terminated`);
      this.ws.terminate();
      this.cleanup();
      return;
    }
    this.ws.ping();
  }

  send(frame: object): void {
    if (this.closed) return;
    this.ws.send(JSON.stringify(frame));
  }

  sendError(id: string | undefined, error: unknown): void {
    this.send(this.core.errorFrame(error, id));
  }

  /** Closes with an error frame first (the client learns why), then the close code. */
  closeWith(code: number, error: DomainError): void {
    this.sendError(undefined, error);
    this.ws.close(code, CLOSE_REASONS[code] ?? 'closing');
    this.cleanup();
  }

  private onMessage(data: WebSocket.RawData): void {
    this.lastSeenMs = Date.now();
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length > FRAME_IN_BYTES_MAX) {
      this.closeWith(CLOSE_TOO_BIG, new DomainError(DomainErrorKind.TooLarge, `the frame has ${buf.length} bytes; at most ${FRAME_IN_BYTES_MAX}. Send fewer records per produce op.`));
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      this.closeWith(CLOSE_INVALID_PAYLOAD, malformed(`the frame is not JSON (${(e as Error).message}); send one JSON object per text frame.`));
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.sendError(undefined, invalid('a frame must be a JSON object {"op": ..., "id": ...}.'));
      return;
    }
    const f = frame as Frame;
    let id: string | undefined;
    try {
      id = optionalString(f, 'id');
    } catch (e) {
      this.sendError(undefined, e);
      return;
    }
    this.handle(f, id).catch((e: unknown) => this.sendError(id, e));
  }

  private async handle(f: Frame, id: string | undefined): Promise<void> {
    switch (f.op) {
      case 'subscribe':
        return this.subscribe(f, requiredString(f, 'id', 'subscribe'));
      case 'unsubscribe':
        return this.unsubscribe(requiredString(f, 'id', 'unsubscribe'));
      case 'commit':
        return this.commit(f, requiredString(f, 'id', 'commit'));
      case 'produce':
        return this.produce(f, id);
      case 'ping':
        return this.send(id === undefined ? { type: 'pong' } : { type: 'pong', id });
      case undefined:
        throw invalid('op is required: one of subscribe, unsubscribe, commit, produce, ping.');
      default:
        throw invalid(`unknown op ${JSON.stringify(f.op)}; use one of subscribe, unsubscribe, commit, produce, ping.`);
    }
  }

  private subscribe(f: Frame, id: string): void {
    if (this.subscriptions.has(id)) throw new DomainError(DomainErrorKind.AlreadySubscribed, `subscription "${id}" already exists on this connection; unsubscribe it first or pick another id.`);
    if (this.subscriptions.size >= SUBSCRIPTIONS_PER_CONNECTION_MAX) {
      throw new DomainError(DomainErrorKind.TooManyRequests, `this connection holds ${SUBSCRIPTIONS_PER_CONNECTION_MAX} subscriptions, the most allowed; unsubscribe one first.`);
    }
    const topics = parseTopics(f);
    const group = optionalString(f, 'group') ?? null;
    const partitions = parsePartitions(f.partitions);
    if (group !== null && partitions !== null) throw invalid('partitions cannot be combined with group: a group assigns the partitions.');
    if (f.auto_commit !== undefined && typeof f.auto_commit !== 'boolean') throw invalid('auto_commit must be true or false.');
    const spec = {
      topics,
      partitions,
      from: parseFrom(f.from),
      group,
      autoCommit: f.auto_commit !== false,
      format: parseFormat(f.format),
      resume: null,
    };
    const idJson = JSON.stringify(id);
    const sub = new LiveSubscription(
      this.core,
      spec,
      {
        deliver: (feed, chunk) => {
          if (this.closed) return;
          this.ws.send(chunk.frame(idJson), { binary: false });
          this.core.metrics.fetched(feed.topic, 'ws', chunk.records.length, chunk.bytes);
        },
        assignment: (revoked, assigned) => this.send({ type: 'assignment', id, revoked, assigned }),
        error: (e) => this.sendError(id, e),
        wake: () => this.pump.wake(),
      },
      { name: `${this.id}.${id.replace(/[^A-Za-z0-9._-]/g, '_')}`, clientHost: this.socket.remoteAddress ?? 'ws', clientKind: 'ws', sessionTimeoutMs: this.sessionTimeoutMs },
    );
    const assignment = sub.start();
    this.subscriptions.set(id, sub);
    // `subscribed` goes out before any `records` of the subscription (the pump runs in a microtask).
    this.send({ type: 'subscribed', id, assignment });
  }

  private unsubscribe(id: string): void {
    const sub = this.subscriptions.get(id);
    if (!sub) throw new DomainError(DomainErrorKind.InstanceNotFound, `no subscription "${id}" on this connection.`);
    this.subscriptions.delete(id);
    sub.close();
    this.send({ type: 'unsubscribed', id });
  }

  private async commit(f: Frame, id: string): Promise<void> {
    const sub = this.subscriptions.get(id);
    if (!sub) throw new DomainError(DomainErrorKind.InstanceNotFound, `no subscription "${id}" on this connection; commit with the id of a group subscription.`);
    const offsets = await sub.commit(parseCommitOffsets(f.offsets));
    this.send({ type: 'committed', id, offsets });
  }

  private async produce(f: Frame, id: string | undefined): Promise<void> {
    const topic = requiredString(f, 'topic', 'produce');
    if (!Array.isArray(f.records)) throw invalid('records is required for op "produce": an array of records {"key"?, "value"?, "headers"?, "partition"?, "timestamp"?}.');
    // The REST route's values; a JSON frame may also give 1, 0 or -1 as numbers.
    if (f.acks !== undefined && typeof f.acks !== 'string' && typeof f.acks !== 'number') throw invalid('acks must be "all", "-1", "1" or "0".');
    const acks = parseAcks(f.acks === undefined ? undefined : String(f.acks));
    const records = toProduceRecords({ records: f.records }, parseFormat(f.format), PRODUCE_RECORDS_PER_FRAME_MAX);
    const offsets = await this.core.produceService.produce(topic, records, acks);
    this.send(id === undefined ? { type: 'produced', offsets } : { type: 'produced', id, offsets });
  }

  /** Ends everything the connection holds: subscriptions (group members leave now), timers. */
  cleanup(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.pingTimer);
    this.core.buffered.delete(this.bufferedBytes);
    for (const sub of this.subscriptions.values()) sub.close();
    this.subscriptions.clear();
    this.onClosed(this);
  }
}
