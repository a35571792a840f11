/**
 * Activities on a lead or a deal. Deal and lead references are looked up per batch in the database (by
 * external id, then case-insensitively by id or name), so a million activities do not need every deal id
 * in memory. An activity whose lead and deal are both unknown has nothing to attach to and is rejected.
 */
import { ActivityOutcome } from '../../shared/enums';
import { bulkMode, PG_BATCH_SIZE, writeBatch, type BulkRow } from './bulk';
import { resolveRef, type ImportContext } from './import-context';
import { AMBIGUOUS, resolveInDb } from './refs';
import { BATCH_SIZE, type Row, type Section } from './section';
import { runBatches } from './pipeline';
import type { SqlValue } from './sql-writer';
import { normKey, parseActivityType, parseOutcome } from './values';

export async function loadActivities(ctx: ImportContext, section: Section): Promise<void> {
  const { db } = ctx;
  const mapped = (field: string) => section.has(field);
  const columns = ['created_at', 'updated_at', 'type', 'at', 'external_id', 'rep_id', 'lead_id', 'deal_id'];
  if (mapped('outcome')) columns.push('outcome');
  if (mapped('notes')) columns.push('notes');
  const { fresh, rebuildIndexes, firstLoad } = await bulkMode(ctx, section, 'activities');
  const spec = { table: 'activities' as const, columns, firstLoad };
  const load = () => runBatches(ctx, section, db.dialect === 'postgresql' ? PG_BATCH_SIZE : BATCH_SIZE, mapBatch,
    async (ctx, section, items) => void (await writeBatch(ctx, section, spec, items, fresh ? [] : undefined)));
  await (rebuildIndexes ? db.withIndexesRebuiltAfter(['activities'], load, ctx.runStamp) : load());

  // `ctx` and `section` are the batch's (its report entries go to the batch's journal: pipeline.ts).
  async function mapBatch(ctx: ImportContext, section: Section, batch: Row[]): Promise<BulkRow[]> {
    const deals = await resolveInDb(db, 'deals', batch.map((r) => r.get('deal')).filter((v): v is string => v != null));
    const leads = await resolveInDb(db, 'leads', batch.map((r) => r.get('lead')).filter((v): v is string => v != null));
    const items: BulkRow[] = [];
    for (const row of batch) {
      const externalId = row.get('externalId');
      if (mapped('externalId') && !externalId) section.reject(row, 'externalId', null, 'no external id: a re-import could not find this activity again');
      const type = section.parsed(row, 'type', parseActivityType);
      const outcome = section.parsed(row, 'outcome', parseOutcome);
      const at = section.date(row, 'at');
      if (type === null) section.reject(row, 'type', null, 'an activity needs a type');
      if (at === null) section.reject(row, 'at', null, 'an activity needs a date');
      if (row.rejected || !type || !at) continue;

      const lookup = (field: 'deal' | 'lead', found: Map<string, number>) => {
        const value = row.get(field);
        const id = value == null ? null : (found.get(normKey(value)) ?? null);
        return { field, value, id: id === AMBIGUOUS ? null : id, ambiguous: id === AMBIGUOUS };
      };
      const refs = [lookup('deal', deals), lookup('lead', leads)];
      if (refs.every((r) => r.id == null)) {
        const named = refs.find((r) => r.value != null);
        section.reject(row, named?.field ?? (mapped('deal') ? 'deal' : 'lead'), named?.value ?? null, 'no known deal or lead to attach the activity to');
        continue;
      }
      for (const r of refs) {
        if (r.value != null && r.id == null) section.warn(row, r.field, r.value, r.ambiguous ? `several ${r.field}s have this name: left empty` : `unknown ${r.field}: left empty`);
      }
      const [dealId, leadId] = refs.map((r) => r.id);
      const byColumn: Record<string, SqlValue> = {
        created_at: db.ts(at), updated_at: db.ts(ctx.runStamp), type, at: db.ts(at), external_id: externalId,
        rep_id: resolveRef(section, row, 'rep', ctx.reps, 'rep'), lead_id: leadId, deal_id: dealId,
        outcome: outcome ?? ActivityOutcome.NONE, notes: row.get('notes'),
      };
      items.push({ row, externalId, values: columns.map((c) => byColumn[c]) });
    }
    if (!mapped('externalId')) for (const item of items) section.warn(item.row, null, null, 'no externalId column mapped: re-running this import will create these activities again');
    return items;
  }
}
