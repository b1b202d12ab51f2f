import { DEFAULT_LOG_CONFIG, TOPIC_CONFIG_DEFS, logConfigToStrings, parseLogConfig } from './config';
import { LogConfigError } from './errors';

describe('log config', () => {
  it("has Kafka's defaults", () => {
    expect(DEFAULT_LOG_CONFIG).toEqual({
      segmentBytes: 1073741824,
      segmentMs: 604800000,
      segmentIndexBytes: 10485760,
      indexIntervalBytes: 4096,
      flushMessages: null,
      flushMs: null,
      retentionMs: 604800000,
      retentionBytes: -1,
      cleanupPolicy: { delete: true, compact: false },
      minCleanableDirtyRatio: 0.5,
      minCompactionLagMs: 0,
      deleteRetentionMs: 86400000,
      maxMessageBytes: 1048588,
      messageTimestampType: 'CreateTime',
      fileDeleteDelayMs: 60000,
    });
  });

  it('parses overrides by Kafka name on top of a base', () => {
    const config = parseLogConfig({ 'segment.bytes': '1024', 'cleanup.policy': 'compact, delete', 'min.cleanable.dirty.ratio': '0.1', 'flush.messages': '1' });
    expect(config).toMatchObject({ segmentBytes: 1024, cleanupPolicy: { delete: true, compact: true }, minCleanableDirtyRatio: 0.1, flushMessages: 1 });
    expect(parseLogConfig({ 'retention.ms': '5' }, config)).toMatchObject({ segmentBytes: 1024, retentionMs: 5 });
    expect(parseLogConfig({ 'flush.ms': '9223372036854775807' }).flushMs).toBeNull();
  });

  it.each([
    ['segment.bytes', '13', '[14, 2147483647]'],
    ['segment.bytes', 'abc', 'integer'],
    ['retention.ms', '-2', '>= -1'],
    ['min.cleanable.dirty.ratio', '1.5', '[0, 1]'],
    ['cleanup.policy', 'forever', 'delete, compact'],
    ['message.timestamp.type', 'Now', 'CreateTime, LogAppendTime'],
    ['flush.messages', '0', '>= 1'],
  ])('rejects %s=%s naming the key, the value and the valid range', (key, value, range) => {
    let caught: unknown;
    try {
      parseLogConfig({ [key]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LogConfigError);
    const error = caught as LogConfigError;
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.key).toBe(key);
    expect(error.message).toContain(`"${value}"`);
    expect(error.message).toContain(range);
  });

  it('rejects unknown names', () => {
    expect(() => parseLogConfig({ 'retention.hours': '1' })).toThrow(/Unknown topic config "retention.hours"/);
  });

  it('round-trips through strings', () => {
    const config = parseLogConfig({ 'cleanup.policy': 'compact,delete', 'flush.messages': '10', 'message.timestamp.type': 'LogAppendTime' });
    expect(parseLogConfig(logConfigToStrings(config))).toEqual(config);
    expect(parseLogConfig(logConfigToStrings(DEFAULT_LOG_CONFIG))).toEqual(DEFAULT_LOG_CONFIG);
    expect(Object.keys(logConfigToStrings(config)).sort()).toEqual(TOPIC_CONFIG_DEFS.map((d) => d.name).sort());
  });
});
