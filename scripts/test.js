#!/usr/bin/env node
// `npm test`: everything CI checks, in order: install what tests need, typecheck+build, lint, every test.
'use strict';
const { execSync } = require('node:child_process');
const run = (cmd) => { console.log(`\n$ ${cmd}`); execSync(cmd, { stdio: 'inherit' }); };
require('./test-setup').ensureSystemDeps();
run('npm run build');
run('npm run lint');
run('npx jest --ci --maxWorkers=2');
