import { dialectOf, ilikeOperator } from '../db/dialect';
import type { Em } from '../db/orm';

/** `%`, `_` and the escape character itself, typed by a user, match literally. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Case-insensitive "contains" on any of `columns` of `table`, as a condition to merge into a WHERE:
 * ILIKE on PostgreSQL, LIKE on SQLite (already case-insensitive for ASCII; SQLite has no ILIKE). The text is a
 * bound parameter, never SQL, and its `%` and `_` are escaped: SQLite's LIKE has no default escape character,
 * hence the explicit ESCAPE, which the ORM's $like cannot express; the condition is therefore an id subquery
 * (reusable by the page and its count). `table` and `columns` come from code, never from input.
 */
export function contains(em: Em, table: string, columns: readonly string[], text: string): { id: { $in: unknown } } {
  for (const name of [table, ...columns]) if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`contains: not an identifier: ${name}`);
  const operator = ilikeOperator(dialectOf(em));
  const pattern = `%${escapeLike(text.trim())}%`;
  const knex = em.getKnex();
  const matching = knex(table).select('id').where((q) => {
    for (const column of columns) q.orWhereRaw(`?? ${operator} ? escape '\\'`, [column, pattern]);
  });
  return { id: { $in: matching } };
}
