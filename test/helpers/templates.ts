import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl, type DatabaseConfig } from '../../src/config';
import { createOrm, migrate, type Orm } from '../../src/db/orm';

/**
 * Databases built once per jest run and copied per suite: a migrated PostgreSQL database, the seeded worlds.
 * The first suite that needs one builds it (under a lock, so two workers never build the same one); every
 * suite then gets its own copy, a file copy for SQLite, `create database ... template` for PostgreSQL, so no
 * two suites ever share a database they could write to. test/global-setup.js names the run (PIPEWISE_TEST_RUN,
 * PIPEWISE_TEST_CACHE) and test/global-teardown.js deletes what was built.
 */
export type DatabaseKind = DatabaseConfig['kind'];

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** Fills a freshly migrated database (the one-off build of a cached database). */
export type Build = (orm: Orm) => Promise<void>;

const RUN = process.env.PIPEWISE_TEST_RUN ?? `p${process.pid}`;
const CACHE_DIR = process.env.PIPEWISE_TEST_CACHE ?? path.join(os.tmpdir(), `pipewise-test-cache-${RUN}`);
/** Prefix of the run's PostgreSQL templates (global-teardown drops them by it). */
export const TEMPLATE_PREFIX = `pipewise_tpl_${RUN}_`;
const LOCK_WAIT_MS = 170_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The few members of a `pg` Client used here (pg ships no types). */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
  end(): Promise<void>;
}

/** A session on TEST_DATABASE_URL's database, outside any pool. */
async function adminSession(): Promise<PgClient> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as { Client: new (options: object) => PgClient };
  const client = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  return client;
}

async function admin(sql: string): Promise<void> {
  const client = await adminSession();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function buildInto(config: DatabaseConfig, build: Build): Promise<void> {
  const orm = await createOrm(config);
  try {
    await migrate(orm);
    await build(orm);
    if (config.kind === 'sqlite') await orm.em.getConnection().execute('pragma wal_checkpoint(TRUNCATE)');
  } finally {
    await orm.close(true);
  }
}

/** A copy of the run's cached database `key` (built by `build` on first use), yours to write to and drop. */
export async function cachedDatabase(kind: DatabaseKind, key: string, build: Build): Promise<TestDatabase> {
  return kind === 'sqlite' ? sqliteCopy(key, build) : postgresClone(key, build);
}

/** A throw-away PostgreSQL database: empty, or a clone of `template`. */
export async function createPostgresDatabase(template?: string): Promise<TestDatabase> {
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `pipewise_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(template ? `create database "${name}" template "${template}"` : `create database "${name}"`);
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    config: { ...parseDatabaseUrl(url.toString()), poolSize: 5 },
    drop: () => admin(`drop database if exists "${name}" with (force)`),
  };
}

async function sqliteCopy(key: string, build: Build): Promise<TestDatabase> {
  const file = path.join(CACHE_DIR, `${key}.db`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const lock = `${file}.lock`;
    for (const giveUp = Date.now() + LOCK_WAIT_MS; ; await sleep(100)) {
      try {
        fs.mkdirSync(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (Date.now() > giveUp) throw new Error(`gave up waiting for another worker to build ${file}`);
      }
    }
    try {
      if (!fs.existsSync(file)) {
        const building = `${file}.building-${process.pid}`;
        await buildInto(parseDatabaseUrl(building), build);
        if (fs.existsSync(`${building}-wal`) && fs.statSync(`${building}-wal`).size > 0) throw new Error(`${building}: WAL not checkpointed`);
        fs.renameSync(building, file); // readers see the whole file or none
      }
    } finally {
      fs.rmdirSync(lock);
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-test-db-'));
  fs.copyFileSync(file, path.join(dir, 'pipewise.db'));
  return {
    config: parseDatabaseUrl(path.join(dir, 'pipewise.db')),
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresClone(key: string, build: Build): Promise<TestDatabase> {
  const template = `${TEMPLATE_PREFIX}${key}`;
  // One session holds the advisory lock while the template is built; the others wait for it, then find it built.
  const client = await adminSession();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [template]);
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [template]);
    if (!rowCount) {
      const building = await createPostgresDatabase();
      const name = new URL(building.config.url).pathname.slice(1);
      try {
        await buildInto(building.config, build);
        await client.query(`alter database "${name}" rename to "${template}"`);
      } catch (error) {
        await building.drop();
        throw error;
      }
    }
  } finally {
    await client.end(); // releases the lock
  }
  return createPostgresDatabase(template);
}
