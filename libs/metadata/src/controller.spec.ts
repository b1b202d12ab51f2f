import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPIC_NAME_LENGTH_MAX, TOPIC_PARTITIONS_MAX } from './constants';
import { MetadataController, replicationFactorOf, type MetadataControllerOptions } from './controller';
import { MetadataError, MetadataErrorCode } from './errors';
import { MetadataImage, type MetadataChange } from './image';
import { InMemoryMetadataLog } from './log-port';
import { ZERO_UUID } from './uuid';

const endPoints = [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 0 }];
const quiet = { warn: () => undefined };

/** Deterministic ids: a counter in the last bytes. */
function counterRandom(): (size: number) => Buffer {
  let n = 0;
  return (size) => {
    const bytes = Buffer.alloc(size);
    bytes.writeUInt32BE(++n, size - 4);
    bytes[0] = 0x10;
    return bytes;
  };
}

async function rejection(promise: Promise<unknown>): Promise<MetadataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MetadataError) return error;
    throw error;
  }
  throw new Error('expected the command to be refused');
}

describe('MetadataController', () => {
  let dir: string;
  let imagePath: string;
  let log: InMemoryMetadataLog;
  const open: MetadataController[] = [];

  function controller(overrides: Partial<MetadataControllerOptions> = {}): MetadataController {
    const c = new MetadataController({ log, imagePath, randomBytes: counterRandom(), logger: quiet, nowMs: () => 1_700_000_000_000n, ...overrides });
    open.push(c);
    return c;
  }

  async function started(overrides: Partial<MetadataControllerOptions> = {}): Promise<MetadataController> {
    const c = controller(overrides);
    await c.start();
    await c.ensureClusterInitialized('cluster-1');
    await c.registerBroker({ brokerId: 1, endPoints });
    return c;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runnel-controller-'));
    imagePath = join(dir, 'metadata.sqlite');
    log = new InMemoryMetadataLog();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('commands', () => {
    it('creates a topic: records appended durably as one batch, then applied', async () => {
      const c = await started();
      const before = log.logEndOffset;
      const durableBefore = log.durableAppends;
      const { topic, configs } = await c.createTopic({ name: 'orders', partitions: 3, configs: { 'retention.ms': '60000' } });
      expect(topic.name).toBe('orders');
      expect(topic.topicId).toHaveLength(22);
      expect(topic.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr, p.leaderEpoch])).toEqual([
        [0, 1, [1], [1], 0],
        [1, 1, [1], [1], 0],
        [2, 1, [1], [1], 0],
      ]);
      expect(configs).toEqual({ 'retention.ms': '60000' });
      // TopicRecord + 1 ConfigRecord + 3 PartitionRecords, in one durable append.
      expect(log.logEndOffset - before).toBe(5n);
      expect(log.durableAppends - durableBefore).toBe(1);
      expect(c.image.appliedOffset()).toBe(log.logEndOffset - 1n);
      expect(c.image.topic('orders')).toBe(topic);
      expect(c.image.topicById(topic.topicId)).toBe(topic);
      expect(c.image.topics().map((t) => t.name)).toEqual(['orders']);
    });

    it('initializes the cluster once and refuses another cluster id', async () => {
      const c = controller();
      await c.start();
      expect(await c.ensureClusterInitialized('cluster-1')).toEqual({ clusterId: 'cluster-1', created: true });
      expect(await c.ensureClusterInitialized('cluster-1')).toEqual({ clusterId: 'cluster-1', created: false });
      expect(c.image.clusterId()).toBe('cluster-1');
      expect(c.image.featureLevel('metadata.version')).toBe(21);
      const error = await rejection(c.ensureClusterInitialized('cluster-2'));
      expect(error.code).toBe(MetadataErrorCode.InconsistentClusterId);
      expect(error.message).toMatch(/cluster-1.*cluster-2/);
      expect((await rejection(c.ensureClusterInitialized('bad id!'))).code).toBe(MetadataErrorCode.InvalidRequest);
    });

    it('registers a broker with its registration offset as broker epoch', async () => {
      const c = controller();
      await c.start();
      await c.ensureClusterInitialized('cluster-1');
      const offset = log.logEndOffset;
      const broker = await c.registerBroker({ brokerId: 1, endPoints, rack: 'r1' });
      expect(broker).toEqual(expect.objectContaining({ brokerId: 1, brokerEpoch: offset, rack: 'r1', fenced: false, endPoints }));
      expect(c.image.brokers()).toEqual([broker]);
      expect((await rejection(c.registerBroker({ brokerId: -1, endPoints }))).code).toBe(MetadataErrorCode.InvalidRequest);
      expect((await rejection(c.registerBroker({ brokerId: 2, endPoints: [{ ...endPoints[0]!, port: 70000 }] }))).code).toBe(
        MetadataErrorCode.InvalidRequest,
      );
    });

    it('deletes a topic and recreates it with a new topic id', async () => {
      const c = await started();
      const first = (await c.createTopic({ name: 'orders', configs: { 'cleanup.policy': 'compact' } })).topic;
      const deleted = await c.deleteTopic('orders');
      expect(deleted).toEqual({ name: 'orders', topicId: first.topicId, partitionCount: 1 });
      expect(c.image.topic('orders')).toBeUndefined();
      expect(c.image.topicById(first.topicId)).toBeUndefined();
      expect(c.image.topicConfigs('orders')).toEqual({});
      const second = (await c.createTopic({ name: 'orders', partitions: 2 })).topic;
      expect(second.topicId).not.toBe(first.topicId);
      expect(second.partitions).toHaveLength(2);
      expect(c.image.topicConfigs('orders')).toEqual({});
    });

    it('grows partitions, never shrinks', async () => {
      const c = await started();
      await c.createTopic({ name: 'orders', partitions: 2 });
      const grown = await c.createPartitions('orders', 5);
      expect(grown.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
      const same = await rejection(c.createPartitions('orders', 5));
      expect(same.code).toBe(MetadataErrorCode.InvalidPartitions);
      expect(same.message).toMatch(/has 5 partitions.*must be larger/);
      expect((await rejection(c.createPartitions('orders', 2))).code).toBe(MetadataErrorCode.InvalidPartitions);
      expect((await rejection(c.createPartitions('orders', TOPIC_PARTITIONS_MAX + 1))).code).toBe(MetadataErrorCode.InvalidPartitions);
      expect((await rejection(c.createPartitions('nope', 3))).code).toBe(MetadataErrorCode.UnknownTopic);
    });

    it('alters configs incrementally and by full replace', async () => {
      const c = await started();
      await c.createTopic({ name: 'orders', configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } });
      expect(await c.alterTopicConfigs('orders', { 'retention.ms': '2000', 'segment.bytes': '1048576' }, ['cleanup.policy'])).toEqual({
        'retention.ms': '2000',
        'segment.bytes': '1048576',
      });
      expect(await c.replaceTopicConfigs('orders', { 'max.message.bytes': '2000' })).toEqual({ 'max.message.bytes': '2000' });
      expect(c.image.topicConfigs('orders')).toEqual({ 'max.message.bytes': '2000' });
      // No change: nothing appended.
      const end = log.logEndOffset;
      await c.alterTopicConfigs('orders', { 'max.message.bytes': '2000' });
      expect(log.logEndOffset).toBe(end);
      const both = await rejection(c.alterTopicConfigs('orders', { 'retention.ms': '1' }, ['retention.ms']));
      expect(both.code).toBe(MetadataErrorCode.InvalidRequest);
      expect((await rejection(c.alterTopicConfigs('nope', {}))).code).toBe(MetadataErrorCode.UnknownTopic);
    });

    it('allocates consecutive producer id blocks', async () => {
      const c = await started();
      expect(await c.allocateProducerIds(1)).toEqual({ firstProducerId: 0n, count: 1000 });
      expect(await c.allocateProducerIds(1, 10)).toEqual({ firstProducerId: 1000n, count: 10 });
      expect(c.image.producerIdState()).toEqual(expect.objectContaining({ brokerId: 1, nextProducerId: 1010n }));
      expect((await rejection(c.allocateProducerIds(9))).code).toBe(MetadataErrorCode.InvalidRequest);
      expect((await rejection(c.allocateProducerIds(1, 0))).code).toBe(MetadataErrorCode.InvalidRequest);
    });
  });

  describe('validateOnly (appends nothing)', () => {
    it('returns what createTopic, createPartitions and config changes would do', async () => {
      const c = await started();
      await c.createTopic({ name: 'orders', configs: { 'retention.ms': '1' } });
      const end = log.logEndOffset;
      const dump = c.image.dump();
      const dry = await c.createTopic({ name: 'dry', partitions: 2, configs: { 'cleanup.policy': 'compact' }, validateOnly: true });
      expect(dry.topic).toEqual(expect.objectContaining({ name: 'dry', topicId: ZERO_UUID, internal: false }));
      expect(dry.topic.partitions.map((p) => [p.partition, p.leader, p.replicas])).toEqual([
        [0, 1, [1]],
        [1, 1, [1]],
      ]);
      expect(dry.configs).toEqual({ 'cleanup.policy': 'compact' });
      expect((await c.createPartitions('orders', 3, { validateOnly: true })).partitions).toHaveLength(3);
      expect(await c.alterTopicConfigs('orders', { 'retention.ms': '2' }, [], { validateOnly: true })).toEqual({ 'retention.ms': '2' });
      expect(await c.replaceTopicConfigs('orders', {}, { validateOnly: true })).toEqual({});
      expect((await rejection(c.createTopic({ name: 'orders', validateOnly: true }))).code).toBe(MetadataErrorCode.TopicAlreadyExists);
      expect((await rejection(c.alterTopicConfigs('orders', { 'retention.ms': 'x' }, [], { validateOnly: true }))).code).toBe(MetadataErrorCode.InvalidConfig);
      expect(log.logEndOffset).toBe(end);
      expect(c.image.dump()).toEqual(dump);
      expect(replicationFactorOf(c.image.topic('orders')!)).toBe(1);
    });
  });

  describe('validation (a refused command appends nothing)', () => {
    const badNames: Array<[string, unknown]> = [
      ['empty', ''],
      ['"."', '.'],
      ['".."', '..'],
      ['too long', 'x'.repeat(TOPIC_NAME_LENGTH_MAX + 1)],
      ['a space', 'my topic'],
      ['a slash', 'a/b'],
      ['non-ASCII', 'tópico'],
      ['the metadata log', '__cluster_metadata'],
      ['not a string', 42],
    ];
    it.each(badNames)('refuses a topic name with %s as INVALID_TOPIC', async (_what, name) => {
      const c = await started();
      const end = log.logEndOffset;
      const error = await rejection(c.createTopic({ name: name as string }));
      expect(error.code).toBe(MetadataErrorCode.InvalidTopic);
      expect(log.logEndOffset).toBe(end);
    });

    it('accepts the longest legal name', async () => {
      const c = await started();
      const name = 'a.b_c-D9'.repeat(40).slice(0, TOPIC_NAME_LENGTH_MAX);
      expect((await c.createTopic({ name })).topic.name).toBe(name);
    });

    it('refuses an existing name (TOPIC_ALREADY_EXISTS) and a "." vs "_" collision (INVALID_TOPIC)', async () => {
      const c = await started();
      await c.createTopic({ name: 'a.b' });
      const end = log.logEndOffset;
      const exists = await rejection(c.createTopic({ name: 'a.b' }));
      expect(exists.code).toBe(MetadataErrorCode.TopicAlreadyExists);
      expect(exists.message).toMatch(/"a\.b" already exists/);
      const collision = await rejection(c.createTopic({ name: 'a_b' }));
      expect(collision.code).toBe(MetadataErrorCode.InvalidTopic);
      expect(collision.message).toMatch(/collides with existing topic "a\.b"/);
      expect(log.logEndOffset).toBe(end);
      await c.deleteTopic('a.b');
      expect((await c.createTopic({ name: 'a_b' })).topic.name).toBe('a_b');
    });

    it.each([0, -1, 1.5, TOPIC_PARTITIONS_MAX + 1, Number.NaN])('refuses %p partitions as INVALID_PARTITIONS', async (partitions) => {
      const c = await started();
      const error = await rejection(c.createTopic({ name: 't', partitions }));
      expect(error.code).toBe(MetadataErrorCode.InvalidPartitions);
      expect(error.message).toContain(`1 to ${TOPIC_PARTITIONS_MAX}`);
    });

    it('refuses a replication factor above the broker count, naming the count', async () => {
      const c = await started();
      const error = await rejection(c.createTopic({ name: 't', replicationFactor: 3 }));
      expect(error.code).toBe(MetadataErrorCode.InvalidReplicationFactor);
      expect(error.message).toMatch(/replication factor 3 .* only 1 broker is registered \(1\).*at most 1/);
      expect((await rejection(c.createTopic({ name: 't', replicationFactor: 0 }))).code).toBe(MetadataErrorCode.InvalidReplicationFactor);
    });

    it('refuses any topic before a broker is registered', async () => {
      const c = controller();
      await c.start();
      const error = await rejection(c.createTopic({ name: 't' }));
      expect(error.code).toBe(MetadataErrorCode.InvalidReplicationFactor);
      expect(error.message).toMatch(/only 0 brokers are registered/);
    });

    it.each([
      [{ 'retention.ms': 'soon' }, /retention\.ms/],
      [{ 'cleanup.policy': 'shred' }, /cleanup\.policy/],
      [{ 'no.such.config': '1' }, /no\.such\.config/],
      [{ 'min.cleanable.dirty.ratio': '2' }, /min\.cleanable\.dirty\.ratio/],
    ])('refuses invalid configs %p as INVALID_CONFIG naming the key', async (configs, key) => {
      const c = await started();
      const created = await rejection(c.createTopic({ name: 't', configs }));
      expect(created.code).toBe(MetadataErrorCode.InvalidConfig);
      expect(created.message).toMatch(key);
      await c.createTopic({ name: 'u' });
      const altered = await rejection(c.alterTopicConfigs('u', configs));
      expect(altered.code).toBe(MetadataErrorCode.InvalidConfig);
      expect(c.image.topicConfigs('u')).toEqual({});
    });

    it('refuses unknown topics and internal topic deletion', async () => {
      const c = await started();
      expect((await rejection(c.deleteTopic('nope'))).code).toBe(MetadataErrorCode.UnknownTopic);
      await c.createTopic({ name: '__consumer_offsets', partitions: 2 });
      expect(c.image.topic('__consumer_offsets')!.internal).toBe(true);
      expect((await rejection(c.deleteTopic('__consumer_offsets'))).code).toBe(MetadataErrorCode.InvalidTopic);
    });

    it('refuses commands before start and after close', async () => {
      const c = controller();
      expect((await rejection(c.createTopic({ name: 't' }))).code).toBe(MetadataErrorCode.NotRunning);
      await c.start();
      await c.close();
      expect((await rejection(c.createTopic({ name: 't' }))).code).toBe(MetadataErrorCode.NotRunning);
    });
  });

  describe('serialization and failures', () => {
    it('serializes concurrent commands: one create wins, records never interleave', async () => {
      const c = await started();
      const results = await Promise.allSettled([
        c.createTopic({ name: 'x', partitions: 3 }),
        c.createTopic({ name: 'x', partitions: 3 }),
        c.createTopic({ name: 'y', partitions: 2 }),
        c.createPartitions('x', 4),
        c.alterTopicConfigs('y', { 'retention.ms': '5' }),
        c.deleteTopic('x'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(((results[1] as PromiseRejectedResult).reason as MetadataError).code).toBe(MetadataErrorCode.TopicAlreadyExists);
      expect(c.image.topics().map((t) => [t.name, t.partitions.length])).toEqual([['y', 2]]);
      // Every command is one whole batch, each starting right after the previous one.
      const { decodeMetadataBatches } = await import('./records');
      const batches = decodeMetadataBatches(log.read(0n, 1 << 20).records);
      const types = batches.map((b) => b.records.map((r) => r.type).join(','));
      expect(types.slice(-5)).toEqual([
        'TopicRecord,PartitionRecord,PartitionRecord,PartitionRecord',
        'TopicRecord,PartitionRecord,PartitionRecord',
        'PartitionRecord',
        'ConfigRecord',
        'RemoveTopicRecord',
      ]);
    });

    it('applies nothing when the log append fails, and keeps taking commands', async () => {
      const c = await started();
      const end = log.logEndOffset;
      log.failNextAppend = new Error('ENOSPC: no space left on device');
      await expect(c.createTopic({ name: 't' })).rejects.toThrow(/ENOSPC/);
      expect(log.logEndOffset).toBe(end);
      expect(c.image.topic('t')).toBeUndefined();
      expect(c.image.appliedOffset()).toBe(end - 1n);
      expect((await c.createTopic({ name: 't' })).topic.name).toBe('t');
    });

    it('refuses a command when the queue is full', async () => {
      const c = await started();
      const { COMMAND_QUEUE_MAX } = await import('./constants');
      const commands = Array.from({ length: COMMAND_QUEUE_MAX }, (_, i) => c.createTopic({ name: `t${i}` }));
      const error = await rejection(c.createTopic({ name: 'one-too-many' }));
      expect(error.code).toBe(MetadataErrorCode.ControllerBusy);
      await Promise.all(commands);
      expect(c.image.topicCount()).toBe(COMMAND_QUEUE_MAX);
    });

    it('emits change events after each applied command; a throwing listener does not break it', async () => {
      const c = await started();
      const seen: MetadataChange[] = [];
      c.onChange(() => {
        throw new Error('listener bug');
      });
      const unsubscribe = c.onChange((change) => {
        seen.push(change);
      });
      const { topic } = await c.createTopic({ name: 'orders', partitions: 1, configs: { 'retention.ms': '5' } });
      await c.createPartitions('orders', 2);
      await c.alterTopicConfigs('orders', { 'retention.ms': '6' });
      await c.deleteTopic('orders');
      unsubscribe();
      await c.createTopic({ name: 'later' });
      expect(seen.map((s) => s.type)).toEqual(['topicCreated', 'partitionsChanged', 'configChanged', 'topicDeleted']);
      expect(seen[0]).toEqual({ type: 'topicCreated', topic, configs: { 'retention.ms': '5' } });
      expect(seen[1]).toEqual(expect.objectContaining({ previousCount: 1 }));
      expect(seen[2]).toEqual(expect.objectContaining({ resourceName: 'orders', changed: { 'retention.ms': '6' }, configs: { 'retention.ms': '6' } }));
      expect(seen[3]).toEqual({ type: 'topicDeleted', name: 'orders', topicId: topic.topicId, partitionCount: 2 });
    });
  });

  describe('async listeners', () => {
    it('a command resolves only after its listeners settle; a rejecting listener is logged', async () => {
      const warnings: string[] = [];
      const c = await started({ logger: { warn: (m) => warnings.push(m) } });
      const order: string[] = [];
      let release: () => void = () => undefined;
      c.onChange(async (change) => {
        if (change.type !== 'topicCreated') return;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        order.push('listener done');
      });
      c.onChange(() => Promise.reject(new Error('cannot create the log')));
      const created = c.createTopic({ name: 'orders' }).then(() => order.push('command resolved'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual([]);
      release();
      await created;
      expect(order).toEqual(['listener done', 'command resolved']);
      expect(warnings.join('\n')).toMatch(/listener failed on topicCreated/);
    });
  });

  describe('start: replay and rebuild', () => {
    async function populate(c: MetadataController): Promise<void> {
      await c.createTopic({ name: 'a', partitions: 3, configs: { 'retention.ms': '100' } });
      await c.createTopic({ name: 'b' });
      await c.createPartitions('b', 2);
      await c.alterTopicConfigs('a', { 'cleanup.policy': 'compact' });
      await c.deleteTopic('b');
      await c.createTopic({ name: 'b', partitions: 4 });
      await c.allocateProducerIds(1);
    }

    it('restarts with the same image, replaying nothing', async () => {
      const c = await started();
      await populate(c);
      const dump = c.image.dump();
      const topics = c.image.topics();
      await c.close();
      const again = controller();
      expect(await again.start()).toEqual({ rebuilt: false, replayedBatches: 0, appliedOffset: log.logEndOffset - 1n });
      expect(again.image.dump()).toEqual(dump);
      expect(again.image.topics()).toEqual(topics);
    });

    it('replays the log tail the image missed (a crash between append and apply)', async () => {
      const c = await started();
      await c.createTopic({ name: 'z' });
      await c.close();
      // Another controller over an in-memory image writes more, as if the process died before applying.
      const writer = controller({ imagePath: ':memory:' });
      await writer.start();
      await populate(writer);
      const dump = writer.image.dump();
      await writer.close();
      const again = controller();
      const result = await again.start();
      expect(result.rebuilt).toBe(false);
      expect(result.replayedBatches).toBe(7);
      expect(again.image.dump()).toEqual(dump);
    });

    it('rebuilds from offset 0 when the SQLite file is deleted', async () => {
      const c = await started();
      await populate(c);
      const dump = c.image.dump();
      await c.close();
      MetadataImage.destroy(imagePath);
      const again = controller();
      const result = await again.start();
      expect(result.rebuilt).toBe(true);
      expect(result.replayedBatches).toBeGreaterThan(7);
      expect(again.image.dump()).toEqual(dump);
      expect(again.image.clusterId()).toBe('cluster-1');
    });

    it('rebuilds from the log when the SQLite file is damaged', async () => {
      const c = await started();
      await populate(c);
      const dump = c.image.dump();
      await c.close();
      MetadataImage.destroy(imagePath);
      writeFileSync(imagePath, Buffer.alloc(8192, 0x5a));
      const again = controller();
      expect((await again.start()).rebuilt).toBe(true);
      expect(again.image.dump()).toEqual(dump);
    });

    it('rebuilds from the log when the image is ahead of the log end (the log is the source of truth)', async () => {
      const c = await started();
      await c.createTopic({ name: 'kept' });
      const keptEnd = log.logEndOffset;
      await c.createTopic({ name: 'lost' });
      await c.close();
      await log.truncateTo(keptEnd);
      const warnings: string[] = [];
      const again = controller({ logger: { warn: (m) => warnings.push(m) } });
      expect((await again.start()).rebuilt).toBe(true);
      expect(again.image.topic('kept')).toBeDefined();
      expect(again.image.topic('lost')).toBeUndefined();
      expect(again.image.appliedOffset()).toBe(keptEnd - 1n);
      expect(warnings.join('\n')).toMatch(/source of truth/);
      expect((await again.createTopic({ name: 'lost' })).topic.name).toBe('lost');
    });

    it('fails to start on a corrupt metadata log', async () => {
      const c = await started();
      await c.close();
      const damaged = Buffer.from(log.read(0n, 1 << 20).records);
      damaged.writeUInt8(damaged.readUInt8(damaged.length - 2) ^ 0xff, damaged.length - 2);
      const end = log.logEndOffset;
      const failing = controller({
        imagePath: ':memory:',
        log: {
          logEndOffset: end,
          read: () => ({ records: damaged, nextOffset: end, logEndOffset: end, logStartOffset: 0n }),
          append: () => Promise.reject(new Error('read-only')),
          truncateTo: () => Promise.resolve(),
        },
      });
      const error = await rejection(failing.start());
      expect(error.code).toBe(MetadataErrorCode.CorruptRecord);
      expect((await rejection(failing.createTopic({ name: 't' }))).code).toBe(MetadataErrorCode.NotRunning);
    });
  });
});
