/**
 * Golden bytes against an independent implementation: kafkajs encodes a request (header and body)
 * for every version it has; we decode it with our codecs, re-encode, and must produce the very
 * same bytes. A field we read at the wrong width, order or version shifts everything after it.
 */
import { ApiKey, decodeRequest, decodeRequestHeader, encodeRequest } from './index';

interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}
interface KafkajsDefinition {
  versions: string[];
  protocol(options: { version: number }): (args: unknown) => { request: KafkajsRequest };
}

function kafkajs<T>(module: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`kafkajs/src/protocol/${module}`) as T;
}

const buildFrame = kafkajs<(options: { correlationId: number; clientId: string; request: KafkajsRequest }) => Promise<{ buffer: Buffer }>>(
  'request',
);

const TIMESTAMP = 1_700_000_000_000;
const message = (i: number) => ({ key: `key-${i}`, value: `value-${i}`, timestamp: TIMESTAMP + i, headers: { h: `x${i}` } });
const fetchTopics = [
  {
    topic: 'orders',
    partitions: [
      { partition: 0, fetchOffset: '42', maxBytes: 1048576, logStartOffset: '3', currentLeaderEpoch: 7 },
      { partition: 5, fetchOffset: '9007199254740993', maxBytes: 100 },
    ],
  },
  { topic: 'é-topic', partitions: [] },
];

/** kafkajs request arguments per API: one set that every kafkajs version of the API accepts. */
const CASES: { name: string; apiKey: ApiKey; module: string; args: unknown }[] = [
  { name: 'ApiVersions', apiKey: ApiKey.ApiVersions, module: 'apiVersions', args: {} },
  { name: 'Metadata', apiKey: ApiKey.Metadata, module: 'metadata', args: { topics: ['a', 'orders', 'ü'], allowAutoTopicCreation: false } },
  {
    name: 'Produce',
    apiKey: ApiKey.Produce,
    module: 'produce',
    args: {
      acks: -1,
      timeout: 30000,
      transactionalId: 'tx-1',
      producerId: 4321,
      producerEpoch: 3,
      topicData: [
        { topic: 'orders', partitions: [{ partition: 0, messages: [message(1), message(2)] }, { partition: 3, messages: [message(3)] }] },
      ],
    },
  },
  {
    name: 'Fetch',
    apiKey: ApiKey.Fetch,
    module: 'fetch',
    args: {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 52428800,
      isolationLevel: 0,
      sessionId: 17,
      sessionEpoch: 2,
      rackId: 'rack-a',
      topics: fetchTopics,
      forgottenTopics: [{ topic: 'old', partitions: [1, 2] }],
    },
  },
  {
    name: 'ListOffsets',
    apiKey: ApiKey.ListOffsets,
    module: 'listOffsets',
    args: { replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 0, timestamp: -2 }, { partition: 1, timestamp: '1700000000000' }] }] },
  },
  { name: 'FindCoordinator', apiKey: ApiKey.FindCoordinator, module: 'findCoordinator', args: { groupId: 'group-1', coordinatorType: 0 } },
  {
    name: 'JoinGroup',
    apiKey: ApiKey.JoinGroup,
    module: 'joinGroup',
    args: {
      groupId: 'group-1',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: 'member-1',
      groupInstanceId: 'instance-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 6]) }, { name: 'range' }],
    },
  },
  {
    name: 'SyncGroup',
    apiKey: ApiKey.SyncGroup,
    module: 'syncGroup',
    args: {
      groupId: 'group-1',
      generationId: 5,
      memberId: 'member-1',
      groupInstanceId: null,
      groupAssignment: [{ memberId: 'member-1', memberAssignment: Buffer.from('assignment') }, { memberId: 'm2', memberAssignment: Buffer.alloc(0) }],
    },
  },
  { name: 'Heartbeat', apiKey: ApiKey.Heartbeat, module: 'heartbeat', args: { groupId: 'group-1', groupGenerationId: 9, memberId: 'member-1', groupInstanceId: 'inst' } },
  {
    name: 'LeaveGroup',
    apiKey: ApiKey.LeaveGroup,
    module: 'leaveGroup',
    args: { groupId: 'group-1', memberId: 'member-1', members: [{ memberId: 'member-1', groupInstanceId: null }, { memberId: 'm2', groupInstanceId: 'i2' }] },
  },
  {
    name: 'OffsetCommit',
    apiKey: ApiKey.OffsetCommit,
    module: 'offsetCommit',
    args: {
      groupId: 'group-1',
      groupGenerationId: 4,
      memberId: 'member-1',
      retentionTime: -1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '100', timestamp: TIMESTAMP, metadata: 'meta' }, { partition: 2, offset: '7', timestamp: -1 }] }],
    },
  },
  {
    name: 'OffsetFetch',
    apiKey: ApiKey.OffsetFetch,
    module: 'offsetFetch',
    args: { groupId: 'group-1', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 4 }] }] },
  },
  { name: 'ListGroups', apiKey: ApiKey.ListGroups, module: 'listGroups', args: {} },
  { name: 'DescribeGroups', apiKey: ApiKey.DescribeGroups, module: 'describeGroups', args: { groupIds: ['g1', 'g2'] } },
  { name: 'DeleteGroups', apiKey: ApiKey.DeleteGroups, module: 'deleteGroups', args: ['g1', 'group-two'] },
  {
    name: 'CreateTopics',
    apiKey: ApiKey.CreateTopics,
    module: 'createTopics',
    args: {
      timeout: 5000,
      validateOnly: true,
      topics: [
        { topic: 'orders', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'manual', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
      ],
    },
  },
  { name: 'DeleteTopics', apiKey: ApiKey.DeleteTopics, module: 'deleteTopics', args: { topics: ['a', 'b'], timeout: 3000 } },
  {
    name: 'CreatePartitions',
    apiKey: ApiKey.CreatePartitions,
    module: 'createPartitions',
    args: { timeout: 2000, validateOnly: false, topicPartitions: [{ topic: 'orders', count: 6, assignments: [[1], [2]] }, { topic: 'b', count: 2 }] },
  },
  {
    name: 'DescribeConfigs',
    apiKey: ApiKey.DescribeConfigs,
    module: 'describeConfigs',
    args: { includeSynonyms: true, resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }, { type: 4, name: '1' }] },
  },
  {
    name: 'AlterConfigs',
    apiKey: ApiKey.AlterConfigs,
    module: 'alterConfigs',
    args: { validateOnly: true, resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'x', value: null }] }] },
  },
  {
    name: 'DeleteRecords',
    apiKey: ApiKey.DeleteRecords,
    module: 'deleteRecords',
    args: { timeout: 1000, topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '55' }, { partition: 1, offset: '-1' }] }] },
  },
  { name: 'InitProducerId', apiKey: ApiKey.InitProducerId, module: 'initProducerId', args: { transactionalId: 'tx', transactionTimeout: 60000 } },
];

describe('requests: byte-for-byte with kafkajs', () => {
  let compared = 0;
  for (const testCase of CASES) {
    it(`${testCase.name}: every kafkajs version decodes and re-encodes to kafkajs's bytes`, async () => {
      const definition = kafkajs<KafkajsDefinition>(`requests/${testCase.module}`);
      expect(definition.versions.length).toBeGreaterThan(0);
      for (const versionText of definition.versions) {
        const version = Number(versionText);
        const { request } = definition.protocol({ version })(testCase.args);
        expect(request.apiKey).toBe(testCase.apiKey);
        const correlationId = 1000 + version;
        const frame = (await buildFrame({ correlationId, clientId: 'runnel-test', request })).buffer;
        const header = decodeRequestHeader(frame, 4);
        expect(header).toMatchObject({ apiKey: testCase.apiKey, apiVersion: version, correlationId, clientId: 'runnel-test', supported: true });
        const body = decodeRequest(testCase.apiKey, version, frame, header.bodyOffset);
        const ours = encodeRequest(testCase.apiKey, version, correlationId, 'runnel-test', body);
        expect([testCase.name, version, ours.toString('hex')]).toEqual([testCase.name, version, frame.toString('hex')]);
        compared++;
      }
    });
  }

  it('compared at least the versions the issue names', () => {
    // ApiVersions 0-2, Metadata 0-6, Produce 0-7, Fetch 0-11 and the rest: well over 60 (api, version) pairs.
    expect(compared).toBeGreaterThanOrEqual(60);
  });

  it('decoded kafkajs requests carry the values kafkajs was given', async () => {
    const fetch = kafkajs<KafkajsDefinition>('requests/fetch');
    const { request } = fetch.protocol({ version: 11 })(CASES.find((c) => c.name === 'Fetch')!.args);
    const frame = (await buildFrame({ correlationId: 1, clientId: 'c', request })).buffer;
    const header = decodeRequestHeader(frame, 4);
    const body = decodeRequest(ApiKey.Fetch, 11, frame, header.bodyOffset);
    expect(body.maxWaitMs).toBe(500);
    expect(body.isolationLevel).toBe(0);
    expect(body.sessionId).toBe(17);
    expect(body.rackId).toBe('rack-a');
    expect(body.topics[0]!.topic).toBe('orders');
    expect(body.topics[0]!.partitions[1]!.fetchOffset).toBe(9007199254740993n);
    expect(body.topics[0]!.partitions[0]!.currentLeaderEpoch).toBe(7);
    expect(body.forgottenTopicsData?.[0]).toEqual({ topic: 'old', partitions: [1, 2] });

    const produce = kafkajs<KafkajsDefinition>('requests/produce');
    const produced = produce.protocol({ version: 7 })(CASES.find((c) => c.name === 'Produce')!.args).request;
    const produceFrame = (await buildFrame({ correlationId: 2, clientId: 'c', request: produced })).buffer;
    const produceBody = decodeRequest(ApiKey.Produce, 7, produceFrame, decodeRequestHeader(produceFrame, 4).bodyOffset);
    expect(produceBody.acks).toBe(-1);
    expect(produceBody.transactionalId).toBe('tx-1');
    const records = produceBody.topicData[0]!.partitionData[0]!.records!;
    // A v2 record batch: magic byte 2 at offset 16, two records.
    expect(records.readInt8(16)).toBe(2);
    expect(records.readInt32BE(57)).toBe(2);
  });
});
