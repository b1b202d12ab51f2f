/**
 * What the live door reads from its clients, apart from whole frames: where a stream starts
 * (`from`, as a WebSocket frame field or an SSE query parameter), SSE cursors, partition lists.
 */
import { DomainError, invalid } from '../core/errors';
import { FromSpec, partitionKey } from './subscription';

/** A JSON number that is a non-negative safe integer, else an error naming `field`. */
export function nonNegativeInteger(v: unknown, field: string): bigint {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${field} must be a non-negative integer (got ${JSON.stringify(v)}).`);
  return BigInt(v);
}

/** Parses the contract's `from`: "latest" | "earliest" | {offset} | {offsets: {p: n}} | {timestamp}. */
export function parseFrom(v: unknown): FromSpec {
  if (v === undefined || v === 'latest') return { kind: 'latest' };
  if (v === 'earliest') return { kind: 'earliest' };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && 'offset' in o) return { kind: 'offset', offset: nonNegativeInteger(o.offset, 'from.offset') };
    if (keys.length === 1 && 'timestamp' in o) return { kind: 'timestamp', timestampMs: nonNegativeInteger(o.timestamp, 'from.timestamp') };
    if (keys.length === 1 && 'offsets' in o && typeof o.offsets === 'object' && o.offsets !== null && !Array.isArray(o.offsets)) {
      const offsets = new Map<number, bigint>();
      for (const [p, n] of Object.entries(o.offsets as Record<string, unknown>)) {
        if (!/^\d+$/.test(p)) throw invalid(`from.offsets keys must be partition numbers (got "${p}").`);
        offsets.set(Number(p), nonNegativeInteger(n, `from.offsets.${p}`));
      }
      return { kind: 'offsets', offsets };
    }
  }
  throw invalid('from must be "latest", "earliest", {"offset": n}, {"offsets": {"0": n, ...}} or {"timestamp": ms}.');
}

/** `from` in a query string: earliest, latest, an offset, `timestamp:<ms>`, or the JSON form. */
export function parseFromQuery(v: string | undefined): FromSpec {
  if (v === undefined || v === '') return { kind: 'latest' };
  if (/^\d+$/.test(v)) return { kind: 'offset', offset: BigInt(v) };
  const ts = /^timestamp:(\d+)$/.exec(v);
  if (ts) return { kind: 'timestamp', timestampMs: BigInt(ts[1]!) };
  if (v.startsWith('{')) {
    try {
      return parseFrom(JSON.parse(v));
    } catch (e) {
      if (e instanceof DomainError) throw e;
    }
  }
  return parseFrom(v);
}

/** A cursor `0:13,1:5` -> next offset per partition of `topic`. */
export function parseCursor(topic: string, v: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const part of v.split(',')) {
    const m = /^(\d+):(\d+)$/.exec(part.trim());
    if (!m) throw invalid(`the event id "${v.slice(0, 200)}" is not a cursor (partition:offset,...); send back the id of an event this stream sent.`);
    out.set(partitionKey(topic, Number(m[1])), BigInt(m[2]!));
  }
  return out;
}

/** A WebSocket frame's `partitions`: a non-empty array of partition numbers (null when absent). */
export function parsePartitions(v: unknown): number[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length === 0) throw invalid('partitions must be a non-empty array of partition numbers.');
  return v.map((p, i) => Number(nonNegativeInteger(p, `partitions[${i}]`)));
}

/** An SSE `partitions` query parameter: comma-separated partition numbers. */
export function parsePartitionsQuery(v: string): number[] {
  return v.split(',').map((p) => {
    if (!/^\d+$/.test(p.trim())) throw invalid(`partitions must be comma-separated partition numbers (got "${v}").`);
    return Number(p);
  });
}
