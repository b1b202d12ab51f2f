/**
 * The controller over a real @runnel/storage PartitionLog in a temp data directory, laid out as
 * DESIGN.md's "On disk": `__cluster_metadata-0/` beside `metadata.sqlite`.
 */
import { LogManager, type PartitionLog } from '@runnel/storage';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METADATA_IMAGE_FILE_NAME, METADATA_TOPIC_NAME } from './constants';
import { MetadataController } from './controller';
import { MetadataImage } from './image';
import { metadataLogConfig, type MetadataLogPort } from './log-port';

const endPoints = [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 0 }];
const quiet = { warn: () => undefined };

describe('MetadataController over a storage PartitionLog', () => {
  let dataDir: string;
  let manager: LogManager | null = null;
  let controller: MetadataController | null = null;

  async function boot(): Promise<{ c: MetadataController; log: PartitionLog }> {
    manager = await LogManager.open({
      dataDir,
      topicConfigs: (topic) => (topic === METADATA_TOPIC_NAME ? metadataLogConfig() : undefined),
    });
    const log = manager.getLog(METADATA_TOPIC_NAME, 0) ?? (await manager.createLog(METADATA_TOPIC_NAME, 0, metadataLogConfig()));
    const port: MetadataLogPort = log; // structural: PartitionLog is a MetadataLogPort
    controller = new MetadataController({ log: port, imagePath: join(dataDir, METADATA_IMAGE_FILE_NAME), logger: quiet });
    return { c: controller, log };
  }

  async function shutdown(): Promise<void> {
    await controller?.close();
    await manager?.close();
    controller = null;
    manager = null;
  }

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'runnel-metadata-'));
  });
  afterEach(async () => {
    await shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('commands land in __cluster_metadata-0 and survive restart, SQLite loss and an unclean stop', async () => {
    const first = await boot();
    expect(await first.c.start()).toEqual({ rebuilt: true, replayedBatches: 0, appliedOffset: -1n });
    await first.c.ensureClusterInitialized('cluster-1');
    await first.c.registerBroker({ brokerId: 1, endPoints });
    const orders = (await first.c.createTopic({ name: 'orders', partitions: 4, configs: { 'retention.ms': '60000' } })).topic;
    await first.c.createTopic({ name: 'audit' });
    await first.c.alterTopicConfigs('audit', { 'cleanup.policy': 'compact' });
    await first.c.createPartitions('audit', 3);
    await first.c.deleteTopic('orders');
    await first.c.createTopic({ name: 'orders', partitions: 2 });
    expect(first.log.logEndOffset).toBe(first.c.image.appliedOffset() + 1n);
    const dump = first.c.image.dump();
    expect(existsSync(join(dataDir, `${METADATA_TOPIC_NAME}-0`))).toBe(true);
    await shutdown();

    // Clean restart: nothing to replay, same image.
    const second = await boot();
    expect((await second.c.start()).replayedBatches).toBe(0);
    expect(second.c.image.dump()).toEqual(dump);
    expect(second.c.image.topic('orders')!.topicId).not.toBe(orders.topicId);
    await shutdown();

    // SQLite lost: rebuilt from the log alone.
    MetadataImage.destroy(join(dataDir, METADATA_IMAGE_FILE_NAME));
    const third = await boot();
    const rebuilt = await third.c.start();
    expect(rebuilt.rebuilt).toBe(true);
    expect(third.c.image.dump()).toEqual(dump);
    expect(third.c.image.clusterId()).toBe('cluster-1');

    // An unclean stop right after a durable append: the log recovers, the controller replays it.
    await third.c.createTopic({ name: 'late', partitions: 2 });
    const lateDump = third.c.image.dump();
    await third.c.close();
    controller = null;
    manager!.abandon();
    manager = null;
    const fourth = await boot();
    await fourth.c.start();
    expect(fourth.c.image.dump()).toEqual(lateDump);
    expect(fourth.c.image.topic('late')!.partitions).toHaveLength(2);
  });
});
