/**
 * Decoding garbage only ever throws ProtocolError: random bytes, and valid messages with bytes
 * changed or cut off, as every generated (api, version), request and response, headers included.
 */
import fc from 'fast-check';
import { DEFAULT_CONFIG, DEFAULT_SPEC_DIR, buildApis, readConfig } from '../../../scripts/protocol-gen/generate';
import { Random, randomStruct } from '../../../scripts/protocol-gen/random-values';
import {
  ApiKey,
  ProtocolError,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponseBody,
} from './index';

const RUNS_RANDOM = 40;
const RUNS_MUTATED = 40;
const apis = buildApis(DEFAULT_SPEC_DIR, readConfig(DEFAULT_CONFIG));

/** Run `decode`; it may succeed or throw ProtocolError, nothing else. Returns whether it threw. */
function onlyProtocolErrors(decode: () => unknown): boolean {
  try {
    decode();
    return false;
  } catch (error) {
    if (error instanceof ProtocolError) return true;
    throw error;
  }
}

describe('garbage input', () => {
  for (const api of apis) {
    it(`${api.name}: random and mutated bytes only throw ProtocolError`, () => {
      const key = api.apiKey as ApiKey;
      let threw = 0;
      for (let v = api.valid.min; v <= api.valid.max; v++) {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
            const buf = Buffer.from(bytes);
            if (onlyProtocolErrors(() => decodeRequest(key, v, buf, 0))) threw++;
            if (onlyProtocolErrors(() => decodeResponseBody(key, v, buf))) threw++;
            onlyProtocolErrors(() => decodeResponse(key, v, buf));
          }),
          { numRuns: RUNS_RANDOM, seed: api.apiKey * 100 + v },
        );
        fc.assert(
          fc.property(
            fc.nat(),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
            fc.nat(),
            (seed, changes, cut) => {
              const random = new Random(seed);
              for (const [encode, decode] of [
                [
                  () => encodeRequestBody(key, v, randomStruct(api.request.root, v, random) as never),
                  (b: Buffer) => decodeRequest(key, v, b, 0),
                ],
                [
                  () => encodeResponseBody(key, v, randomStruct(api.response.root, v, random) as never),
                  (b: Buffer) => decodeResponseBody(key, v, b),
                ],
              ] as const) {
                const valid = encode();
                const mutated = Buffer.from(valid);
                for (const [position, byte] of changes) if (mutated.length > 0) mutated[position % mutated.length] = byte;
                if (onlyProtocolErrors(() => decode(mutated))) threw++;
                const truncated = valid.subarray(0, valid.length === 0 ? 0 : cut % valid.length);
                if (onlyProtocolErrors(() => decode(truncated))) threw++;
              }
            },
          ),
          { numRuns: RUNS_MUTATED, seed: api.apiKey * 100 + v + 7 },
        );
      }
      // The inputs do reach the error paths (not all garbage happens to parse).
      expect(threw).toBeGreaterThan(0);
    });
  }

  it('request headers of random frames only throw ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        onlyProtocolErrors(() => decodeRequestHeader(Buffer.from(bytes)));
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('an array claiming 2^31 - 1 elements fails at once, without allocating', () => {
    const body = Buffer.alloc(4);
    body.writeInt32BE(0x7fffffff, 0); // MetadataRequest v0: topics array length
    expect(() => decodeRequest(ApiKey.Metadata, 0, body, 0)).toThrow(ProtocolError);
    expect(() => decodeRequest(ApiKey.Metadata, 0, body, 0)).toThrow(/invalid_length/);
    // Flexible: a compact length of 2^32 - 2 elements.
    const compact = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeRequest(ApiKey.Metadata, 12, compact, 0)).toThrow(/invalid_length/);
  });

  it('a varint longer than five bytes is refused', () => {
    const body = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(() => decodeRequest(ApiKey.Metadata, 12, body, 0)).toThrow(/varint_too_long/);
  });
});
