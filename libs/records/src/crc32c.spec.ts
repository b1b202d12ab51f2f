import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import native from 'runnel-crc32c-native';
import { crc32c, crc32cImplementation, crc32cNativeProblem } from './crc32c';

/** The definition, one bit at a time: reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF. */
function bitwiseUpdate(register: number, bytes: Uint8Array): number {
  let c = register;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return c >>> 0;
}
const bitwise = (bytes: Uint8Array): number => ~bitwiseUpdate(0xffffffff, bytes) >>> 0;
const nodeRs = (bytes: Uint8Array): number =>
  nodeRsCrc32c(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) >>> 0;

type Impl = [string, (data: Uint8Array) => number];
const impls: Impl[] = [['crc32c (the export)', crc32c]];
if (native.loaded) {
  const { crc32c: fast, crc32cPortable, crc32c3way, crc32cVpclmul } = native;
  impls.push(
    [`addon ${native.implementation}`, (d) => fast(d)],
    ['addon portable path', (d) => crc32cPortable(d)],
  );
  if (crc32c3way) impls.push(['addon 3-way path', (d) => crc32c3way(d)]);
  if (crc32cVpclmul) impls.push(['addon VPCLMULQDQ path', (d) => crc32cVpclmul(d)]);
}

/** x86-64 Linux whose kernel reports AVX-512F and VPCLMULQDQ (it hides AVX-512 when the OS does not save ZMM state). */
function cpuHasVpclmul(): boolean {
  const flags = new Set(
    /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/) ?? [],
  );
  return ['avx512f', 'vpclmulqdq', 'pclmulqdq', 'sse4_2'].every((flag) => flags.has(flag));
}

const OFFSETS = [0, 1, 3, 7, 13];
const data = randomBytes((1 << 20) + 4096 + 64);

describe('crc32c', () => {
  it('uses the addon on x86-64 Linux, its VPCLMULQDQ path when the CPU has it (a broken build must fail CI, not silently slow down)', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const vpclmul = cpuHasVpclmul();
    expect({ implementation: crc32cImplementation, problem: crc32cNativeProblem }).toEqual({
      implementation: vpclmul ? 'native-vpclmul' : 'native-3way',
      problem: '',
    });
    expect(
      native.loaded && {
        implementation: native.implementation,
        vpclmul: native.crc32cVpclmul !== null,
        threeWay: native.crc32c3way !== null,
        vpclmulMinBytes: native.vpclmulMinBytes > 0,
      },
    ).toEqual({
      implementation: vpclmul ? 'x86-64-avx512-vpclmul' : 'x86-64-sse4.2-3way',
      vpclmul,
      threeWay: true,
      vpclmulMinBytes: vpclmul,
    });
  });

  it.each(impls)('%s: the check value and the empty input', (_, f) => {
    expect(f(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(f(new Uint8Array(0))).toBe(0);
    expect(f(Buffer.alloc(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(f(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43); // and of ones
  });

  it.each(impls)('%s: every length 0..4096 at misaligned offsets, against a bit-by-bit reference', (_, f) => {
    for (const offset of OFFSETS) {
      // The bitwise CRC of every prefix, in one pass.
      const expected: number[] = [0];
      let register = 0xffffffff;
      for (let n = 1; n <= 4096; n++) {
        register = bitwiseUpdate(register, data.subarray(offset + n - 1, offset + n));
        expected.push(~register >>> 0);
      }
      const mismatches: number[] = [];
      for (let n = 0; n <= 4096; n++) {
        if (f(data.subarray(offset, offset + n)) !== expected[n]) mismatches.push(n);
      }
      expect({ offset, mismatches }).toEqual({ offset, mismatches: [] });
    }
  });

  it('addon: the VPCLMULQDQ path equals the 3-way path for every length 0..4096 and large odd lengths at misaligned offsets', () => {
    if (!native.loaded || !native.crc32cVpclmul || !native.crc32c3way) return; // CPUs without it: the test above decides
    const { crc32cVpclmul, crc32c3way, crc32c: dispatched } = native;
    const lengths = [
      ...Array.from({ length: 4097 }, (_, n) => n),
      4097,
      65_535,
      110_000,
      110_017,
      999_983,
      1 << 20,
    ];
    for (const offset of [...OFFSETS, 31, 63]) {
      const mismatches: number[] = [];
      for (const n of lengths) {
        const view = data.subarray(offset, offset + n);
        const want = crc32c3way(view);
        if (crc32cVpclmul(view) !== want || dispatched(view) !== want) mismatches.push(n);
        // With a non-zero initial register too (it goes into the first folded chunk).
        if (crc32cVpclmul(view, 0x9e3779b9) !== crc32c3way(view, 0x9e3779b9)) mismatches.push(-n);
      }
      expect({ offset, mismatches }).toEqual({ offset, mismatches: [] });
    }
  });

  // The addon's 3-way blocks are three lanes of 8192, 1024 or 128 bytes, its VPCLMULQDQ blocks 512 bytes in
  // chunks of 64 folded to 16: lengths around their multiples, and large ones.
  const blockEdges = [384, 3072, 24576, 512 * 17].flatMap((b) =>
    [1, 2, 3, 4, 5].flatMap((k) => [b * k - 1, b * k, b * k + 1, b * k + 383]),
  );
  const large = [110_000, 110_001, 1 << 20, (1 << 20) + 4095, 999_983, 65_537, ...blockEdges];

  it.each(impls)(
    '%s: large and block-edge lengths at misaligned offsets, against @node-rs/crc32 and the bit-by-bit reference',
    (_, f) => {
      for (const n of large) {
        for (const offset of OFFSETS) {
          const view = data.subarray(offset, offset + n);
          const want = nodeRs(view);
          expect({ n, offset, crc: f(view) }).toEqual({ n, offset, crc: want });
          if (offset === 3 || n === 110_000)
            expect({ n, offset, crc: f(view) }).toEqual({ n, offset, crc: bitwise(view) });
        }
      }
    },
  );

  it.each(impls)('%s: a Uint8Array that is not a Buffer, a view into a larger ArrayBuffer', (_, f) => {
    const backing = new ArrayBuffer(200_000);
    const bytes = new Uint8Array(backing);
    bytes.set(data.subarray(0, 200_000));
    for (const [offset, n] of [
      [0, 0],
      [1, 9],
      [5, 4096],
      [77, 110_000],
      [123, 199_000],
    ] as const) {
      const view = new Uint8Array(backing, offset, n);
      expect(Buffer.isBuffer(view)).toBe(false);
      expect(f(view)).toBe(bitwise(view));
    }
    expect(f(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('addon: `initial` continues a previous result, any view type, bad arguments throw TypeError', () => {
    if (!native.loaded) return; // the x86-64 Linux test above fails in that case
    const whole = data.subarray(5, 5 + 200_003);
    const paths = [native.crc32c, native.crc32cPortable, native.crc32c3way, native.crc32cVpclmul].filter(
      (f) => f !== null,
    );
    for (const cut of [0, 1, 100, 255, 256, 24_577, 110_000, 200_003]) {
      for (const f of paths) {
        expect(f(whole.subarray(cut), f(whole.subarray(0, cut)))).toBe(nodeRs(whole));
        expect(f(whole.subarray(cut), undefined)).toBe(f(whole.subarray(cut)));
      }
    }
    const words = new Uint32Array(data.buffer, data.byteOffset + 8, 1000); // 4000 bytes
    expect(native.crc32c(words)).toBe(
      bitwise(new Uint8Array(words.buffer, words.byteOffset, words.byteLength)),
    );
    const view = new DataView(data.buffer, data.byteOffset + 3, 5000);
    expect(native.crc32c(view)).toBe(bitwise(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)));
    const loose = native.crc32c as unknown as (...args: unknown[]) => number;
    // (The addon's TypeError is not jest's sandbox TypeError: compare by name.)
    const thrown = (...args: unknown[]): unknown => {
      try {
        loose(...args);
      } catch (error) {
        const { name, message } = error as { name?: unknown; message?: unknown };
        return { name, message };
      }
      return 'nothing thrown';
    };
    expect(thrown()).toEqual({ name: 'TypeError', message: 'crc32c: expected a Uint8Array' });
    expect(thrown('123456789')).toEqual({ name: 'TypeError', message: 'crc32c: expected a Uint8Array' });
    expect(thrown(new ArrayBuffer(4))).toEqual({
      name: 'TypeError',
      message: 'crc32c: expected a Uint8Array',
    });
    expect(thrown(Buffer.alloc(4), 'x')).toEqual({
      name: 'TypeError',
      message: 'crc32c: initial must be a number',
    });
  });

  it('falls back to @node-rs/crc32 when the addon is missing or did not build', async () => {
    const mocks: Array<() => unknown> = [
      () => ({ loaded: false, error: 'build/Release/runnel_crc32c.node: cannot open shared object file' }),
      () => {
        throw new Error("Cannot find module 'runnel-crc32c-native'");
      },
      () => ({
        loaded: true,
        implementation: 'portable-slicing-by-8',
        crc32c: () => 0,
        crc32cPortable: () => 0,
      }),
    ];
    for (const mock of mocks) {
      await jest.isolateModulesAsync(async () => {
        jest.doMock('runnel-crc32c-native', mock);
        const fallback = await import('./crc32c');
        expect(fallback.crc32cImplementation).toBe('node-rs');
        expect(fallback.crc32cNativeProblem).not.toBe('');
        expect(fallback.crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
        const view = new Uint8Array(data.buffer, data.byteOffset + 3, 110_000);
        expect(fallback.crc32c(view)).toBe(nodeRs(view));
      });
    }
    jest.dontMock('runnel-crc32c-native');
  });
});
