/**
 * Hand-checked bytes for the flexible encodings kafkajs does not speak (header v2, compact strings
 * and arrays, tagged fields), and the codec rules: defaults, nullability, ignorable fields.
 */
import {
  ApiKey,
  ProtocolError,
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
  isSupported,
  requestHeaderVersion,
  responseHeaderVersion,
} from './index';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('flexible versions: golden bytes', () => {
  it('ApiVersions v3 request: header v2 keeps a classic client id, then an empty tag section; compact strings', () => {
    const frame = encodeRequest(ApiKey.ApiVersions, 3, 7, 'rdkafka', { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
    const expected = hex(`
      0000001c
      0012 0003 00000007 0007 72646b61666b61 00
      05 6b636174 04 312e37 00`);
    expect(frame.toString('hex')).toBe(expected.toString('hex'));
    const header = decodeRequestHeader(frame, 4);
    expect(header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'rdkafka', bodyOffset: 4 + 18, supported: true });
    expect(decodeRequest(ApiKey.ApiVersions, 3, frame, header.bodyOffset)).toEqual({ clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
  });

  it('ApiVersions v3 response: header v0 (no tag section), compact array, a tagged int64', () => {
    const frame = encodeResponse(ApiKey.ApiVersions, 3, 9, {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 5n,
    });
    const expected = hex(`
      0000001d
      00000009
      0000 02 0012 0000 0004 00 00000000
      01 01 08 0000000000000005`);
    expect(frame.toString('hex')).toBe(expected.toString('hex'));
    const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4));
    expect(correlationId).toBe(9);
    expect(body).toEqual({
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: 5n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    });
  });

  it('Heartbeat v4 response: header v1 carries an empty tag section', () => {
    const frame = encodeResponse(ApiKey.Heartbeat, 4, 3, { throttleTimeMs: 1, errorCode: 27 });
    expect(frame.toString('hex')).toBe(hex('0000000c 00000003 00 00000001 001b 00').toString('hex'));
  });

  it('unknown tags are skipped; a tagged value whose size lies is refused', () => {
    const body = hex('05 6b636174 04 312e37 01 09 03 aabbcc');
    expect(decodeRequest(ApiKey.ApiVersions, 3, body, 0)).toEqual({ clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
    // Response tag 1 (finalizedFeaturesEpoch, an int64) claiming 4 bytes.
    const lying = hex('0000 01 00000000 01 01 04 0000000000000005');
    expect(() => decodeResponseBody(ApiKey.ApiVersions, 3, lying)).toThrow(ProtocolError);
  });

  it('a nullable compact string: null is length 0, empty is 1', () => {
    // FindCoordinatorResponse v4: errorMessage is a nullable compact string, host an empty one.
    const bytes = encodeResponseBody(ApiKey.FindCoordinator, 4, {
      throttleTimeMs: 0,
      coordinators: [{ key: 'g', nodeId: 1, host: '', port: 9092, errorCode: 0, errorMessage: null }],
    });
    expect(bytes.toString('hex')).toBe(hex('00000000 02 02 67 00000001 01 00002384 0000 00 00 00').toString('hex'));
  });
});

describe('codec rules', () => {
  it('writes schema defaults for missing optional fields', () => {
    // MetadataRequest v4: allowAutoTopicCreation defaults to true.
    expect(encodeRequestBody(ApiKey.Metadata, 4, { topics: null }).toString('hex')).toBe('ffffffff01');
    // FetchRequest v4: isolationLevel default 0, then the topics.
    const fetch = encodeRequestBody(ApiKey.Fetch, 4, { maxWaitMs: 1, minBytes: 2, topics: [] });
    expect(fetch.toString('hex')).toBe(hex('ffffffff 00000001 00000002 7fffffff 00 00000000').toString('hex'));
  });

  it('refuses null where the version does not allow it', () => {
    expect(() => encodeRequestBody(ApiKey.Metadata, 0, { topics: null })).toThrow(/null_not_allowed/);
    expect(() => decodeRequest(ApiKey.Metadata, 0, hex('ffffffff'), 0)).toThrow(/null_not_allowed/);
    expect(decodeRequest(ApiKey.Metadata, 1, hex('ffffffff'), 0)).toEqual({ topics: null });
  });

  it('drops ignorable fields a version lacks, refuses non-default non-ignorable ones', () => {
    const partition = { partitionIndex: 0, errorCode: 0, highWatermark: 10n, records: null };
    // throttleTimeMs is ignorable: v0 has none, so it is dropped.
    const v0 = encodeResponseBody(ApiKey.Fetch, 0, { throttleTimeMs: 100, responses: [{ topic: 't', partitions: [partition] }] });
    expect(decodeResponseBody(ApiKey.Fetch, 0, v0)).toEqual({ responses: [{ topic: 't', partitions: [partition] }] });
    // preferredReadReplica (v11+) is not ignorable: -1 (its default) is fine, 3 is refused.
    const at = (preferredReadReplica: number) => () =>
      encodeResponseBody(ApiKey.Fetch, 10, { responses: [{ topic: 't', partitions: [{ ...partition, preferredReadReplica }] }] });
    expect(at(-1)).not.toThrow();
    expect(at(3)).toThrow(/unsupported_field/);
  });

  it('decoded bytes are views of the frame, not copies', () => {
    const records = Buffer.from('batch-bytes');
    const body = encodeRequestBody(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
    });
    const decoded = decodeRequest(ApiKey.Produce, 9, body, 0);
    const view = decoded.topicData[0]!.partitionData[0]!.records!;
    expect(view.equals(records)).toBe(true);
    expect(view.buffer).toBe(body.buffer);
  });

  it('gathers large records into the frame by reference, not by copy', () => {
    const big = Buffer.alloc(64 * 1024, 1);
    const small = Buffer.alloc(100, 2);
    const partition = (partitionIndex: number, records: Buffer) => ({ partitionIndex, errorCode: 0, highWatermark: 5n, records });
    for (const v of [4, 11, 12, 17]) {
      const body = {
        throttleTimeMs: 0,
        responses: [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [partition(0, big), partition(1, small), partition(2, big)] }],
      };
      const chunks = encodeResponseChunks(ApiKey.Fetch, v, 77, body);
      expect(Buffer.concat(chunks).equals(encodeResponse(ApiKey.Fetch, v, 77, body))).toBe(true);
      expect(chunks.filter((c) => c === big)).toHaveLength(2);
      expect(chunks.some((c) => c === small)).toBe(false);
      expect(chunks[0]!.readInt32BE(0)).toBe(chunks.reduce((n, c) => n + c.length, 0) - 4);
    }
    expect(() => encodeResponseChunks(ApiKey.Fetch, 4, 1, { responses: [] }, 0)).toThrow(RangeError);
  });

  it('knows its versions, flexibility and header versions', () => {
    expect(isFlexible(ApiKey.Fetch, 11)).toBe(false);
    expect(isFlexible(ApiKey.Fetch, 12)).toBe(true);
    expect(isFlexible(ApiKey.Vote, 0)).toBe(true);
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 4)).toBe(0);
    expect(isSupported(ApiKey.Produce, 0)).toBe(true);
    expect(isSupported(ApiKey.Produce, 99)).toBe(false);
    expect(isSupported(999, 0)).toBe(false);
    expect(() => isFlexible(ApiKey.Produce, 99)).toThrow(/unsupported_version/);
    const produce = SUPPORTED_VERSIONS.find((s) => s.apiKey === ApiKey.Produce)!;
    expect([produce.minVersion, produce.maxVersion]).toEqual([0, 11]);
    expect(SUPPORTED_VERSIONS.map((s) => s.apiKey)).toEqual([...SUPPORTED_VERSIONS.map((s) => s.apiKey)].sort((a, b) => a - b));
  });

  it('reads the header of unsupported versions and unknown keys so the broker can answer them', () => {
    const frame = hex('0012 0063 0000002a 0003 616263 ffff');
    expect(decodeRequestHeader(frame)).toEqual({ apiKey: 18, apiVersion: 99, correlationId: 42, clientId: 'abc', bodyOffset: 13, supported: false });
    const unknown = hex('7fff 0000 00000001 ffff');
    expect(decodeRequestHeader(unknown)).toMatchObject({ apiKey: 0x7fff, clientId: null, supported: false });
    expect(() => decodeRequest(0x7fff as ApiKey, 0, unknown, 10)).toThrow(/unsupported_version/);
  });
});
