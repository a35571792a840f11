'use strict';
/**
 * Lets a worker thread load TypeScript when the app itself runs from src/ (under Jest, which compiles through
 * @swc/jest): the same .swcrc through @swc/core, a dev dependency. Production runs dist/ and never loads this.
 */
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '..', '..', '..');
const { $schema: _schema, ...options } = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename, swcrc: false, sourceMaps: 'inline' });
  module._compile(code, filename);
};
