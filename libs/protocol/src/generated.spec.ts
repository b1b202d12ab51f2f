/**
 * The generated codecs are committed; this fails when they are not what the generator makes from
 * the spec and apis.json today. Fix: `node -r @swc-node/register scripts/protocol-gen/generate.ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG, DEFAULT_OUT_DIR, DEFAULT_SPEC_DIR, camelCase, generate, readConfig } from '../../../scripts/protocol-gen/generate';
import { parseRange, stripComments } from '../../../scripts/protocol-gen/schema';

describe('generated code', () => {
  it('is up to date with the spec and apis.json (regenerate with scripts/protocol-gen/generate.ts)', () => {
    const expected = generate(DEFAULT_SPEC_DIR, readConfig(DEFAULT_CONFIG));
    const committed = fs.readdirSync(DEFAULT_OUT_DIR).filter((f) => f.endsWith('.ts')).sort();
    expect(committed).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) {
      const onDisk = fs.readFileSync(path.join(DEFAULT_OUT_DIR, name), 'utf8');
      expect([name, onDisk === content]).toEqual([name, true]);
    }
  });

  it('lists at least the APIs the broker issue needs, each with all spec versions', () => {
    const names = readConfig(DEFAULT_CONFIG).apis.map((a) => a.name);
    for (const needed of ['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'ListOffsets', 'FindCoordinator', 'JoinGroup', 'SyncGroup',
      'Heartbeat', 'LeaveGroup', 'OffsetCommit', 'OffsetFetch', 'ListGroups', 'DescribeGroups', 'DeleteGroups', 'CreateTopics',
      'DeleteTopics', 'CreatePartitions', 'DescribeConfigs', 'AlterConfigs', 'IncrementalAlterConfigs', 'DeleteRecords',
      'InitProducerId', 'Vote', 'BeginQuorumEpoch', 'EndQuorumEpoch', 'FetchSnapshot', 'DescribeQuorum']) {
      expect(names).toContain(needed);
    }
  });

  it('parses version ranges and strips comments outside strings only', () => {
    expect(parseRange('0+')).toEqual({ min: 0, max: 0x7fff });
    expect(parseRange('3-7')).toEqual({ min: 3, max: 7 });
    expect(parseRange('5')).toEqual({ min: 5, max: 5 });
    expect(parseRange('none').min).toBeGreaterThan(parseRange('none').max);
    expect(() => parseRange('x')).toThrow();
    expect(JSON.parse(stripComments('{ // c\n "a": "http://x//y" // d\n}'))).toEqual({ a: 'http://x//y' });
  });

  it('names properties in camel case', () => {
    expect(camelCase('ThrottleTimeMs')).toBe('throttleTimeMs');
    expect(camelCase('ISRNodes')).toBe('isrNodes');
    expect(camelCase('Id')).toBe('id');
  });
});
