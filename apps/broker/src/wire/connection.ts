/**
 * One Kafka client connection: frames in, responses out, in request order.
 *
 * Requests are decoded and handed to their handlers as they arrive (pipelining: a slow Fetch
 * long-poll does not hold up a Metadata request behind it), but each gets a slot in a queue in
 * arrival order, and responses are written only from the head of that queue, so the client sees
 * them in request order as Kafka promises. A null body (Produce with acks=0) fills its slot with
 * nothing. Backpressure: past WIRE_IN_FLIGHT_REQUESTS_MAX unanswered requests, or
 * WIRE_SOCKET_PENDING_BYTES_MAX unsent response bytes, the connection stops reading.
 *
 * Bad input never reaches past this class: a bad frame size, an undecodable header or body, an
 * unknown API key or version closes the connection (as Kafka does, since it cannot answer in a
 * format the client reads), except ApiVersions: at an unknown version it gets the v0 body with
 * UNSUPPORTED_VERSION and the supported ranges, and an undecodable one the same body with
 * INVALID_REQUEST (KIP-511). A handler that throws is a bug: it
 * is logged and the connection closed, never the broker.
 */
import type { Logger } from '@nestjs/common';
import { ApiKey, ErrorCode, FrameReader, decodeRequest, decodeRequestHeader, encodeResponse, encodeResponseChunks, type DecodedRequestHeader } from '@runnel/protocol';
import type { Socket } from 'node:net';
import { WIRE_FRAME_BYTES_MAX, WIRE_IDLE_TIMEOUT_MS, WIRE_IN_FLIGHT_REQUESTS_MAX, WIRE_SOCKET_PENDING_BYTES_MAX } from './constants';
import type { WireConnectionInfo, WireContext, WireHandler, WireHandlerTable } from './handler';
import { apiVersionsBody } from './handlers';
import type { AdvertisedVersion } from './versions';

interface Slot {
  ready: boolean;
  chunks: Buffer[];
}

type AnyHandler = WireHandler<ApiKey>;

export class WireConnection {
  private readonly frames = new FrameReader(WIRE_FRAME_BYTES_MAX);
  private readonly queue: Slot[] = [];
  private closed = false;
  private paused = false;

  constructor(
    private readonly socket: Socket,
    readonly info: WireConnectionInfo,
    private readonly table: WireHandlerTable,
    private readonly versions: ReadonlyMap<number, AdvertisedVersion>,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(WIRE_IDLE_TIMEOUT_MS, () => this.close('idle'));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (e) => this.logger.debug(`connection ${info.id} from ${info.remoteAddress}: ${e.message}`));
    socket.on('close', () => {
      this.closed = true;
    });
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.logger.debug(`closing connection ${this.info.id} from ${this.info.remoteAddress}:${this.info.remotePort}: ${why}`);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (e) {
      this.close(`bad frame: ${(e as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.dispatch(frame);
    }
    if (!this.closed && (this.queue.length >= WIRE_IN_FLIGHT_REQUESTS_MAX || this.socket.writableLength > WIRE_SOCKET_PENDING_BYTES_MAX)) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private dispatch(frame: Buffer): void {
    let header: DecodedRequestHeader;
    try {
      header = decodeRequestHeader(frame);
    } catch (e) {
      this.close(`undecodable request header: ${(e as Error).message}`);
      return;
    }
    const advertised = this.versions.get(header.apiKey);
    const handler = this.table[header.apiKey as keyof WireHandlerTable] as AnyHandler | undefined;
    const served = header.supported && advertised !== undefined && handler !== undefined && header.apiVersion >= advertised.minVersion && header.apiVersion <= advertised.maxVersion;
    if (!served) {
      if (header.apiKey === (ApiKey.ApiVersions as number)) {
        const body = apiVersionsBody(this.table, ErrorCode.UNSUPPORTED_VERSION);
        this.queue.push({ ready: true, chunks: [encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, body)] });
        this.flush();
        return;
      }
      this.close(`unsupported request: api key ${header.apiKey} v${header.apiVersion} (client ${header.clientId ?? '?'})`);
      return;
    }
    const apiKey = header.apiKey as ApiKey;
    let body: unknown;
    try {
      body = decodeRequest(apiKey, header.apiVersion, frame, header.bodyOffset);
    } catch (e) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: a client whose ApiVersions we cannot read still learns what we speak.
        this.queue.push({ ready: true, chunks: [encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, apiVersionsBody(this.table, ErrorCode.INVALID_REQUEST))] });
        this.flush();
        return;
      }
      this.close(`undecodable ${ApiKey[apiKey]} v${header.apiVersion} request: ${(e as Error).message}`);
      return;
    }
    const context: WireContext = { apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId, connection: this.info };
    const slot: Slot = { ready: false, chunks: [] };
    this.queue.push(slot);
    let result: unknown;
    try {
      result = handler(body as never, context);
    } catch (e) {
      this.fail(context, e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (b: unknown) => this.complete(slot, context, b),
        (e: unknown) => this.fail(context, e),
      );
    } else {
      this.complete(slot, context, result);
    }
  }

  private fail(context: WireContext, e: unknown): void {
    this.logger.error(`${ApiKey[context.apiKey]} v${context.apiVersion} handler failed (a bug): ${(e as Error)?.stack ?? String(e)}`);
    this.close('handler failure');
  }

  private complete(slot: Slot, context: WireContext, body: unknown): void {
    if (this.closed) return;
    if (body !== null) {
      try {
        slot.chunks = encodeResponseChunks(context.apiKey, context.apiVersion, context.correlationId, body as never);
      } catch (e) {
        this.fail(context, e);
        return;
      }
    }
    slot.ready = true;
    this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    let corked = false;
    while (this.queue.length > 0 && this.queue[0]!.ready) {
      const slot = this.queue.shift()!;
      if (slot.chunks.length === 0) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      for (const chunk of slot.chunks) this.socket.write(chunk);
    }
    if (corked) this.socket.uncork();
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.paused && !this.closed && this.queue.length < WIRE_IN_FLIGHT_REQUESTS_MAX && this.socket.writableLength <= WIRE_SOCKET_PENDING_BYTES_MAX) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
