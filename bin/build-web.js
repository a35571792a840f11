#!/usr/bin/env node
// Builds the web app (web/ -> web/dist) with Vite when its sources changed since the last build, so that
// `npm start` (which builds first) stays fast. `--force` rebuilds anyway.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const web = path.join(root, 'web');
const stamp = path.join(web, 'dist', '.build-stamp');

function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

const sources = Math.max(newest(web), fs.statSync(path.join(root, 'package-lock.json')).mtimeMs);
const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
if (!process.argv.includes('--force') && built >= sources) process.exit(0);
const vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [root] })), 'bin', 'vite.js');
execFileSync(process.execPath, [vite, 'build', '--config', path.join(web, 'vite.config.ts'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
fs.writeFileSync(stamp, new Date().toISOString() + '\n');
