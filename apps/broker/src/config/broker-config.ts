/**
 * Broker configuration: flags, environment and an optional config file, validated at boot.
 *
 * Precedence (highest first): command-line flags, environment, config file, defaults.
 * Every setting has one canonical name. Runnel's own settings use `RUNNEL_*` names
 * (`RUNNEL_DATA_DIR`); broker defaults use Kafka's names (`num.partitions`). Each can be given as:
 *   flag:        --data-dir ./data        --num.partitions 3   (or --name=value)
 *   environment: RUNNEL_DATA_DIR=./data   RUNNEL_NUM_PARTITIONS=3  (Kafka name upper-cased, dots -> _)
 *   file:        --config runnel.properties (or RUNNEL_CONFIG): `key=value` lines or a JSON object,
 *                keyed by either form (`data.dir`, `RUNNEL_DATA_DIR`, `num.partitions`).
 * A bad value stops the process with a message that names the setting, the value and what is valid.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

type Kind = 'string' | 'int' | 'bool' | 'enum';

interface SettingDef {
  /** Canonical dotted name (`http.port`, `num.partitions`). */
  name: string;
  kind: Kind;
  defaultValue: string;
  doc: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Extra environment variable names accepted (e.g. RUNNEL_HTTP_PORT for http.port). */
  env?: string;
}

const INT32_MAX = 2_147_483_647;
const LONG_MAX = Number.MAX_SAFE_INTEGER;

/** The settings table: the single source of names, defaults, ranges and docs. */
export const SETTINGS: readonly SettingDef[] = [
  { name: 'data.dir', kind: 'string', defaultValue: './data', doc: 'Data directory (logs, metadata image).', env: 'RUNNEL_DATA_DIR' },
  { name: 'host', kind: 'string', defaultValue: '0.0.0.0', doc: 'Address the HTTP listener binds to.', env: 'RUNNEL_HOST' },
  { name: 'http.port', kind: 'int', defaultValue: '8080', min: 0, max: 65535, doc: 'HTTP/WebSocket/SSE port (0 = any free port).', env: 'RUNNEL_HTTP_PORT' },
  { name: 'kafka.port', kind: 'int', defaultValue: '9092', min: 0, max: 65535, doc: 'Kafka wire protocol port (0 = any free port).', env: 'RUNNEL_KAFKA_PORT' },
  { name: 'kafka.host', kind: 'string', defaultValue: '', doc: 'Addresses the Kafka listener binds to (comma separated); empty = IPv4 and IPv6 loopback.', env: 'RUNNEL_KAFKA_HOST' },
  { name: 'advertised.host', kind: 'string', defaultValue: 'localhost', doc: 'Host name Kafka clients are told to connect to.', env: 'RUNNEL_ADVERTISED_HOST' },
  { name: 'advertised.port', kind: 'int', defaultValue: '0', min: 0, max: 65535, doc: 'Port Kafka clients are told to connect to (0 = the Kafka port).', env: 'RUNNEL_ADVERTISED_PORT' },
  { name: 'node.id', kind: 'int', defaultValue: '1', min: 0, max: INT32_MAX, doc: 'This node\'s id in the cluster.', env: 'RUNNEL_NODE_ID' },
  { name: 'log.level', kind: 'enum', defaultValue: 'info', values: ['error', 'warn', 'info', 'debug'], doc: 'Log verbosity.', env: 'RUNNEL_LOG_LEVEL' },
  // Broker defaults, with Kafka's names.
  { name: 'num.partitions', kind: 'int', defaultValue: '1', min: 1, max: 10_000, doc: 'Partitions of an auto-created or default topic.' },
  { name: 'default.replication.factor', kind: 'int', defaultValue: '1', min: 1, max: 1, doc: 'Replication factor of new topics (1 on a single node).' },
  { name: 'auto.create.topics.enable', kind: 'bool', defaultValue: 'true', doc: 'Create unknown topics on first produce or metadata request.' },
  { name: 'log.retention.ms', kind: 'int', defaultValue: String(7 * 24 * 3600 * 1000), min: -1, max: LONG_MAX, doc: 'Default retention.ms of topics (-1 = forever).' },
  { name: 'log.retention.bytes', kind: 'int', defaultValue: '-1', min: -1, max: LONG_MAX, doc: 'Default retention.bytes per partition (-1 = unlimited).' },
  { name: 'log.segment.bytes', kind: 'int', defaultValue: String(1024 * 1024 * 1024), min: 14, max: INT32_MAX, doc: 'Default segment.bytes.' },
  { name: 'log.segment.ms', kind: 'int', defaultValue: String(7 * 24 * 3600 * 1000), min: 1, max: LONG_MAX, doc: 'Default segment.ms (roll after this age).' },
  { name: 'log.cleanup.policy', kind: 'enum', defaultValue: 'delete', values: ['delete', 'compact', 'compact,delete', 'delete,compact'], doc: 'Default cleanup.policy.' },
  { name: 'log.flush.interval.messages', kind: 'int', defaultValue: '-1', min: -1, max: LONG_MAX, doc: 'Default flush.messages (-1 = only acks=all appends are synced, group-committed).' },
  { name: 'log.flush.interval.ms', kind: 'int', defaultValue: '-1', min: -1, max: LONG_MAX, doc: 'Default flush.ms (-1 = no timed flush).' },
  { name: 'message.max.bytes', kind: 'int', defaultValue: String(1024 * 1024 + 12), min: 0, max: INT32_MAX, doc: 'Largest record batch a topic accepts (max.message.bytes default).' },
  { name: 'offsets.topic.num.partitions', kind: 'int', defaultValue: '50', min: 1, max: 1000, doc: 'Partitions of __consumer_offsets.' },
  { name: 'group.initial.rebalance.delay.ms', kind: 'int', defaultValue: '3000', min: 0, max: 300_000, doc: 'Delay before the first rebalance of an empty group.' },
  { name: 'group.min.session.timeout.ms', kind: 'int', defaultValue: '6000', min: 1, max: INT32_MAX, doc: 'Smallest session timeout a member may ask for.' },
  { name: 'group.max.session.timeout.ms', kind: 'int', defaultValue: '1800000', min: 1, max: INT32_MAX, doc: 'Largest session timeout a member may ask for.' },
  { name: 'consumer.instance.timeout.ms', kind: 'int', defaultValue: '300000', min: 1000, max: INT32_MAX, doc: 'HTTP consumer instances idle longer than this are removed.' },
  // HTTP limits.
  { name: 'http.request.bytes.max', kind: 'int', defaultValue: String(16 * 1024 * 1024), min: 1024, max: 1024 * 1024 * 1024, doc: 'Largest HTTP request body (413 beyond).', env: 'RUNNEL_HTTP_REQUEST_BYTES_MAX' },
  { name: 'http.records.per.request.max', kind: 'int', defaultValue: '10000', min: 1, max: 1_000_000, doc: 'Most records in one produce request (422 beyond).' },
  { name: 'http.long.poll.ms.max', kind: 'int', defaultValue: '30000', min: 0, max: 300_000, doc: 'Longest long-poll a read may ask for (422 beyond).' },
  { name: 'http.fetch.bytes.max', kind: 'int', defaultValue: String(8 * 1024 * 1024), min: 1024, max: 256 * 1024 * 1024, doc: 'Largest max_bytes a read may ask for.' },
  { name: 'shutdown.timeout.ms', kind: 'int', defaultValue: '10000', min: 0, max: 600_000, doc: 'How long SIGTERM waits for in-flight requests.' },
];

export interface BrokerConfig {
  dataDir: string;
  host: string;
  httpPort: number;
  kafkaPort: number;
  kafkaHosts: string[];
  advertisedHost: string;
  advertisedPort: number;
  nodeId: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  /** Topic-config defaults derived from the `log.*` broker settings, with topic-level (Kafka) names. */
  topicDefaults: Record<string, string>;
  messageMaxBytes: number;
  offsetsTopicNumPartitions: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  consumerInstanceTimeoutMs: number;
  httpRequestBytesMax: number;
  httpRecordsPerRequestMax: number;
  httpLongPollMsMax: number;
  httpFetchBytesMax: number;
  shutdownTimeoutMs: number;
  /** Every setting by canonical name, as given or defaulted (for `GET /admin/cluster` and logs). */
  raw: Record<string, string>;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const byName = new Map(SETTINGS.map((s) => [s.name, s]));
const envName = (s: SettingDef): string => s.env ?? `RUNNEL_${s.name.toUpperCase().replace(/[.-]/g, '_')}`;
const byEnv = new Map(SETTINGS.map((s) => [envName(s), s]));
const byFlag = new Map<string, SettingDef>();
for (const s of SETTINGS) {
  byFlag.set(s.name, s);
  byFlag.set(s.name.replace(/\./g, '-'), s);
  // --data-dir as well as --data.dir; Runnel settings are commonly written without a prefix.
}

/** Looks a key up in any of its spellings (canonical, dashed, RUNNEL_ env form). */
function lookup(key: string): SettingDef | undefined {
  return byName.get(key) ?? byFlag.get(key) ?? byEnv.get(key) ?? byEnv.get(`RUNNEL_${key.toUpperCase().replace(/[.-]/g, '_')}`);
}

function validate(def: SettingDef, value: string, source: string): string {
  const where = `${def.name} (from ${source})`;
  switch (def.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(value.trim())) throw new ConfigError(`${where} = "${value}" is not a whole number; give an integer between ${def.min} and ${def.max}.`);
      const n = Number(value.trim());
      if (!Number.isSafeInteger(n) || (def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        throw new ConfigError(`${where} = ${value} is out of range; valid values are ${def.min} to ${def.max}.`);
      }
      return String(n);
    }
    case 'bool': {
      const v = value.trim().toLowerCase();
      if (v !== 'true' && v !== 'false') throw new ConfigError(`${where} = "${value}" is not a boolean; use true or false.`);
      return v;
    }
    case 'enum': {
      const v = value.trim();
      if (!def.values?.includes(v)) throw new ConfigError(`${where} = "${value}" is not valid; use one of: ${def.values?.join(', ')}.`);
      return v;
    }
    case 'string':
      return value;
  }
}

function parseFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`config file ${path} cannot be read (${(e as Error).message}); check the --config path.`);
  }
  const out: Record<string, string> = {};
  if (text.trimStart().startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${path} is not valid JSON (${(e as Error).message}).`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ConfigError(`config file ${path} must hold a JSON object of settings.`);
    for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return out;
  }
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('!')) continue;
    const eq = t.search(/[=:]/);
    if (eq < 0) throw new ConfigError(`config file ${path}, line ${i + 1}: expected key=value, got "${t}".`);
    out[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
  }
  return out;
}

/** Parses `--name value`, `--name=value` flags; returns the settings and an optional --config path. */
function parseFlags(argv: readonly string[]): { flags: Record<string, string>; configPath?: string } {
  const flags: Record<string, string> = {};
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"; settings are given as --name value (see --help).`);
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`flag --${key} needs a value (--${key} VALUE).`);
      value = next;
      i++;
    }
    if (key === 'config') configPath = value;
    else flags[key] = value;
  }
  return configPath === undefined ? { flags } : { flags, configPath };
}

export function helpText(): string {
  const lines = ['Usage: runnel-broker [--config FILE] [--name value ...]', '', 'Settings (flag / environment, default):'];
  for (const s of SETTINGS) lines.push(`  --${s.name.padEnd(34)} ${envName(s).padEnd(40)} ${s.defaultValue === '' ? '""' : s.defaultValue}\n      ${s.doc}`);
  return lines.join('\n');
}

/**
 * Builds the validated configuration. Throws ConfigError naming the first bad setting.
 * `env` is the process environment; only `RUNNEL_*` names are read from it.
 */
export function loadBrokerConfig(argv: readonly string[] = [], env: NodeJS.ProcessEnv = {}): BrokerConfig {
  const { flags, configPath: flagConfig } = parseFlags(argv);
  const configPath = flagConfig ?? env.RUNNEL_CONFIG;
  const raw: Record<string, string> = {};
  const source: Record<string, string> = {};
  for (const s of SETTINGS) {
    raw[s.name] = s.defaultValue;
    source[s.name] = 'default';
  }
  const layer = (entries: Record<string, string>, from: string): void => {
    for (const [k, v] of Object.entries(entries)) {
      const def = lookup(k);
      if (!def) throw new ConfigError(`unknown setting "${k}" (from ${from}); run with --help to list the settings.`);
      raw[def.name] = validate(def, v, from);
      source[def.name] = from;
    }
  };
  if (configPath !== undefined) layer(parseFile(resolve(configPath)), `config file ${configPath}`);
  const envEntries: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('RUNNEL_') || k === 'RUNNEL_CONFIG' || k === 'RUNNEL_SERVER' || v === undefined) continue;
    envEntries[k] = v;
  }
  layer(envEntries, 'environment');
  layer(flags, 'command line');

  const int = (name: string): number => Number(raw[name]);
  const minSession = int('group.min.session.timeout.ms');
  const maxSession = int('group.max.session.timeout.ms');
  if (minSession > maxSession) {
    throw new ConfigError(`group.min.session.timeout.ms (${minSession}) is larger than group.max.session.timeout.ms (${maxSession}); make min <= max.`);
  }
  const flushMessages = raw['log.flush.interval.messages']!;
  const flushMs = raw['log.flush.interval.ms']!;
  const topicDefaults: Record<string, string> = {
    'retention.ms': raw['log.retention.ms']!,
    'retention.bytes': raw['log.retention.bytes']!,
    'segment.bytes': raw['log.segment.bytes']!,
    'segment.ms': raw['log.segment.ms']!,
    'cleanup.policy': raw['log.cleanup.policy']!,
    'max.message.bytes': raw['message.max.bytes']!,
  };
  if (flushMessages !== '-1') topicDefaults['flush.messages'] = flushMessages;
  if (flushMs !== '-1') topicDefaults['flush.ms'] = flushMs;
  return {
    dataDir: resolve(raw['data.dir']!),
    host: raw.host!,
    httpPort: int('http.port'),
    kafkaPort: int('kafka.port'),
    kafkaHosts: raw['kafka.host'] === '' ? ['127.0.0.1', '::1'] : raw['kafka.host']!.split(',').map((h) => h.trim()),
    advertisedHost: raw['advertised.host']!,
    advertisedPort: int('advertised.port'),
    nodeId: int('node.id'),
    logLevel: raw['log.level'] as BrokerConfig['logLevel'],
    numPartitions: int('num.partitions'),
    defaultReplicationFactor: int('default.replication.factor'),
    autoCreateTopicsEnable: raw['auto.create.topics.enable'] === 'true',
    topicDefaults,
    messageMaxBytes: int('message.max.bytes'),
    offsetsTopicNumPartitions: int('offsets.topic.num.partitions'),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: minSession,
    groupMaxSessionTimeoutMs: maxSession,
    consumerInstanceTimeoutMs: int('consumer.instance.timeout.ms'),
    httpRequestBytesMax: int('http.request.bytes.max'),
    httpRecordsPerRequestMax: int('http.records.per.request.max'),
    httpLongPollMsMax: int('http.long.poll.ms.max'),
    httpFetchBytesMax: int('http.fetch.bytes.max'),
    shutdownTimeoutMs: int('shutdown.timeout.ms'),
    raw,
  };
}
