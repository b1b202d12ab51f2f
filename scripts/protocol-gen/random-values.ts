/**
 * Random but valid message values derived from the schema model, for the golden round-trip tests:
 * every field of the version gets a value of its type (null where the version allows it), tagged
 * structs are present half of the time. Deterministic for a seed, so a failure replays.
 */
import type { FieldModel, StructModel, TypeModel } from './generate';

/** A small seeded PRNG (mulberry32). */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A uint32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + (this.next() % (max - min + 1));
  }

  chance(percent: number): boolean {
    return this.next() % 100 < percent;
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

const ALPHABET = ['a', 'b', 'z', 'A', '0', '-', '_', '.', ' ', 'é', 'ß', '€', '日', '😀'];

function inVersion(field: FieldModel, v: number): boolean {
  return v >= field.versions.min && v <= field.versions.max;
}

function nullableIn(field: FieldModel, v: number): boolean {
  return v >= field.nullable.min && v <= field.nullable.max;
}

function randomOf(type: TypeModel, v: number, random: Random, depth: number): unknown {
  if (type.kind === 'array') {
    const length = random.int(0, depth > 2 ? 1 : 3);
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) out.push(randomOf(type.element, v, random, depth + 1));
    return out;
  }
  if (type.kind === 'struct') return randomStruct(type.struct, v, random, depth + 1);
  switch (type.primitive) {
    case 'bool':
      return random.chance(50);
    case 'int8':
      return random.int(0, 255) - 128;
    case 'int16':
      return random.int(0, 65535) - 32768;
    case 'uint16':
      return random.int(0, 65535);
    case 'int32':
      return random.next() | 0;
    case 'int64':
      return BigInt.asIntN(64, (BigInt(random.next()) << 32n) | BigInt(random.next()));
    case 'float64':
      return ((random.next() | 0) / 7) * (random.chance(50) ? 1e-3 : 1e9) || 1.5;
    case 'string': {
      const length = random.int(0, 12);
      let s = '';
      for (let i = 0; i < length; i++) s += ALPHABET[random.int(0, ALPHABET.length - 1)]!;
      return s;
    }
    case 'bytes':
    case 'records':
      return random.bytes(random.int(0, 24));
    case 'uuid':
      return random.bytes(16).toString('base64url');
  }
}

/** A random value of `struct` as version `v` carries it. */
export function randomStruct(struct: StructModel, v: number, random: Random, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of struct.fields) {
    if (!inVersion(field, v)) continue;
    const tagged = v >= field.tagged.min && v <= field.tagged.max;
    if (tagged && field.type.kind === 'struct') {
      // Absent tagged structs decode as absent; null ones would too, so only present or absent.
      if (random.chance(50)) out[field.property] = randomOf(field.type, v, random, depth);
      continue;
    }
    if (nullableIn(field, v) && random.chance(15)) {
      out[field.property] = null;
      continue;
    }
    out[field.property] = randomOf(field.type, v, random, depth);
  }
  return out;
}
