/**
 * Topic/log configuration with Kafka's names, types, defaults and valid ranges.
 *
 * Topic configs arrive as string maps (as in Kafka's CreateTopics/AlterConfigs and the REST API);
 * `parseLogConfig` validates every entry against TOPIC_CONFIG_DEFS and returns a typed LogConfig.
 * An unknown name or a bad value throws LogConfigError naming the key, the value and what is valid.
 */
import { LogConfigError } from './errors';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  /** null = never flush by count (Kafka's Long.MAX_VALUE default). */
  flushMessages: number | null;
  /** null = never flush by time (Kafka's Long.MAX_VALUE default). */
  flushMs: number | null;
  /** -1 = infinite. */
  retentionMs: number;
  /** -1 = infinite. */
  retentionBytes: number;
  cleanupPolicy: { delete: boolean; compact: boolean };
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  deleteRetentionMs: number;
  maxMessageBytes: number;
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  fileDeleteDelayMs: number;
}

/** Kafka's Long.MAX_VALUE, which Kafka uses to mean "never" for flush.messages and flush.ms. */
const LONG_MAX = '9223372036854775807';

type ConfigType = 'int' | 'long' | 'double' | 'list' | 'string';

export interface TopicConfigDef {
  name: string;
  field: keyof LogConfig;
  type: ConfigType;
  /** The default as Kafka prints it. */
  defaultValue: string;
  min?: number;
  max?: number;
  validValues?: readonly string[];
  doc: string;
}

const INT_MAX = 0x7fffffff;

export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  { name: 'segment.bytes', field: 'segmentBytes', type: 'int', defaultValue: String(1024 * 1024 * 1024), min: 14, max: INT_MAX, doc: 'Segment file size in bytes; the log rolls a new segment when the active one would exceed it.' },
  { name: 'segment.ms', field: 'segmentMs', type: 'long', defaultValue: String(7 * 24 * 3600 * 1000), min: 1, doc: 'Roll a new segment after this time even if the active one is not full, so retention/compaction can act on it.' },
  { name: 'segment.index.bytes', field: 'segmentIndexBytes', type: 'int', defaultValue: String(10 * 1024 * 1024), min: 8, max: INT_MAX, doc: 'Maximum size of a segment\'s offset index; a full index rolls the segment.' },
  { name: 'index.interval.bytes', field: 'indexIntervalBytes', type: 'int', defaultValue: '4096', min: 0, max: INT_MAX, doc: 'Bytes of batches between two index entries.' },
  { name: 'flush.messages', field: 'flushMessages', type: 'long', defaultValue: LONG_MAX, min: 1, doc: 'fsync the log after this many messages (default: never; durability comes from acks=all group commit).' },
  { name: 'flush.ms', field: 'flushMs', type: 'long', defaultValue: LONG_MAX, min: 0, doc: 'fsync the log when unflushed data is older than this (default: never).' },
  { name: 'retention.ms', field: 'retentionMs', type: 'long', defaultValue: String(7 * 24 * 3600 * 1000), min: -1, doc: 'Delete whole segments whose newest record is older than this; -1 = keep forever.' },
  { name: 'retention.bytes', field: 'retentionBytes', type: 'long', defaultValue: '-1', min: -1, doc: 'Delete oldest segments while the partition is larger than this; -1 = no size limit.' },
  { name: 'cleanup.policy', field: 'cleanupPolicy', type: 'list', defaultValue: 'delete', validValues: ['delete', 'compact'], doc: '"delete" (retention), "compact" (keep the latest record per key), or "compact,delete".' },
  { name: 'min.cleanable.dirty.ratio', field: 'minCleanableDirtyRatio', type: 'double', defaultValue: '0.5', min: 0, max: 1, doc: 'Compact only when dirty bytes / total bytes is at least this.' },
  { name: 'min.compaction.lag.ms', field: 'minCompactionLagMs', type: 'long', defaultValue: '0', min: 0, doc: 'A record stays uncompacted for at least this long.' },
  { name: 'delete.retention.ms', field: 'deleteRetentionMs', type: 'long', defaultValue: String(24 * 3600 * 1000), min: 0, doc: 'How long tombstones (null values) are kept in a compacted log.' },
  { name: 'max.message.bytes', field: 'maxMessageBytes', type: 'int', defaultValue: '1048588', min: 0, max: INT_MAX, doc: 'Largest record batch the log accepts, in bytes.' },
  { name: 'message.timestamp.type', field: 'messageTimestampType', type: 'string', defaultValue: 'CreateTime', validValues: ['CreateTime', 'LogAppendTime'], doc: 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps the broker\'s time on append.' },
  { name: 'file.delete.delay.ms', field: 'fileDeleteDelayMs', type: 'long', defaultValue: '60000', min: 0, doc: 'Delay before a deleted segment\'s .deleted files are removed from disk.' },
];

const DEFS_BY_NAME = new Map(TOPIC_CONFIG_DEFS.map((def) => [def.name, def]));

function rangeText(def: TopicConfigDef): string {
  if (def.validValues) return `one of ${def.validValues.join(', ')}${def.type === 'list' ? ' (comma separated)' : ''}`;
  const kind = def.type === 'double' ? 'a number' : 'an integer';
  if (def.max !== undefined) return `${kind} in [${def.min}, ${def.max}]`;
  return `${kind} >= ${def.min}`;
}

function bad(def: TopicConfigDef, value: string): LogConfigError {
  return new LogConfigError(`Invalid value "${value}" for topic config "${def.name}": must be ${rangeText(def)}.`, def.name, value);
}

function parseValue(def: TopicConfigDef, raw: string): LogConfig[keyof LogConfig] {
  const value = raw.trim();
  switch (def.type) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value)) throw bad(def, raw);
      if (def.field === 'flushMessages' || def.field === 'flushMs') {
        if (BigInt(value) >= BigInt(Number.MAX_SAFE_INTEGER)) return null;
      }
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw bad(def, raw);
      if (def.min !== undefined && n < def.min) throw bad(def, raw);
      if (def.max !== undefined && n > def.max) throw bad(def, raw);
      return n;
    }
    case 'double': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) throw bad(def, raw);
      if (def.min !== undefined && n < def.min) throw bad(def, raw);
      if (def.max !== undefined && n > def.max) throw bad(def, raw);
      return n;
    }
    case 'list': {
      const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (items.length === 0 || items.some((item) => !def.validValues?.includes(item))) throw bad(def, raw);
      return { delete: items.includes('delete'), compact: items.includes('compact') };
    }
    case 'string': {
      if (!def.validValues?.includes(value)) throw bad(def, raw);
      return value as LogConfig['messageTimestampType'];
    }
  }
}

function buildDefaults(): LogConfig {
  const config: Record<string, unknown> = {};
  for (const def of TOPIC_CONFIG_DEFS) config[def.field] = parseValue(def, def.defaultValue);
  return Object.freeze(config) as unknown as LogConfig;
}

/** Kafka's topic defaults. */
export const DEFAULT_LOG_CONFIG: LogConfig = buildDefaults();

/** Validates `overrides` (Kafka names -> string values) on top of `base`. Unknown names are errors. */
export function parseLogConfig(overrides: Record<string, string>, base: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  const config: Record<string, unknown> = { ...base, cleanupPolicy: { ...base.cleanupPolicy } };
  for (const [name, value] of Object.entries(overrides)) {
    const def = DEFS_BY_NAME.get(name);
    if (!def) {
      throw new LogConfigError(
        `Unknown topic config "${name}". Known configs: ${TOPIC_CONFIG_DEFS.map((d) => d.name).join(', ')}.`,
        name,
        value,
      );
    }
    if (typeof value !== 'string') throw bad(def, String(value));
    config[def.field] = parseValue(def, value);
  }
  return config as unknown as LogConfig;
}

/** The config as Kafka-named strings (the inverse of parseLogConfig). */
export function logConfigToStrings(config: LogConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of TOPIC_CONFIG_DEFS) {
    const value = config[def.field];
    if (value === null) out[def.name] = LONG_MAX;
    else if (typeof value === 'object') out[def.name] = [value.delete ? 'delete' : '', value.compact ? 'compact' : ''].filter(Boolean).join(',');
    else out[def.name] = String(value);
  }
  return out;
}
