import { MikroORM, type Options } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../shared/paths';
import type { DatabaseConfig } from '../config';
import { ENTITIES } from './entities';
import { DealHistorySubscriber } from '../modules/deal/deal-history';
import { sqliteMigrations } from './migrations/sqlite';
import { postgresqlMigrations } from './migrations/postgresql';

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
    subscribers: [new DealHistorySubscriber()], // deal field history, written in the writer's flush
    discovery: { warnWhenNoEntities: true },
    allowGlobalContext: false,
    forceUndefined: false,
    debug,
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
      // Fail fast while the database is away (no minute-long waits for a connection), recover on the next request.
      pool: { min: 0, max: db.poolSize, acquireTimeoutMillis: 10_000 }, // a failed connect is reported at once (knex propagates it)
      driverOptions: {
        connection: { connectionTimeoutMillis: db.connectTimeoutMs ?? 3000, statement_timeout: db.statementTimeoutMs ?? 30000 },
        // knex prints these to the console by default; they belong in the structured log.
        ...(logger && { log: { warn: (m: string) => logger.warn(m), error: (m: string) => logger.warn(m), deprecate: () => undefined, debug: () => undefined } }),
      },
    };
  }
  if (db.url !== ':memory:') fs.mkdirSync(path.dirname(db.url), { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PipewiseSqliteDriver } = require('./sqlite-driver');
  return { ...common, driver: PipewiseSqliteDriver, dbName: db.url };
}

export async function createOrm(db: DatabaseConfig, debug = false, logger?: DriverLogger): Promise<Orm> {
  return MikroORM.init(ormOptions(db, debug, logger));
}

/** Applies pending migrations; returns their names. */
export async function migrate(orm: Orm): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
}
