/**
 * Clients for the live door tests: a WebSocket client that queues frames and waits for the ones a
 * test expects, and an SSE reader over fetch that parses events as a browser's EventSource does.
 */
import WebSocket from 'ws';
import { post } from '../helpers/broker';

/** Generous bound on waits: a test fails only if something never arrives, not on speed. */
export const WAIT_MS = 20_000;

export type Frame = Record<string, any>;

export class WsClient {
  readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | null = null;
  closeReason = '';
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse((data as Buffer).toString()) as Frame);
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.notify();
        resolve(code);
      }),
    );
  }

  static open(baseUrl: string, query = '', options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws${query}`, options);
    const client = new WsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits for (and removes) the first frame matching `pred`. */
  async next(pred: (f: Frame) => boolean, what = 'a frame'): Promise<Frame> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (this.closeCode !== null) throw new Error(`connection closed (${this.closeCode} ${this.closeReason}) while waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${WAIT_MS} ms; frames: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  reply(type: string, id?: string): Promise<Frame> {
    return this.next((f) => f.type === type && (id === undefined || f.id === id), `a "${type}" frame${id ? ` for ${id}` : ''}`);
  }

  /** Collects records of subscription `id` until `count` have arrived. */
  async records(id: string, count: number): Promise<Frame[]> {
    const out: Frame[] = [];
    while (out.length < count) {
      const f = await this.next((x) => x.type === 'records' && x.id === id, `records for ${id} (${out.length}/${count} so far)`);
      out.push(...(f.records as Frame[]));
    }
    return out;
  }

  close(): Promise<number> {
    if (this.closeCode === null) this.ws.close();
    return this.closed;
  }
}

export async function createTopic(url: string, name: string, partitions: number): Promise<void> {
  const res = await post(`${url}/admin/topics`, { name, partitions });
  if (res.status !== 201) throw new Error(`create topic ${name}: ${res.status} ${await res.text()}`);
}

export async function produce(url: string, topic: string, records: unknown[]): Promise<{ partition: number; offset: number }[]> {
  const res = await post(`${url}/topics/${topic}/records`, { records });
  const body = (await res.json()) as { offsets: { partition: number; offset: number }[] };
  if (res.status !== 200) throw new Error(`produce: ${res.status} ${JSON.stringify(body)}`);
  return body.offsets;
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  comments: string[];
}

/** Reads an SSE response the way EventSource does (id, event, data fields; comments kept for tests). */
export class SseReader {
  readonly events: SseEvent[] = [];
  /** The last `id:` seen, as EventSource's lastEventId (set even by events without data). */
  lastEventId = '';
  readonly comments: string[] = [];
  private buffer = '';
  private waiters: (() => void)[] = [];
  done = false;
  private readonly controller = new AbortController();
  status = 0;
  contentType = '';

  async open(url: string, headers: Record<string, string> = {}): Promise<void> {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: this.controller.signal });
    this.status = res.status;
    this.contentType = res.headers.get('content-type') ?? '';
    if (!res.ok || !res.body) {
      this.buffer = await res.text();
      this.done = true;
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.buffer += decoder.decode(value, { stream: true });
          this.parse();
        }
      } catch {
        // aborted
      }
      this.done = true;
      this.notify();
    })();
  }

  get errorBody(): string {
    return this.buffer;
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) break;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const ev: SseEvent = { id: undefined, event: 'message', data: '', comments: [] };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          ev.comments.push(line.slice(1).trim());
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') ev.id = value;
        else if (field === 'event') ev.event = value;
        else if (field === 'data') data.push(value);
      }
      ev.data = data.join('\n');
      if (ev.id !== undefined) this.lastEventId = ev.id;
      if (ev.data !== '') this.events.push(ev);
    }
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `pred` holds. */
  async until(pred: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!pred()) {
      if (this.done) throw new Error(`stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${WAIT_MS} ms (${this.events.length} events)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  records(): Frame[] {
    return this.events.filter((e) => e.event === 'record').map((e) => JSON.parse(e.data) as Frame);
  }

  close(): void {
    this.controller.abort();
  }
}
