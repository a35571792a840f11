import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import pino from 'pino';
import { createApp, type App } from '../../src/app';
import { loadConfig, parseDatabaseUrl, type DatabaseConfig } from '../../src/config';

export type DatabaseKind = DatabaseConfig['kind'];

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export const DATABASES: DatabaseKind[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgresql'] : ['sqlite'];

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** A fresh, empty database of the given kind: in-memory SQLite, or a throw-away PostgreSQL database. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') return { config: parseDatabaseUrl(':memory:'), drop: async () => undefined };
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `pipewise_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: base.toString(), pool: { min: 0, max: 1 } });
  await admin.raw(`create database "${name}"`);
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    config: { ...parseDatabaseUrl(url.toString()), poolSize: 5 },
    async drop() {
      await admin.raw(`drop database if exists "${name}" with (force)`);
      await admin.destroy();
    },
  };
}

export interface TestApp extends App {
  kind: DatabaseKind;
  /** Stops the app and drops its database. */
  close(): Promise<void>;
}

/** A throw-away models directory: tests never write into the checkout's models/. */
export const tempModelsDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-models-'));

/** A full application (schema, ORM, migrations) over a fresh database and models directory; silent logs. */
export async function createTestApp(kind: DatabaseKind): Promise<TestApp> {
  const db = await createTestDatabase(kind);
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
