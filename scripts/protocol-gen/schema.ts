/**
 * Reading Apache Kafka's message schemas (shared/kafka-spec/message/*.json) into a model the code
 * generator walks. The files are JSON with `//` comments; version ranges are strings like "0+",
 * "3-7", "5" or "none".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** An inclusive version range; empty when min > max. */
export interface Range {
  min: number;
  max: number;
}

/** Versions are int16 on the wire: "N+" means up to this. */
export const VERSION_MAX = 0x7fff;
export const EMPTY: Range = { min: 1, max: 0 };

export function parseRange(text: string | undefined): Range {
  if (text === undefined || text === 'none') return EMPTY;
  const plus = /^(\d+)\+$/.exec(text);
  if (plus) return { min: Number(plus[1]), max: VERSION_MAX };
  const span = /^(\d+)-(\d+)$/.exec(text);
  if (span) return { min: Number(span[1]), max: Number(span[2]) };
  if (/^\d+$/.test(text)) return { min: Number(text), max: Number(text) };
  throw new Error(`bad version range ${JSON.stringify(text)}`);
}

export function isEmpty(range: Range): boolean {
  return range.min > range.max;
}

export function intersect(a: Range, b: Range): Range {
  const r = { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
  return isEmpty(r) ? EMPTY : r;
}

export function hull(a: Range, b: Range): Range {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

export function contains(outer: Range, inner: Range): boolean {
  return isEmpty(inner) || (outer.min <= inner.min && inner.max <= outer.max);
}

export function formatRange(range: Range): string {
  if (isEmpty(range)) return 'none';
  if (range.max === VERSION_MAX) return `${range.min}+`;
  return range.min === range.max ? `${range.min}` : `${range.min}-${range.max}`;
}

/** Remove `//` comments outside of string literals. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

export interface FieldJson {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  tag?: number;
  ignorable?: boolean;
  default?: string | number | boolean;
  about?: string;
  fields?: FieldJson[];
}

export interface MessageJson {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldJson[];
  commonStructs?: { name: string; versions: string; fields: FieldJson[] }[];
  latestVersionUnstable?: boolean;
}

export function readMessage(specDir: string, name: string): MessageJson {
  const file = path.join(specDir, `${name}.json`);
  return JSON.parse(stripComments(fs.readFileSync(file, 'utf8'))) as MessageJson;
}
