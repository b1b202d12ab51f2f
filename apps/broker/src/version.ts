import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Runnel's version, from the nearest package.json above this file (source or dist). */
function findVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'runnel' && pkg.version) return pkg.version;
    }
  }
  return '0.0.0';
}

export const RUNNEL_VERSION = findVersion();
