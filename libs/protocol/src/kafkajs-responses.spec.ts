/**
 * Responses against an independent decoder: we encode random but valid responses (derived from the
 * schema) for every version kafkajs has, kafkajs decodes them, and both must hold the same values
 * in the same order. kafkajs renames fields, so the comparison is over the ordered leaf values
 * (numbers, strings, booleans, nulls, int64 as decimal strings, bytes as hex), which is what the
 * wire order fixes; throttle time is compared on its own (kafkajs moves it).
 */
import { DEFAULT_CONFIG, DEFAULT_SPEC_DIR, buildApis, readConfig } from '../../../scripts/protocol-gen/generate';
import { Random, randomStruct } from '../../../scripts/protocol-gen/random-values';
import { ApiKey, encodeResponseBody } from './index';

interface KafkajsResponse {
  decode(body: Buffer): Promise<Record<string, unknown>>;
}
type Body = Record<string, unknown>;

/** kafkajs sorts these responses' topics by name: send them sorted. */
function sortByName(key: string): (body: Body) => void {
  return (body) => (body[key] as { name: string }[]).sort((a, b) => a.name.localeCompare(b.name));
}

function kafkajs<T>(module: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`kafkajs/src/protocol/${module}`) as T;
}

const KAFKAJS_THROTTLE_KEYS = new Set(['throttleTime', 'clientSideThrottleTime']);
const SAMPLES_PER_VERSION = 5;

/** Leaf values in insertion order (which both decoders build in wire order). */
function leaves(value: unknown, skip: (key: string) => boolean, out: unknown[] = []): unknown[] {
  if (Buffer.isBuffer(value)) out.push(`bytes:${value.toString('hex')}`);
  else if (Array.isArray(value)) for (const x of value) leaves(x, skip, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, x] of Object.entries(value)) if (!skip(key)) leaves(x, skip, out);
  } else if (typeof value === 'bigint') out.push(value.toString());
  else out.push(value);
  return out;
}

interface Case {
  name: string;
  module: string;
  apiKey: ApiKey;
  skipOurs?: string[];
  /** Keys kafkajs adds that are not on the wire. */
  skipTheirs?: (v: number) => string[];
  /** Adjust a random body to what kafkajs can represent. */
  prepare?: (body: Body, v: number) => void;
  /** kafkajs modules that export a factory of {decode, parse} rather than {decode, parse}. */
  factory?: boolean;
}

const CASES: Case[] = [
  { name: 'ApiVersions', module: 'apiVersions', apiKey: ApiKey.ApiVersions },
  { name: 'Metadata', module: 'metadata', apiKey: ApiKey.Metadata },
  { name: 'Produce', module: 'produce', apiKey: ApiKey.Produce },
  // kafkajs decodes the record batches into `messages`; ours stay bytes (empty here).
  {
    name: 'Fetch',
    module: 'fetch',
    apiKey: ApiKey.Fetch,
    skipOurs: ['records'],
    skipTheirs: () => ['messages'],
    // kafkajs reads records into messages (ours are empty bytes here) and a null abortedTransactions as [].
    prepare: (body) => {
      for (const topic of body.responses as { partitions: Body[] }[]) {
        for (const partition of topic.partitions) {
          partition.records = Buffer.alloc(0);
          if (partition.abortedTransactions === null) partition.abortedTransactions = [];
        }
      }
    },
  },
  { name: 'ListOffsets', module: 'listOffsets', apiKey: ApiKey.ListOffsets },
  { name: 'FindCoordinator', module: 'findCoordinator', apiKey: ApiKey.FindCoordinator },
  { name: 'JoinGroup', module: 'joinGroup', apiKey: ApiKey.JoinGroup },
  { name: 'SyncGroup', module: 'syncGroup', apiKey: ApiKey.SyncGroup },
  { name: 'Heartbeat', module: 'heartbeat', apiKey: ApiKey.Heartbeat },
  { name: 'LeaveGroup', module: 'leaveGroup', apiKey: ApiKey.LeaveGroup },
  { name: 'OffsetCommit', module: 'offsetCommit', apiKey: ApiKey.OffsetCommit },
  { name: 'OffsetFetch', module: 'offsetFetch', apiKey: ApiKey.OffsetFetch },
  { name: 'ListGroups', module: 'listGroups', apiKey: ApiKey.ListGroups },
  { name: 'DescribeGroups', module: 'describeGroups', apiKey: ApiKey.DescribeGroups },
  // kafkajs adds an `error` object per failed group and names its throttle `throttleTimeMs`.
  { name: 'DeleteGroups', module: 'deleteGroups', apiKey: ApiKey.DeleteGroups, skipTheirs: () => ['error', 'throttleTimeMs'] },
  { name: 'CreateTopics', module: 'createTopics', apiKey: ApiKey.CreateTopics, prepare: sortByName('topics') },
  { name: 'DeleteTopics', module: 'deleteTopics', apiKey: ApiKey.DeleteTopics, prepare: sortByName('responses') },
  { name: 'CreatePartitions', module: 'createPartitions', apiKey: ApiKey.CreatePartitions, prepare: sortByName('results') },
  // kafkajs derives configSource from isDefault in v0, and isDefault from configSource after.
  {
    name: 'DescribeConfigs',
    module: 'describeConfigs',
    apiKey: ApiKey.DescribeConfigs,
    skipTheirs: (v) => (v === 0 ? ['configSource'] : ['isDefault']),
  },
  { name: 'AlterConfigs', module: 'alterConfigs', apiKey: ApiKey.AlterConfigs },
  { name: 'DeleteRecords', module: 'deleteRecords', apiKey: ApiKey.DeleteRecords, factory: true, prepare: sortByName('topics') },
  { name: 'InitProducerId', module: 'initProducerId', apiKey: ApiKey.InitProducerId },
];

const apis = buildApis(DEFAULT_SPEC_DIR, readConfig(DEFAULT_CONFIG));

describe('responses: decoded by kafkajs to the same values', () => {
  let throttlesCompared = 0;
  afterAll(() => {
    // Guard against the throttle comparison silently never running.
    expect(throttlesCompared).toBeGreaterThan(100);
  });

  for (const testCase of CASES) {
    it(`${testCase.name}: every kafkajs version`, async () => {
      const api = apis.find((a) => a.name === testCase.name)!;
      const { versions } = kafkajs<{ versions: string[] }>(`requests/${testCase.module}`);
      expect(versions.length).toBeGreaterThan(0);
      for (const versionText of versions) {
        const v = Number(versionText);
        const loaded = kafkajs<KafkajsResponse | ((args: unknown) => KafkajsResponse)>(`requests/${testCase.module}/v${v}/response`);
        const response = typeof loaded === 'function' ? loaded({ topics: [] }) : loaded;
        expect(typeof loaded === 'function').toBe(testCase.factory === true);
        for (let sample = 0; sample < SAMPLES_PER_VERSION; sample++) {
          const seed = 7_000_000 + api.apiKey * 1000 + v * 10 + sample;
          const body = randomStruct(api.response.root, v, new Random(seed));
          testCase.prepare?.(body, v);
          const bytes = encodeResponseBody(testCase.apiKey, v, body as never);
          const theirs = await response.decode(bytes);
          const context = `${testCase.name} v${v} seed ${seed}`;
          const skipOurs = new Set(['throttleTimeMs', ...(testCase.skipOurs ?? [])]);
          const skipTheirs = new Set([...KAFKAJS_THROTTLE_KEYS, ...(testCase.skipTheirs?.(v) ?? [])]);
          expect([context, leaves(theirs, (k) => skipTheirs.has(k))]).toEqual([context, leaves(body, (k) => skipOurs.has(k))]);
          // kafkajs reports the broker's throttle as clientSideThrottleTime (throttleTimeMs in DeleteGroups).
          const theirThrottle = theirs.clientSideThrottleTime ?? theirs.throttleTimeMs;
          if (body.throttleTimeMs !== undefined && theirThrottle !== undefined) {
            expect([context, theirThrottle]).toEqual([context, body.throttleTimeMs]);
            throttlesCompared++;
          }
        }
      }
    });
  }
});
