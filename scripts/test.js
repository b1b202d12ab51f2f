#!/usr/bin/env node
// `npm test`: everything CI checks, in order: install what tests need, build, typecheck all, lint, every test.
'use strict';
const { execSync } = require('node:child_process');
const run = (cmd) => { console.log(`\n$ ${cmd}`); execSync(cmd, { stdio: 'inherit' }); };
require('./test-setup').ensureSystemDeps();
run('npm run build');
// The build skips specs and tests; typecheck everything (tests, benches, scripts) too.
run('npm run typecheck');
run('npm run lint');
run('npx jest --ci --maxWorkers=2');
