#!/usr/bin/env node
// The `runnel` command (package.json "bin"). Runs the compiled CLI (dist/, from `npm run build`) when it
// is there and its newest .js is not older than the newest .ts source (an incremental build re-emits
// only the files that changed); otherwise runs the TypeScript sources through
// @swc-node/register, so `npx runnel --help` works in a fresh clone right after `npm install`.
// RUNNEL_CLI_FROM_SOURCE=1 forces the sources.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const built = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
const sources = join(root, 'apps', 'cli', 'src');

/** Newest modification time of the files ending in `ext` under `dir` (src is small: a full walk is cheap). */
function newestMs(dir, ext) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMs(p, ext));
    else if (e.name.endsWith(ext) && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function useBuilt() {
  if (process.env.RUNNEL_CLI_FROM_SOURCE === '1' || !existsSync(built)) return false;
  return newestMs(dirname(built), '.js') >= newestMs(sources, '.ts');
}

if (useBuilt()) {
  require(built).run();
} else {
  // @swc-node/register reads the tsconfig for the @runnel/* paths; point it at ours from any cwd.
  process.env.SWC_NODE_PROJECT ??= join(root, 'tsconfig.json');
  require('@swc-node/register');
  require(join(sources, 'main.ts')).run();
}
