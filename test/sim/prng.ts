import type { RandomSource } from '@runnel/raft';

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state): a few lines, fast
 * and good enough for fault injection. Seeded through splitmix32 so nearby seeds diverge at once.
 */
export class Prng implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i += 1) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, bound) for bound <= 2^32 (modulo bias is irrelevant for a fault injector). */
  nextInt(bound: number): number {
    return this.nextUint32() % bound;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.nextUint32() < p * 4294967296;
  }

  /** An independent stream, so one node's draws do not shift another's. */
  fork(): Prng {
    return new Prng(this.nextUint32());
  }
}
