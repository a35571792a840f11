#!/usr/bin/env node
// The `pipewise` CLI runs the compiled code in dist/ (built by `npm install` through the prepare script).
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'src', 'cli.js');
if (!fs.existsSync(entry)) execSync('npm run --silent build', { cwd: root, stdio: 'inherit' });
require(entry).main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
