/**
 * better-sqlite3 as MikroORM 6.6 drives it, with its SQLite schema introspection corrected, so that a schema diff
 * (`pipewise migration:create`, the migrations-match-entities test) of a database that matches the entities is
 * empty:
 * - SQLite's own tables (`sqlite_stat1` / `sqlite_stat4`, written by ANALYZE after seeding) are not ours to diff;
 *   introspecting them crashed.
 * - Foreign keys were keyed by column instead of constraint name, so every one looked dropped and re-added.
 * - Enum check constraints `in ('A', 'B', 'C')` lost their middle values, so every enum column looked changed.
 */
import type { Configuration, Dictionary } from '@mikro-orm/core';
import { AbstractSqlDriver, BetterSqliteConnection, BetterSqlitePlatform, BetterSqliteSchemaHelper, type AbstractSqlConnection } from '@mikro-orm/better-sqlite';
import { BetterSqliteKnexDialect } from '@mikro-orm/knex';

/** What this file uses of better-sqlite3 (it ships no types). */
interface Statement {
  readonly reader: boolean;
  all(bindings: unknown[]): unknown[];
  run(bindings: unknown[]): { lastInsertRowid: number | bigint; changes: number };
  safeIntegers(on: boolean): Statement;
}
interface Database {
  prepare(sql: string): Statement;
}

class PipewiseSqliteSchemaHelper extends BetterSqliteSchemaHelper {
  override getListTablesSQL(): string {
    const ours = `type = 'table' and name not like 'sqlite\\_%' escape '\\' and name not in ('geometry_columns', 'spatial_ref_sys')`;
    return `select name as table_name from sqlite_master where ${ours} union all select name as table_name from sqlite_temp_master where ${ours} order by name`;
  }

  override mapForeignKeys(fks: Dictionary[], tableName: string): Dictionary {
    const byColumn = super.mapForeignKeys(fks, tableName);
    return Object.fromEntries(Object.values(byColumn).map((fk) => [fk.constraintName, fk]));
  }

  override async getEnumDefinitions(connection: AbstractSqlConnection, _checks: unknown, tableName: string): Promise<Dictionary<string[]>> {
    const table = await connection.execute<{ sql: string }>(`select sql from sqlite_master where type = ? and name = ?`, ['table', tableName], 'get');
    const enums: Dictionary<string[]> = {};
    // `status` text check (`status` in ('OPEN', 'WON', 'LOST'))
    for (const match of table.sql.matchAll(/[`"[]([^`"\]]+)[`"\]] text check \([`"[][^`"\]]+[`"\]] in \(((?:'(?:[^']|'')*'(?:,\s*)?)+)\)\)/gi)) {
      enums[match[1]] = [...match[2].matchAll(/'((?:[^']|'')*)'/g)].map((item) => item[1].replace(/''/g, "'"));
    }
    return enums;
  }
}

class PipewiseSqlitePlatform extends BetterSqlitePlatform {
  protected override readonly schemaHelper: BetterSqliteSchemaHelper = new PipewiseSqliteSchemaHelper(this);
}

/** Prepared statements kept per connection: the ORM's statements repeat, most requests send the same few dozen. */
const STATEMENTS_KEPT = 256;

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: { safeIntegers?: boolean };
  response?: unknown;
  context?: { lastID: number | bigint; changes: number };
}

/**
 * knex's better-sqlite3 client prepares every statement anew: under the load bench's mix that was a fifth of the
 * SQLite work on the event loop (prepare 2.0 s beside 7.4 s of running them). This one reuses a connection's
 * statements (least recently used let go past STATEMENTS_KEPT). Safe because knex runs them with all() or run(),
 * which finish before returning (no statement is ever busy when reused); SQLite re-prepares a statement itself when
 * the schema changed. A query with its own safeIntegers option is prepared apart, so the setting never sticks.
 */
const statementsOf = new WeakMap<Database, Map<string, Statement>>(); // by connection: knex's transaction clients are prototype copies of the client, without its fields

class StatementCachingDialect extends BetterSqliteKnexDialect {
  private statement(connection: Database, sql: string): Statement {
    let cache = statementsOf.get(connection);
    if (!cache) statementsOf.set(connection, (cache = new Map()));
    let statement = cache.get(sql);
    if (statement) cache.delete(sql); // re-inserted last: a Map iterates in insertion order, oldest first
    else {
      statement = connection.prepare(sql);
      if (cache.size >= STATEMENTS_KEPT) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  }

  async _query(connection: Database, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql) throw new Error('The query is empty');
    if (!connection) throw new Error('No connection provided');
    const safeIntegers = obj.options?.safeIntegers;
    const statement = typeof safeIntegers === 'boolean' ? connection.prepare(obj.sql).safeIntegers(safeIntegers) : this.statement(connection, obj.sql);
    const bindings = (this as unknown as { _formatBindings(b: unknown[] | undefined): unknown[] })._formatBindings(obj.bindings);
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const response = statement.run(bindings);
    obj.response = response;
    obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }
}

class PipewiseSqliteConnection extends BetterSqliteConnection {
  override createKnex() {
    this.client = this.createKnexClient(StatementCachingDialect as never);
    this.connected = true;
  }
}

/** BetterSqliteDriver with the platform and statement cache above (the original constructor, another platform). */
export class PipewiseSqliteDriver extends AbstractSqlDriver<BetterSqliteConnection, BetterSqlitePlatform> {
  constructor(config: Configuration) {
    super(config, new PipewiseSqlitePlatform(), PipewiseSqliteConnection, ['knex', 'better-sqlite3']);
  }
}
