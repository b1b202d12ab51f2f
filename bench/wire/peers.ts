/**
 * The peers: NATS JetStream and Redis Streams on loopback, each in a temp dir, each driven by its
 * fastest client, with the same work as our lean generator (100-byte records, pipelined).
 *
 * NATS: `nats-server -js` (file storage). The publisher speaks the NATS text protocol over raw
 * sockets: CONNECT, one SUB for the ack inbox, then pipelined `PUB bench.s <inbox> 100` commands
 * to a subject of the stream; JetStream answers each stored message with a `+ACK`-style JSON reply
 * (`{"stream":..,"seq":..}`) on the inbox, which we count. A window bounds the messages in flight
 * per connection (the async-ack pattern of the official clients, without their per-message
 * bookkeeping): the comparison is between servers, not between Node client libraries.
 *
 * Redis: `redis-server --appendonly yes --appendfsync everysec`, driven by `redis-benchmark`
 * pipelining `XADD bench * v <100 bytes>` (one record per XADD).
 */
import type { Socket } from 'node:net';
import { note } from '../common';
import { Child, LOOPBACK, connect, ensureInstalled, freePort, nowSeconds, runBounded, startChild, tempDir } from './common';

export const RECORD_BYTES = 100;
const CRLF = '\r\n';
/** Messages written per socket write (one prebuilt buffer). */
const NATS_CHUNK_MESSAGES = 256;
/** Acks outstanding per connection before the publisher waits. */
const NATS_WINDOW_MESSAGES = 8_192;
const NATS_STREAM = 'BENCH';
const NATS_SUBJECT = 'bench.s';
const NATS_INBOX = '_INBOX.bench';
/** Waiting for the last acks after the deadline. */
const DRAIN_TIMEOUT_MS = 10_000;

export function installPeers(): void {
  ensureInstalled(['nats-server', 'redis-server', 'redis-benchmark'], ['nats-server', 'redis-server', 'redis-tools']);
}

export interface PeerServer {
  port: number;
  child: Child;
  stop(): Promise<void>;
}

export async function startNats(): Promise<PeerServer> {
  const port = await freePort();
  const dir = tempDir('bench-nats-');
  const child = await startChild('nats-server', ['-a', LOOPBACK, '-p', String(port), '-js', '-sd', dir], /Server is ready/, 20_000);
  return { port, child, stop: () => child.stop() };
}

export async function startRedis(): Promise<PeerServer> {
  const port = await freePort();
  const dir = tempDir('bench-redis-');
  const child = await startChild(
    'redis-server',
    ['--port', String(port), '--bind', LOOPBACK, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no'],
    /Ready to accept connections/,
    20_000,
  );
  return { port, child, stop: () => child.stop() };
}

/** One NATS connection: parses the server's stream just enough to count replies on the inbox. */
class NatsConnection {
  private pending = '';
  acked = 0;
  errors = 0;
  lastError = '';
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => this.onData(data));
  }

  static async open(port: number): Promise<NatsConnection> {
    const socket = await connect(port);
    const connection = new NatsConnection(socket);
    socket.write(`CONNECT {"verbose":false,"pedantic":false,"headers":false,"echo":false,"protocol":1,"name":"runnel-bench"}${CRLF}`);
    socket.write(`SUB ${NATS_INBOX}.* 1${CRLF}`);
    await connection.ping();
    return connection;
  }

  /** Round trip: resolves when the server has processed everything written before it. */
  async ping(): Promise<void> {
    const pong = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.socket.write(`PING${CRLF}`);
    await pong;
  }

  /** A JetStream API request; resolves with the reply payload. */
  async request(subject: string, payload: string): Promise<string> {
    const reply = new Promise<string>((resolve) => (this.onReply = resolve));
    this.socket.write(`PUB ${subject} ${NATS_INBOX}.api ${Buffer.byteLength(payload)}${CRLF}${payload}${CRLF}`);
    return reply;
  }

  private onReply: ((payload: string) => void) | null = null;

  write(buffer: Buffer): boolean {
    return this.socket.write(buffer);
  }

  onDrain(): Promise<void> {
    return new Promise((resolve) => this.socket.once('drain', resolve));
  }

  private ackWaiter: (() => void) | null = null;

  /** Resolves at the next reply (or at once when none is outstanding). */
  nextAck(): Promise<void> {
    return new Promise((resolve) => (this.ackWaiter = resolve));
  }

  private onData(data: string): void {
    this.pending += data;
    let at = 0;
    for (;;) {
      const end = this.pending.indexOf(CRLF, at);
      if (end < 0) break;
      const line = this.pending.slice(at, end);
      if (line.startsWith('MSG ')) {
        const size = Number(line.slice(line.lastIndexOf(' ') + 1));
        if (this.pending.length < end + 2 + size + 2) break;
        const payload = this.pending.slice(end + 2, end + 2 + size);
        const subject = line.slice(4, line.indexOf(' ', 4));
        at = end + 2 + size + 2;
        if (subject.endsWith('.api')) {
          this.onReply?.(payload);
          this.onReply = null;
        } else if (payload.includes('"seq"')) {
          this.acked++;
        } else {
          this.errors++;
          this.lastError = payload;
        }
        continue;
      }
      at = end + 2;
      if (line === 'PING') this.socket.write(`PONG${CRLF}`);
      else if (line === 'PONG') this.waiters.shift()?.();
      else if (line.startsWith('-ERR')) {
        this.errors++;
        this.lastError = line;
      }
    }
    this.pending = this.pending.slice(at);
    const waiter = this.ackWaiter;
    this.ackWaiter = null;
    waiter?.();
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface ProduceFigures {
  records: number;
  seconds: number;
  recordsPerSecond: number;
}

/** Creates the JetStream stream (file storage, JetStream's defaults otherwise). */
async function createStream(port: number): Promise<void> {
  const connection = await NatsConnection.open(port);
  try {
    const config = JSON.stringify({ name: NATS_STREAM, subjects: ['bench.>'], storage: 'file', retention: 'limits', discard: 'old', num_replicas: 1 });
    const reply = await connection.request(`$JS.API.STREAM.CREATE.${NATS_STREAM}`, config);
    if (reply.includes('"error"')) throw new Error(`JetStream stream create failed: ${reply}`);
  } finally {
    connection.close();
  }
}

/**
 * Publishes 100-byte messages on `connections` sockets until `durationMs` passes or `recordsMax`
 * are acked; counts only acked messages, over the time until the last ack.
 */
export async function natsProduce(port: number, connections: number, durationMs: number, recordsMax: number): Promise<ProduceFigures> {
  await createStream(port);
  const payload = Buffer.alloc(RECORD_BYTES, 'x');
  const chunk = Buffer.concat(
    Array.from({ length: NATS_CHUNK_MESSAGES }, () => Buffer.concat([Buffer.from(`PUB ${NATS_SUBJECT} ${NATS_INBOX}.a ${RECORD_BYTES}${CRLF}`), payload, Buffer.from(CRLF)])),
  );
  const sockets = await Promise.all(Array.from({ length: connections }, () => NatsConnection.open(port)));
  const perConnectionMax = Math.ceil(recordsMax / connections);
  const start = nowSeconds();
  const deadline = start + durationMs / 1000;
  await Promise.all(
    sockets.map(async (c) => {
      let sent = 0;
      while (nowSeconds() < deadline && sent < perConnectionMax && c.errors === 0) {
        if (sent - c.acked + NATS_CHUNK_MESSAGES > NATS_WINDOW_MESSAGES) {
          await c.nextAck();
          continue;
        }
        sent += NATS_CHUNK_MESSAGES;
        if (!c.write(chunk)) await c.onDrain();
      }
      const drainDeadline = nowSeconds() + DRAIN_TIMEOUT_MS / 1000;
      while (c.acked + c.errors < sent && nowSeconds() < drainDeadline) {
        await Promise.race([c.nextAck(), new Promise((r) => setTimeout(r, 100))]);
      }
    }),
  );
  const seconds = nowSeconds() - start;
  const records = sockets.reduce((sum, c) => sum + c.acked, 0);
  const failed = sockets.find((c) => c.errors > 0);
  for (const c of sockets) c.close();
  if (failed !== undefined) note(`NATS publish errors: ${failed.errors} (${failed.lastError.slice(0, 200)})`);
  return { records, seconds, recordsPerSecond: records / seconds };
}

/**
 * `redis-benchmark` pipelining XADD of one 100-byte field. It reports requests/s itself; we also
 * check XLEN so every counted request really stored a record.
 */
export async function redisProduce(port: number, clients: number, pipeline: number, records: number, timeoutMs: number): Promise<ProduceFigures> {
  const value = 'x'.repeat(RECORD_BYTES);
  const start = nowSeconds();
  const out = await runBounded(
    'redis-benchmark',
    ['-h', LOOPBACK, '-p', String(port), '-c', String(clients), '-P', String(pipeline), '-n', String(records), '--csv', 'XADD', 'bench', '*', 'v', value],
    timeoutMs,
  );
  const seconds = nowSeconds() - start;
  // --csv: a header line, then "name","rps",...
  const row = out
    .trim()
    .split('\n')
    .map((l) => l.split(',').map((f) => f.replace(/"/g, '')))
    .find((fields) => fields[0]?.startsWith('XADD'));
  const reported = Number(row?.[1]);
  const length = Number((await runBounded('redis-cli', ['-h', LOOPBACK, '-p', String(port), 'XLEN', 'bench'], 10_000)).trim());
  // redis-benchmark rounds the request count up to whole pipelines: the stream may hold a few more.
  if (!(length >= records && length < records + clients * pipeline)) throw new Error(`redis stream has ${length} records after ${records} XADDs`);
  return { records: length, seconds, recordsPerSecond: Number.isFinite(reported) && reported > 0 ? reported : length / seconds };
}
