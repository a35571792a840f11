/**
 * Writes one batch of a large section (deals, leads, activities) keyed by external id: a single
 * INSERT ... ON CONFLICT (external_id) DO UPDATE per batch, so re-running an import updates instead of
 * duplicating. A key seen twice in one file is rejected; across batches this is detected without holding
 * every key in memory: rows this run wrote carry its timestamp in updated_at.
 */
import type { ImportContext } from './import-context';
import type { Row, Section } from './section';
import type { SqlValue } from './sql-writer';

export interface BulkRow {
  row: Row;
  externalId: string | null;
  /** In the order of the section's columns; created_at first, updated_at second. */
  values: SqlValue[];
}

export interface Written<T extends BulkRow> {
  item: T;
  id: number;
  /** True when the record existed before this import. */
  updated: boolean;
}

export interface BulkTable {
  table: 'deals' | 'leads' | 'activities';
  columns: string[];
  /** Columns an update leaves alone (e.g. attributes when the mapping has none). */
  keep?: string[];
  versioned?: boolean;
}

/**
 * `known`: the batch's rows already in the table (external_id, updated_at), when the caller has just read them, or
 * [] when the table held none of the file's keys before the run (then only this run's rows can match).
 */
export async function writeBatch<T extends BulkRow>(
  ctx: ImportContext, section: Section, spec: BulkTable, items: T[], known?: Array<{ external_id: string; updated_at: unknown }>,
): Promise<Array<Written<T>>> {
  const { db } = ctx;
  const stamp = ctx.runStamp.getTime();
  const keyed = new Map<string, T>();
  const unkeyed: T[] = [];
  for (const item of items) {
    if (!item.externalId) {
      unkeyed.push(item);
      continue;
    }
    const first = keyed.get(item.externalId);
    if (first) section.reject(item.row, 'externalId', item.externalId, `duplicate external id (first on line ${first.row.line}): skipped`);
    else keyed.set(item.externalId, item);
  }
  const existing = new Set<string>();
  if (keyed.size) {
    const found = known ?? (await db.selectIn<{ external_id: string; updated_at: unknown }>(`select external_id, updated_at from "${spec.table}"`, 'external_id', [...keyed.keys()]));
    for (const r of found) {
      const item = keyed.get(r.external_id);
      if (!item) continue;
      if (db.millis(r.updated_at) === stamp) {
        section.reject(item.row, 'externalId', r.external_id, 'duplicate external id (an earlier row of this file has it): skipped');
        keyed.delete(r.external_id);
      } else existing.add(r.external_id);
    }
  }
  const written: Array<Written<T>> = [];
  const extraUpdate = spec.versioned ? [`"version" = "${spec.table}"."version" + 1`] : [];
  const keep = [...(spec.keep ?? []), ...(spec.versioned ? ['version'] : [])];
  const rows = [...keyed.values()];
  // A row this run already wrote is never overwritten (and not returned): a duplicate the read above did not see,
  // when the caller knew that nothing existed before the run (`known` empty).
  const ids = await db.insert<{ id: number; external_id: string }>(spec.table, spec.columns, rows.map((r) => r.values),
    { upsertOn: 'external_id', keep, extraUpdate, updateWhere: `"${spec.table}"."updated_at" <> excluded."updated_at"`, returning: ['id', 'external_id'] });
  const idByKey = new Map(ids.map((r) => [r.external_id, Number(r.id)]));
  for (const item of rows) {
    const id = idByKey.get(item.externalId!);
    if (id === undefined) section.reject(item.row, 'externalId', item.externalId, 'duplicate external id (an earlier row of this file has it): skipped');
    else written.push({ item, id, updated: existing.has(item.externalId!) });
  }
  for (const item of unkeyed) {
    const [r] = await db.insert<{ id: number }>(spec.table, spec.columns, [item.values], { returning: ['id'] });
    written.push({ item, id: Number(r.id), updated: false });
  }
  for (const w of written) section.counts[w.updated ? 'updated' : 'created']++;
  return written;
}
