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
  /**
   * A first load on PostgreSQL (no row of the table had an external id when the section started, and the table is
   * locked against other writers): rows whose key this run has surely not written yet are appended with COPY.
   */
  firstLoad?: WrittenKeys;
}

/** How a large section's rows go in, decided once before its first batch. */
export interface BulkMode {
  /** No row of the table had an external id at the start: no per-batch read of existing rows (nothing to find). */
  fresh: boolean;
  /** Secondary indexes dropped and rebuilt after the load (SqlWriter.withIndexesRebuiltAfter). */
  rebuildIndexes: boolean;
  /** PostgreSQL first load: rows surely new appended with COPY. */
  firstLoad?: WrittenKeys;
}

/** PostgreSQL: fewer, larger statements (each costs a round trip; its parameters are a few arrays, not a limit). */
export const PG_BATCH_SIZE = 5000;

export async function bulkMode(ctx: ImportContext, section: Section, table: BulkTable['table']): Promise<BulkMode> {
  const { db } = ctx;
  const large = section.source.size > ctx.bulkLoadBytes;
  if (!large) return { fresh: false, rebuildIndexes: false };
  const fresh = !(await db.query(`select 1 as x from "${table}" where external_id is not null limit 1`)).length;
  // On PostgreSQL DROP INDEX locks readers of the table until the import commits, so only into an empty table (a
  // first load: nobody has anything to read yet); SQLite's readers keep reading their snapshot (WAL): any large load.
  const rebuildIndexes = db.dialect !== 'postgresql' || !(await db.query(`select 1 as x from "${table}" limit 1`)).length;
  // COPY needs every key this run did not write to stay out until the commit: other writers of the table wait.
  const firstLoad = fresh && db.dialect === 'postgresql' ? new WrittenKeys() : undefined;
  if (firstLoad) await db.query(`lock table "${table}" in share row exclusive mode`);
  return { fresh, rebuildIndexes, firstLoad };
}

/**
 * The external ids a first load has written, as a Bloom filter: fixed memory (4 MB) however long the file. "Surely
 * not written" is exact; "maybe written" (a duplicate, or one false positive in thousands at a million keys) takes
 * the upsert, which tells a duplicate apart, so the filter only decides how fast a row goes in, never what goes in.
 */
export class WrittenKeys {
  private static readonly BITS = 1 << 25;
  private readonly words = new Uint32Array(WrittenKeys.BITS >>> 5);

  add(key: string): void {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < 4; i++) {
      const bit = (h1 + i * h2) & (WrittenKeys.BITS - 1);
      this.words[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  mayHave(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < 4; i++) {
      const bit = (h1 + i * h2) & (WrittenKeys.BITS - 1);
      if (!(this.words[bit >>> 5] & (1 << (bit & 31)))) return false;
    }
    return true;
  }
}

/** Two independent 32-bit hashes (FNV-1a, and a multiplicative one) for double hashing. */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, (b | 1) >>> 0];
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
  let rows = [...keyed.values()];
  const copied = new Map<T, number>();
  if (spec.firstLoad) {
    const seen = spec.firstLoad;
    const fresh = [...rows.filter((r) => !seen.mayHave(r.externalId!)), ...unkeyed];
    const ids = await db.appendReturningIds(spec.table, spec.columns, fresh.map((r) => r.values));
    fresh.forEach((item, k) => copied.set(item, ids[k]));
    rows = rows.filter((r) => !copied.has(r));
    unkeyed.length = 0;
  }
  // A row this run already wrote is never overwritten (and not returned): a duplicate the read above did not see,
  // when the caller knew that nothing existed before the run (`known` empty).
  const ids = await db.insert<{ id: number; external_id: string }>(spec.table, spec.columns, rows.map((r) => r.values),
    { upsertOn: 'external_id', keep, extraUpdate, updateWhere: `"${spec.table}"."updated_at" <> excluded."updated_at"`, returning: ['id', 'external_id'] });
  const idByKey = new Map(ids.map((r) => [r.external_id, Number(r.id)]));
  for (const item of keyed.values()) {
    const id = copied.get(item) ?? idByKey.get(item.externalId!);
    if (id === undefined) section.reject(item.row, 'externalId', item.externalId, 'duplicate external id (an earlier row of this file has it): skipped');
    else written.push({ item, id, updated: existing.has(item.externalId!) });
    if (spec.firstLoad && id !== undefined) spec.firstLoad.add(item.externalId!);
  }
  for (const [item, id] of copied) if (!item.externalId) written.push({ item, id, updated: false });
  for (const item of unkeyed) {
    const [r] = await db.insert<{ id: number }>(spec.table, spec.columns, [item.values], { returning: ['id'] });
    written.push({ item, id: Number(r.id), updated: false });
  }
  for (const w of written) section.counts[w.updated ? 'updated' : 'created']++;
  return written;
}
