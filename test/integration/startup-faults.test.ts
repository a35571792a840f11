import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { PROJECT_ROOT } from '../../src/shared/paths';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;
const SECRET = 'startup-faults-test-secret-0123456789abcdef';

/** Runs the real entry point (src/main.ts through the same SWC hook the worker threads use) until it exits. */
function start(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', path.join(PROJECT_ROOT, 'src/shared/workers/ts-register.js'), path.join(PROJECT_ROOT, 'src/main.ts')], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), PORT: '4181', HOST: '127.0.0.1', LOG_LEVEL: 'info', FORECAST_FACTS_FILE: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** One clear line on stderr, and the same message once in the JSON log (level fatal), no stack anywhere. */
function expectOneLine(run: Awaited<ReturnType<typeof start>>, message: string | RegExp) {
  expect([run.timedOut, run.code]).toEqual([false, 1]);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(typeof message === 'string' ? `pipewise: ${message}` : message);
  const fatal = run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.level === 60 || l.level === 'fatal');
  expect(fatal).toHaveLength(1);
  expect(lines[0]).toBe(`pipewise: ${fatal[0].msg}`);
  expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
}

describe('start-up faults (the real entry point)', () => {
  let dir: string;
  beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-startup-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a database path that cannot be created fails at once with one line (no endless mkdir loop)', async () => {
    const run = await start({ DATABASE_URL: '/proc/nonexistent/x.db' });
    expectOneLine(run, /^pipewise: cannot create the folder of the SQLite database \/proc\/nonexistent: ENOENT$/);
  });

  it('a file that is not an SQLite database says so, naming it', async () => {
    const file = path.join(dir, 'notes.db');
    fs.writeFileSync(file, 'these are my meeting notes, not a database\n'.repeat(200));
    expectOneLine(await start({ DATABASE_URL: file }), `not a Pipewise/SQLite database: ${file}`);
    expect(fs.readFileSync(file, 'utf8')).toBe('these are my meeting notes, not a database\n'.repeat(200));
  });

  it('production does not migrate unless asked: an empty SQLite database is refused, naming the fix', async () => {
    const file = path.join(dir, 'empty.db');
    const run = await start({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: file });
    expectOneLine(run, /^pipewise: the database has \d+ pending migration\(s\) \(Migration\d+_initial, \.\.\.\): run `pipewise migrate` or start with MIGRATE_ON_START=true$/);
  });

  it('production migrates when asked (MIGRATE_ON_START=true), then serves and is ready', async () => {
    const file = path.join(dir, 'asked.db');
    const child = spawn(process.execPath, ['-r', path.join(PROJECT_ROOT, 'src/shared/workers/ts-register.js'), path.join(PROJECT_ROOT, 'src/main.ts')], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: file, MIGRATE_ON_START: 'true', PORT: '4182', HOST: '127.0.0.1', FORECAST_FACTS_FILE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start within 60 s: ${out}`)), 60_000);
        child.stdout.on('data', (d) => {
          out += d;
          if (/GraphQL at http/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const ready = await fetch('http://127.0.0.1:4182/readyz');
      expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', database: 'sqlite' }]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 90_000);
});

onPostgres('start-up faults on PostgreSQL in production', () => {
  const base = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://localhost/unused'); // the block is skipped without it
  const admin = knex({ client: 'pg', connection: base.toString(), pool: { min: 0, max: 1 } });
  const name = `pipewise_startup_${process.pid}`;
  const urlOf = (db: string) => Object.assign(new URL(base.toString()), { pathname: `/${db}` }).toString();
  const exists = async (db: string) => ((await admin.raw('select 1 from pg_database where datname = ?', [db])).rows as unknown[]).length > 0;
  afterAll(async () => {
    await admin.raw(`drop database if exists "${name}" with (force)`);
    await admin.raw(`drop database if exists "${name}_typo" with (force)`);
    await admin.destroy();
  });

  it('a wrong database name is never created: one line naming it', async () => {
    const run = await start({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: urlOf(`${name}_typo`) });
    expectOneLine(run, `the PostgreSQL database in DATABASE_URL does not exist: ${urlOf(`${name}_typo`)} (create it first; production never creates one)`);
    expect(await exists(`${name}_typo`)).toBe(false);
  });

  it('an existing empty database is not migrated unless asked (nothing written to it)', async () => {
    await admin.raw(`create database "${name}"`);
    const run = await start({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: urlOf(name) });
    expectOneLine(run, /pending migration\(s\).*run `pipewise migrate` or start with MIGRATE_ON_START=true$/);
    const db = knex({ client: 'pg', connection: urlOf(name), pool: { min: 0, max: 1 } });
    try {
      const tables = await db.raw(`select table_name from information_schema.tables where table_schema = 'public'`);
      expect(tables.rows).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});
