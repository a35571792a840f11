import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PROJECT_ROOT } from './shared/paths';

export type DatabaseKind = 'sqlite' | 'postgresql';

export interface DatabaseConfig {
  kind: DatabaseKind;
  /** SQLite file path (or ':memory:') or PostgreSQL connection URL. */
  url: string;
  /** Connections in the PostgreSQL pool. */
  poolSize: number;
  /** PostgreSQL: give up connecting / waiting for a pooled connection after this long (default 3 s: fail fast when the database is down). */
  connectTimeoutMs?: number;
  /** PostgreSQL: statement_timeout of every session (default 30 s), so a runaway query cannot hold a connection. */
  statementTimeoutMs?: number;
  /** SQLite: how long a write waits for another process's write lock before SERVICE_UNAVAILABLE (default 250 ms). */
  busyTimeoutMs?: number;
  /**
   * SQLite: `PRAGMA synchronous` in WAL mode. NORMAL (default) syncs at checkpoints, not at every commit: never
   * corrupts, but a power loss or OS crash may lose the last commits (a process crash loses nothing); FULL syncs
   * every commit, for machines where that matters more than write speed.
   */
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  /** PostgreSQL: create the database when it does not exist (development only; production never does). */
  createIfMissing?: boolean;
  /**
   * PostgreSQL: a read-only replica (DATABASE_READ_URL) that query requests read from until they write
   * (src/db/read-routing.ts); writes, migrations and background jobs use `url`.
   */
  readUrl?: string;
}

export interface AuthConfig {
  /** HS256 secret for bearer tokens. Required in production (at least 32 characters). */
  jwtSecret: string;
  jwtIssuer: string;
  jwtAudience: string;
  /** Lifetime of tokens issued by `pipewise token`, e.g. "8h". */
  tokenTtl: string;
  /** Role given to HTTP requests without a token: the clearly logged development identity. Never set in production. */
  anonymousRole: 'ADMIN' | null;
  /**
   * How long a token's or API key's rep (active, role, team) read from the database is reused, in ms (0..30000,
   * default 30000): a deactivation, role or team change reaches that rep's tokens within this window.
   */
  identityCacheMs: number;
}

export interface LimitsConfig {
  /** Deepest selection nesting accepted. */
  maxDepth: number;
  /** Query cost budget (graphql-query-complexity: 1 per field, times `first` for lists; see src/graphql/limits.ts). */
  maxCost: number;
  /** Largest request body, in bytes. */
  bodyLimitBytes: number;
  /** A request that takes longer is answered 503 TIMEOUT. */
  requestTimeoutMs: number;
  /** Requests per minute per token (or per IP without one), with bursts up to `rateLimitBurst`. 0 disables. */
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  /** Requests per minute per client address, counted before authentication (bad tokens included). 0 disables. */
  ipRateLimitPerMinute: number;
  ipRateLimitBurst: number;
  /** Express "trust proxy": which proxies' X-Forwarded-For names the client address (default: loopback only). */
  trustProxy: boolean | number | string;
}

export interface WorkersConfig {
  /** Worker threads for CPU-heavy work (forecast, backtest, training, bulk scoring). */
  threads: number;
  /** Heavy computations one caller may have running or queued at once (more: TOO_MANY_HEAVY_REQUESTS). */
  perCaller: number;
}

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  port: number;
  /**
   * HTTP server processes (WEB_CONCURRENCY) sharing the port through Node's cluster (src/cluster.ts): 1 in
   * development and tests, one per core in production on PostgreSQL (1 on SQLite). One runs the background jobs.
   */
  processes: number;
  host: string;
  database: DatabaseConfig;
  /**
   * Where models trained by this installation are written (`<kind>/<version>/`): MODELS_DIR, by default a
   * `models` folder beside the SQLite file, or `data/models` for PostgreSQL (and in-memory SQLite). Never the
   * checkout's `models/`, which holds the committed demo models.
   */
  modelsDir: string;
  /** Apply pending migrations at start (development and tests; production only with MIGRATE_ON_START=true). */
  migrateOnStart: boolean;
  /**
   * The committed demo models (`models/` of the project), read-only, served when they fit the data. Only with the
   * default models folder: an explicit MODELS_DIR (or modelsDir) is the whole model store.
   */
  demoModelsDir: string | null;
  /** Seed the demo world when the database is empty (development default). */
  seedDemoWhenEmpty: boolean;
  /** Largest page a connection returns. */
  maxPageSize: number;
  logLevel: string;
  auth: AuthConfig;
  limits: LimitsConfig;
  workers: WorkersConfig;
  /** Redis for the shared rate limit and answer cache (several instances); in-memory when unset. */
  redisUrl: string | null;
  /** Cached forecasts, backtests and KPI answers (src/shared/answer-cache): LRU size in MiB (0: off), longest reuse. */
  answerCache: { maxMb: number; ttlMs: number };
  /** Schema introspection, and the bundled GraphQL explorer at /explorer (where a browser opening /graphql is sent); off by default in production. */
  introspection: boolean;
  landingPage: boolean;
  /** SIGTERM: wait this long for in-flight requests before closing anyway. */
  shutdownTimeoutMs: number;
  /** Scheduled forecast snapshots (the call over time); one server of several takes each one. */
  forecastSnapshots: ForecastSnapshotConfig;
  forecastFacts: ForecastFactsConfig;
}

export interface ForecastFactsConfig {
  /**
   * FORECAST_FACTS_FILE: where the forecast's facts are kept between starts (src/modules/forecast/fact-file.ts), so
   * a restart reads them instead of every deal's history: beside the SQLite file, or in the installation's data
   * folder for PostgreSQL; "off" (the default in tests and for in-memory SQLite) keeps them in memory only.
   */
  file: string | null;
  /** FORECAST_FACTS_WARM: read them once the server listens, before the first forecast asks (off in tests). */
  warmOnStart: boolean;
}

export interface ForecastSnapshotConfig {
  /** Hours between snapshots (24 = daily, the default); 0 turns the schedule off (the default in tests). */
  everyHours: number;
  /** On the first run, fill weekly snapshots as of past dates for this many past quarters (plus the current one). */
  backfillQuarters: number;
}

export class ConfigError extends Error {}

/** A fault found while starting (database missing, unreadable or not migrated): one clear line, no stack. */
export class StartupError extends Error {}

const ROOT = PROJECT_ROOT;

/** Reads a database setting: `postgres://...` selects PostgreSQL, anything else is an SQLite file path. */
export function parseDatabaseUrl(url: string | undefined, poolSize = 10): DatabaseConfig {
  const value = url?.trim() || path.join(ROOT, 'data', 'pipewise.db');
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgresql', url: value, poolSize };
  const file = value.replace(/^sqlite:(\/\/)?/i, '');
  return { kind: 'sqlite', url: file === ':memory:' ? file : path.resolve(file), poolSize: 1 };
}

function boolFrom(env: NodeJS.ProcessEnv, key: string, fallback: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got "${env[key]}"`);
}

/**
 * The token secret. Production refuses to start without JWT_SECRET. Development keeps a random secret in
 * data/dev-jwt-secret so the server and `pipewise token` agree; tests get a fresh one per process.
 */
function jwtSecretFrom(env: NodeJS.ProcessEnv, nodeEnv: AppConfig['env']): string {
  const given = env.JWT_SECRET?.trim();
  if (given) {
    if (given.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
    return given;
  }
  if (nodeEnv === 'production') throw new ConfigError('JWT_SECRET is required in production (at least 32 random characters)');
  if (nodeEnv === 'test') return randomBytes(32).toString('base64url');
  const file = path.join(ROOT, 'data', 'dev-jwt-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, key: string, values: readonly T[], fallback: T): T {
  const raw = env[key]?.trim().toUpperCase();
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${key} must be one of ${values.join(', ')}, got "${env[key]}"`);
  return raw as T;
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
  const cores = os.availableParallelism();
  // One per core in production on PostgreSQL; one on SQLite, whose writers of different processes wait on each
  // other's lock (past SQLITE_BUSY_TIMEOUT_MS: SERVICE_UNAVAILABLE), unless WEB_CONCURRENCY asks for more.
  const manyByDefault = nodeEnv === 'production' && parseDatabaseUrl(env.DATABASE_URL).kind === 'postgresql';
  const processes = overrides.processes ?? intFrom(env, 'WEB_CONCURRENCY', manyByDefault ? cores : 1, 1, 64);
  const config: AppConfig = {
    env: nodeEnv,
    port: intFrom(env, 'PORT', 4000, 0, 65535),
    processes,
    host: env.HOST || '0.0.0.0',
    database: {
      ...parseDatabaseUrl(env.DATABASE_URL, intFrom(env, 'DATABASE_POOL_SIZE', 10, 1, 200)),
      connectTimeoutMs: intFrom(env, 'DATABASE_CONNECT_TIMEOUT_MS', 3000, 100, 120_000),
      statementTimeoutMs: intFrom(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 30000, 100, 3_600_000),
      busyTimeoutMs: intFrom(env, 'SQLITE_BUSY_TIMEOUT_MS', 250, 0, 60_000),
      sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', ['NORMAL', 'FULL'] as const, 'NORMAL'),
      createIfMissing: nodeEnv !== 'production',
      ...readUrlFrom(env),
    },
    migrateOnStart: boolFrom(env, 'MIGRATE_ON_START', nodeEnv !== 'production'),
    modelsDir: '',
    demoModelsDir: null,
    seedDemoWhenEmpty: (env.SEED_DEMO ?? (nodeEnv === 'production' ? 'false' : 'true')) !== 'false',
    maxPageSize: intFrom(env, 'MAX_PAGE_SIZE', 100, 1, 1000),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    auth: {
      jwtSecret: jwtSecretFrom(env, nodeEnv),
      jwtIssuer: env.JWT_ISSUER || 'pipewise',
      jwtAudience: env.JWT_AUDIENCE || 'pipewise-api',
      tokenTtl: env.TOKEN_TTL || '8h',
      anonymousRole: anonymousRoleFrom(env, nodeEnv),
      identityCacheMs: intFrom(env, 'AUTH_IDENTITY_CACHE_MS', 30_000, 0, 30_000),
    },
    limits: {
      maxDepth: intFrom(env, 'MAX_QUERY_DEPTH', 10, 2, 50),
      maxCost: intFrom(env, 'MAX_QUERY_COST', 10000, 10, 10_000_000),
      bodyLimitBytes: intFrom(env, 'MAX_BODY_BYTES', 100 * 1024, 1024, 50 * 1024 * 1024),
      requestTimeoutMs: intFrom(env, 'REQUEST_TIMEOUT_MS', 15000, 100, 600_000),
      rateLimitPerMinute: intFrom(env, 'RATE_LIMIT_PER_MINUTE', 1200, 0, 10_000_000),
      rateLimitBurst: intFrom(env, 'RATE_LIMIT_BURST', 200, 1, 10_000_000),
      ipRateLimitPerMinute: intFrom(env, 'RATE_LIMIT_PER_IP_PER_MINUTE', 2400, 0, 10_000_000),
      ipRateLimitBurst: intFrom(env, 'RATE_LIMIT_PER_IP_BURST', 400, 1, 10_000_000),
      trustProxy: trustProxyFrom(env.TRUST_PROXY),
    },
    workers: {
      // processes x threads <= max(processes, cores - 1): the event loops keep a core, heavy work shares the rest
      threads: intFrom(env, 'WORKER_THREADS', defaultWorkerThreads(cores, processes), 1, 64),
      perCaller: intFrom(env, 'HEAVY_REQUESTS_PER_CALLER', 2, 1, 1000),
    },
    redisUrl: env.REDIS_URL?.trim() || null,
    answerCache: { maxMb: intFrom(env, 'ANSWER_CACHE_MB', 64, 0, 65_536), ttlMs: 1000 * intFrom(env, 'ANSWER_CACHE_TTL_SECONDS', 300, 1, 86_400) },
    introspection: boolFrom(env, 'GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    landingPage: boolFrom(env, 'GRAPHQL_LANDING_PAGE', nodeEnv !== 'production'),
    shutdownTimeoutMs: intFrom(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 0, 600_000),
    forecastSnapshots: {
      everyHours: intFrom(env, 'FORECAST_SNAPSHOT_EVERY_HOURS', nodeEnv === 'test' ? 0 : 24, 0, 24 * 31),
      backfillQuarters: intFrom(env, 'FORECAST_SNAPSHOT_BACKFILL_QUARTERS', 4, 0, 20),
    },
    forecastFacts: { file: null, warmOnStart: boolFrom(env, 'FORECAST_FACTS_WARM', nodeEnv !== 'test') },
    ...overrides,
  };
  if (config.processes > 1 && config.database.url === ':memory:') {
    throw new ConfigError('WEB_CONCURRENCY above 1 needs an SQLite file or PostgreSQL: each process would have its own in-memory database');
  }
  const explicit = overrides.modelsDir ?? (env.MODELS_DIR ? path.resolve(env.MODELS_DIR) : undefined);
  config.modelsDir = explicit ?? defaultModelsDir(config.database);
  config.demoModelsDir = 'demoModelsDir' in overrides ? overrides.demoModelsDir! : explicit ? null : path.join(ROOT, 'models');
  if (!overrides.forecastFacts) config.forecastFacts.file = factsFileFrom(env, config.database, nodeEnv);
  return Object.freeze(config);
}

/** Worker threads per process when WORKER_THREADS is unset: the cores left after the event loops, shared by the processes. */
export const defaultWorkerThreads = (cores: number, processes: number) => Math.max(1, Math.min(8, Math.floor((cores - 1) / processes)));

/** DATABASE_READ_URL: a PostgreSQL replica of DATABASE_URL; SQLite has no replicas, so it refuses to start. */
function readUrlFrom(env: NodeJS.ProcessEnv): { readUrl?: string } {
  const readUrl = env.DATABASE_READ_URL?.trim();
  if (!readUrl) return {};
  if (parseDatabaseUrl(env.DATABASE_URL).kind !== 'postgresql') {
    throw new StartupError('DATABASE_READ_URL is set but DATABASE_URL is an SQLite file: read replicas need PostgreSQL (unset DATABASE_READ_URL)');
  }
  if (!/^postgres(ql)?:\/\//i.test(readUrl)) throw new ConfigError('DATABASE_READ_URL must be a postgres:// URL of a replica of DATABASE_URL');
  return { readUrl };
}

/** TRUST_PROXY: true, false, a hop count, or Express's names and addresses ("loopback", "10.0.0.0/8, uniquelocal"). */
function trustProxyFrom(raw: string | undefined): boolean | number | string {
  const value = raw?.trim();
  if (!value) return 'loopback';
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Beside the SQLite file (data travels with its models); a data folder of the installation otherwise. */
export function defaultModelsDir(database: DatabaseConfig): string {
  if (database.kind === 'sqlite' && database.url !== ':memory:') return path.join(path.dirname(database.url), 'models');
  return path.join(ROOT, 'data', 'models');
}

/** FORECAST_FACTS_FILE, else beside the SQLite file, or data/forecast-facts/<host>-<port>-<database>.facts for PostgreSQL. */
function factsFileFrom(env: NodeJS.ProcessEnv, database: DatabaseConfig, nodeEnv: AppConfig['env']): string | null {
  const given = env.FORECAST_FACTS_FILE?.trim();
  if (given) return given.toLowerCase() === 'off' ? null : path.resolve(given);
  if (nodeEnv === 'test' || database.url === ':memory:') return null;
  return defaultFactsFile(database);
}

function defaultFactsFile(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `${database.url}.forecast-facts`;
  const url = new URL(database.url);
  const name = [url.hostname, url.port || '5432', url.pathname.replace(/^\//, '') || 'postgres'].join('-').replace(/[^\w.-]+/g, '_');
  return path.join(ROOT, 'data', 'forecast-facts', `${name}.facts`);
}

/** Development only: requests without a token act as ADMIN unless AUTH_ANONYMOUS=off. */
function anonymousRoleFrom(env: NodeJS.ProcessEnv, nodeEnv: AppConfig['env']): 'ADMIN' | null {
  const allowed = boolFrom(env, 'AUTH_ANONYMOUS', nodeEnv === 'development');
  if (allowed && nodeEnv === 'production') throw new ConfigError('AUTH_ANONYMOUS cannot be enabled in production');
  return allowed ? 'ADMIN' : null;
}
