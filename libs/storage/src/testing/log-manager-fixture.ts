/** A LogManager over a fresh temporary directory for every test, closed and removed after it (jest only: not built into dist). */
import { LogManager } from '../log-manager';
import { ManualClock, makeTempDir, removeDir } from './temp-dir';

export interface LogManagerFixture {
  dir: string;
  /** Tests may replace it (a reopen); the replacement is the one closed after the test. */
  manager: LogManager;
  readonly clock: ManualClock;
}

/** Call inside a `describe`: registers the beforeEach/afterEach and returns the fixture they fill. */
export function useLogManager(): LogManagerFixture {
  const fixture = { clock: new ManualClock() } as LogManagerFixture;
  beforeEach(async () => {
    fixture.dir = makeTempDir();
    fixture.manager = await LogManager.open({ dataDir: fixture.dir, clock: fixture.clock });
  });
  afterEach(async () => {
    await fixture.manager.close();
    removeDir(fixture.dir);
  });
  return fixture;
}
