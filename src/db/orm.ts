import { MikroORM, type Options } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../shared/paths';
import { StartupError, type DatabaseConfig } from '../config';
import { ENTITIES } from './entities';
import { DealHistorySubscriber } from '../modules/deal/deal-history';
import { DataVersionSubscriber } from '../shared/answer-cache/data-versions';
import { sqliteMigrations } from './migrations/sqlite';
import { postgresqlMigrations } from './migrations/postgresql';
import { replicaOptions } from './read-routing';

export type Orm = MikroORM;
export type Em = EntityManager;

/** Source folder of the committed migrations of one dialect (used when creating a new migration). */
export const migrationsDir = (kind: DatabaseConfig['kind']) =>
  path.join(PROJECT_ROOT, 'src', 'db', 'migrations', kind);

/** Where the SQL client's own warnings (e.g. a pooled connection lost while the database restarts) go. */
export interface DriverLogger {
  warn(message: string): void;
}

export function ormOptions(db: DatabaseConfig, debug = false, logger?: DriverLogger): Options {
  const common: Options = {
    entities: ENTITIES,
    extensions: [Migrator],
    subscribers: [new DealHistorySubscriber(), new DataVersionSubscriber()], // deal field history and data versions, written in the writer's flush
    discovery: { warnWhenNoEntities: true },
    allowGlobalContext: false,
    forceUndefined: false,
    debug,
    // A PostgreSQL database is created only where asked (development); production never creates one by a typo.
    ensureDatabase: db.kind === 'postgresql' && db.createIfMissing === true,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: migrationsDir(db.kind),
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      snapshot: false,
      silent: true,
      migrationsList: db.kind === 'postgresql' ? postgresqlMigrations : sqliteMigrations,
    },
  };
  if (db.kind === 'postgresql') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgreSqlDriver } = require('@mikro-orm/postgresql');
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: db.url,
      ...replicaOptions(db), // DATABASE_READ_URL: same pool and session settings as the primary
      // Fail fast while the database is away (no minute-long waits for a connection), recover on the next request.
      pool: { min: 0, max: db.poolSize, acquireTimeoutMillis: 10_000 }, // a failed connect is reported at once (knex propagates it)
      driverOptions: {
        connection: { connectionTimeoutMillis: db.connectTimeoutMs ?? 3000, statement_timeout: db.statementTimeoutMs ?? 30000 },
        // knex prints these to the console by default; they belong in the structured log.
        ...(logger && { log: { warn: (m: string) => logger.warn(m), error: (m: string) => logger.warn(m), deprecate: () => undefined, debug: () => undefined } }),
      },
    };
  }
  if (db.url !== ':memory:') ensureDirectory(path.dirname(db.url));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PipewiseSqliteDriver } = require('./sqlite-driver');
  return {
    ...common,
    driver: PipewiseSqliteDriver,
    dbName: db.url,
    pool: {
      // WAL: readers (the worker threads loading facts, the CLI) never block the server's writes, nor it theirs.
      // The busy timeout is SQLite's own brief retry while another process writes; it is short because
      // better-sqlite3 waits synchronously, on the event loop: past it a write answers SERVICE_UNAVAILABLE.
      afterCreate(conn: { pragma(sql: string): unknown }, done: (error: Error | null, conn: unknown) => void) {
        try {
          if (db.url !== ':memory:') conn.pragma('journal_mode = WAL');
          // WAL + NORMAL: a commit is a write to the WAL, synced at checkpoints (SQLite's advice for WAL; FULL
          // syncs every commit, 1.6x slower writes under the load bench's mix of activity logging).
          conn.pragma(`synchronous = ${db.sqliteSynchronous ?? 'NORMAL'}`);
          conn.pragma(`busy_timeout = ${db.busyTimeoutMs ?? 250}`);
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  };
}

/** SQLite refused the statement because another connection (a CLI import, a second server) holds the lock. */
export function isDatabaseBusy(error: unknown): boolean {
  let e = error as { code?: unknown; previous?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (typeof e.code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(e.code)) return true;
    e = (e.previous ?? e.cause) as typeof e;
  }
  return false;
}

/**
 * Creates the folders of an SQLite path one level at a time: `mkdirSync(recursive)` never returns on some paths
 * (under /proc it loops forever), and a plain mkdir names the real reason.
 */
function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new StartupError(`cannot create the folder of the SQLite database ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}

export async function createOrm(db: DatabaseConfig, debug = false, logger?: DriverLogger): Promise<Orm> {
  let orm: Orm | undefined;
  try {
    orm = await MikroORM.init(ormOptions(db, debug, logger));
    // MikroORM connects lazily and only logs a failure: ask now, so a bad database is reported here, once.
    await orm.em.getConnection('write').execute('select 1');
    if (db.readUrl) {
      await orm.em.getConnection('read').execute('select 1').catch((error: { code?: string; message?: string }) => {
        throw new StartupError(`cannot reach the read replica in DATABASE_READ_URL at ${redactUrl(db.readUrl!)} (${error.code ?? error.message})`);
      });
    }
    return orm;
  } catch (error) {
    await orm?.close(true).catch(() => undefined);
    throw startupFault(db, error);
  }
}

/** One line a person can act on for the ways opening a database fails at start. */
export function startupFault(db: DatabaseConfig, error: unknown): Error {
  if (error instanceof StartupError) return error;
  const e = error as { code?: string; message?: string };
  const where = db.kind === 'sqlite' ? db.url : redactUrl(db.url);
  if (e.code === 'SQLITE_NOTADB' || e.code === 'SQLITE_CORRUPT') return new StartupError(`not a Pipewise/SQLite database: ${db.url}`);
  if (e.code === 'SQLITE_CANTOPEN' || e.code === 'SQLITE_READONLY') return new StartupError(`cannot open the SQLite database ${db.url} (${e.code}): check the path and its permissions`);
  if (e.code === '3D000') return new StartupError(`the PostgreSQL database in DATABASE_URL does not exist: ${where} (create it first; production never creates one)`);
  if (e.code === '28P01' || e.code === '28000') return new StartupError(`PostgreSQL refused the credentials in DATABASE_URL: ${where}`);
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '')) {
    return new StartupError(`cannot reach the database at ${where} (${e.code ?? e.message})`);
  }
  return error as Error;
}

/** Never print a database password. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

/** Production does not migrate unless asked: refuse to serve a database that is behind the code. */
export async function assertMigrated(orm: Orm): Promise<void> {
  // Asking the migrator would create its table: look first, so a database that was never migrated stays untouched.
  const knex = (orm.em as Em).getKnex();
  const tracked = await knex.schema.hasTable('mikro_orm_migrations');
  const all = (orm.config.get('migrations').migrationsList ?? []) as Array<{ name: string }>;
  const pending = tracked ? await orm.getMigrator().getPendingMigrations() : all;
  if (pending.length) {
    throw new StartupError(
      `the database has ${pending.length} pending migration(s) (${pending[0].name}${pending.length > 1 ? ', ...' : ''}): run \`pipewise migrate\` or start with MIGRATE_ON_START=true`,
    );
  }
}

/** Applies pending migrations; returns their names. */
export async function migrate(orm: Orm): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
}
