import { Cursor, type FilterQuery, type QueryOrderMap } from '@mikro-orm/core';
import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { dialectOf } from '../db/dialect';
import type { Em } from '../db/orm';
import { BadInputError } from '../shared/errors';
import type { ConnectionShape, PageArgs } from './connection';
import { findRows } from './loaders';

export const DEFAULT_PAGE_SIZE = 20;

/**
 * Keyset pagination over any entity: the cursor encodes the sort key of the last row (never an offset),
 * so page 1,000 costs what page 1 does. `id` is appended to the order as a tie-breaker. The nodes are read-only
 * rows (`findRows`), not managed entities: a connection is only read.
 */
export async function paginate<T extends object>(
  em: Em,
  entity: new (...args: never[]) => T,
  where: FilterQuery<T>,
  orderBy: QueryOrderMap<T>,
  page: PageArgs,
  maxPageSize: number,
  /** The connection field's resolve info: whether the client asked for `totalCount` (unknown without it: not asked). */
  info?: GraphQLResolveInfo,
): Promise<ConnectionShape<T>> {
  const first = page.first ?? DEFAULT_PAGE_SIZE;
  if (first < 1 || first > maxPageSize) throw new BadInputError('first', `first must be between 1 and ${maxPageSize}`);
  // id breaks ties (keyset pagination needs a total order); a sort on id itself keeps its direction.
  const order = ('id' in orderBy ? orderBy : { ...orderBy, id: 'asc' }) as QueryOrderMap<T>;
  if (page.after) checkCursor(em, entity, order, page.after);

  // em.findByCursor's query (first + 1 rows after the cursor) and its Cursor, over rows instead of entities.
  let count: Promise<number> | undefined;
  const total = () => (count ??= em.fork().count(entity, where));
  const indexHint = await sqliteSortIndexHint(em, entity, where, order, first, info && selectsField(info, 'totalCount') ? total : null);
  const options = { first, after: page.after, orderBy: order, overfetch: true, indexHint };
  const rows = await findRows(em, entity, where, options);
  const cursor = new Cursor(rows, undefined as never, options, em.getMetadata().get(entity.name));
  const edges = cursor.items.map((node) => ({ cursor: cursor.from(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: cursor.hasNextPage ?? false,
      hasPreviousPage: Boolean(page.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: total,
  };
}

/**
 * SQLite's planner, asked for a page sorted by an indexed column of rows filtered by a list (a manager's team of
 * 226 owners, two statuses), reads every matching row through the filter's index and sorts them all: at 1M deals
 * 380-950 ms for a team's page. Walking the sort column's index and keeping the matching rows finds a page after
 * about (rows / matching) x page size steps instead. Both costs are known from the matching rows and the table's
 * size in SQLite's statistics, so the walk is forced (INDEXED BY) only where it is the cheaper:
 * matching^2 > rows x page size x 4 (a step of the walk reads a row; a sorted row costs less).
 * PostgreSQL's planner weighs the LIMIT itself.
 *
 * What it costs a page that did not ask for totalCount: the choice only needs to know whether `matching` passes
 * sqrt(rows x page size x 4), so the matching rows are counted up to that bound and no further, in the statement
 * that reads the statistics (83k open deals at 1M are counted to 14,284). A page that asked for totalCount decides
 * with its own count (computed once). And the choice is kept per connection, filter and page size for
 * CHOICE_KEPT_MS while the statistics read the same (the next pages of a list read them, not count): it only picks
 * the plan, never the rows, so a choice some seconds old costs at worst a slower page.
 */
async function sqliteSortIndexHint<T extends object>(
  em: Em,
  entity: new (...args: never[]) => T,
  where: FilterQuery<T>,
  order: QueryOrderMap<T>,
  first: number,
  total: (() => Promise<number>) | null,
): Promise<string | undefined> {
  // unfiltered, SQLite walks the index already (and the count would cost a pass over the table)
  if (dialectOf(em) !== 'sqlite' || Object.keys(where as object).length === 0) return undefined;
  const [key, ...rest] = Object.keys(order);
  if (key === 'id' || rest.length !== 1 || rest[0] !== 'id') return undefined;
  const meta = em.getMetadata().get(entity.name);
  const index = meta.indexes.find((i) => typeof i.name === 'string' && Array.isArray(i.properties) && i.properties.length === 1 && i.properties[0] === key);
  if (!index) return undefined;
  const hint = `indexed by ${em.getPlatform().quoteIdentifier(index.name as string)}`;
  const perRow = (first + 1) * 4;
  const kept = keptChoices(em);
  const memo = choiceKey(meta.tableName, perRow, where);
  const known = memo == null ? undefined : kept.get(memo);
  let stat: string | null;
  let matching: number;
  if (total) {
    stat = await tableStat(em, meta.tableName);
    if (stat == null) return undefined;
    matching = await total();
  } else {
    if (known && Date.now() - known.at < CHOICE_KEPT_MS && (await tableStat(em, meta.tableName)) === known.stat) return known.hint ? hint : undefined;
    const bounded = await boundedCount(em, entity, where, meta.tableName, perRow);
    if (!bounded) return undefined;
    ({ stat, matching } = bounded);
  }
  const rows = Number.parseInt(stat, 10);
  if (!Number.isFinite(rows)) return undefined;
  const chosen = matching * matching > rows * perRow;
  if (memo != null) {
    kept.delete(memo); // re-inserted: the oldest entry is the first one
    kept.set(memo, { stat, hint: chosen, at: Date.now() });
    if (kept.size > CHOICES_KEPT) kept.delete(kept.keys().next().value!);
  }
  return chosen ? hint : undefined;
}

/** How long a sort-index choice is kept (while the statistics stay the same), and how many per connection. */
export const CHOICE_KEPT_MS = 30_000;
const CHOICES_KEPT = 500;
const choices = new WeakMap<object, Map<string, { stat: string; hint: boolean; at: number }>>();
const keptChoices = (em: Em) => {
  const connection = em.getConnection();
  let kept = choices.get(connection);
  if (!kept) choices.set(connection, (kept = new Map()));
  return kept;
};
/** The filter as text (ids, statuses, dates): the same list asked again has the same key; null when not plain data. */
function choiceKey(table: string, perRow: number, where: unknown): string | null {
  try {
    return `${table} ${perRow} ${JSON.stringify(where)}`;
  } catch {
    return null;
  }
}

/** The table's statistics in sqlite_stat1 (ANALYZE, `PRAGMA optimize`; its row count first), or null before any. */
async function tableStat(em: Em, table: string): Promise<string | null> {
  const [row] = await em.getConnection().execute<Array<{ stat: string }>>('select stat from sqlite_stat1 where tbl = ? limit 1', [table]).catch(() => []);
  return row?.stat ?? null;
}

/**
 * In one statement, the table's statistics (null before any: then nothing is counted) and the rows `where` matches,
 * counted up to floor(sqrt(rows x perRow)) + 2: past the bound matching^2 > rows x perRow holds whatever the rest,
 * below it the count is exact, so the choice is the one the full count gives.
 */
async function boundedCount<T extends object>(em: Em, entity: new (...args: never[]) => T, where: FilterQuery<T>, table: string, perRow: number): Promise<{ stat: string; matching: number } | null> {
  // the page's own where, as em.count would apply it; the ids (distinct: a join could repeat a row) up to the bound
  const matches = (em.fork() as Em).createQueryBuilder(entity).select('id', true).where(where).getKnexQuery().toSQL();
  const stat = 'select stat from sqlite_stat1 where tbl = ? limit 1';
  const sql =
    `select (${stat}) as stat, (select count(*) from (${matches.sql} limit coalesce((select cast(sqrt(cast(stat as integer) * ?) as integer) + 2 from sqlite_stat1 where tbl = ? limit 1), 0))) as n`;
  let row: { stat: string | null; n: number } | undefined;
  try {
    [row] = await em.getConnection().execute<Array<{ stat: string | null; n: number }>>(sql, [table, ...matches.bindings, perRow, table], 'all', em.getTransactionContext());
  } catch (error) {
    if (/no such table: sqlite_stat1/.test((error as Error).message)) return null; // never analyzed
    // an SQLite without sqrt(): the statistics and the full count, as two statements
    const known = await tableStat(em, table);
    return known == null ? null : { stat: known, matching: await em.fork().count(entity, where) };
  }
  return row?.stat == null ? null : { stat: row.stat, matching: Number(row.n) };
}

/** Whether the field being resolved selects `name` (directly, or in a fragment): an alias still asks for it. */
export function selectsField(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, name: string): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean =>
    Boolean(set?.selections.some((s) => {
      if (s.kind === 'Field') return s.name.value === name;
      if (s.kind === 'InlineFragment') return visit(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return visit(info.fragments?.[s.name.value]?.selectionSet);
    }));
  return (info.fieldNodes ?? []).some((node) => visit(node.selectionSet));
}

/**
 * A cursor is the sort key of a row this API returned: one value per order key, each of its property's type (a
 * date as ISO text), the id a positive integer. Anything else (a hand-made `[null,null]`, another sort's cursor)
 * is the client's mistake, refused on `after` before it reaches SQL.
 */
function checkCursor<T extends object>(em: Em, entity: new (...args: never[]) => T, order: QueryOrderMap<T>, after: string): void {
  let decoded: unknown;
  try {
    decoded = Cursor.decode(after);
  } catch {
    decoded = undefined;
  }
  const keys = Object.keys(order);
  const meta = em.getMetadata().find(entity.name);
  const fits = (key: string, value: unknown): boolean => {
    const prop = (meta?.properties as Record<string, { nullable?: boolean; runtimeType?: string }> | undefined)?.[key];
    if (key === 'id') return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
    if (value === null) return Boolean(prop?.nullable);
    switch (prop?.runtimeType) {
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'Date': // Cursor.decode turns the ISO text it wrote back into a Date; any other text is not ours
        return value instanceof Date && Number.isFinite(value.getTime());
      case 'string':
        return typeof value === 'string';
      case 'boolean':
        return typeof value === 'boolean';
      default:
        return value !== undefined && typeof value !== 'object';
    }
  };
  if (!Array.isArray(decoded) || decoded.length !== keys.length || !keys.every((key, i) => fits(key, decoded[i]))) {
    throw new BadInputError('after', 'after is not a cursor returned by this API for this sort order');
  }
}
