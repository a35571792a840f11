import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const ROOT = path.join(__dirname, '..', '..');
const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
/** NAME=value lines, and names of commented `# NAME=` lines. */
const set = Object.fromEntries([...example.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
const named = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));

describe('.env.example', () => {
  it('names every setting the code reads', () => {
    const sources = ['src/config.ts', 'src/shared/logger.ts'].map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
    const read = new Set([...sources.matchAll(/env(?:\.|\[['"]|, ['"])([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]));
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !named.has(name)).sort()).toEqual([]);
  });

  it('gives the defaults: loading it changes nothing', () => {
    const withExample = loadConfig({ ...set, NODE_ENV: 'test' });
    const defaults = loadConfig({ NODE_ENV: 'test' });
    expect({ ...withExample, auth: { ...withExample.auth, jwtSecret: '' } }).toEqual({ ...defaults, auth: { ...defaults.auth, jwtSecret: '' } });
    expect(set.NODE_ENV).toBe('development');
  });
});
