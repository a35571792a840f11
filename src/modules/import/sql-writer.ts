/**
 * Batched raw SQL inside the import's transaction. The ORM's unit of work is too slow for a million rows,
 * so rows go in as multi-row INSERT ... ON CONFLICT statements with bound parameters. Handles the two
 * dialects' storage differences (SQLite: datetimes as epoch milliseconds, booleans as 0/1).
 */
import type { Knex } from 'knex';
import type { DatabaseKind } from '../../config';

export type SqlValue = string | number | boolean | Date | null;

/** Bound parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;

export class SqlWriter {
  constructor(private readonly knex: Knex | Knex.Transaction, readonly dialect: DatabaseKind) {}

  /** A datetime as the column stores it. */
  ts(date: Date | null | undefined): SqlValue {
    if (date == null) return null;
    return this.dialect === 'sqlite' ? date.getTime() : date;
  }

  bool(value: boolean): SqlValue {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }

  /** Reads a datetime column back as epoch milliseconds. */
  millis(value: unknown): number | null {
    if (value == null) return null;
    return value instanceof Date ? value.getTime() : Number(value);
  }

  async query<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    const result = await this.knex.raw(sql, params as Knex.RawBinding[]);
    if (Array.isArray(result)) return result as T[];
    return ((result as { rows?: T[] }).rows ?? []) as T[];
  }

  /**
   * Inserts rows (arrays in `columns` order) in as few statements as the parameter limit allows.
   * `upsertOn` turns duplicates of that unique column into updates of the other columns (except `keep`
   * and created_at; plus `extraUpdate` SQL, e.g. a version bump); `returning` columns come back for every row written.
   */
  async insert<T = Record<string, unknown>>(
    table: string,
    columns: string[],
    rows: SqlValue[][],
    options: { upsertOn?: string; keep?: string[]; extraUpdate?: string[]; returning?: string[] } = {},
  ): Promise<T[]> {
    if (!rows.length) return [];
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
    let tail = '';
    if (options.upsertOn) {
      const keep = new Set([options.upsertOn, 'created_at', ...(options.keep ?? [])]);
      const sets = columns.filter((c) => !keep.has(c)).map((c) => `"${c}" = excluded."${c}"`);
      tail += ` on conflict ("${options.upsertOn}") do update set ${[...sets, ...(options.extraUpdate ?? [])].join(', ')}`;
    }
    if (options.returning?.length) tail += ` returning ${options.returning.map((c) => `"${c}"`).join(', ')}`;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const out: T[] = [];
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const params: SqlValue[] = [];
      for (const row of chunk) for (const v of row) params.push(v);
      const sql = head + new Array(chunk.length).fill(tuple).join(', ') + tail;
      const res = await this.query<T>(sql, params);
      if (options.returning?.length) out.push(...res);
    }
    return out;
  }

  /** `column in (...)` over any number of values, chunked under the parameter limit. */
  async selectIn<T = Record<string, unknown>>(select: string, column: string, values: SqlValue[], extraWhere = ''): Promise<T[]> {
    const out: T[] = [];
    for (let start = 0; start < values.length; start += MAX_PARAMS) {
      const chunk = values.slice(start, start + MAX_PARAMS);
      const sql = `${select} where ${column} in (${chunk.map(() => '?').join(', ')})${extraWhere ? ` and ${extraWhere}` : ''}`;
      out.push(...(await this.query<T>(sql, chunk)));
    }
    return out;
  }
}
