/** Temporary directories for storage tests, removed by the returned cleanup. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A fresh directory. `memory` puts it on tmpfs (/dev/shm) when there is one: the heavy property and
 * crash tests exercise our logic, not the disk, and metadata operations on this VM's disk are slow.
 */
export function makeTempDir(prefix = 'runnel-storage-', memory = false): string {
  const base = memory && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public now = 1_700_000_000_000) {}
  nowMs(): number {
    return this.now;
  }
  advance(ms: number): void {
    this.now += ms;
  }
}
