/**
 * The public face of the generated codecs: whole requests and responses, headers included.
 *
 * Framing: `encodeRequest`/`encodeResponse` return a complete frame, the 4-byte size prefix
 * included, ready for `socket.write`. The decoders take a frame WITHOUT its size prefix, as the
 * FrameReader returns them. Decoded `bytes`/`records` fields are views of the frame buffer.
 *
 * Headers: request header v2 for flexible request versions, v1 otherwise (v0 is only used by
 * ControlledShutdown v0, which is not generated); response header v1 for flexible versions, v0
 * otherwise, except ApiVersions whose response header is always v0 (KIP-511: a client must be
 * able to read it before it knows which versions the broker speaks).
 */
import { ProtocolError } from './errors';
import {
  API_CODECS,
  ApiCodec,
  ApiKey,
  RequestBodies,
  ResponseBodies,
  readRequestHeader,
  readResponseHeader,
  writeRequestHeader,
  writeResponseHeader,
} from './generated';
import { Reader } from './reader';
import { Writer } from './writer';
import { FRAME_SIZE_PREFIX_BYTES, GATHER_BYTES_MIN_DEFAULT, WRITER_INITIAL_BYTES } from './constants';

const CODECS_BY_KEY: readonly (ApiCodec | undefined)[] = (() => {
  const table: (ApiCodec | undefined)[] = [];
  for (const codec of API_CODECS) {
    if (table[codec.apiKey] !== undefined) throw new Error(`duplicate codec for api key ${codec.apiKey}`);
    table[codec.apiKey] = codec;
  }
  return table;
})();

/** An API this build serves, with the versions it can encode and decode. */
export interface SupportedVersions {
  readonly apiKey: ApiKey;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** Version ranges from scripts/protocol-gen/apis.json, by API key (the rows of an ApiVersions response). */
export const SUPPORTED_VERSIONS: readonly SupportedVersions[] = API_CODECS.map((c) => ({
  apiKey: c.apiKey,
  name: c.name,
  minVersion: c.minVersion,
  maxVersion: c.maxVersion,
}));

function codecFor(apiKey: number, version: number): ApiCodec {
  const codec = CODECS_BY_KEY[apiKey];
  if (codec === undefined) throw new ProtocolError('unsupported_version', `unknown api key ${apiKey}`);
  if (!(version >= codec.minVersion && version <= codec.maxVersion)) {
    throw new ProtocolError('unsupported_version', `${codec.name} v${version} (supported ${codec.minVersion}-${codec.maxVersion})`);
  }
  return codec;
}

/** Whether this build has codecs for `apiKey` at `version`. */
export function isSupported(apiKey: number, version: number): boolean {
  const codec = CODECS_BY_KEY[apiKey];
  return codec !== undefined && version >= codec.minVersion && version <= codec.maxVersion;
}

/** Whether `version` of `apiKey` uses flexible encodings (compact lengths, tagged fields). Throws for unsupported versions. */
export function isFlexible(apiKey: number, version: number): boolean {
  const codec = codecFor(apiKey, version);
  return codec.flexibleMinVersion >= 0 && version >= codec.flexibleMinVersion;
}

export function requestHeaderVersion(apiKey: number, version: number): number {
  return isFlexible(apiKey, version) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, version: number): number {
  if (apiKey === (ApiKey.ApiVersions as number)) return 0;
  return isFlexible(apiKey, version) ? 1 : 0;
}

function startFrame(gatherBytesMin = 0): Writer {
  const w = new Writer(WRITER_INITIAL_BYTES, gatherBytesMin);
  w.int32(0);
  return w;
}

function finishFrame(w: Writer): Buffer {
  w.patchInt32(0, w.length - FRAME_SIZE_PREFIX_BYTES);
  return w.finish();
}

/** A request frame (size prefix, header, body). */
export function encodeRequest<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: RequestBodies[K],
): Buffer {
  const codec = codecFor(apiKey, version);
  const w = startFrame();
  writeRequestHeader(w, requestHeaderVersion(apiKey, version), {
    requestApiKey: apiKey,
    requestApiVersion: version,
    correlationId,
    clientId,
  });
  codec.writeRequest(w, version, body as never);
  return finishFrame(w);
}

/** A request header as read off the wire, and where the body starts. */
export interface DecodedRequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Offset of the body in the frame. */
  bodyOffset: number;
  /** Whether this build has codecs for (apiKey, apiVersion); if not, only the v1 part was read. */
  supported: boolean;
}

/**
 * Read the request header of a frame (without size prefix). Works for unknown keys and versions
 * too, so the broker can answer them (UNSUPPORTED_VERSION): then only key, version, correlation id
 * and client id (the v1 header, which every Kafka client sends) are read.
 */
export function decodeRequestHeader(frame: Buffer, offset = 0): DecodedRequestHeader {
  const r = new Reader(frame, offset);
  const apiKey = frame.length - offset >= 4 ? frame.readInt16BE(offset) : -1;
  const apiVersion = frame.length - offset >= 4 ? frame.readInt16BE(offset + 2) : -1;
  const supported = isSupported(apiKey, apiVersion);
  const header = readRequestHeader(r, supported ? requestHeaderVersion(apiKey, apiVersion) : 1);
  return {
    apiKey: header.requestApiKey,
    apiVersion: header.requestApiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId ?? null,
    bodyOffset: r.offset,
    supported,
  };
}

/** Decode a request body starting at `offset` (usually `decodeRequestHeader(frame).bodyOffset`). Trailing bytes are ignored. */
export function decodeRequest<K extends ApiKey>(apiKey: K, version: number, frame: Buffer, offset: number): RequestBodies[K] {
  const codec = codecFor(apiKey, version);
  return codec.readRequest(new Reader(frame, offset), version) as RequestBodies[K];
}

/** A response frame (size prefix, header, body). */
export function encodeResponse<K extends ApiKey>(apiKey: K, version: number, correlationId: number, body: ResponseBodies[K]): Buffer {
  const codec = codecFor(apiKey, version);
  const w = startFrame();
  writeResponseHeader(w, responseHeaderVersion(apiKey, version), { correlationId });
  codec.writeResponse(w, version, body as never);
  return finishFrame(w);
}

/**
 * A response frame as a list of buffers whose concatenation is `encodeResponse(...)`: `bytes` and
 * `records` values of at least `gatherBytesMin` bytes are referenced, not copied (Fetch sends
 * stored batches as they are). Write them with `socket.cork()` + `write` per chunk, or writev.
 */
export function encodeResponseChunks<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  body: ResponseBodies[K],
  gatherBytesMin = GATHER_BYTES_MIN_DEFAULT,
): Buffer[] {
  if (!(gatherBytesMin >= 1)) throw new RangeError(`gatherBytesMin must be >= 1: ${gatherBytesMin}`);
  const codec = codecFor(apiKey, version);
  const w = startFrame(gatherBytesMin);
  writeResponseHeader(w, responseHeaderVersion(apiKey, version), { correlationId });
  codec.writeResponse(w, version, body as never);
  w.patchInt32(0, w.length - FRAME_SIZE_PREFIX_BYTES);
  return w.chunks();
}

/** Decode a response frame (without size prefix). Trailing bytes are ignored. */
export function decodeResponse<K extends ApiKey>(
  apiKey: K,
  version: number,
  frame: Buffer,
  offset = 0,
): { correlationId: number; body: ResponseBodies[K] } {
  const codec = codecFor(apiKey, version);
  const r = new Reader(frame, offset);
  const header = readResponseHeader(r, responseHeaderVersion(apiKey, version));
  return { correlationId: header.correlationId, body: codec.readResponse(r, version) as ResponseBodies[K] };
}

/** Body only, no header and no size prefix (tests, and embedding in other envelopes). */
export function encodeRequestBody<K extends ApiKey>(apiKey: K, version: number, body: RequestBodies[K]): Buffer {
  const w = new Writer();
  codecFor(apiKey, version).writeRequest(w, version, body as never);
  return w.finish();
}

export function encodeResponseBody<K extends ApiKey>(apiKey: K, version: number, body: ResponseBodies[K]): Buffer {
  const w = new Writer();
  codecFor(apiKey, version).writeResponse(w, version, body as never);
  return w.finish();
}

export function decodeResponseBody<K extends ApiKey>(apiKey: K, version: number, body: Buffer, offset = 0): ResponseBodies[K] {
  return codecFor(apiKey, version).readResponse(new Reader(body, offset), version) as ResponseBodies[K];
}
