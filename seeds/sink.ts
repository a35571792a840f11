import type { MikroORM } from '@mikro-orm/core';
import type { Knex } from 'knex';
import { copyIn, copyText, type CopyClient, type CopyKind } from '../src/db/pg-copy';
import { bumpDataVersionsSql } from '../src/shared/answer-cache/data-versions';

/** Column kinds the bulk writer converts for each platform. */
export type ColumnKind = CopyKind;

export interface TableSpec {
  name: string;
  columns: ReadonlyArray<readonly [column: string, kind: ColumnKind]>;
}

/** Rows of one table kept column-wise until flushed in one multi-row INSERT. */
export class TableBuffer {
  readonly values: unknown[][];
  length = 0;
  written = 0;

  constructor(readonly spec: TableSpec) {
    this.values = spec.columns.map(() => []);
  }

  /** Appends one row: values in the spec's column order (dates as Date, JSON as objects, booleans as booleans). */
  push(row: readonly unknown[]): void {
    for (let i = 0; i < row.length; i++) this.values[i].push(row[i]);
    this.length++;
  }

  clear(): void {
    for (const column of this.values) column.length = 0;
    this.written += this.length;
    this.length = 0;
  }
}

/**
 * Streams rows into the database the fastest way each platform offers, through the ORM's own connection, in ONE
 * transaction (a failure leaves the database as it was). Secondary indexes of the bulk tables are dropped first
 * and rebuilt at the end (one sort per index instead of millions of random inserts), as pg_restore does.
 * SQLite (better-sqlite3): cached prepared multi-row INSERT statements, foreign-key checks off (rows reference
 * each other by ids we assign; the tests run `PRAGMA foreign_key_check`), WAL and synchronous=NORMAL.
 * PostgreSQL (pg): one COPY FROM STDIN per batch (src/db/pg-copy.ts), up to MAX_INFLIGHT of them handed over
 * while the next batches are generated; foreign-key triggers are skipped with session_replication_role =
 * replica when the role allows it (superuser), otherwise rows are written in dependency order and checked.
 */
export interface Sink {
  readonly kind: 'sqlite' | 'postgresql';
  /** True when foreign keys are checked row by row (the writer must respect insertion order and cycles). */
  readonly checksForeignKeys: boolean;
  begin(): Promise<void>;
  /** Drops the secondary (non-unique, non-primary) indexes of these tables until `finish`. */
  deferIndexes(tables: readonly string[]): Promise<void>;
  write(buffer: TableBuffer): Promise<void>;
  exec(sql: string, params?: unknown[]): Promise<unknown[]>;
  /** Rebuilds deferred indexes, commits and releases the connection. */
  finish(): Promise<void>;
  /** Rolls back and releases the connection after a failure. */
  abort(): Promise<void>;
}

const SQLITE_MAX_PARAMS = 32_000;

interface BetterSqliteDb {
  prepare(sql: string): { run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[]; reader: boolean };
  exec(sql: string): void;
  inTransaction: boolean;
}

interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export async function openSink(orm: MikroORM): Promise<Sink> {
  const knex = (orm.em as unknown as { getKnex(): Knex }).getKnex();
  const client = knex.client as unknown as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
  const connection = await client.acquireConnection();
  const release = () => client.releaseConnection(connection);
  const isPg = orm.config.get('driver')?.name?.toLowerCase().includes('postgre') || (knex.client as { dialect?: string }).dialect === 'postgresql';
  return isPg ? PgSink.open(connection as PgClient, release) : new SqliteSink(connection as BetterSqliteDb, release);
}

class SqliteSink implements Sink {
  readonly kind = 'sqlite' as const;
  readonly checksForeignKeys = false;
  private readonly statements = new Map<string, ReturnType<BetterSqliteDb['prepare']>>();
  private readonly deferred: string[] = [];

  constructor(private readonly db: BetterSqliteDb, private readonly release: () => Promise<void>) {
    db.exec('PRAGMA foreign_keys = OFF');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA cache_size = -200000');
  }

  async begin(): Promise<void> {
    this.db.exec('BEGIN');
  }

  async write(buffer: TableBuffer): Promise<void> {
    const { spec, values } = buffer;
    const width = spec.columns.length;
    const perStatement = Math.floor(SQLITE_MAX_PARAMS / width);
    const kinds = spec.columns.map(([, kind]) => kind);
    // Only three statement sizes per table (full, 64 rows, 1 row) so the prepared statements stay cached.
    for (let start = 0; start < buffer.length; ) {
      const left = buffer.length - start;
      const count = left >= perStatement ? perStatement : left >= 64 ? 64 : 1;
      const params = new Array(count * width);
      let p = 0;
      for (let r = start; r < start + count; r++) {
        for (let c = 0; c < width; c++) params[p++] = toSqlite(values[c][r], kinds[c]);
      }
      this.statement(spec, count).run(params);
      start += count;
    }
    buffer.clear();
  }

  private statement(spec: TableSpec, rows: number) {
    const key = `${spec.name}:${rows}`;
    let statement = this.statements.get(key);
    if (!statement) {
      const tuple = `(${spec.columns.map(() => '?').join(',')})`;
      const sql = `insert into "${spec.name}" (${spec.columns.map(([c]) => `"${c}"`).join(',')}) values ${new Array(rows).fill(tuple).join(',')}`;
      statement = this.db.prepare(sql);
      this.statements.set(key, statement);
    }
    return statement;
  }

  async deferIndexes(tables: readonly string[]): Promise<void> {
    const indexes = this.db
      .prepare(`select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${tables.map(() => '?').join(',')}) and sql not like 'create unique%' collate nocase`)
      .all(...tables) as Array<{ name: string; sql: string }>;
    for (const index of indexes) {
      this.db.exec(`drop index "${index.name}"`);
      this.deferred.push(index.sql);
    }
  }

  async exec(sql: string, params: unknown[] = []): Promise<unknown[]> {
    const statement = this.db.prepare(sql);
    if (statement.reader) return statement.all(...params);
    statement.run(...params);
    return [];
  }

  async finish(): Promise<void> {
    for (const sql of this.deferred.splice(0)) this.db.exec(sql);
    this.db.exec(bumpDataVersionsSql()); // cached answers (src/shared/answer-cache) are stale once this commits
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.db.exec('PRAGMA synchronous = FULL');
    this.db.exec('PRAGMA foreign_keys = ON');
    this.db.exec('PRAGMA optimize');
    await this.release();
  }

  async abort(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.exec('PRAGMA foreign_keys = ON');
    await this.release();
  }
}

function toSqlite(value: unknown, kind: ColumnKind): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'date':
      return (value as Date).getTime();
    case 'bool':
      return value ? 1 : 0;
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}

/**
 * COPY statements handed to the connection ahead of the server: it takes them one after the other while the next
 * rows are generated (with one in flight, each flush's first tables waited for the server one by one).
 */
const MAX_INFLIGHT = 8;

class PgSink implements Sink {
  readonly kind = 'postgresql' as const;
  private readonly deferred: string[] = [];
  /** COPYs handed over and not yet done, oldest first (a failure fails the ones after it and surfaces at drain). */
  private readonly inflight: Array<Promise<unknown>> = [];

  private constructor(
    private readonly client: PgClient,
    private readonly release: () => Promise<void>,
    readonly checksForeignKeys: boolean,
    private readonly statementTimeout: string,
  ) {}

  static async open(client: PgClient, release: () => Promise<void>): Promise<PgSink> {
    // The app's pool may set a statement_timeout per session; a bulk load needs none. Restored on release.
    const [{ statement_timeout: statementTimeout }] = (await client.query('show statement_timeout')).rows as Array<{ statement_timeout: string }>;
    await client.query('set statement_timeout = 0');
    await client.query(`set maintenance_work_mem = '1GB'`); // index rebuilds sort in memory (10M rows: ~1 GB per index)
    let checks = true;
    try {
      await client.query('set session_replication_role = replica');
      checks = false;
    } catch {
      checks = true; // not a superuser: keep the checks, the writer orders its inserts
    }
    return new PgSink(client, release, checks, statementTimeout);
  }

  async begin(): Promise<void> {
    await this.client.query('begin');
  }

  async deferIndexes(tables: readonly string[]): Promise<void> {
    const { rows } = await this.client.query(
      `select i.indexname as name, i.indexdef as sql from pg_indexes i
        where i.schemaname = current_schema() and i.tablename = any($1::text[])
          and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
      [tables],
    );
    for (const index of rows as Array<{ name: string; sql: string }>) {
      await this.client.query(`drop index "${index.name}"`);
      this.deferred.push(index.sql);
    }
  }

  async write(buffer: TableBuffer): Promise<void> {
    if (!buffer.length) return;
    const { spec } = buffer;
    const text = copyText(buffer.values, spec.columns.map(([, kind]) => kind), buffer.length);
    buffer.clear();
    // Chained, not queued on the client (node-postgres 9 drops queueing): each COPY starts when the last ends.
    const previous = this.inflight[this.inflight.length - 1] ?? Promise.resolve();
    const copy = previous.then(() => copyIn(this.client as unknown as CopyClient, spec.name, spec.columns.map(([c]) => c), text));
    copy.catch(() => undefined); // surfaced, in order, by drain()
    this.inflight.push(copy);
    if (this.inflight.length > MAX_INFLIGHT) await this.inflight.shift();
  }

  private async drain(): Promise<void> {
    while (this.inflight.length) await this.inflight.shift();
  }

  async exec(sql: string, params: unknown[] = []): Promise<unknown[]> {
    await this.drain();
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    return (await this.client.query(text, params)).rows;
  }

  async finish(): Promise<void> {
    await this.drain();
    for (const sql of this.deferred.splice(0)) await this.client.query(sql);
    await this.client.query(bumpDataVersionsSql()); // cached answers (src/shared/answer-cache) are stale once this commits
    await this.client.query('commit');
    await this.restoreSession(); // the seed then analyzes the tables it wrote (src/db/analyze.ts)
  }

  private async restoreSession(): Promise<void> {
    await this.client.query('set session_replication_role = default').catch(() => undefined);
    await this.client.query(`select set_config('statement_timeout', $1, false)`, [this.statementTimeout]).catch(() => undefined);
    await this.client.query('reset maintenance_work_mem').catch(() => undefined);
    await this.release();
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.inflight.splice(0));
    await this.client.query('rollback').catch(() => undefined);
    await this.restoreSession();
  }
}
