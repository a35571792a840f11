import { ConnectionException } from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config';
import type { Em, Orm } from '../db/orm';

/** PostgreSQL SQLSTATEs meaning "the server or this connection is gone", not "your query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '55000', '53300', '08000', '08001', '08003', '08004', '08006']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
const UNAVAILABLE_MESSAGES = /Connection terminated|Timeout acquiring a connection|connection timeout|Client has encountered a connection error|terminating connection|does not allow connections|the database system is (starting up|shutting down)|Connection ended unexpectedly|Unable to acquire a connection/i;

/** The few members of a `pg` Client the probe uses (pg ships no types; it is MikroORM's PostgreSQL driver). */
interface PgClient {
  on(event: 'error', listener: () => void): void;
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

/** True when an error means the database cannot be reached (as opposed to a bad query or a constraint). */
export function isDatabaseUnavailable(error: unknown): boolean {
  type Chain = { code?: unknown; sqlState?: unknown; message?: unknown; cause?: unknown; previous?: unknown };
  let e = error as Chain | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (e instanceof ConnectionException) return true;
    if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_NODE_CODES.has(e.code))) return true;
    if (typeof e.sqlState === 'string' && UNAVAILABLE_SQLSTATES.has(e.sqlState)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
    e = (e.previous ?? e.cause) as Chain | undefined;
  }
  return false;
}

/**
 * Tracks whether the database answers. When a request fails with what looks like an outage, a probe on a fresh
 * connection (outside the pool, so a busy pool is not mistaken for an outage) confirms it; while it is down,
 * requests are refused at once (503 SERVICE_UNAVAILABLE) instead of each waiting, and the probe runs every
 * `probeIntervalMs`; the first probe that succeeds lets traffic through again. No restart needed.
 */
export class DatabaseHealth {
  private down = false;
  private confirming = false;
  private probing?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly orm: Orm,
    private readonly database: DatabaseConfig,
    private readonly logger: Logger,
    private readonly probeIntervalMs = 500,
  ) {}

  get available(): boolean {
    return !this.down;
  }

  /** `select 1` on a new connection (PostgreSQL) or the open file (SQLite); true when the database answered. */
  async check(): Promise<boolean> {
    if (this.database.kind === 'sqlite') return (await this.sqliteState()) === 'ready';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require('pg') as { Client: new (options: object) => PgClient };
    const client = new Client({ connectionString: this.database.url, connectionTimeoutMillis: 2000, query_timeout: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * SQLite: readable, and writable now (no other process holds the write lock: a writer's BEGIN IMMEDIATE, tried
   * without waiting and rolled back at once).
   */
  async sqliteState(): Promise<'ready' | 'locked' | 'unavailable'> {
    const knex = (this.orm.em as Em).getConnection().getKnex();
    let db: { prepare(sql: string): { get(): unknown; run(): unknown }; pragma(sql: string, options?: object): unknown; inTransaction: boolean } | undefined;
    try {
      db = await knex.client.acquireConnection();
      db!.prepare('select 1').get();
      if (this.database.url === ':memory:' || db!.inTransaction) return 'ready';
      const timeout = db!.pragma('busy_timeout', { simple: true });
      db!.pragma('busy_timeout = 0');
      try {
        db!.prepare('begin immediate').run();
        db!.prepare('rollback').run();
      } finally {
        db!.pragma(`busy_timeout = ${Number(timeout)}`);
      }
      return 'ready';
    } catch (error) {
      return (error as { code?: string }).code?.startsWith('SQLITE_BUSY') ? 'locked' : 'unavailable';
    } finally {
      if (db) await knex.client.releaseConnection(db);
    }
  }

  /** Called when a request failed with what looks like an outage: confirm with a probe, then fail fast until it answers. */
  markDown(error?: unknown): void {
    if (this.down || this.confirming || this.stopped) return;
    this.confirming = true;
    void this.check().then((ok) => {
      this.confirming = false;
      if (ok || this.stopped) return;
      this.down = true;
      this.logger.error({ err: { type: (error as Error | undefined)?.name, code: (error as { code?: string } | undefined)?.code } }, 'database unavailable: failing fast until it answers again');
      this.scheduleProbe();
    });
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.probing = setTimeout(async () => {
      if (await this.check()) {
        this.down = false;
        this.logger.info('database available again');
      } else this.scheduleProbe();
    }, this.probeIntervalMs);
    this.probing.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.probing) clearTimeout(this.probing);
  }
}
