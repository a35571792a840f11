/** CLI tests run the real binary (bin/pipewise.js -> dist/): build dist/ from the current sources once per run. */
const { execSync } = require('node:child_process');

module.exports = async () => {
  execSync('npm run --silent build', { cwd: `${__dirname}/..`, stdio: 'inherit' });
};
