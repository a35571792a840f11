/**
 * Data versions: one counter per table that cached answers read, stored in the database (`data_versions`) so every
 * process and instance sees the same ones. Writers bump the counters of what they wrote in their own transaction:
 * ORM flushes through `DataVersionSubscriber` (registered on every ORM, src/db/orm.ts), bulk and raw writers (the
 * import, the seed) with `bumpDataVersionsSql`. A reader reads the versions before it reads the data, so an answer
 * is never cached under versions newer than the data it was computed from.
 */
import type { EventSubscriber, FlushEventArgs, TransactionEventArgs } from '@mikro-orm/core';

/** What each cached answer reads (a forecast: deals and their history, stages, owners, quotas, calls...). */
export const FORECAST_TABLES = ['deals', 'deal_changes', 'deal_stage_changes', 'pipeline_stages', 'reps', 'teams', 'products', 'targets', 'forecast_adjustments'] as const;
export const STAGE_STATS_TABLES = ['deals', 'deal_changes', 'deal_stage_changes', 'pipeline_stages', 'reps', 'teams', 'products'] as const;
export const KPI_TABLES = ['deals', 'deal_changes', 'deal_stage_changes', 'pipeline_stages', 'leads', 'activities', 'orders', 'spend', 'targets', 'reps', 'teams', 'accounts', 'products'] as const;

/** Every table some cached answer reads: the ones writers bump (others, such as scores or audit rows, are not read). */
export const ANSWER_TABLES: readonly string[] = [...new Set<string>([...FORECAST_TABLES, ...STAGE_STATS_TABLES, ...KPI_TABLES])].sort();
const WATCHED = new Set(ANSWER_TABLES);

/** The row that identifies the database (a random number drawn by the migration), never bumped. */
export const DATABASE_ROW = '*database';

const quoted = (table: string): string => {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
  return `'${table}'`;
};

/**
 * One statement (both dialects) bumping the given tables' versions, in name order (concurrent writers lock the
 * rows in the same order). A table without a row yet gets version 1.
 */
export function bumpDataVersionsSql(tables: Iterable<string> = ANSWER_TABLES): string {
  const names = [...new Set(tables)].filter((t) => WATCHED.has(t)).sort();
  if (!names.length) return '';
  return (
    `insert into data_versions (table_name, version) values ${names.map((t) => `(${quoted(t)}, 1)`).join(', ')} ` +
    'on conflict (table_name) do update set version = data_versions.version + 1'
  );
}

/** The versions of `tables` plus the database's identity, as one key part ("db=…;deals=3;targets=1"). */
export function readVersionsSql(tables: readonly string[]): string {
  return `select table_name, version from data_versions where table_name in ('${DATABASE_ROW}', ${tables.map(quoted).join(', ')})`;
}

export function versionKey(tables: readonly string[], rows: Array<{ table_name: string; version: number | string }>): string {
  const found = new Map(rows.map((r) => [r.table_name, Number(r.version)]));
  return [`db=${found.get(DATABASE_ROW) ?? 0}`, ...[...tables].sort().map((t) => `${t}=${found.get(t) ?? 0}`)].join(';');
}

type Transaction = object;

/** A nested transaction (savepoint) knows its parent through a symbol of MikroORM's connection: commit happens at the root. */
function rootOf(trx: Transaction): Transaction {
  let current = trx as Record<symbol, Transaction | undefined>;
  for (let depth = 0; depth < 20; depth++) {
    const parent = Object.getOwnPropertySymbols(current).find((s) => s.description === 'parentTransaction');
    const next = parent ? current[parent] : undefined;
    if (!next) return current;
    current = next as Record<symbol, Transaction | undefined>;
  }
  return current;
}

const add = (map: WeakMap<object, Set<string>>, key: object, tables: Set<string>) => {
  const set = map.get(key);
  if (set) tables.forEach((t) => set.add(t));
  else map.set(key, tables);
};

/**
 * ORM writers: the tables of a flush's change sets are bumped just before its transaction commits (the flush's own
 * transaction, or the `em.transactional` it runs in), so the counters move atomically with the data and their row
 * locks (PostgreSQL) are held only for the commit, never for a long transaction's duration.
 */
export class DataVersionSubscriber implements EventSubscriber {
  private readonly byTransaction = new WeakMap<object, Set<string>>();
  private readonly byFlush = new WeakMap<object, Set<string>>();

  async onFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const tables = new Set<string>();
    for (const cs of uow.getChangeSets()) if (WATCHED.has(cs.meta.tableName)) tables.add(cs.meta.tableName);
    for (const collection of uow.getCollectionUpdates()) {
      const pivot = collection.property.pivotTable;
      if (pivot && WATCHED.has(pivot)) tables.add(pivot);
    }
    if (!tables.size) return;
    const trx = em.getTransactionContext<Transaction>();
    if (trx) add(this.byTransaction, rootOf(trx), tables);
    else add(this.byFlush, uow, tables); // the flush opens its own transaction next
  }

  async beforeTransactionCommit({ em, uow, transaction }: TransactionEventArgs): Promise<void> {
    if (!transaction) return;
    const tables = new Set<string>([...((uow && this.byFlush.get(uow)) ?? []), ...(this.byTransaction.get(transaction) ?? [])]);
    if (uow) this.byFlush.delete(uow);
    this.byTransaction.delete(transaction);
    const sql = bumpDataVersionsSql(tables);
    if (sql) await (em.getConnection('write') as unknown as { execute(sql: string, params: unknown[], method: 'run', ctx: unknown): Promise<unknown> }).execute(sql, [], 'run', transaction);
  }

  async afterTransactionRollback({ uow, transaction }: TransactionEventArgs): Promise<void> {
    if (uow) this.byFlush.delete(uow);
    if (transaction) this.byTransaction.delete(transaction);
  }
}
