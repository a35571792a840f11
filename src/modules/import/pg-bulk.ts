/**
 * PostgreSQL, large loads (a deals file over ImportOptions.bulkLoadBytes, 10 MB) into empty tables, inside the import's
 * transaction:
 * - the foreign keys of the loaded tables are dropped and added again after the load, where the role owns the table
 *   (the app's role does: it ran the migrations). Adding a foreign key checks every row in one join; the per-row
 *   triggers it replaces ran one lookup per row and key: 500k stage changes took 23 s with them, 2 s without. No
 *   superuser setting (session_replication_role) is needed, so production roles take this path too. A reference to a
 *   missing row fails the import (and rolls it back) with the row's value named, as a trigger would have refused it.
 *   Dropping a foreign key locks its referenced table (ACCESS EXCLUSIVE, as PostgreSQL drops the key's triggers there
 *   too): readers of reps, accounts, products, stages and leads wait for the import's commit, as readers of the loaded
 *   tables already do for the dropped indexes. (A transaction holding one of these tables while it waits for a loaded
 *   one deadlocks with the import; PostgreSQL then cancels one of the two, and a cancelled import rolls back whole.)
 * - the secondary indexes of the loaded tables are dropped and rebuilt after the load (one sort per index instead
 *   of a random B-tree insert per row and index).
 */
import type { SqlValue, SqlWriter } from './sql-writer';

export interface ForeignKey {
  name: string;
  child: string;
  column: string;
  parent: string;
  parentColumn: string;
  /** pg_get_constraintdef: "FOREIGN KEY (owner_id) REFERENCES reps(id) ON UPDATE CASCADE ON DELETE SET NULL". */
  definition: string;
}

export async function withPgBulkLoad<T>(db: SqlWriter, tables: string[], load: () => Promise<T>, stamp: Date): Promise<T> {
  await db.query(`set local maintenance_work_mem = '512MB'`); // the rebuilds sort in memory; the key checks hash in it
  const keys = await ownedForeignKeys(db, tables);
  for (const key of keys) await db.query(`alter table "${key.child}" drop constraint "${key.name}"`);
  const indexes = await db.query<{ name: string; sql: string }>(
    `select i.indexname as name, i.indexdef as sql from pg_indexes i
      where i.schemaname = current_schema() and i.tablename = any(?::text[])
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    [tables as unknown as SqlValue],
  );
  for (const index of indexes) await db.query(`drop index "${index.name}"`);
  const result = await load();
  await restoreForeignKeys(db, keys, stamp);
  for (const index of indexes) await db.query(index.sql);
  return result;
}

/**
 * Single-column foreign keys of those of `tables` this role owns (others keep their triggers) and that have an
 * updated_at column (how a failure finds this run's row at fault).
 */
async function ownedForeignKeys(db: SqlWriter, tables: string[]): Promise<ForeignKey[]> {
  if (!tables.length) return [];
  return db.query<ForeignKey>(
    `select c.conname as name, t.relname as child, a.attname as column, p.relname as parent, pa.attname as "parentColumn",
            pg_get_constraintdef(c.oid) as definition
       from pg_constraint c
       join pg_class t on t.oid = c.conrelid join pg_class p on p.oid = c.confrelid
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
       join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
      where c.contype = 'f' and cardinality(c.conkey) = 1 and t.relnamespace = current_schema()::regnamespace and t.relname = any(?::text[])
        and exists (select 1 from pg_attribute u where u.attrelid = c.conrelid and u.attname = 'updated_at')
        and pg_has_role(t.relowner, 'USAGE')
      order by c.conname`,
    [tables as unknown as SqlValue],
  );
}

/**
 * Adds the keys back (each checks the whole table in one join, with maintenance_work_mem). When one fails, the row at
 * fault is found and named (the import's message, not PostgreSQL's); the import then rolls back.
 */
async function restoreForeignKeys(db: SqlWriter, keys: ForeignKey[], stamp: Date): Promise<void> {
  for (const key of keys) {
    await db.query('savepoint pipewise_key');
    try {
      await db.query(`alter table "${key.child}" add constraint "${key.name}" ${key.definition}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '23503') throw error; // foreign_key_violation
      await db.query('rollback to savepoint pipewise_key');
      await failOnOrphan(db, key, stamp);
      throw error;
    }
    await db.query('release savepoint pipewise_key');
  }
}

/** Fails when a row this run wrote (updated_at = the run's stamp) references a row that does not exist. */
async function failOnOrphan(db: SqlWriter, key: ForeignKey, stamp: Date): Promise<void> {
  const [orphan] = await db.query<{ value: unknown }>(
    `select t."${key.column}" as value from "${key.child}" t
      where t.updated_at = ? and t."${key.column}" is not null
        and not exists (select 1 from "${key.parent}" p where p."${key.parentColumn}" = t."${key.column}") limit 1`,
    [db.ts(stamp)],
  );
  if (orphan) throw new Error(`import: ${key.child}.${key.column} = ${orphan.value} references no row of ${key.parent} (${key.name})`);
}
