import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadBrokerConfig } from './broker-config';

describe('broker configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runnel-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has the documented defaults', () => {
    const c = loadBrokerConfig([], {});
    expect(c.dataDir).toBe(resolve('./data'));
    expect(c.httpPort).toBe(8080);
    expect(c.kafkaPort).toBe(9092);
    expect(c.kafkaHosts).toEqual(['127.0.0.1', '::1']);
    expect(c.nodeId).toBe(1);
    expect(c.numPartitions).toBe(1);
    expect(c.autoCreateTopicsEnable).toBe(true);
    expect(c.topicDefaults['retention.ms']).toBe(String(7 * 24 * 3600 * 1000));
    expect(c.topicDefaults['flush.messages']).toBeUndefined();
  });

  it('layers file < environment < flags, in every spelling', () => {
    const file = join(dir, 'runnel.properties');
    writeFileSync(file, '# comment\nnum.partitions=4\nhttp.port = 9000\nRUNNEL_NODE_ID=7\nlog.retention.ms=1000\n');
    const c = loadBrokerConfig(['--config', file, '--http-port=9100', '--log.retention.ms', '2000'], { RUNNEL_HTTP_PORT: '9050', RUNNEL_NUM_PARTITIONS: '5', PATH: '/bin' });
    expect(c.numPartitions).toBe(5); // env beats file
    expect(c.httpPort).toBe(9100); // flag beats env
    expect(c.nodeId).toBe(7); // file only
    expect(c.topicDefaults['retention.ms']).toBe('2000');
    expect(c.raw['num.partitions']).toBe('5');
  });

  it('reads a JSON config file', () => {
    const file = join(dir, 'runnel.json');
    writeFileSync(file, JSON.stringify({ 'data.dir': dir, 'auto.create.topics.enable': false, 'kafka.host': '0.0.0.0' }));
    const c = loadBrokerConfig([], { RUNNEL_CONFIG: file });
    expect(c.dataDir).toBe(dir);
    expect(c.autoCreateTopicsEnable).toBe(false);
    expect(c.kafkaHosts).toEqual(['0.0.0.0']);
  });

  it.each([
    [['--http-port', 'eighty'], /http\.port.*"eighty" is not a whole number/],
    [['--http-port', '70000'], /http\.port.*70000 is out of range; valid values are 0 to 65535/],
    [['--auto.create.topics.enable', 'yes'], /auto\.create\.topics\.enable.*use true or false/],
    [['--log.cleanup.policy', 'shred'], /log\.cleanup\.policy.*use one of: delete, compact/],
    [['--no.such.thing', '1'], /unknown setting "no\.such\.thing"/],
    [['--data-dir'], /--data-dir needs a value/],
    [['positional'], /unexpected argument "positional"/],
    [['--group.min.session.timeout.ms', '9000', '--group.max.session.timeout.ms', '8000'], /min <= max/],
  ])('refuses %j with a message naming the setting', (argv, message) => {
    expect(() => loadBrokerConfig(argv, {})).toThrow(ConfigError);
    expect(() => loadBrokerConfig(argv, {})).toThrow(message);
  });

  it('names the environment as the source of a bad value', () => {
    expect(() => loadBrokerConfig([], { RUNNEL_KAFKA_PORT: '-1' })).toThrow(/kafka\.port \(from environment\)/);
    expect(() => loadBrokerConfig([], { RUNNEL_CONFIG: join(dir, 'missing.properties') })).toThrow(/cannot be read/);
  });
});
