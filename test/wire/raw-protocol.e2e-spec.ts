/**
 * The wire door spoken to directly, with our own codecs over a socket: version negotiation,
 * every advertised version answering, response order under pipelining, acks=0, Produce
 * validation and idempotence (including after a restart), and Fetch / ListOffsets semantics.
 */
import { ApiKey, ErrorCode, RequestBodies, SUPPORTED_VERSIONS, decodeResponse, encodeRequest } from '@runnel/protocol';
import { CompressionType, encodeBatchSync, readBatchHeader, writeBatchCrc } from '@runnel/records';
import { startTestBroker, TestBroker, tempDir } from '../helpers/broker';
import { RawClient } from './wire-helpers';

const batch = (values: string[], producer?: { id: bigint; epoch: number; seq: number }): Buffer =>
  encodeBatchSync({
    compression: CompressionType.None,
    records: values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] })),
    ...(producer ? { producerId: producer.id, producerEpoch: producer.epoch, baseSequence: producer.seq } : {}),
  });

const produceBody = (topic: string, partition: number, records: Buffer | null, acks = -1): RequestBodies[ApiKey.Produce] => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
});

const fetchBody = (topic: string, offset: bigint, opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number; isolation?: number } = {}): RequestBodies[ApiKey.Fetch] => ({
  replicaId: -1,
  maxWaitMs: opts.maxWaitMs ?? 0,
  minBytes: opts.minBytes ?? 0,
  maxBytes: opts.maxBytes ?? 50 * 1024 * 1024,
  isolationLevel: opts.isolation ?? 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: opts.partitionMaxBytes ?? 1024 * 1024, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
  forgottenTopicsData: [],
  rackId: '',
});

describe('the Kafka wire door, raw', () => {
  let b: TestBroker;
  let port: number;
  let client: RawClient;

  const createTopic = async (name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> => {
    const r = await client.request(ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }], timeoutMs: 5000, validateOnly: false });
    expect(r.topics[0]!.errorCode).toBe(0);
  };
  const produce = async (topic: string, records: Buffer | null, version = 7): Promise<{ errorCode: number; baseOffset: bigint }> => {
    const r = await client.request(ApiKey.Produce, version, produceBody(topic, 0, records));
    return r.responses[0]!.partitionResponses[0]!;
  };
  const highWatermark = async (topic: string): Promise<bigint> => {
    const r = await client.request(ApiKey.ListOffsets, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    return r.topics[0]!.partitions[0]!.offset!;
  };

  beforeAll(async () => {
    b = await startTestBroker();
    port = b.broker.kafkaPort;
    client = await RawClient.connect(port);
  });
  afterAll(async () => {
    client.close();
    await b.close();
  });

  it('ApiVersions advertises low minimums, and an unsupported version gets a v0 body with error 35 on an open connection', async () => {
    const ok = await client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(ok.errorCode).toBe(0);
    const ranges = new Map(ok.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges.get(ApiKey.Produce)).toEqual([3, 9]);
    expect(ranges.get(ApiKey.Fetch)).toEqual([4, 12]);
    expect(ranges.get(ApiKey.Metadata)![0]).toBe(0);
    expect(ranges.has(ApiKey.Vote)).toBe(false);

    const id = 77;
    const frame = encodeRequest(ApiKey.ApiVersions, 3, id, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    frame.writeInt16BE(99, 6); // the request's api version
    client.write(frame);
    const answer = await client.nextFrame();
    const decoded = decodeResponse(ApiKey.ApiVersions, 0, answer!);
    expect(decoded.correlationId).toBe(id);
    expect(decoded.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(decoded.body.apiKeys).toEqual(ok.apiKeys);
    // An ApiVersions v3 body that cannot be decoded: INVALID_REQUEST, in the v0 body, still open.
    const broken = encodeRequest(ApiKey.ApiVersions, 3, 78, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    client.write(Buffer.concat([Buffer.from([0, 0, 0, broken.length - 4 - 3]), broken.subarray(4, broken.length - 3)]));
    const invalid = decodeResponse(ApiKey.ApiVersions, 0, (await client.nextFrame())!);
    expect(invalid).toMatchObject({ correlationId: 78, body: { errorCode: ErrorCode.INVALID_REQUEST } });
    // Still open and serving.
    const md = await client.request(ApiKey.Metadata, 1, { topics: null });
    expect(md.brokers[0]!.port).toBe(port);
  });

  it('answers every advertised version of its APIs', async () => {
    await createTopic('every-version');
    const adv = await client.request(ApiKey.ApiVersions, 0, {});
    const bodies: Partial<Record<ApiKey, RequestBodies[keyof RequestBodies]>> = {
      [ApiKey.ApiVersions]: { clientSoftwareName: 'raw', clientSoftwareVersion: '1' },
      [ApiKey.Metadata]: { topics: [{ name: 'every-version' }] },
      [ApiKey.Produce]: produceBody('every-version', 0, null),
      [ApiKey.Fetch]: fetchBody('every-version', 0n),
      [ApiKey.ListOffsets]: { replicaId: -1, isolationLevel: 0, topics: [{ name: 'every-version', partitions: [{ partitionIndex: 0, timestamp: -2n, maxNumOffsets: 1, currentLeaderEpoch: -1 }] }] },
      [ApiKey.CreateTopics]: { topics: [{ name: 'every-version', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false },
      [ApiKey.DeleteTopics]: { topicNames: ['never-there'], timeoutMs: 1000 },
      [ApiKey.CreatePartitions]: { topics: [{ name: 'every-version', count: 1, assignments: null }], timeoutMs: 1000, validateOnly: true },
      [ApiKey.DescribeConfigs]: { resources: [{ resourceType: 2, resourceName: 'every-version', configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }], includeSynonyms: false, includeDocumentation: false },
      [ApiKey.AlterConfigs]: { resources: [{ resourceType: 2, resourceName: 'every-version', configs: [] }], validateOnly: true },
      [ApiKey.IncrementalAlterConfigs]: { resources: [{ resourceType: 2, resourceName: 'every-version', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }], validateOnly: true },
      [ApiKey.DeleteRecords]: { topics: [{ name: 'every-version', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 1000 },
      [ApiKey.InitProducerId]: { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 },
    };
    let answered = 0;
    for (const row of adv.apiKeys) {
      const body = bodies[row.apiKey as ApiKey];
      if (body === undefined) continue; // the group APIs are tested with their handlers
      for (let v = row.minVersion; v <= row.maxVersion; v++) {
        const versioned = row.apiKey === (ApiKey.DeleteTopics as number) && v >= 6 ? { topics: [{ name: 'never-there', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 1000 } : body;
        const r = await client.request(row.apiKey, v, versioned);
        expect(r).toBeDefined();
        answered++;
      }
    }
    // 13 APIs of this door, 77 (api, version) pairs with the caps in versions.ts.
    expect(answered).toBe(77);
    expect(client.closed).toBe(false);
  });

  it('closes the connection on an unknown API key and on a request version it does not serve; the broker keeps serving', async () => {
    const c1 = await RawClient.connect(port);
    const frame = encodeRequest(ApiKey.Metadata, 1, 1, 'raw', { topics: null });
    frame.writeInt16BE(999, 4);
    c1.write(frame);
    expect(await c1.waitClosed()).toBe(true);
    const c2 = await RawClient.connect(port);
    const vote = SUPPORTED_VERSIONS.find((s) => s.apiKey === ApiKey.Vote)!;
    c2.send(ApiKey.Vote, vote.minVersion, { clusterId: null, topics: [] });
    expect(await c2.waitClosed()).toBe(true);
    const c3 = await RawClient.connect(port);
    c3.send(ApiKey.Produce, 2, produceBody('x', 0, null));
    expect(await c3.waitClosed()).toBe(true);
    expect((await client.request(ApiKey.Metadata, 1, { topics: null })).brokers).toHaveLength(1);
  });

  it('pipelines: a later request is handled while a Fetch long-polls, responses come in request order', async () => {
    await createTopic('pipeline');
    const c = await RawClient.connect(port);
    const fetchId = c.send(ApiKey.Fetch, 11, fetchBody('pipeline', 0n, { maxWaitMs: 20_000, minBytes: 1 }));
    const mdId = c.send(ApiKey.Metadata, 9, { topics: [{ name: 'pipeline' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    // The Metadata answer is held back behind the Fetch; an append on another connection wakes the Fetch.
    await new Promise((r) => setTimeout(r, 200));
    expect((await produce('pipeline', batch(['wake']))).errorCode).toBe(0);
    const first = decodeResponse(ApiKey.Fetch, 11, (await c.nextFrame())!);
    expect(first.correlationId).toBe(fetchId);
    expect(first.body.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    const second = decodeResponse(ApiKey.Metadata, 9, (await c.nextFrame())!);
    expect(second.correlationId).toBe(mdId);
    c.close();
  });

  it('acks=0 gets no response: the next response on the connection is the next request', async () => {
    await createTopic('acks0');
    const c = await RawClient.connect(port);
    c.send(ApiKey.Produce, 7, produceBody('acks0', 0, batch(['fire', 'forget']), 0));
    c.send(ApiKey.Produce, 7, produceBody('acks0', 0, Buffer.from('garbage that is not a batch'), 0));
    const id = c.send(ApiKey.Metadata, 1, { topics: null });
    expect(decodeResponse(ApiKey.Metadata, 1, (await c.nextFrame())!).correlationId).toBe(id);
    expect(await highWatermark('acks0')).toBe(2n);
    c.close();
  });

  it('refuses bad batches whole, with Kafka error codes', async () => {
    await createTopic('validate', 1, { 'max.message.bytes': '2000' });
    const good = batch(['a', 'b']);
    const badCrc = Buffer.from(good);
    badCrc.writeUInt8(badCrc.readUInt8(badCrc.length - 1) ^ 0xff, badCrc.length - 1);
    expect((await produce('validate', badCrc)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const truncated = good.subarray(0, good.length - 3);
    expect((await produce('validate', truncated)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const magic1 = Buffer.from(good);
    magic1[16] = 1;
    expect((await produce('validate', magic1)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce('validate', Buffer.concat([good, good]))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const control = encodeBatchSync({ control: true, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]), headers: [] }] });
    expect((await produce('validate', control)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const badCount = Buffer.from(good);
    badCount.writeInt32BE(5, 57);
    writeBatchCrc(badCount);
    expect((await produce('validate', badCount)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce('validate', batch(['x'.repeat(3000)]))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await produce('validate', null)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await produce('no-such-topic-here', good)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce('__consumer_offsets', good)).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const acks2 = await client.request(ApiKey.Produce, 7, produceBody('validate', 0, good, 2));
    expect(acks2.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    expect(await highWatermark('validate')).toBe(0n);
    const ok = await produce('validate', good, 9);
    expect(ok).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await highWatermark('validate')).toBe(2n);
  });

  it('idempotence: duplicates return the original offsets, gaps and old epochs are refused', async () => {
    await createTopic('idem');
    const init = await client.request(ApiKey.InitProducerId, 2, { transactionalId: null, transactionTimeoutMs: 60000 });
    expect(init.errorCode).toBe(0);
    const other = await client.request(ApiKey.InitProducerId, 2, { transactionalId: null, transactionTimeoutMs: 60000 });
    expect(other.producerId).not.toBe(init.producerId);
    const id = init.producerId;
    const p = (epoch: number, seq: number, n = 2): Buffer => batch(Array.from({ length: n }, (_, i) => `e${epoch}s${seq + i}`), { id, epoch, seq });

    expect(await produce('idem', p(0, 0))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce('idem', p(0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    // A retry of either cached batch: its original offsets, nothing appended.
    expect(await produce('idem', p(0, 0))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce('idem', p(0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(await highWatermark('idem')).toBe(4n);
    expect((await produce('idem', p(0, 7))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Five more batches push the first out of the cache: retrying it now is out of order.
    for (let s = 4; s < 14; s += 2) expect((await produce('idem', p(0, s))).errorCode).toBe(0);
    expect((await produce('idem', p(0, 0))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A bumped epoch starts at 0; the old epoch is then fenced.
    expect((await produce('idem', p(1, 5))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produce('idem', p(1, 0))).toMatchObject({ errorCode: 0, baseOffset: 14n });
    expect((await produce('idem', p(0, 14))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await highWatermark('idem')).toBe(16n);
    // Transactions are not served.
    const txn = await client.request(ApiKey.InitProducerId, 2, { transactionalId: 'tx-1', transactionTimeoutMs: 60000 });
    expect(txn.errorCode).not.toBe(0);
    const txnBatch = encodeBatchSync({ transactional: true, producerId: id, producerEpoch: 1, baseSequence: 2, records: [{ key: null, value: Buffer.from('t'), headers: [] }] });
    expect((await produce('idem', txnBatch)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('fetch sends stored batches as stored, honours the byte limits, long-polls and reports bounds', async () => {
    await createTopic('fetch');
    const sent = [batch(['one', 'two']), batch(['three']), batch(['x'.repeat(5000)])];
    for (const s of sent) expect((await produce('fetch', Buffer.from(s))).errorCode).toBe(0);
    const all = await client.request(ApiKey.Fetch, 11, fetchBody('fetch', 0n));
    const part = all.responses[0]!.partitions[0]!;
    expect(part).toMatchObject({ errorCode: 0, highWatermark: 4n, lastStableOffset: 4n, logStartOffset: 0n });
    // Byte for byte what the client sent, apart from the base offset the log stamped.
    const records = part.records!;
    let pos = 0;
    sent.forEach((s, i) => {
      const stored = records.subarray(pos, pos + s.length);
      expect(readBatchHeader(stored).baseOffset).toBe([0n, 2n, 3n][i]);
      expect(stored.subarray(12)).toEqual(s.subarray(12));
      pos += s.length;
    });
    expect(pos).toBe(records.length);
    // A batch larger than the limits still comes whole when it is the first data.
    const big = await client.request(ApiKey.Fetch, 11, fetchBody('fetch', 3n, { maxBytes: 100, partitionMaxBytes: 100 }));
    expect(big.responses[0]!.partitions[0]!.records!.length).toBe(sent[2]!.length);
    const limited = await client.request(ApiKey.Fetch, 11, fetchBody('fetch', 0n, { partitionMaxBytes: sent[0]!.length + 10 }));
    expect(limited.responses[0]!.partitions[0]!.records!.length).toBe(sent[0]!.length);
    // read_committed: the last stable offset is the high watermark, no aborted transactions.
    const committed = await client.request(ApiKey.Fetch, 11, fetchBody('fetch', 0n, { isolation: 1 }));
    expect(committed.responses[0]!.partitions[0]).toMatchObject({ lastStableOffset: 4n, abortedTransactions: [] });
    // Past the high watermark, and below the log start after DeleteRecords: OFFSET_OUT_OF_RANGE.
    expect((await client.request(ApiKey.Fetch, 11, fetchBody('fetch', 9n))).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const del = await client.request(ApiKey.DeleteRecords, 1, { topics: [{ name: 'fetch', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 1000 });
    expect(del.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 2n });
    const below = await client.request(ApiKey.Fetch, 11, fetchBody('fetch', 1n));
    expect(below.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 2n });
    // At the end: an empty answer after max_wait_ms when nothing comes.
    const idle = await client.request(ApiKey.Fetch, 11, fetchBody('fetch', 4n, { maxWaitMs: 200, minBytes: 1 }));
    expect(idle.responses[0]!.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 4n });
    expect(idle.responses[0]!.partitions[0]!.records!.length).toBe(0);
    const unknown = await client.request(ApiKey.Fetch, 11, fetchBody('fetch-nope', 0n));
    expect(unknown.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('ListOffsets: earliest, latest, by timestamp, and v0 shape', async () => {
    await createTopic('offsets');
    const t = Date.now();
    for (const [i, ts] of [t - 3000, t - 2000, t - 1000].entries()) {
      const bb = encodeBatchSync({ records: [{ key: null, value: Buffer.from(`r${i}`), headers: [], timestampMs: BigInt(ts) }] });
      expect((await produce('offsets', bb)).errorCode).toBe(0);
    }
    const ask = async (timestamp: bigint): Promise<{ offset?: bigint; timestamp?: bigint; errorCode: number }> =>
      (await client.request(ApiKey.ListOffsets, 4, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'offsets', partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: -1 }] }] })).topics[0]!.partitions[0]!;
    expect((await ask(-2n)).offset).toBe(0n);
    expect((await ask(-1n)).offset).toBe(3n);
    expect(await ask(BigInt(t - 2500))).toMatchObject({ offset: 1n, timestamp: BigInt(t - 2000) });
    expect(await ask(BigInt(t + 60_000))).toMatchObject({ offset: -1n, timestamp: -1n });
    const v0 = await client.request(ApiKey.ListOffsets, 0, { replicaId: -1, topics: [{ name: 'offsets', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] });
    expect(v0.topics[0]!.partitions[0]!.oldStyleOffsets).toEqual([3n]);
    const missing = await client.request(ApiKey.ListOffsets, 4, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'offsets', partitions: [{ partitionIndex: 7, timestamp: -1n, currentLeaderEpoch: -1 }] }] });
    expect(missing.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('IncrementalAlterConfigs sets, deletes, appends and subtracts; DescribeConfigs shows topics and this broker', async () => {
    await createTopic('incremental', 1, { 'retention.ms': '60000' });
    const alter = async (configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false): Promise<number> =>
      (await client.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'incremental', configs }], validateOnly })).responses[0]!.errorCode;
    const describe = async (): Promise<Record<string, [string | null, number | undefined]>> => {
      const r = await client.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'incremental', configurationKeys: ['retention.ms', 'cleanup.policy', 'segment.bytes'] }], includeSynonyms: false, includeDocumentation: false });
      return Object.fromEntries(r.results[0]!.configs.map((c) => [c.name, [c.value, c.configSource]]));
    };
    expect(await describe()).toEqual({ 'retention.ms': ['60000', 1], 'cleanup.policy': ['delete', 5], 'segment.bytes': [expect.any(String), 5] });
    expect(await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }], true)).toBe(0);
    expect((await describe())['cleanup.policy']).toEqual(['delete', 5]);
    expect(await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }, { name: 'retention.ms', configOperation: 1, value: null }])).toBe(0);
    const after = await describe();
    expect(after['cleanup.policy']).toEqual(['delete,compact', 1]);
    expect(after['retention.ms']![1]).toBe(5);
    expect(await alter([{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).toBe(0);
    expect((await describe())['cleanup.policy']).toEqual(['compact', 1]);
    expect(await alter([{ name: 'segment.bytes', configOperation: 0, value: 'big' }])).toBe(ErrorCode.INVALID_CONFIG);
    expect(await alter([{ name: 'segment.bytes', configOperation: 9, value: '1' }])).toBe(ErrorCode.INVALID_REQUEST);
    const broker = await client.request(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }], includeSynonyms: false });
    expect(broker.results[0]!.configs).toEqual([expect.objectContaining({ name: 'num.partitions', value: '1', readOnly: true, configSource: 4 })]);
    const missing = await client.request(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'nope', configurationKeys: null }], includeSynonyms: false });
    expect(missing.results[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('Metadata auto-creates a topic only when allowed', async () => {
    const no = await client.request(ApiKey.Metadata, 9, { topics: [{ name: 'auto-no' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(no.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const yes = await client.request(ApiKey.Metadata, 9, { topics: [{ name: 'auto-yes' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    expect(yes.topics[0]).toMatchObject({ errorCode: 0, name: 'auto-yes' });
    expect(yes.topics[0]!.partitions.length).toBeGreaterThan(0);
    expect(yes.clusterId).toBe(((await (await fetch(`${b.url}/admin/cluster`)).json()) as { cluster_id: string }).cluster_id);
    const bad = await client.request(ApiKey.Metadata, 9, { topics: [{ name: 'bad name' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    expect(bad.topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});

describe('idempotent producer state after a restart', () => {
  it('is rebuilt from the log tail: a retried batch still gets its original offsets', async () => {
    const dataDir = tempDir();
    let b = await startTestBroker({}, dataDir);
    let c = await RawClient.connect(b.broker.kafkaPort);
    await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'restart', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const { producerId } = await c.request(ApiKey.InitProducerId, 2, { transactionalId: null, transactionTimeoutMs: 60000 });
    const p = (seq: number): Buffer => batch([`s${seq}`, `s${seq + 1}`, `s${seq + 2}`], { id: producerId, epoch: 0, seq });
    for (const seq of [0, 3, 6]) expect((await c.request(ApiKey.Produce, 7, produceBody('restart', 0, p(seq)))).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    c.close();
    await b.stop();
    b = await startTestBroker({}, dataDir);
    c = await RawClient.connect(b.broker.kafkaPort);
    try {
      const retry = await c.request(ApiKey.Produce, 7, produceBody('restart', 0, p(3)));
      expect(retry.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3n });
      expect((await c.request(ApiKey.Produce, 7, produceBody('restart', 0, p(10)))).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      expect((await c.request(ApiKey.Produce, 7, produceBody('restart', 0, p(9)))).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 9n });
      // A fresh id after the restart is not one handed out before.
      const again = await c.request(ApiKey.InitProducerId, 2, { transactionalId: null, transactionTimeoutMs: 60000 });
      expect(again.producerId).not.toBe(producerId);
    } finally {
      c.close();
      await b.close();
    }
  });
});
