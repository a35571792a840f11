/**
 * Data versions: one counter per table that cached answers read, stored in the database (`data_versions`) so every
 * process and instance sees the same ones. Writers bump the counters of what they wrote in their own transaction:
 * ORM flushes through `DataVersionSubscriber` (registered on every ORM, src/db/orm.ts), bulk and raw writers (the
 * import, the seed) with `bumpDataVersionsSql`. A reader reads the versions before it reads the data, so an answer
 * is never cached under versions newer than the data it was computed from.
 */
import { ChangeSetType, type EventSubscriber, type FlushEventArgs, type TransactionEventArgs } from '@mikro-orm/core';

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

/** A version key (versionKey) as table -> version; the database's identity under "db". */
export function parseVersionKey(key: string): Map<string, number> {
  return new Map(key.split(';').map((part) => {
    const [table, version] = part.split('=');
    return [table, Number(version)] as [string, number];
  }));
}

/** Versions of one deal table a reader is behind by: (from, to]. */
export interface TouchRange {
  table: string;
  from: number;
  to: number;
}

/**
 * What a reader at `held` versions must re-read to be at `wanted`: per deal table, the versions it is behind by
 * ([] when none moved), or null when only a full read will do (another database, a table other than the deal
 * tables moved, a version went back, or it is further behind than the touch rows kept).
 */
export function touchRanges(held: string, wanted: string): TouchRange[] | null {
  const have = parseVersionKey(held);
  const want = parseVersionKey(wanted);
  const ranges: TouchRange[] = [];
  for (const [table, to] of want) {
    const from = have.get(table);
    if (from === undefined) return null;
    if (to === from) continue;
    if (table === 'db' || to < from || !DEAL_TOUCH_TABLES[table] || to - from > TOUCHES_KEPT) return null;
    ranges.push({ table, from, to });
  }
  return ranges;
}

/** The touch rows of `ranges` (both dialects). */
export function touchesSql(ranges: TouchRange[]): string {
  const parts = ranges.map((r) => `(table_name = ${quoted(r.table)} and version > ${Number(r.from)} and version <= ${Number(r.to)})`);
  return `select table_name, version, deal_ids from data_version_touches where ${parts.join(' or ')}`;
}

/** The deals the touch rows of `ranges` list (ascending, each once), or null when a version has no row or one says '*'. */
export function touchedDeals(ranges: TouchRange[], rows: Array<{ table_name: string; version: number | string; deal_ids: string }>): number[] | null {
  const expected = ranges.reduce((n, r) => n + (r.to - r.from), 0);
  if (rows.length !== expected) return null;
  const ids = new Set<number>();
  for (const row of rows) {
    const listed = parseTouchedIds(row.deal_ids);
    if (!listed || !listed.every((id) => Number.isSafeInteger(id))) return null;
    listed.forEach((id) => ids.add(id));
  }
  return [...ids].sort((a, b) => a - b);
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

/**
 * The deal tables of the forecast's facts: a bump of one of them records the deals it wrote (data_version_touches),
 * so a reader holding the facts re-reads those deals only. Each maps a written entity to its deal's id.
 */
export const DEAL_TOUCH_TABLES: Readonly<Record<string, (entity: { id?: number; deal?: { id?: number } }) => number | undefined>> = {
  deals: (e) => e.id,
  deal_changes: (e) => e.deal?.id,
  deal_stage_changes: (e) => e.deal?.id,
};

/** More deals than this in one commit are recorded as '*' (a reader loads everything again). */
export const MAX_TOUCHED_DEALS = 5_000;
/** Touch rows kept per table: a reader further behind loads everything again. */
export const TOUCHES_KEPT = 1_000;

/** The deal ids a touch row lists, or null for '*'. */
export function parseTouchedIds(dealIds: string): number[] | null {
  if (dealIds === '*') return null;
  return dealIds === '' ? [] : dealIds.split(',').map(Number);
}

/** What one transaction wrote: the tables, and per deal table the deals (ids, or entities whose id an insert sets). */
interface Written {
  tables: Set<string>;
  deals: Map<string, Array<number | object>>;
}

const written = (): Written => ({ tables: new Set(), deals: new Map() });

function mergeInto(into: Written, part: Written): void {
  part.tables.forEach((t) => into.tables.add(t));
  for (const [table, deals] of part.deals) into.deals.set(table, [...(into.deals.get(table) ?? []), ...deals]);
}

const merge = (map: WeakMap<object, Written>, key: object, part: Written) => {
  const into = map.get(key);
  if (into) mergeInto(into, part);
  else map.set(key, part);
};

type Execute = (sql: string, params: unknown[], method: 'run' | 'all', ctx: unknown) => Promise<unknown>;

/**
 * ORM writers: the tables of a flush's change sets are bumped just before its transaction commits (the flush's own
 * transaction, or the `em.transactional` it runs in), so the counters move atomically with the data and their row
 * locks (PostgreSQL) are held only for the commit, never for a long transaction's duration. Bumps of the deal tables
 * record the deals written (DataVersionTouch).
 */
export class DataVersionSubscriber implements EventSubscriber {
  private readonly byTransaction = new WeakMap<object, Written>();
  private readonly byFlush = new WeakMap<object, Written>();

  async onFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const flushed = written();
    for (const cs of uow.getChangeSets()) {
      const table = cs.meta.tableName;
      if (!WATCHED.has(table)) continue;
      flushed.tables.add(table);
      const dealOf = DEAL_TOUCH_TABLES[table];
      if (!dealOf) continue;
      let deals = flushed.deals.get(table);
      if (!deals) flushed.deals.set(table, (deals = []));
      // an insert's id is known at commit; a delete's now (the entity may lose it once removed)
      deals.push(cs.type === ChangeSetType.CREATE ? cs.entity : (dealOf(cs.entity as never) ?? cs.entity));
    }
    for (const collection of uow.getCollectionUpdates()) {
      const pivot = collection.property.pivotTable;
      if (pivot && WATCHED.has(pivot)) flushed.tables.add(pivot);
    }
    if (!flushed.tables.size) return;
    const trx = em.getTransactionContext<Transaction>();
    if (trx) merge(this.byTransaction, rootOf(trx), flushed);
    else merge(this.byFlush, uow, flushed); // the flush opens its own transaction next
  }

  async beforeTransactionCommit({ em, uow, transaction }: TransactionEventArgs): Promise<void> {
    if (!transaction) return;
    const committed = written();
    for (const part of [uow && this.byFlush.get(uow), this.byTransaction.get(transaction)]) if (part) mergeInto(committed, part);
    if (uow) this.byFlush.delete(uow);
    this.byTransaction.delete(transaction);
    const sql = bumpDataVersionsSql(committed.tables);
    if (!sql) return;
    const connection = em.getConnection('write') as unknown as { execute: Execute };
    if (!committed.deals.size) return void (await connection.execute(sql, [], 'run', transaction));
    const bumped = (await connection.execute(`${sql} returning table_name, version`, [], 'all', transaction)) as Array<{ table_name: string; version: number | string }>;
    for (const statement of touchRowsSql(bumped, committed.deals)) await connection.execute(statement, [], 'run', transaction);
  }

  async afterTransactionRollback({ uow, transaction }: TransactionEventArgs): Promise<void> {
    if (uow) this.byFlush.delete(uow);
    if (transaction) this.byTransaction.delete(transaction);
  }
}

/** The touch rows of the deal tables just bumped (one insert), and the pruning of old ones every 100 versions. */
function touchRowsSql(bumped: Array<{ table_name: string; version: number | string }>, deals: Map<string, Array<number | object>>): string[] {
  const values: string[] = [];
  const prune: string[] = [];
  for (const { table_name: table, version: v } of bumped) {
    const wrote = deals.get(table);
    const dealOf = DEAL_TOUCH_TABLES[table];
    if (!wrote || !dealOf) continue;
    const version = Number(v);
    const ids = [...new Set(wrote.map((d) => (typeof d === 'number' ? d : dealOf(d as never))))];
    const listed = ids.length <= MAX_TOUCHED_DEALS && ids.every((id) => Number.isSafeInteger(id));
    values.push(`(${quoted(table)}, ${version}, '${listed ? (ids as number[]).sort((a, b) => a - b).join(',') : '*'}')`);
    if (version % 100 === 0) prune.push(`delete from data_version_touches where table_name = ${quoted(table)} and version <= ${version - TOUCHES_KEPT}`);
  }
  // a version seen before (data_versions rows deleted by hand) replaces the old row
  const insert = `insert into data_version_touches (table_name, version, deal_ids) values ${values.join(', ')} on conflict (table_name, version) do update set deal_ids = excluded.deal_ids`;
  return values.length ? [insert, ...prune] : [];
}
