/**
 * The contract between the wire listener and the per-API handlers: a handler turns one decoded
 * request into one response body (or null for no response: Produce with acks=0). Handlers only
 * translate; the semantics live in the core services.
 */
import type { ApiKey, RequestBodies, ResponseBodies } from '@runnel/protocol';

export interface WireConnectionInfo {
  /** Process-unique id of the TCP connection (for logs and per-connection state). */
  id: number;
  remoteAddress: string;
  remotePort: number;
}

export interface WireContext {
  apiKey: ApiKey;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connection: WireConnectionInfo;
}

export type WireHandler<K extends keyof RequestBodies & keyof ResponseBodies> = (
  request: RequestBodies[K],
  context: WireContext,
) => ResponseBodies[K] | null | Promise<ResponseBodies[K] | null>;

/** Handlers by API key; an API without a handler is not advertised in ApiVersions. */
export type WireHandlerTable = { [K in keyof RequestBodies & keyof ResponseBodies]?: WireHandler<K> };
