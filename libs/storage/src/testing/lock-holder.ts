/**
 * Child process for the lock test: opens the data directory given as argv[2] with LogManager.
 * Mode "hold": prints "locked <pid>" and waits to be killed. Mode "try": prints the error code and
 * message of the failed open (or "opened") and exits.
 */
import { LogManager, StorageError } from '@runnel/storage';

async function main(): Promise<void> {
  const [dataDir, mode] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: lock-holder <dataDir> hold|try');
  try {
    const manager = await LogManager.open({ dataDir });
    if (mode === 'hold') {
      process.stdout.write(`locked ${process.pid}\n`);
      setInterval(() => {}, 1000);
      return;
    }
    process.stdout.write('opened\n');
    await manager.close();
  } catch (error) {
    if (error instanceof StorageError) process.stdout.write(`${error.code} ${error.message}\n`);
    else throw error;
  }
}

void main();
