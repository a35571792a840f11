/**
 * PostgreSQL, large loads (a deals file over ImportOptions.bulkLoadBytes, 10 MB), inside the import's transaction:
 * - the secondary indexes of the loaded tables are dropped and rebuilt after the load (one sort per index instead
 *   of a random B-tree insert per row and index);
 * - where the role may (superuser, as for the seed), the per-row foreign-key triggers are skipped
 *   (session_replication_role = replica, for this transaction only), and every reference the load wrote is then
 *   checked at once: one anti-join per foreign key over the rows carrying the run's timestamp. A reference to a
 *   missing row fails the import (and rolls it back), as the trigger would have.
 * Measured on 1M deals (bench/import.ts): the triggers and index updates were most of the server's time.
 */
import type { SqlValue, SqlWriter } from './sql-writer';

interface ForeignKey {
  name: string;
  child: string;
  column: string;
  parent: string;
  parentColumn: string;
}

export async function withPgBulkLoad<T>(db: SqlWriter, tables: string[], load: () => Promise<T>, stamp: Date): Promise<T> {
  await db.query(`set local maintenance_work_mem = '512MB'`); // the rebuilds sort in memory
  const indexes = await db.query<{ name: string; sql: string }>(
    `select i.indexname as name, i.indexdef as sql from pg_indexes i
      where i.schemaname = current_schema() and i.tablename = any(?::text[])
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    [tables as unknown as SqlValue],
  );
  for (const index of indexes) await db.query(`drop index "${index.name}"`);
  const unchecked = await skipForeignKeyTriggers(db);
  const result = await load();
  if (unchecked) {
    await db.query('set local session_replication_role = origin');
    await checkReferences(db, [...db.written], stamp); // every table the import wrote so far (the load updates some, e.g. leads)
  }
  for (const index of indexes) await db.query(index.sql);
  return result;
}

/** True when the triggers are off for the rest of the transaction (the role may set session_replication_role). */
async function skipForeignKeyTriggers(db: SqlWriter): Promise<boolean> {
  await db.query('savepoint pipewise_bulk');
  try {
    await db.query('set local session_replication_role = replica');
    await db.query('release savepoint pipewise_bulk');
    return true;
  } catch {
    await db.query('rollback to savepoint pipewise_bulk'); // not permitted: the triggers check row by row
    await db.query('release savepoint pipewise_bulk');
    return false;
  }
}

/** Fails when a row this run wrote (updated_at = the run's stamp) in `tables` references a row that does not exist. */
export async function checkReferences(db: SqlWriter, tables: string[], stamp: Date): Promise<void> {
  if (!tables.length) return;
  const keys = await db.query<ForeignKey>(
    `select c.conname as name, t.relname as child, a.attname as column, p.relname as parent, pa.attname as "parentColumn"
       from pg_constraint c
       join pg_class t on t.oid = c.conrelid join pg_class p on p.oid = c.confrelid
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
       join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
      where c.contype = 'f' and cardinality(c.conkey) = 1 and t.relnamespace = current_schema()::regnamespace and t.relname = any(?::text[])
        and exists (select 1 from pg_attribute u where u.attrelid = c.conrelid and u.attname = 'updated_at')
      order by c.conname`,
    [tables as unknown as SqlValue],
  );
  for (const key of keys) {
    const [orphan] = await db.query<{ value: unknown }>(
      `select t."${key.column}" as value from "${key.child}" t
        where t.updated_at = ? and t."${key.column}" is not null
          and not exists (select 1 from "${key.parent}" p where p."${key.parentColumn}" = t."${key.column}") limit 1`,
      [db.ts(stamp)],
    );
    if (orphan) throw new Error(`import: ${key.child}.${key.column} = ${orphan.value} references no row of ${key.parent} (${key.name})`);
  }
}
