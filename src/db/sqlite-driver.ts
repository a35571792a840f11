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

/** BetterSqliteDriver with the platform above (the original constructor, another platform). */
export class PipewiseSqliteDriver extends AbstractSqlDriver<BetterSqliteConnection, BetterSqlitePlatform> {
  constructor(config: Configuration) {
    super(config, new PipewiseSqlitePlatform(), BetterSqliteConnection, ['knex', 'better-sqlite3']);
  }
}
