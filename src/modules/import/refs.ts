/**
 * Name / external-id lookups for references (owner, account, product, ...). Small entities (reps, teams,
 * accounts, products) are held in memory; large ones (deals, leads) are looked up per batch in the database
 * so memory stays flat. Keys are case- and whitespace-insensitive.
 */
import { normKey, repeatedKey } from './values';
import type { SqlWriter } from './sql-writer';

export const AMBIGUOUS = -1;

export class RefIndex {
  private readonly byExternalId = new Map<string, number>();
  private readonly byName = new Map<string, number>();

  add(id: number, name: string | null, externalId: string | null): void {
    if (externalId) this.byExternalId.set(normKey(externalId), id);
    if (name) {
      const key = normKey(name);
      const known = this.byName.get(key);
      this.byName.set(key, known !== undefined && known !== id ? AMBIGUOUS : id);
    }
  }

  /** External id first (exact meaning), then name; AMBIGUOUS when several records share the name. */
  resolve(value: string): number | null {
    const key = repeatedKey(value);
    return this.byExternalId.get(key) ?? this.byName.get(key) ?? null;
  }

  byKey(externalId: string | null, name: string | null): number | null {
    const id = (externalId && this.byExternalId.get(normKey(externalId))) || (name && this.byName.get(normKey(name))) || null;
    return id === AMBIGUOUS ? null : id;
  }

  get size(): number {
    return this.byName.size + this.byExternalId.size;
  }
}

/**
 * Resolves references to a large table for one batch: exact external id in one indexed query, then the
 * leftovers case-insensitively by external id or name.
 */
export async function resolveInDb(db: SqlWriter, table: 'deals' | 'leads', values: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const distinct = [...new Set(values.map((v) => v.trim()))];
  if (!distinct.length) return found;
  const exact = await db.selectIn<{ id: number; external_id: string }>(`select id, external_id from "${table}"`, 'external_id', distinct);
  for (const r of exact) found.set(normKey(r.external_id), Number(r.id));
  const left = [...new Set(distinct.map(normKey).filter((k) => !found.has(k)))];
  if (!left.length) return found;
  const loose = await db.selectIn<{ id: number; external_id: string | null; name: string }>(
    `select id, external_id, name from "${table}"`, 'lower(external_id)', left,
  );
  const byName = await db.selectIn<{ id: number; external_id: string | null; name: string }>(`select id, external_id, name from "${table}"`, 'lower(name)', left);
  for (const r of loose) if (r.external_id) found.set(normKey(r.external_id), Number(r.id));
  const nameCounts = new Map<string, number>();
  for (const r of byName) nameCounts.set(normKey(r.name), (nameCounts.get(normKey(r.name)) ?? 0) + 1);
  for (const r of byName) {
    const key = normKey(r.name);
    if (!found.has(key)) found.set(key, nameCounts.get(key)! > 1 ? AMBIGUOUS : Number(r.id));
  }
  return found;
}
