/**
 * Record formats shared by the JSON doors (HTTP and live): how a JSON key/value becomes bytes on
 * produce and how stored bytes become JSON on read.
 *
 *   json   (default) any JSON value, stored as its UTF-8 JSON text; on read, bytes that are not
 *          valid JSON come back as a JSON string, so a record is never dropped.
 *   string UTF-8 text.
 *   binary base64 in JSON.
 */
import { DomainError, DomainErrorKind, invalid, malformed } from './errors';

export type RecordFormat = 'json' | 'string' | 'binary';
export const RECORD_FORMATS: readonly RecordFormat[] = ['json', 'string', 'binary'];

export interface WireHeader {
  key: string;
  value: Buffer | null;
}

/** A record as a JSON door receives it (already shape-checked). */
export interface JsonRecordInput {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  partition?: unknown;
  timestamp?: unknown;
}

/** A record ready for the engine. */
export interface ProduceRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: WireHeader[];
  partition?: number;
  timestampMs?: bigint;
}

/** A record as JSON doors render it. */
export interface RenderedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  headers: { name: string; value: unknown }[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseFormat(value: unknown, fallback: RecordFormat = 'json'): RecordFormat {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (RECORD_FORMATS as readonly string[]).includes(value)) return value as RecordFormat;
  throw invalid(`format must be one of json, string, binary (got ${JSON.stringify(value)}).`);
}

/** Reads the format from a Confluent v2 media type (`application/vnd.kafka.binary.v2+json`). */
export function formatFromMediaType(contentType: string | undefined): RecordFormat | undefined {
  const m = /application\/vnd\.kafka\.(json|binary|string)\.v2\+json/.exec(contentType ?? '');
  return m ? (m[1] as RecordFormat) : undefined;
}

function decodeBase64(text: string, field: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 4 !== 0 || !BASE64.test(clean)) throw malformed(`${field} is not valid base64; encode the bytes with standard base64 (RFC 4648) or use format=string/json.`);
  return Buffer.from(clean, 'base64');
}

/** Encodes one key or value; `undefined`/`null` is a null (a tombstone for values). */
export function encodeData(data: unknown, format: RecordFormat, field: string): Buffer | null {
  if (data === undefined || data === null) return null;
  switch (format) {
    case 'json':
      return Buffer.from(JSON.stringify(data), 'utf8');
    case 'string':
      if (typeof data !== 'string') throw invalid(`${field} must be a string with format=string (got ${typeof data}); send a string or use format=json.`);
      return Buffer.from(data, 'utf8');
    case 'binary':
      if (typeof data !== 'string') throw invalid(`${field} must be a base64 string with format=binary (got ${typeof data}).`);
      return decodeBase64(data, field);
  }
}

/** Renders stored bytes in the requested format. */
export function decodeData(bytes: Buffer | null, format: RecordFormat): unknown {
  if (bytes === null) return null;
  switch (format) {
    case 'json': {
      const text = bytes.toString('utf8');
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    case 'string':
      return bytes.toString('utf8');
    case 'binary':
      return bytes.toString('base64');
  }
}

/** Timestamps are ms since the epoch, or an ISO-8601 string. */
export function parseTimestamp(value: unknown, field: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${field} must be a non-negative integer of ms since the epoch (got ${value}).`);
    return BigInt(value);
  }
  if (typeof value === 'string') {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(ms) || ms < 0) throw invalid(`${field} must be ms since the epoch or an ISO-8601 date (got "${value}").`);
    return BigInt(ms);
  }
  throw invalid(`${field} must be a number (ms since the epoch) or an ISO-8601 string.`);
}

/** Headers: `[{"name", "value"}]` (repeats allowed) or `{"name": "value"}`; values are strings (UTF-8), or base64 with format=binary. */
export function parseHeaders(value: unknown, format: RecordFormat, field: string): WireHeader[] {
  if (value === undefined || value === null) return [];
  const one = (name: unknown, v: unknown, where: string): WireHeader => {
    if (typeof name !== 'string' || name.length === 0) throw invalid(`${where}.name must be a non-empty string.`);
    if (v === null || v === undefined) return { key: name, value: null };
    if (typeof v !== 'string') throw invalid(`${where}.value must be a string (got ${typeof v}).`);
    return { key: name, value: format === 'binary' ? decodeBase64(v, `${where}.value`) : Buffer.from(v, 'utf8') };
  };
  if (Array.isArray(value)) {
    return value.map((h: unknown, i) => {
      if (typeof h !== 'object' || h === null) throw invalid(`${field}[${i}] must be an object {"name", "value"}.`);
      const o = h as { name?: unknown; value?: unknown };
      return one(o.name, o.value, `${field}[${i}]`);
    });
  }
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => one(k, v, `${field}.${k}`));
  throw invalid(`${field} must be an array of {"name", "value"} or an object of name: value.`);
}

export function renderHeaders(headers: readonly WireHeader[], format: RecordFormat): { name: string; value: unknown }[] {
  return headers.map((h) => ({ name: h.key, value: h.value === null ? null : format === 'binary' ? h.value.toString('base64') : h.value.toString('utf8') }));
}

/** Turns a JSON door's record into an engine record, naming the bad field on error. */
export function toProduceRecord(input: unknown, format: RecordFormat, field: string): ProduceRecord {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid(`${field} must be an object {"key"?, "value"?, "headers"?, "partition"?, "timestamp"?}.`);
  const r = input as JsonRecordInput & Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!['key', 'value', 'headers', 'partition', 'timestamp'].includes(k)) throw invalid(`${field}.${k} is not a record field; use key, value, headers, partition, timestamp.`);
  }
  const out: ProduceRecord = {
    key: encodeData(r.key, format, `${field}.key`),
    value: encodeData(r.value, format, `${field}.value`),
    headers: parseHeaders(r.headers, format, `${field}.headers`),
  };
  if (r.partition !== undefined && r.partition !== null) {
    if (typeof r.partition !== 'number' || !Number.isInteger(r.partition) || r.partition < 0) throw invalid(`${field}.partition must be a non-negative integer.`);
    out.partition = r.partition;
  }
  const ts = parseTimestamp(r.timestamp, `${field}.timestamp`);
  if (ts !== undefined) out.timestampMs = ts;
  return out;
}

/** A stored record as the engine returns it. */
export interface StoredRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestampMs: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: WireHeader[];
}

export function renderRecord(r: StoredRecord, format: RecordFormat): RenderedRecord {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: Number(r.offset),
    timestamp: Number(r.timestampMs),
    key: decodeData(r.key, format),
    value: decodeData(r.value, format),
    headers: renderHeaders(r.headers, format),
  };
}

/** `{"records": [...]}` or one record -> engine records, checking the count limit before any work. */
export function toProduceRecords(body: unknown, format: RecordFormat, recordsMax: number): ProduceRecord[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('the body must be a JSON object: one record {"key"?, "value"?, ...} or {"records": [...]}.');
  }
  const b = body as Record<string, unknown>;
  if ('records' in b) {
    const list = b.records;
    if (!Array.isArray(list)) throw invalid('records must be an array of records.');
    for (const k of Object.keys(b)) if (k !== 'records') throw invalid(`${k} is not allowed next to "records"; put it inside each record.`);
    if (list.length === 0) throw invalid('records must hold at least one record.');
    if (list.length > recordsMax) {
      throw new DomainError(DomainErrorKind.TooLarge, `records holds ${list.length} records; at most ${recordsMax} per request (http.records.per.request.max). Split the request.`);
    }
    return list.map((r, i) => toProduceRecord(r, format, `records[${i}]`));
  }
  return [toProduceRecord(b, format, 'record')];
}
