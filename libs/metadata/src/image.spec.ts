import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataErrorCode } from './errors';
import { MetadataImage, type MetadataChange } from './image';
import type { MetadataRecord, PartitionRecord } from './records';

const idA = 'AAAAAAAAAAAAAAAAAAAAAg';
const idB = 'AAAAAAAAAAAAAAAAAAAAAw';

function partition(topicId: string, partitionId: number): MetadataRecord {
  const data: PartitionRecord = {
    partitionId,
    topicId,
    replicas: [1],
    isr: [1],
    removingReplicas: [],
    addingReplicas: [],
    leader: 1,
    leaderRecoveryState: 0,
    leaderEpoch: 0,
    partitionEpoch: 0,
  };
  return { type: 'PartitionRecord', data };
}

function topicConfig(name: string, key: string, value: string | null): MetadataRecord {
  return { type: 'ConfigRecord', data: { resourceType: 2, resourceName: name, name: key, value } };
}

describe('MetadataImage', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runnel-image-'));
    path = join(dir, 'metadata.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts empty with applied offset -1', () => {
    const image = MetadataImage.open(path);
    expect(image.appliedOffset()).toBe(-1n);
    expect(image.clusterId()).toBeNull();
    expect(image.topics()).toEqual([]);
    expect(image.topic('a')).toBeUndefined();
    image.close();
  });

  it('applies a batch and stores its offset; the state survives a reopen', () => {
    const image = MetadataImage.open(path);
    const changes = image.apply(2n, [{ type: 'TopicRecord', data: { name: 'a', topicId: idA } }, topicConfig('a', 'retention.ms', '10'), partition(idA, 0)]);
    expect(changes).toEqual([expect.objectContaining({ type: 'topicCreated', configs: { 'retention.ms': '10' } })]);
    expect(image.appliedOffset()).toBe(2n);
    expect(image.topic('a')).toEqual({ name: 'a', topicId: idA, internal: false, partitions: [expect.objectContaining({ partition: 0, leader: 1, replicas: [1] })] });
    expect(image.topicById(idA)).toBe(image.topic('a'));
    const dump = image.dump();
    image.close();
    const reopened = MetadataImage.open(path);
    expect(reopened.appliedOffset()).toBe(2n);
    expect(reopened.topic('a')).toEqual({ name: 'a', topicId: idA, internal: false, partitions: [expect.objectContaining({ partition: 0 })] });
    expect(reopened.topicConfigs('a')).toEqual({ 'retention.ms': '10' });
    expect(reopened.dump()).toEqual(dump);
    reopened.close();
  });

  it('applies nothing of a batch that fails mid-way, and does not move the applied offset (memory and file)', () => {
    const image = MetadataImage.open(path);
    image.apply(0n, [{ type: 'TopicRecord', data: { name: 'a', topicId: idA } }]);
    const before = image.dump();
    // TopicRecord b applies, then a PartitionRecord for an unknown topic throws: a crash mid-apply.
    expect(() =>
      image.apply(3n, [{ type: 'TopicRecord', data: { name: 'b', topicId: idB } }, topicConfig('a', 'retention.ms', '5'), partition('AAAAAAAAAAAAAAAAAAAABA', 0)]),
    ).toThrow(expect.objectContaining({ code: MetadataErrorCode.CorruptRecord }));
    expect(image.appliedOffset()).toBe(0n);
    expect(image.topic('b')).toBeUndefined();
    expect(image.topicById(idB)).toBeUndefined();
    expect(image.topicConfigs('a')).toEqual({});
    expect(image.dump()).toEqual(before);
    image.close();
    const reopened = MetadataImage.open(path);
    expect(reopened.appliedOffset()).toBe(0n);
    expect(reopened.topic('b')).toBeUndefined();
    expect(reopened.dump()).toEqual(before);
    reopened.close();
  });

  it('applyBatches commits several batches at once, or none of them', () => {
    const image = MetadataImage.open(path);
    const changes = image.applyBatches([
      { lastOffset: 1n, records: [{ type: 'TopicRecord', data: { name: 'a', topicId: idA } }, partition(idA, 0)] },
      { lastOffset: 2n, records: [{ type: 'RemoveTopicRecord', data: { topicId: idA } }] },
      { lastOffset: 3n, records: [{ type: 'TopicRecord', data: { name: 'a', topicId: idB } }] },
    ]);
    expect(changes.map((c) => c.type)).toEqual(['topicCreated', 'topicDeleted', 'topicCreated']);
    expect(image.appliedOffset()).toBe(3n);
    expect(image.topic('a')!.topicId).toBe(idB);
    const before = image.dump();
    expect(() =>
      image.applyBatches([
        { lastOffset: 4n, records: [{ type: 'TopicRecord', data: { name: 'c', topicId: 'AAAAAAAAAAAAAAAAAAAABA' } }] },
        { lastOffset: 5n, records: [{ type: 'RemoveTopicRecord', data: { topicId: idA } }] },
      ]),
    ).toThrow(/unknown topic id/);
    expect(image.appliedOffset()).toBe(3n);
    expect(image.topic('c')).toBeUndefined();
    expect(image.dump()).toEqual(before);
    expect(() => image.applyBatches([{ lastOffset: 5n, records: [] }, { lastOffset: 5n, records: [] }])).toThrow(/not after/);
    image.close();
  });

  it('refuses a batch at or before the applied offset (never applies twice)', () => {
    const image = MetadataImage.open(':memory:');
    image.apply(1n, [{ type: 'NoOpRecord', data: {} }, { type: 'NoOpRecord', data: {} }]);
    expect(() => image.apply(1n, [{ type: 'NoOpRecord', data: {} }])).toThrow(/not after the applied offset/);
    expect(image.appliedOffset()).toBe(1n);
    image.close();
  });

  it('removes a topic with its partitions and config overrides', () => {
    const image = MetadataImage.open(path);
    image.apply(2n, [{ type: 'TopicRecord', data: { name: 'a', topicId: idA } }, topicConfig('a', 'retention.ms', '10'), partition(idA, 0)]);
    const changes = image.apply(3n, [{ type: 'RemoveTopicRecord', data: { topicId: idA } }]);
    expect(changes).toEqual([{ type: 'topicDeleted', name: 'a', topicId: idA, partitionCount: 1 }]);
    expect(image.topic('a')).toBeUndefined();
    expect(image.topicConfigs('a')).toEqual({});
    const dump = image.dump();
    expect(dump.partitions).toEqual([]);
    expect(dump.configs).toEqual([]);
    image.close();
  });

  it('reports grown partitions and changed configs of existing topics', () => {
    const image = MetadataImage.open(':memory:');
    image.apply(1n, [{ type: 'TopicRecord', data: { name: 'a', topicId: idA } }, partition(idA, 0)]);
    const grown: MetadataChange[] = image.apply(3n, [partition(idA, 1), partition(idA, 2)]);
    expect(grown).toEqual([{ type: 'partitionsChanged', topic: image.topic('a'), previousCount: 1 }]);
    expect(image.partitions('a')).toHaveLength(3);
    const altered = image.apply(5n, [topicConfig('a', 'retention.ms', '10'), topicConfig('a', 'cleanup.policy', 'compact')]);
    expect(altered).toEqual([
      { type: 'configChanged', resourceType: 2, resourceName: 'a', configs: { 'retention.ms': '10', 'cleanup.policy': 'compact' }, changed: { 'retention.ms': '10', 'cleanup.policy': 'compact' } },
    ]);
    const removed = image.apply(6n, [topicConfig('a', 'retention.ms', null)]);
    expect(removed).toEqual([expect.objectContaining({ type: 'configChanged', configs: { 'cleanup.policy': 'compact' }, changed: { 'retention.ms': null } })]);
    expect(() => image.apply(7n, [partition(idA, 5)])).toThrow(/has 3 partitions/);
    image.close();
  });

  it('applies PartitionChangeRecord: leader epoch moves with the leader, partition epoch with any change', () => {
    const image = MetadataImage.open(':memory:');
    image.apply(1n, [{ type: 'TopicRecord', data: { name: 'a', topicId: idA } }, partition(idA, 0)]);
    const change = (leader: number, isr: number[] | null): MetadataRecord => ({
      type: 'PartitionChangeRecord',
      data: { partitionId: 0, topicId: idA, isr, leader, replicas: null, removingReplicas: null, addingReplicas: null, leaderRecoveryState: -1 },
    });
    image.apply(2n, [change(-2, [1, 2])]);
    expect(image.partitions('a')![0]).toEqual(expect.objectContaining({ leader: 1, isr: [1, 2], leaderEpoch: 0, partitionEpoch: 1 }));
    image.apply(3n, [change(2, null)]);
    expect(image.partitions('a')![0]).toEqual(expect.objectContaining({ leader: 2, isr: [1, 2], leaderEpoch: 1, partitionEpoch: 2 }));
    image.close();
  });

  it('keeps brokers, features, cluster id, broker configs and producer ids', () => {
    const image = MetadataImage.open(path);
    image.apply(5n, [
      { type: 'ClusterIdRecord', data: { clusterId: 'c1' } },
      { type: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } },
      {
        type: 'RegisterBrokerRecord',
        data: { brokerId: 7, incarnationId: idB, brokerEpoch: 2n, endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }], features: [], rack: 'r1', fenced: false },
      },
      { type: 'ConfigRecord', data: { resourceType: 4, resourceName: '7', name: 'log.retention.ms', value: '5' } },
      { type: 'ProducerIdsRecord', data: { brokerId: 7, brokerEpoch: 2n, nextProducerId: 1000n } },
      { type: 'NoOpRecord', data: {} },
    ]);
    image.close();
    const reopened = MetadataImage.open(path);
    expect(reopened.clusterId()).toBe('c1');
    expect(reopened.featureLevel('metadata.version')).toBe(21);
    expect(reopened.brokers()).toEqual([
      { brokerId: 7, incarnationId: idB, brokerEpoch: 2n, endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }], features: [], rack: 'r1', fenced: false },
    ]);
    expect(reopened.brokerConfigs(7)).toEqual({ 'log.retention.ms': '5' });
    expect(reopened.producerIdState()).toEqual({ brokerId: 7, brokerEpoch: 2n, nextProducerId: 1000n });
    expect(() => reopened.apply(6n, [{ type: 'ProducerIdsRecord', data: { brokerId: 7, brokerEpoch: 2n, nextProducerId: 10n } }])).toThrow(/back/);
    expect(() => reopened.apply(6n, [{ type: 'ClusterIdRecord', data: { clusterId: 'c2' } }])).toThrow(/cluster id/);
    reopened.close();
  });

  it('refuses a topic name or id that already exists', () => {
    const image = MetadataImage.open(':memory:');
    image.apply(0n, [{ type: 'TopicRecord', data: { name: 'a', topicId: idA } }]);
    expect(() => image.apply(1n, [{ type: 'TopicRecord', data: { name: 'a', topicId: idB } }])).toThrow(/existing topic/);
    expect(() => image.apply(1n, [{ type: 'TopicRecord', data: { name: 'b', topicId: idA } }])).toThrow(/reuses/);
    expect(image.topics().map((t) => t.name)).toEqual(['a']);
    image.close();
  });

  it('marks the broker-owned topics internal', () => {
    const image = MetadataImage.open(':memory:');
    image.apply(0n, [{ type: 'TopicRecord', data: { name: '__consumer_offsets', topicId: idA } }]);
    expect(image.topic('__consumer_offsets')!.internal).toBe(true);
    image.close();
  });
});
