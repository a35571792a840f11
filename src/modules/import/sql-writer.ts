/**
 * Batched raw SQL inside the import's transaction. The ORM's unit of work is too slow for a million rows,
 * so rows go in as multi-row INSERT ... ON CONFLICT statements with bound parameters. Handles the two
 * dialects' storage differences (SQLite: datetimes as epoch milliseconds, booleans as 0/1).
 */
import type { Knex } from 'knex';
import type { DatabaseKind } from '../../config';
import { copyIn, isoString, type CopyClient } from '../../db/pg-copy';
import { withPgBulkLoad } from './pg-bulk';

export type SqlValue = string | number | boolean | Date | null;

/** Bound parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;

/** The part of a better-sqlite3 connection used here. */
interface SqliteStatement {
  reader: boolean;
  all(params: unknown[]): unknown[];
  run(params: unknown[]): unknown;
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}
/** The part of a node-postgres client used here. */
interface PgClient {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * [start, end) ranges covering `total` items: full chunks of `max`, then the remainder as powers of two,
 * so only a handful of distinct statement shapes exist and each is prepared once.
 */
export function chunks(total: number, max: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (; start + max <= total; start += max) out.push([start, start + max]);
  for (let size = 1 << Math.floor(Math.log2(Math.max(1, max))); start < total; size >>= 1) {
    if (start + size <= total) {
      out.push([start, start + size]);
      start += size;
    }
  }
  return out;
}

export class SqlWriter {
  /** SQLite: prepared statements by SQL text; a full batch reuses one statement instead of recompiling it. */
  private readonly statements = new Map<string, SqliteStatement>();
  private sqlite: SqliteConnection | null = null;
  private pg: PgClient | null = null;
  private readonly pgColumnTypes = new Map<string, Map<string, string>>();

  private constructor(private readonly knex: Knex | Knex.Transaction, readonly dialect: DatabaseKind) {}

  /**
   * Statements run on the transaction's own connection, below knex: on SQLite so that thousands of identical
   * statements are prepared once; on PostgreSQL so that array parameters (unnest inserts) pass through as is.
   */
  static async create(knex: Knex.Transaction, dialect: DatabaseKind): Promise<SqlWriter> {
    const writer = new SqlWriter(knex, dialect);
    const client = (knex as unknown as { client: { acquireConnection(): Promise<unknown> } }).client;
    if (dialect === 'sqlite') writer.sqlite = (await client.acquireConnection()) as SqliteConnection;
    else writer.pg = (await client.acquireConnection()) as PgClient;
    return writer;
  }

  /** A datetime as the column stores it. */
  ts(date: Date | null | undefined): SqlValue {
    if (date == null) return null;
    return this.dialect === 'sqlite' ? date.getTime() : date;
  }

  bool(value: boolean): SqlValue {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }

  /** Reads a datetime column back as epoch milliseconds (SQLite: a number; PostgreSQL through MikroORM: text). */
  millis(value: unknown): number | null {
    if (value == null) return null;
    if (value instanceof Date) return value.getTime();
    if (typeof value === 'string' && !/^\d+$/.test(value)) return Date.parse(value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
    return Number(value);
  }

  /** Tables this writer inserted into or changed (analyzed after the import commits: src/db/analyze.ts). */
  readonly written = new Set<string>();

  async query<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    const target = /^\s*(?:update|insert\s+into|delete\s+from)\s+"?([a-z_][a-z0-9_]*)"?/i.exec(sql);
    if (target) this.written.add(target[1].toLowerCase());
    if (this.sqlite) {
      let statement = this.statements.get(sql);
      if (!statement) {
        if (this.statements.size > 200) this.statements.clear();
        statement = this.sqlite.prepare(sql);
        this.statements.set(sql, statement);
      }
      return statement.reader ? (statement.all(params) as T[]) : (statement.run(params), []);
    }
    if (this.pg) {
      let n = 0;
      const result = await this.pg.query(sql.replace(/\?/g, () => `$${++n}`), params);
      return result.rows as T[];
    }
    const result = await this.knex.raw(sql, params as Knex.RawBinding[]);
    if (Array.isArray(result)) return result as T[];
    return ((result as { rows?: T[] }).rows ?? []) as T[];
  }

  /**
   * Inserts rows (arrays in `columns` order) in as few statements as the parameter limit allows.
   * `upsertOn` turns duplicates of that unique column into updates of the other columns (except `keep`
   * and created_at; plus `extraUpdate` SQL, e.g. a version bump; only where `updateWhere` holds); `returning` columns
   * come back for every row written.
   */
  async insert<T = Record<string, unknown>>(
    table: string,
    columns: string[],
    rows: SqlValue[][],
    options: { upsertOn?: string; keep?: string[]; extraUpdate?: string[]; updateWhere?: string; returning?: string[] } = {},
  ): Promise<T[]> {
    if (!rows.length) return [];
    this.written.add(table);
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
    let tail = '';
    if (options.upsertOn) {
      const keep = new Set([options.upsertOn, 'created_at', ...(options.keep ?? [])]);
      const sets = columns.filter((c) => !keep.has(c)).map((c) => `"${c}" = excluded."${c}"`);
      tail += ` on conflict ("${options.upsertOn}") do update set ${[...sets, ...(options.extraUpdate ?? [])].join(', ')}`;
      if (options.updateWhere) tail += ` where ${options.updateWhere}`;
    }
    if (options.returning?.length) tail += ` returning ${options.returning.map((c) => `"${c}"`).join(', ')}`;
    if (this.pg) return this.insertUnnest<T>(table, columns, rows, head, tail);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const out: T[] = [];
    for (const [start, end] of chunks(rows.length, perStatement)) {
      const chunk = rows.slice(start, end);
      const params: SqlValue[] = [];
      for (const row of chunk) for (const v of row) params.push(v);
      const sql = head + new Array(chunk.length).fill(tuple).join(', ') + tail;
      const res = await this.query<T>(sql, params);
      if (options.returning?.length) out.push(...res);
    }
    return out;
  }

  /**
   * PostgreSQL: one array parameter per column (`insert ... select * from unnest($1::int8[], ...)`): a fixed,
   * small statement instead of a VALUES list with thousands of parameters to parse and plan.
   */
  private async insertUnnest<T>(table: string, columns: string[], rows: SqlValue[][], head: string, tail: string): Promise<T[]> {
    let types = this.pgColumnTypes.get(table);
    if (!types) {
      const found = await this.query<{ column_name: string; udt_name: string }>(
        'select column_name, udt_name from information_schema.columns where table_schema = current_schema() and table_name = ?', [table],
      );
      types = new Map(found.map((c) => [c.column_name, c.udt_name]));
      this.pgColumnTypes.set(table, types);
    }
    const casts = columns.map((c) => `?::${types!.get(c) ?? 'text'}[]`);
    const sql = head.replace(/ values $/, ' ') + `select * from unnest(${casts.join(', ')})` + tail;
    const arrays = columns.map((_, i) => pgArrayLiteral(rows, i));
    return this.query<T>(sql, arrays);
  }

  /**
   * PostgreSQL: rows appended with COPY FROM STDIN (src/db/pg-copy.ts), for tables written without conflicts or
   * returned ids (the stage history); SQLite: `insert`.
   */
  async append(table: string, columns: string[], rows: SqlValue[][]): Promise<void> {
    if (!this.pg || !rows.length) {
      await this.insert(table, columns, rows);
      return;
    }
    this.written.add(table);
    await copyIn(this.pg as unknown as CopyClient, table, columns, copyLines(rows));
  }

  /**
   * PostgreSQL: new rows appended with COPY, their ids drawn from the table's sequence first: no ON CONFLICT, no
   * RETURNING, half the server's time of the upsert for a first load (bulk.ts WrittenKeys says which rows are surely
   * new). Returns the ids in the order of `rows`. The ids are one block, taken by moving the sequence on by the row
   * count in one call: the caller holds the table's SHARE ROW EXCLUSIVE lock (bulk.ts bulkMode), so no other session
   * draws from its sequence meanwhile. (A nextval per row, with the sequence looked up per row: 82 ms a call for 5,000
   * ids at load 10; the block: 4 ms.)
   */
  async appendReturningIds(table: string, columns: string[], rows: SqlValue[][]): Promise<number[]> {
    if (!rows.length) return [];
    const [{ last }] = await this.query<{ last: string }>(
      `select setval(q.s, nextval(q.s) + ?::int - 1) as last from (select pg_get_serial_sequence(?, 'id')::regclass as s) q`, [rows.length, `"${table}"`],
    );
    const first = Number(last) - rows.length + 1;
    const ids = Array.from({ length: rows.length }, (_, k) => first + k);
    this.written.add(table);
    await copyIn(this.pg as unknown as CopyClient, table, ['id', ...columns], copyLines(rows, ids));
    return ids;
  }

  /**
   * Large loads: drops the secondary (non-unique) indexes of `tables`, runs `load`, then recreates them. Building
   * an index once, sorted, costs far less than updating a dozen B-trees per row. All of it happens inside the
   * import's transaction, so a failure restores the indexes with the data. On PostgreSQL, DROP INDEX locks the
   * tables (ACCESS EXCLUSIVE) until the commit: readers of these tables wait for a large import to end. There the
   * foreign keys are dropped and added back too, one join instead of a trigger per row (src/modules/import/pg-bulk.ts).
   */
  async withIndexesRebuiltAfter<T>(tables: string[], load: () => Promise<T>, stamp: Date): Promise<T> {
    if (this.pg) return withPgBulkLoad(this, tables, load, stamp);
    const indexes = await this.query<{ name: string; sql: string }>(
      `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${tables.map(() => '?').join(', ')})`, tables,
    );
    const secondary = indexes.filter((i) => !/^\s*create\s+unique/i.test(i.sql));
    for (const index of secondary) await this.query(`drop index "${index.name}"`);
    this.statements.clear(); // statements prepared against the old schema
    const result = await load();
    for (const index of secondary) await this.query(index.sql);
    this.statements.clear();
    return result;
  }

  /** `column in (...)` over any number of values: one `= any(array)` on PostgreSQL, chunked under SQLite's parameter limit. */
  async selectIn<T = Record<string, unknown>>(select: string, column: string, values: SqlValue[], extraWhere = ''): Promise<T[]> {
    if (this.pg) {
      if (!values.length) return [];
      return this.query<T>(`${select} where ${column} = any(?)${extraWhere ? ` and ${extraWhere}` : ''}`, [values as unknown as SqlValue]);
    }
    const out: T[] = [];
    for (const [start, end] of chunks(values.length, 1024)) {
      const chunk = values.slice(start, end);
      const sql = `${select} where ${column} in (${chunk.map(() => '?').join(', ')})${extraWhere ? ` and ${extraWhere}` : ''}`;
      out.push(...(await this.query<T>(sql, chunk)));
    }
    return out;
  }
}

const quoteElement = (text: string) => `"${text.replace(/[\\"]/g, '\\$&')}"`;

/**
 * Column `c` of `rows` as a PostgreSQL array literal, cast by the statement (`?::timestamptz[]`): dates as UTC ISO
 * text, exact to the millisecond. Several times faster than the driver's generic array serialisation.
 */
export function pgArrayLiteral(rows: SqlValue[][], c: number): string {
  const parts = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const v = rows[r][c];
    if (v === null || v === undefined) parts[r] = 'NULL';
    else if (v instanceof Date) parts[r] = isoString(v);
    else if (typeof v === 'boolean') parts[r] = v ? 't' : 'f';
    else if (typeof v === 'number') parts[r] = String(v);
    else parts[r] = quoteElement(v);
  }
  return `{${parts.join(',')}}`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const DAY = 86_400_000;
const dayText: string[] = [];
let lastDate: Date | null = null;
let lastTime = NaN;
let lastDateText = '';

/**
 * A date as COPY reads it (UTC ISO text, exact to the millisecond). The run's timestamp is one Date object on every
 * row and an export's dates are mostly whole days: both are remembered, the rest formatted by pg-copy's isoString.
 */
function copyDate(date: Date): string {
  const t = date.getTime();
  if (date === lastDate && t === lastTime) return lastDateText;
  let text: string;
  if (t % DAY === 0 && t >= 0 && t < 1_000_000 * DAY) text = dayText[t / DAY] ??= date.toISOString();
  else text = isoString(date);
  lastDate = date;
  lastTime = t;
  lastDateText = text;
  return text;
}

/**
 * Rows (arrays in column order, as the loaders build them) as COPY text lines, with `ids` as a first column when
 * given: one pass over the rows, no per-column copies (pg-copy's copyText wants columns).
 */
export function copyLines(rows: SqlValue[][], ids?: number[]): string {
  let out = '';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    let line = ids ? `${ids[r]}\t` : '';
    for (let c = 0; c < row.length; c++) {
      const v = row[c];
      if (c) line += '\t';
      if (v === null || v === undefined) line += '\\N';
      else if (typeof v === 'number') line += v;
      else if (typeof v === 'string') line += COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (ch) => COPY_ESCAPES[ch]) : v;
      else if (typeof v === 'boolean') line += v ? 't' : 'f';
      else line += copyDate(v);
    }
    out += line + '\n';
  }
  return out;
}
