import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp, type App } from '../../src/app';
import { loadConfig, parseDatabaseUrl, type DatabaseConfig } from '../../src/config';
import { cachedDatabase, createPostgresDatabase, type TestDatabase } from './templates';

export type DatabaseKind = DatabaseConfig['kind'];

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export const DATABASES: DatabaseKind[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgresql'] : ['sqlite'];

export type { TestDatabase };

/** A fresh, empty database of the given kind: in-memory SQLite, or a throw-away PostgreSQL database. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') return { config: parseDatabaseUrl(':memory:'), drop: async () => undefined };
  return createPostgresDatabase();
}

/**
 * A fresh database an app will find migrated: in-memory SQLite (the app migrates it in a few ms), or a clone of
 * the run's migrated PostgreSQL template (cloning is faster than running every migration again).
 */
export async function createMigratedTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') return createTestDatabase(kind);
  return cachedDatabase(kind, 'migrated', async () => undefined);
}

export interface TestApp extends App {
  kind: DatabaseKind;
  /** Stops the app and drops its database. */
  close(): Promise<void>;
}

/** A throw-away models directory: tests never write into the checkout's models/. */
export const tempModelsDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-models-'));

/**
 * A full application (schema, ORM, migrations) over a fresh database, or over `db` (a seeded copy from
 * test/helpers/seeded-world.ts: the app drops it on close), and a fresh models directory; silent logs.
 */
export async function createTestApp(kind: DatabaseKind, options: { db?: TestDatabase } = {}): Promise<TestApp> {
  const db = options.db ?? (await createMigratedTestDatabase(kind));
  const modelsDir = tempModelsDir();
  const config = loadConfig({ NODE_ENV: 'test' }, { database: db.config, seedDemoWhenEmpty: false, modelsDir });
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  return Object.assign(app, {
    kind,
    async close() {
      await app.stop();
      await db.drop();
      fs.rmSync(modelsDir, { recursive: true, force: true });
    },
  });
}
