/**
 * Golden round trips: for every generated (api, version), random but valid requests and responses
 * derived from the schema itself encode, decode to the same value, and re-encode to the same bytes.
 */
import * as path from 'node:path';
import { DEFAULT_CONFIG, DEFAULT_SPEC_DIR, buildApis, readConfig } from '../../../scripts/protocol-gen/generate';
import { Random, randomStruct } from '../../../scripts/protocol-gen/random-values';
import {
  ApiKey,
  SUPPORTED_VERSIONS,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  decodeResponseBody,
  encodeRequest,
  encodeRequestBody,
  encodeResponse,
  encodeResponseBody,
  encodeResponseChunks,
  isFlexible,
} from './index';

const SAMPLES_PER_VERSION = 8;
const apis = buildApis(DEFAULT_SPEC_DIR, readConfig(DEFAULT_CONFIG));

describe('generated codecs: round trips', () => {
  it('covers exactly the APIs and versions of apis.json', () => {
    expect(path.basename(DEFAULT_CONFIG)).toBe('apis.json');
    expect(SUPPORTED_VERSIONS.map((s) => [s.apiKey, s.minVersion, s.maxVersion]).sort((a, b) => a[0]! - b[0]!)).toEqual(
      apis.map((a) => [a.apiKey, a.valid.min, a.valid.max]).sort((a, b) => a[0]! - b[0]!),
    );
    expect(apis.length).toBeGreaterThanOrEqual(28);
  });

  for (const api of apis) {
    it(`${api.name} v${api.valid.min}-${api.valid.max}: request and response bodies and frames`, () => {
      const key = api.apiKey as ApiKey;
      for (let v = api.valid.min; v <= api.valid.max; v++) {
        for (let sample = 0; sample < SAMPLES_PER_VERSION; sample++) {
          const seed = api.apiKey * 100_000 + v * 1000 + sample;
          const random = new Random(seed);
          const context = `${api.name} v${v} seed ${seed}`;

          const request = randomStruct(api.request.root, v, random) as never;
          const requestBytes = encodeRequestBody(key, v, request);
          const decodedRequest = decodeRequest(key, v, requestBytes, 0);
          expect([context, decodedRequest]).toEqual([context, request]);
          expect(encodeRequestBody(key, v, decodedRequest as never).equals(requestBytes)).toBe(true);

          const correlationId = random.next() | 0;
          const clientId = sample % 3 === 0 ? null : `client-${sample}`;
          const frame = encodeRequest(key, v, correlationId, clientId, request);
          expect(frame.readInt32BE(0)).toBe(frame.length - 4);
          const header = decodeRequestHeader(frame, 4);
          expect(header).toEqual({ apiKey: key, apiVersion: v, correlationId, clientId, bodyOffset: header.bodyOffset, supported: true });
          expect(frame.subarray(header.bodyOffset).equals(requestBytes)).toBe(true);

          const response = randomStruct(api.response.root, v, random) as never;
          const responseBytes = encodeResponseBody(key, v, response);
          const decodedResponse = decodeResponseBody(key, v, responseBytes);
          expect([context, decodedResponse]).toEqual([context, response]);
          expect(encodeResponseBody(key, v, decodedResponse as never).equals(responseBytes)).toBe(true);

          const responseFrame = encodeResponse(key, v, correlationId, response);
          expect(responseFrame.readInt32BE(0)).toBe(responseFrame.length - 4);
          // Gathering every bytes value (threshold 1) must give the same frame.
          expect(Buffer.concat(encodeResponseChunks(key, v, correlationId, response, 1)).equals(responseFrame)).toBe(true);
          const decodedFrame = decodeResponse(key, v, responseFrame.subarray(4));
          expect(decodedFrame.correlationId).toBe(correlationId);
          expect([context, decodedFrame.body]).toEqual([context, response]);
          // Header v0 is 4 bytes; v1 adds an empty tagged-field section (ApiVersions stays on v0).
          const headerBytes = isFlexible(key, v) && key !== ApiKey.ApiVersions ? 5 : 4;
          expect(responseFrame.length).toBe(4 + headerBytes + responseBytes.length);
        }
      }
    });
  }
});
