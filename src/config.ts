import path from 'node:path';
import { PROJECT_ROOT } from './shared/paths';

export type DatabaseKind = 'sqlite' | 'postgresql';

export interface DatabaseConfig {
  kind: DatabaseKind;
  /** SQLite file path (or ':memory:') or PostgreSQL connection URL. */
  url: string;
  /** Connections in the PostgreSQL pool. */
  poolSize: number;
}

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  database: DatabaseConfig;
  /** Where trained models live (`models/<kind>/<version>/`). */
  modelsDir: string;
  /** Seed the demo world when the database is empty (development default). */
  seedDemoWhenEmpty: boolean;
  /** Largest page a connection returns. */
  maxPageSize: number;
  logLevel: string;
}

export class ConfigError extends Error {}

const ROOT = PROJECT_ROOT;

/** Reads a database setting: `postgres://...` selects PostgreSQL, anything else is an SQLite file path. */
export function parseDatabaseUrl(url: string | undefined, poolSize = 10): DatabaseConfig {
  const value = url?.trim() || path.join(ROOT, 'data', 'pipewise.db');
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgresql', url: value, poolSize };
  const file = value.replace(/^sqlite:(\/\/)?/i, '');
  return { kind: 'sqlite', url: file === ':memory:' ? file : path.resolve(file), poolSize: 1 };
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

/** Parses and validates configuration once; the result is frozen. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): Readonly<AppConfig> {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const config: AppConfig = {
    env: nodeEnv,
    port: intFrom(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    database: parseDatabaseUrl(env.DATABASE_URL, intFrom(env, 'DATABASE_POOL_SIZE', 10, 1, 200)),
    modelsDir: path.resolve(env.MODELS_DIR || path.join(ROOT, 'models')),
    seedDemoWhenEmpty: (env.SEED_DEMO ?? (nodeEnv === 'production' ? 'false' : 'true')) !== 'false',
    maxPageSize: intFrom(env, 'MAX_PAGE_SIZE', 100, 1, 1000),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    ...overrides,
  };
  return Object.freeze(config);
}
