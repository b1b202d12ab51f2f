/** Injected ports: time and logging, so tests control both. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export interface StorageLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: StorageLogger = { info: () => {}, warn: () => {}, error: () => {} };
