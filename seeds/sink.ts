import type { MikroORM } from '@mikro-orm/core';
import type { Knex } from 'knex';

/** Column kinds the bulk writer converts for each platform. */
export type ColumnKind = 'int' | 'bigint' | 'float' | 'text' | 'date' | 'bool' | 'json';

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
 * Streams rows into the database the fastest way each platform offers through the ORM's own connection:
 * SQLite (better-sqlite3): cached prepared multi-row INSERT statements, inside a few large transactions with
 * foreign-key checks off (rows reference each other by ids we assign; the tests run `PRAGMA foreign_key_check`).
 * PostgreSQL (pg): one INSERT ... SELECT FROM unnest($1::type[], ...) per batch (one array parameter per column),
 * in transactions of several batches; foreign-key triggers are skipped with session_replication_role = replica
 * when the role allows it (superuser), otherwise rows are written in dependency order and checked normally.
 */
export interface Sink {
  readonly kind: 'sqlite' | 'postgresql';
  /** True when foreign keys are checked row by row (the writer must respect insertion order and cycles). */
  readonly checksForeignKeys: boolean;
  begin(): Promise<void>;
  write(buffer: TableBuffer): Promise<void>;
  /** Commits the current transaction and opens a new one (bounds WAL / transaction size). */
  checkpoint(): Promise<void>;
  exec(sql: string, params?: unknown[]): Promise<unknown[]>;
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
    for (let start = 0; start < buffer.length; start += perStatement) {
      const count = Math.min(perStatement, buffer.length - start);
      const params = new Array(count * width);
      let p = 0;
      for (let r = start; r < start + count; r++) {
        for (let c = 0; c < width; c++) params[p++] = toSqlite(values[c][r], kinds[c]);
      }
      this.statement(spec, count).run(params);
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

  async checkpoint(): Promise<void> {
    this.db.exec('COMMIT');
    this.db.exec('BEGIN');
  }

  async exec(sql: string, params: unknown[] = []): Promise<unknown[]> {
    const statement = this.db.prepare(sql);
    if (statement.reader) return statement.all(...params);
    statement.run(...params);
    return [];
  }

  async finish(): Promise<void> {
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

const PG_ARRAY_TYPE: Record<ColumnKind, string> = {
  int: 'int4[]',
  bigint: 'int8[]',
  float: 'float8[]',
  text: 'text[]',
  date: 'timestamptz[]',
  bool: 'bool[]',
  json: 'jsonb[]',
};

class PgSink implements Sink {
  readonly kind = 'postgresql' as const;
  private readonly sql = new Map<string, string>();

  private constructor(private readonly client: PgClient, private readonly release: () => Promise<void>, readonly checksForeignKeys: boolean) {}

  static async open(client: PgClient, release: () => Promise<void>): Promise<PgSink> {
    let checks = true;
    try {
      await client.query('set session_replication_role = replica');
      checks = false;
    } catch {
      checks = true; // not a superuser: keep the checks, the writer orders its inserts
    }
    return new PgSink(client, release, checks);
  }

  async begin(): Promise<void> {
    await this.client.query('begin');
  }

  async write(buffer: TableBuffer): Promise<void> {
    if (!buffer.length) return;
    const { spec } = buffer;
    let text = this.sql.get(spec.name);
    if (!text) {
      const columns = spec.columns.map(([c]) => `"${c}"`).join(',');
      const arrays = spec.columns.map(([, kind], i) => `$${i + 1}::${PG_ARRAY_TYPE[kind]}`).join(',');
      text = `insert into "${spec.name}" (${columns}) select * from unnest(${arrays})`;
      this.sql.set(spec.name, text);
    }
    const params = spec.columns.map(([, kind], c) => {
      const column = buffer.values[c];
      if (kind === 'date') return column.map((d) => (d == null ? null : (d as Date).toISOString()));
      if (kind === 'json') return column.map((v) => (v == null ? null : JSON.stringify(v)));
      return column;
    });
    await this.client.query(text, params);
    buffer.clear();
  }

  async checkpoint(): Promise<void> {
    await this.client.query('commit');
    await this.client.query('begin');
  }

  async exec(sql: string, params: unknown[] = []): Promise<unknown[]> {
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    return (await this.client.query(text, params)).rows;
  }

  async finish(): Promise<void> {
    await this.client.query('commit');
    await this.client.query('set session_replication_role = default').catch(() => undefined);
    await this.release();
  }

  async abort(): Promise<void> {
    await this.client.query('rollback').catch(() => undefined);
    await this.client.query('set session_replication_role = default').catch(() => undefined);
    await this.release();
  }
}
