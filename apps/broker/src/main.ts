/**
 * `npm start`: a single-node broker. Settings from flags, RUNNEL_* environment and an optional
 * config file (see config/broker-config.ts, or run with --help).
 */
import 'reflect-metadata';
import { ConfigError, helpText, loadBrokerConfig } from './config/broker-config';
import { startBroker } from './broker';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText());
    return;
  }
  let config;
  try {
    config = loadBrokerConfig(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`runnel: configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  let broker;
  try {
    broker = await startBroker(config);
  } catch (e) {
    console.error(`runnel: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(`runnel: broker ${config.nodeId} ready; HTTP on ${broker.httpUrl} (Swagger UI at ${broker.httpUrl}/docs), Kafka on ${config.advertisedHost}:${config.advertisedPort || broker.kafkaPort}, data in ${config.dataDir}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`runnel: ${signal} received, shutting down cleanly`);
    broker
      .close()
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        console.error(`runnel: unclean shutdown: ${(e as Error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
