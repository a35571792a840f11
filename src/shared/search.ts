import type { Em } from '../db/orm';

/**
 * Case-insensitive "contains" condition for text search: ILIKE on PostgreSQL, LIKE on SQLite (already
 * case-insensitive for ASCII; SQLite has no ILIKE). Values are bound parameters, never SQL; `%` and `_` typed by
 * a user act as wildcards (SQLite's LIKE has no default escape character).
 */
export function contains(em: Em, text: string) {
  const pattern = `%${text.trim()}%`;
  return em.getPlatform().constructor.name.startsWith('PostgreSql') ? { $ilike: pattern } : { $like: pattern };
}
