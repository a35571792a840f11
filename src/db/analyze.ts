import type { DatabaseKind } from '../config';
import type { Em } from './orm';

/**
 * PostgreSQL plans from table statistics, and after a bulk load they still describe the tables as they were
 * (empty, or a tenth of their size) until autovacuum gets round to them: the MANAGER dashboard on the 1M world
 * took 276 ms p95 straight after the seed and 52 ms once analyzed. So a bulk writer (import, seed) analyzes the
 * tables it wrote, after its commit. SQLite: nothing (its planner runs without statistics unless ANALYZE was
 * run once, and then it would need it after every load).
 */
export async function analyzeWritten(em: Em, kind: DatabaseKind, tables: Iterable<string>): Promise<string[]> {
  const names = [...new Set(tables)].filter((t) => /^[a-z_][a-z0-9_]*$/.test(t)).sort();
  if (kind !== 'postgresql' || names.length === 0) return [];
  await em.getConnection('write').execute(`analyze ${names.map((t) => `"${t}"`).join(', ')}`);
  return names;
}
