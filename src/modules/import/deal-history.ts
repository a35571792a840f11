/**
 * A re-import that changes a deal records the change like any other writer: the tracked fields of the deals a
 * batch updates are read before and after the upsert and compared with the one rule (`changedFields`). The
 * change is dated when the import learnt it (the run's timestamp) and attributed to no rep (source IMPORT).
 */
import { ChangeSource } from '../deal/deal-change.entity';
import { DEAL_CHANGE_COLUMNS, changeRows, changedFields, encodeTracked, type TrackedValues } from '../deal/deal-history';
import { writeBatch, type BulkRow, type BulkTable, type Written } from './bulk';
import type { ImportContext } from './import-context';
import type { Section } from './section';
import type { SqlValue } from './sql-writer';

const TRACKED_SELECT = 'select id, external_id, updated_at, amount_cents, expected_close_date, stage_id, owner_id, status, forecast_category from deals';

interface TrackedRow {
  id: number;
  external_id: string;
  updated_at: unknown;
  amount_cents: number | string;
  expected_close_date: unknown;
  stage_id: number;
  owner_id: number | null;
  status: string;
  forecast_category: string | null;
}

function tracked(ctx: ImportContext, r: TrackedRow): TrackedValues {
  const ecd = ctx.db.millis(r.expected_close_date);
  return encodeTracked({
    amountCents: r.amount_cents,
    expectedCloseDate: ecd == null ? null : new Date(ecd),
    stageId: Number(r.stage_id),
    ownerId: r.owner_id == null ? null : Number(r.owner_id),
    status: r.status,
    forecastCategory: r.forecast_category,
  });
}

/** `writeBatch` for deals, recording what the batch changed in existing deals. */
/** `fresh`: no deal had an external id when the section started (a first load): there is nothing to read before. */
export async function writeDealBatch<T extends BulkRow>(ctx: ImportContext, section: Section, spec: BulkTable, items: T[], fresh = false): Promise<Array<Written<T>>> {
  const keys = items.map((i) => i.externalId).filter((k): k is string => !!k);
  const before = keys.length && !fresh ? await ctx.db.selectIn<TrackedRow>(TRACKED_SELECT, 'external_id', keys) : [];
  const written = await writeBatch(ctx, section, spec, items, before); // the same read tells writeBatch which exist
  if (!before.length) return written;
  const after = await ctx.db.selectIn<TrackedRow>(TRACKED_SELECT, 'id', before.map((r) => Number(r.id)));
  const beforeById = new Map(before.map((r) => [Number(r.id), tracked(ctx, r)]));
  const rows: SqlValue[][] = [];
  for (const r of after) {
    const old = beforeById.get(Number(r.id));
    if (!old) continue;
    const at = ctx.runStamp;
    for (const row of changeRows(Number(r.id), changedFields(old, tracked(ctx, r)), at, null, ChangeSource.IMPORT)) {
      rows.push(row.map((v) => (v instanceof Date ? ctx.db.ts(v) : v)));
    }
  }
  await ctx.db.insert('deal_changes', [...DEAL_CHANGE_COLUMNS], rows);
  return written;
}
