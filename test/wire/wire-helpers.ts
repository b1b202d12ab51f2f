/**
 * Helpers for the wire tests: a kcat runner, and a raw Kafka client over a socket that sends
 * encodeRequest frames and reads responses in order (for Fetch tests and malformed input).
 */
import { execFile } from 'node:child_process';
import { Socket, connect } from 'node:net';
import { ApiKey, FrameReader, RequestBodies, ResponseBodies, decodeResponse, encodeRequest } from '@runnel/protocol';

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kcat with `args` against `port`, feeding `input` on stdin. */
export function kcat(port: number, args: string[], input = '', timeoutMs = 30_000): Promise<KcatResult> {
  return new Promise((resolve) => {
    const child = execFile('kcat', ['-b', `127.0.0.1:${port}`, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

/** A raw client: one socket, requests written as given, responses read as frames in order. */
export class RawClient {
  private readonly frames = new FrameReader();
  private readonly received: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private ended = false;
  private correlation = 1;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.frames.push(chunk)) this.received.push(f);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get closed(): boolean {
    return this.ended;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request; returns its correlation id. */
  send<K extends ApiKey>(apiKey: K, version: number, body: RequestBodies[K], clientId = 'raw-test'): number {
    const id = this.correlation++;
    this.socket.write(encodeRequest(apiKey, version, id, clientId, body));
    return id;
  }

  /** The next response frame (without size prefix), or null when the connection closed first. */
  async nextFrame(timeoutMs = 20_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      if (this.ended) return null;
      if (Date.now() > deadline) throw new Error('no response in time');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.received.shift()!;
  }

  async request<K extends ApiKey>(apiKey: K, version: number, body: RequestBodies[K]): Promise<ResponseBodies[K]> {
    const id = this.send(apiKey, version, body);
    const frame = await this.nextFrame();
    if (frame === null) throw new Error(`connection closed before the ${ApiKey[apiKey]} response`);
    const r = decodeResponse(apiKey, version, frame);
    if (r.correlationId !== id) throw new Error(`correlation ${r.correlationId} != ${id}`);
    return r.body;
  }

  /** Resolves true once the server closed the connection (within the timeout). */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}
