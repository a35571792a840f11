#!/usr/bin/env node
// The `pipewise` CLI runs the compiled code in dist/ (built by `npm ci` through the prepare script).
// Exit codes: 0 success, 1 the work failed, 2 usage error (README "CLI conventions").
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'src', 'cli.js');
if (!fs.existsSync(entry)) execSync('npm run --silent build', { cwd: root, stdio: 'inherit' });
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
