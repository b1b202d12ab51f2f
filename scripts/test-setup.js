'use strict';
// Installs the system programs the tests drive (real clients, real peers) when they are missing,
// so `npm test` passes on a bare machine. Each later issue adds its programs here.
const { execSync } = require('node:child_process');

/** Debian packages the test suite needs, keyed by the command that proves they are present. */
const SYSTEM_DEPS = [['chromium', 'chromium'], ['kcat', 'kcat']];

function has(cmd) {
  try { execSync(`command -v ${cmd}`, { stdio: 'ignore', shell: '/bin/bash' }); return true; } catch { return false; }
}

function ensureSystemDeps() {
  const missing = SYSTEM_DEPS.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const sudo = process.getuid && process.getuid() === 0 ? '' : 'sudo ';
  console.log(`installing test dependencies: ${missing.join(' ')}`);
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`, { stdio: 'inherit', shell: '/bin/bash' });
}

module.exports = { ensureSystemDeps, SYSTEM_DEPS };
