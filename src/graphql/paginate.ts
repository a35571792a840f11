import { Cursor, type FilterQuery, type QueryOrderMap } from '@mikro-orm/core';
import type { Em } from '../db/orm';
import { BadInputError } from '../shared/errors';
import type { ConnectionShape, PageArgs } from './connection';

export const DEFAULT_PAGE_SIZE = 20;

/**
 * Keyset pagination over any entity: the cursor encodes the sort key of the last row (never an offset),
 * so page 1,000 costs what page 1 does. `id` is appended to the order as a tie-breaker.
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
  if (page.after) decodeCursorOrThrow(page.after);

  const cursor = await em.findByCursor(entity, where, {
    first,
    after: page.after,
    orderBy: order,
    includeCount: false,
  });
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

function decodeCursorOrThrow(after: string): void {
  try {
    const decoded = Cursor.decode(after);
    if (!Array.isArray(decoded)) throw new Error('not a cursor');
  } catch {
    throw new BadInputError('after', 'after is not a cursor returned by this API');
  }
}
