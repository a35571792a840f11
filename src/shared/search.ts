import { dialectOf, ilikeOperator } from '../db/dialect';
import type { Em } from '../db/orm';

/** `%`, `_` and the escape character itself, typed by a user, match literally. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Case-insensitive "contains" on any of `columns` of `table` (their properties have the same names), as a condition
 * to merge into a WHERE that has no `$or` of its own. The text is a bound parameter, never SQL, and `%` and `_`
 * typed by a user match literally:
 * - PostgreSQL: ILIKE, whose default escape character is the backslash (escapeLike's);
 * - SQLite: LIKE (case-insensitive for ASCII; SQLite has no ILIKE), which has no escape character unless the
 *   statement names one, which the ORM's $like cannot: text without `%` or `_` needs none (a backslash is then an
 *   ordinary character); text with them goes through an id subquery with an explicit ESCAPE.
 * A plain condition on the row lets the database filter the rows the other conditions chose (a rep's deals) rather
 * than match every row of the table first: an id subquery costs a scan of the whole table per statement (24 ms for
 * an AE's search at 20k deals, twice per page with its count).
 */
export function contains(em: Em, table: string, columns: readonly string[], text: string): Record<string, unknown> {
  for (const name of [table, ...columns]) if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`contains: not an identifier: ${name}`);
  const typed = text.trim();
  const dialect = dialectOf(em);
  if (dialect === 'postgresql' || !/[%_]/.test(typed)) {
    const pattern = `%${dialect === 'postgresql' ? escapeLike(typed) : typed}%`;
    const operator = dialect === 'postgresql' ? '$ilike' : '$like';
    return { $or: columns.map((column) => ({ [column]: { [operator]: pattern } })) };
  }
  const pattern = `%${escapeLike(typed)}%`;
  const knex = em.getKnex();
  const matching = knex(table).select('id').where((q) => {
    for (const column of columns) q.orWhereRaw(`?? ${ilikeOperator(dialect)} ? escape '\\'`, [column, pattern]);
  });
  return { id: { $in: matching } };
}
