import { Cursor, type FilterQuery, type QueryOrderMap } from '@mikro-orm/core';
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
): Promise<ConnectionShape<T>> {
  const first = page.first ?? DEFAULT_PAGE_SIZE;
  if (first < 1 || first > maxPageSize) throw new BadInputError('first', `first must be between 1 and ${maxPageSize}`);
  // id breaks ties (keyset pagination needs a total order); a sort on id itself keeps its direction.
  const order = ('id' in orderBy ? orderBy : { ...orderBy, id: 'asc' }) as QueryOrderMap<T>;
  if (page.after) checkCursor(em, entity, order, page.after);

  // em.findByCursor's query (first + 1 rows after the cursor) and its Cursor, over rows instead of entities.
  const options = { first, after: page.after, orderBy: order, overfetch: true };
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
    totalCount: () => em.fork().count(entity, where),
  };
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
