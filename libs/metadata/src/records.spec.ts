import { setBatchBaseOffset } from '@runnel/records';
import { MetadataError, MetadataErrorCode } from './errors';
import {
  decodeMetadataBatches,
  decodeMetadataRecordValue,
  encodeMetadataBatch,
  encodeMetadataRecordValue,
  METADATA_RECORD_VERSIONS,
  type MetadataRecord,
} from './records';
import { randomUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from './uuid';

const topicId = 'MTIzNDU2Nzg5MDEyMzQ1Ng';

const samples: MetadataRecord[] = [
  { type: 'TopicRecord', data: { name: 'orders', topicId } },
  {
    type: 'PartitionRecord',
    data: {
      partitionId: 3,
      topicId,
      replicas: [1, 2],
      isr: [1],
      removingReplicas: [],
      addingReplicas: [2],
      leader: 1,
      leaderRecoveryState: 0,
      leaderEpoch: 4,
      partitionEpoch: 7,
    },
  },
  {
    type: 'PartitionChangeRecord',
    data: { partitionId: 0, topicId, isr: null, leader: -2, replicas: [1], removingReplicas: null, addingReplicas: null, leaderRecoveryState: -1 },
  },
  { type: 'ConfigRecord', data: { resourceType: 2, resourceName: 'orders', name: 'retention.ms', value: '1000' } },
  { type: 'ConfigRecord', data: { resourceType: 4, resourceName: '1', name: 'log.flush.interval.ms', value: null } },
  { type: 'RemoveTopicRecord', data: { topicId } },
  {
    type: 'RegisterBrokerRecord',
    data: {
      brokerId: 1,
      incarnationId: topicId,
      brokerEpoch: 9_007_199_254_740_991n,
      endPoints: [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 0 }],
      features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 21 }],
      rack: null,
      fenced: false,
    },
  },
  { type: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } },
  { type: 'NoOpRecord', data: {} },
  { type: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 5n, nextProducerId: 2000n } },
  { type: 'ClusterIdRecord', data: { clusterId: 'q1Sh-9_ITrWxH7Lp2x3uVw' } },
];

describe('metadata records', () => {
  it('round-trips every record type through one v2 batch, in order, with the type name as key', () => {
    const batch = encodeMetadataBatch(samples, 1_700_000_000_000n);
    setBatchBaseOffset(batch, 40n);
    const [decoded, ...rest] = decodeMetadataBatches(batch);
    expect(rest).toHaveLength(0);
    expect(decoded!.baseOffset).toBe(40n);
    expect(decoded!.lastOffset).toBe(40n + BigInt(samples.length - 1));
    expect(decoded!.records).toEqual(samples);
  });

  it('writes compact JSON with Kafka field names and the spec version', () => {
    const value = encodeMetadataRecordValue(samples[0]!).toString('utf8');
    expect(value).toBe(`{"type":"TopicRecord","version":0,"data":{"name":"orders","topicId":"${topicId}"}}`);
    const producer = JSON.parse(encodeMetadataRecordValue(samples[9]!).toString('utf8'));
    expect(producer).toEqual({ type: 'ProducerIdsRecord', version: METADATA_RECORD_VERSIONS.ProducerIdsRecord, data: { brokerId: 1, brokerEpoch: 5, nextProducerId: 2000 } });
  });

  it('decodes several concatenated batches as a log read returns them', () => {
    const a = encodeMetadataBatch([samples[0]!], 1n);
    const b = encodeMetadataBatch([samples[3]!, samples[8]!], 2n);
    setBatchBaseOffset(a, 0n);
    setBatchBaseOffset(b, 1n);
    const batches = decodeMetadataBatches(Buffer.concat([a, b]));
    expect(batches.map((x) => [x.baseOffset, x.lastOffset, x.records.length])).toEqual([
      [0n, 0n, 1],
      [1n, 2n, 2],
    ]);
  });

  const corrupt: Array<[string, string]> = [
    ['not JSON', '{"type":'],
    ['unknown type', '{"type":"ZkMigrationRecord","version":0,"data":{}}'],
    ['unsupported version', '{"type":"TopicRecord","version":1,"data":{"name":"a","topicId":"MTIzNDU2Nzg5MDEyMzQ1Ng"}}'],
    ['missing field', '{"type":"TopicRecord","version":0,"data":{"name":"a"}}'],
    ['bad uuid', '{"type":"TopicRecord","version":0,"data":{"name":"a","topicId":"xyz"}}'],
    ['int32 out of range', '{"type":"FeatureLevelRecord","version":0,"data":{"name":"a","featureLevel":40000}}'],
    ['inexact int64', '{"type":"ProducerIdsRecord","version":0,"data":{"brokerId":1,"brokerEpoch":1,"nextProducerId":9007199254740993}}'],
    ['null where not nullable', '{"type":"ConfigRecord","version":0,"data":{"resourceType":2,"resourceName":null,"name":"a","value":"b"}}'],
  ];
  it.each(corrupt)('refuses a corrupt value (%s) with CORRUPT_RECORD', (_what, json) => {
    let thrown: unknown;
    try {
      decodeMetadataRecordValue(Buffer.from(json));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MetadataError);
    expect((thrown as MetadataError).code).toBe(MetadataErrorCode.CorruptRecord);
  });

  it('refuses to encode an int64 beyond exact JSON integers or a bad record', () => {
    expect(() => encodeMetadataRecordValue({ type: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 1n, nextProducerId: 2n ** 60n } })).toThrow(/exact integers/);
    expect(() => encodeMetadataRecordValue({ type: 'TopicRecord', data: { name: 'a', topicId: 'not-a-uuid' } })).toThrow(MetadataError);
  });

  it('reports a damaged batch (bad CRC) as CORRUPT_RECORD', () => {
    const batch = encodeMetadataBatch([samples[0]!], 1n);
    batch.writeUInt8(batch.readUInt8(batch.length - 3) ^ 0xff, batch.length - 3);
    expect(() => decodeMetadataBatches(batch)).toThrow(expect.objectContaining({ code: MetadataErrorCode.CorruptRecord }));
  });
});

describe('Kafka Uuid strings', () => {
  it('round-trip 16 bytes and skip the reserved ids', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const text = uuidFromBytes(bytes);
    expect(text).toHaveLength(22);
    expect(uuidToBytes(text)).toEqual(bytes);
    const draws = [Buffer.alloc(16), Buffer.from('f8000000000000000000000000000000', 'hex'), bytes];
    expect(randomUuid(() => draws.shift()!)).toBe(text); // zero id and a '-'-leading id are skipped
    expect(ZERO_UUID).toBe(uuidFromBytes(Buffer.alloc(16)));
    expect(() => randomUuid(() => Buffer.alloc(16))).toThrow(/random source/);
  });
});
