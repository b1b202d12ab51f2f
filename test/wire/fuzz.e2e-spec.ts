/**
 * Fuzzing the listener: random bytes, random frames with real and unknown API keys, absurd frame
 * sizes, and valid requests with flipped bytes, truncations and wrong size prefixes. Every input
 * must end in responses or a closed connection; no handler may throw (that would be logged as a
 * bug), the process must not crash, and afterwards the broker still serves kcat.
 */
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { connect } from 'node:net';
import { ApiKey, RequestBodies, encodeRequest } from '@runnel/protocol';
import { encodeBatchSync } from '@runnel/records';
import { startTestBroker, TestBroker } from '../helpers/broker';
import { kcat } from './wire-helpers';

/** Writes `bytes`, half-closes, and resolves with the bytes received once the server closed. */
function exchange(port: number, bytes: Buffer, timeoutMs = 15_000): Promise<{ closed: boolean; received: number }> {
  return new Promise((resolve) => {
    let received = 0;
    const s = connect({ port, host: '127.0.0.1' }, () => {
      s.write(bytes);
      s.end();
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, received });
    }, timeoutMs);
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received });
    });
  });
}

function seeds(): Buffer[] {
  const batch = encodeBatchSync({ records: [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }] });
  const req = <K extends ApiKey>(k: K, v: number, body: RequestBodies[K]): Buffer => encodeRequest(k, v, 1, 'fuzz', body);
  return [
    req(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }),
    req(ApiKey.ApiVersions, 0, {}),
    req(ApiKey.Metadata, 1, { topics: [{ name: 'fuzz' }] }),
    req(ApiKey.Metadata, 12, { topics: [{ name: 'fuzz', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
    req(ApiKey.Produce, 3, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: batch }] }] }),
    req(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: batch }] }] }),
    req(ApiKey.Fetch, 4, { replicaId: -1, maxWaitMs: 10, minBytes: 1, maxBytes: 1024, isolationLevel: 1, topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }] }),
    req(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 10, minBytes: 1, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }], forgottenTopicsData: [], rackId: '' }),
    req(ApiKey.ListOffsets, 0, { replicaId: -1, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] }),
    req(ApiKey.ListOffsets, 6, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, timestamp: -2n }] }] }),
    req(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'fuzz', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false }),
    req(ApiKey.AlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'fuzz', configs: [{ name: 'retention.ms', value: '100000' }] }], validateOnly: true }),
    req(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'fuzz', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }] }], validateOnly: true }),
    req(ApiKey.DeleteRecords, 2, { topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 1000 }),
    req(ApiKey.DeleteTopics, 4, { topicNames: ['not-fuzz'], timeoutMs: 1000 }),
    req(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 }),
    // The group APIs: the same listener must survive their mutated requests too.
    req(ApiKey.FindCoordinator, 2, { key: 'fuzz-group', keyType: 0 }),
    req(ApiKey.JoinGroup, 5, { groupId: 'fuzz-group', sessionTimeoutMs: 6000, rebalanceTimeoutMs: 1000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 4, 102, 117, 122, 122, 0, 0, 0, 0]) }] }),
    req(ApiKey.Heartbeat, 3, { groupId: 'fuzz-group', generationId: 1, memberId: 'm', groupInstanceId: null }),
    req(ApiKey.SyncGroup, 3, { groupId: 'fuzz-group', generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [{ memberId: 'm', assignment: Buffer.alloc(4) }] }),
    req(ApiKey.OffsetCommit, 2, { groupId: 'fuzz-group', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] }),
    req(ApiKey.OffsetFetch, 5, { groupId: 'fuzz-group', topics: null }),
    req(ApiKey.LeaveGroup, 1, { groupId: 'fuzz-group', memberId: 'm' }),
    req(ApiKey.ListGroups, 2, {}),
    req(ApiKey.DescribeGroups, 3, { groups: ['fuzz-group'], includeAuthorizedOperations: true }),
    req(ApiKey.DeleteGroups, 1, { groupsNames: ['fuzz-group'] }),
  ];
}

describe('fuzzing the Kafka listener', () => {
  let b: TestBroker;
  let port: number;
  let bugs: string[];
  let spy: jest.SpyInstance;

  beforeAll(async () => {
    b = await startTestBroker({ 'log.level': 'error' });
    port = b.broker.kafkaPort;
    await fetch(`${b.url}/admin/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'fuzz', partitions: 1 }) });
    bugs = [];
    const original = Logger.prototype.error;
    spy = jest.spyOn(Logger.prototype, 'error').mockImplementation(function (this: Logger, message: unknown, ...rest: unknown[]) {
      if (String(message).includes('handler failed')) bugs.push(String(message));
      return original.call(this, message, ...rest);
    });
  });
  afterAll(async () => {
    spy.mockRestore();
    await b.close();
  });

  it('random bytes and random frames end in an answer or a closed connection', async () => {
    const keys = [...Object.values(ApiKey).filter((v): v is number => typeof v === 'number'), 7, 50, 999, -1, 32767];
    const frame = fc.record({ key: fc.constantFrom(...keys), version: fc.integer({ min: -2, max: 20 }), body: fc.uint8Array({ maxLength: 300 }) }).map(({ key, version, body }) => {
      const out = Buffer.alloc(4 + 8 + body.length);
      out.writeInt32BE(8 + body.length, 0);
      out.writeInt16BE(key, 4);
      out.writeInt16BE(version, 6);
      out.writeInt32BE(1, 8);
      Buffer.from(body).copy(out, 12);
      return out;
    });
    const absurd = fc.integer({ min: -2147483648, max: 2147483647 }).map((size) => {
      const out = Buffer.alloc(16);
      out.writeInt32BE(size, 0);
      return out;
    });
    const input = fc.oneof(fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)), frame, absurd, fc.array(frame, { minLength: 2, maxLength: 5 }).map((fs) => Buffer.concat(fs)));
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const r = await exchange(port, bytes);
        return r.closed;
      }),
      { numRuns: 300 },
    );
    expect(bugs).toEqual([]);
  });

  it('valid requests with flipped bytes, truncations and wrong sizes end in an answer or a closed connection', async () => {
    const all = seeds();
    const mutated = fc
      .record({
        seed: fc.integer({ min: 0, max: all.length - 1 }),
        flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 }),
        // Mostly whole frames with a right size, so that many mutations reach the body decoders and handlers.
        cut: fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: fc.nat(), weight: 1 }),
        size: fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: fc.integer({ min: -10, max: 100_000 }), weight: 1 }),
      })
      .map(({ seed, flips, cut, size }) => {
        const buf = Buffer.from(all[seed]!);
        // Keep the API key/version intact in most flips: the body decoders and handlers are the target.
        for (const f of flips) buf[12 + (f.at % Math.max(1, buf.length - 12))] = f.value;
        let out = cut === undefined ? buf : buf.subarray(0, 4 + (cut % Math.max(1, buf.length - 4)));
        if (cut !== undefined) out = Buffer.from(out);
        if (size !== undefined) out.writeInt32BE(size, 0);
        else out.writeInt32BE(out.length - 4, 0);
        return out;
      });
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        const r = await exchange(port, bytes);
        if (r.received > 0) answered++;
        return r.closed;
      }),
      { numRuns: 400 },
    );
    expect(bugs).toEqual([]);
    // The mutations reached the handlers: many of them were answered.
    expect(answered).toBeGreaterThan(40);
  });

  it('still serves a real client afterwards', async () => {
    const md = await kcat(port, ['-L', '-J']);
    expect(md.code).toBe(0);
    expect((JSON.parse(md.stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic)).toContain('fuzz');
    const p = await kcat(port, ['-P', '-t', 'after-fuzz'], 'still-alive\n');
    expect(p.code).toBe(0);
    const c = await kcat(port, ['-C', '-t', 'after-fuzz', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(c.stdout.trim()).toBe('still-alive');
  });
});
