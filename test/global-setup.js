/**
 * CLI tests run the real binary (bin/pipewise.js -> dist/): build dist/ from the current sources once per run.
 * Names the run for the databases built once and copied per suite (test/helpers/templates.ts): workers inherit
 * these variables; test/global-teardown.js deletes what was built under them.
 */
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async () => {
  execSync('npm run --silent build', { cwd: `${__dirname}/..`, stdio: 'inherit' });
  process.env.PIPEWISE_TEST_RUN = `${Date.now().toString(36)}_${process.pid}`;
  process.env.PIPEWISE_TEST_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-test-cache-'));
};
