#!/usr/bin/env node
// Builds the addon with node-gyp: this package's install script (npm runs it for the root's
// file: dependency, fresh clones included), or by hand. It never fails: without a compiler (or on
// any build error) it warns, exits 0, and libs/records falls back to @node-rs/crc32 (its tests
// notice on x86-64 Linux). npm shows an install script's output only when it fails, so the
// warning is seen with `npm install --foreground-scripts` or `node libs/records/native/build.js`.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const output = path.join(here, 'build', 'Release', 'runnel_crc32c.node');
const tag = '[runnel-crc32c-native]';

function loads() {
  const probe = spawnSync(process.execPath, ['-e', `
    const m = require(${JSON.stringify(output)});
    if (m.crc32c(Buffer.from('123456789')) !== 0xe3069283) throw new Error('wrong check value');
    process.stdout.write(m.implementation);`], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout : null;
}

/** node-gyp: the one npm passes to scripts, else the one bundled with this node's npm, else PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((c) => c && c.endsWith('.js') && fs.existsSync(c));
  return found ? [process.execPath, found] : ['node-gyp'];
}

function main() {
  const args = ['rebuild'];
  // Headers of the running node when it ships them (e.g. /usr/include/node), so nothing is downloaded.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  const [cmd, ...pre] = nodeGyp();
  const result = spawnSync(cmd, [...pre, ...args], { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const implementation = result.status === 0 ? loads() : null;
  if (implementation) {
    console.log(`${tag} built ${path.relative(process.cwd(), output) || output} (${implementation})`);
    return;
  }
  const why = result.error ? result.error.message : `${result.stderr || ''}${result.stdout || ''}`.trim().split('\n').slice(-15).join('\n');
  console.warn(`${tag} WARNING: the CRC-32C addon did not build; libs/records falls back to @node-rs/crc32 (slower).\n${why}`);
}

try {
  main();
} catch (error) {
  console.warn(`${tag} WARNING: ${error instanceof Error ? error.message : String(error)}`);
}
process.exitCode = 0;
