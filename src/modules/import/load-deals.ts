/**
 * Deals, with the stage history the export implies (stage-history.ts: per-stage dates when mapped, inferences
 * otherwise, each reported with the number of deals it touched). A deal with no dates loads as open with
 * unknown dates (opened_at null), not dropped. A `lead` column links the deal to the lead it came from, which
 * then reads as converted.
 */
import { DealStatus } from '../../shared/enums';
import { BadInputError } from '../../shared/errors';
import type { PipelineStage } from '../pipeline/stage.entity';
import { bulkMode, PG_BATCH_SIZE, type BulkRow } from './bulk';
import { writeDealBatch } from './deal-history';
import { resolveRef, type ImportContext } from './import-context';
import { AMBIGUOUS, resolveInDb } from './refs';
import { linkLeads, type LeadLink } from './link-leads';
import { stageDateField, type SectionMapping } from './mapping';
import { createNamedReps } from './new-reps';
import { BATCH_SIZE, type Row, type Section } from './section';
import type { SqlValue } from './sql-writer';
import { buildStageHistory, INFERENCE_TEXT, type HistoryStep } from './stage-history';
import { normKey, repeatedKey } from './values';
import { runBatches } from './pipeline';

/** CSV stage value (normalised) -> pipeline stage; mapping targets that name no stage are a mapping error. */
export function stageLookup(mapping: SectionMapping, stages: PipelineStage[]): Map<string, PipelineStage> {
  const byName = new Map(stages.map((s) => [normKey(s.name), s]));
  const lookup = new Map(byName); // a value equal to a stage name maps to it
  for (const [value, target] of Object.entries(mapping.stages)) {
    const stage = byName.get(normKey(target));
    if (!stage) {
      throw new BadInputError(`mapping.deals.stages.${value}`, `No pipeline stage is named "${target}"; the stages are: ${stages.map((s) => s.name).join(', ')}`);
    }
    lookup.set(normKey(value), stage);
  }
  return lookup;
}

/** The mapping's `stageDates`, resolved to open stages (a closed stage's date is the close date). */
export function stageDateColumns(mapping: SectionMapping, stages: PipelineStage[]): Array<{ field: string; stage: PipelineStage }> {
  const lookup = stageLookup(mapping, stages);
  return Object.keys(mapping.stageDates).map((name) => {
    const stage = lookup.get(normKey(name));
    const at = `mapping.deals.stageDates.${name}`;
    if (!stage) throw new BadInputError(at, `No pipeline stage is named "${name}"; the stages are: ${stages.map((s) => s.name).join(', ')}`);
    if (stage.isWon || stage.isLost) throw new BadInputError(at, `"${name}" is a closing stage: its date is the deal's close date (map closedAt)`);
    return { field: stageDateField(name), stage };
  });
}

interface DealItem extends BulkRow {
  stage: PipelineStage;
  ownerId: number | null;
  steps: HistoryStep[];
  lead: LeadLink | null;
}

export async function loadDeals(ctx: ImportContext, section: Section): Promise<void> {
  const { db } = ctx;
  const stages = stageLookup(section.mapping, ctx.stages);
  const openStages = ctx.stages.filter((s) => !s.isWon && !s.isLost);
  const stageDates = stageDateColumns(section.mapping, ctx.stages);
  const prices = new Map((await db.query<{ id: number; list_price_cents: number }>('select id, list_price_cents from products')).map((p) => [Number(p.id), Number(p.list_price_cents)]));
  const names = {
    account: new Map((await db.query<{ id: number; name: string }>('select id, name from accounts')).map((a) => [Number(a.id), a.name])),
    product: new Map((await db.query<{ id: number; name: string }>('select id, name from products')).map((p) => [Number(p.id), p.name])),
  };
  const mapped = (field: string) => section.has(field);
  const columns = ['created_at', 'updated_at', 'name', 'amount_cents', 'currency', 'stage_id', 'status', 'stage_entered_at', 'external_id', 'version', 'stage_history_known'];
  const optional: Array<[string, string]> = [['account', 'account_id'], ['owner', 'owner_id'], ['product', 'product_id'], ['createdAt', 'opened_at'],
    ['closedAt', 'closed_at'], ['lossReason', 'loss_reason'], ['source', 'source'], ['engagedAt', 'engaged_at']];
  for (const [field, column] of optional) if (mapped(field)) columns.push(column);
  if (mapped('expectedCloseDate') || mapped('closedAt')) columns.push('expected_close_date');
  if (mapped('lead')) columns.push('source_lead_id');
  if (mapped('lead') && !columns.includes('opened_at')) columns.push('opened_at');
  const rowDates = ['createdAt', 'closedAt', ...stageDates.map((s) => s.field)].filter(mapped);
  const unmapped = new Map<string, number>();
  const { fresh, rebuildIndexes, firstLoad } = await bulkMode(ctx, section, 'deals');
  await (rebuildIndexes
    ? db.withIndexesRebuiltAfter(['deals', 'deal_stage_changes'], () => loadBatches(), ctx.runStamp)
    : loadBatches());
  // A re-imported deal's history is replaced: drop the inferred changes this run did not write, and earlier
  // copies of the dated ones it wrote again.
  await db.query(
    `delete from deal_stage_changes where inferred = ? and updated_at <> ? and deal_id in (select id from deals where updated_at = ?)`,
    [db.bool(true), db.ts(ctx.runStamp), db.ts(ctx.runStamp)],
  );
  if (stageDates.length) {
    await db.query(
      `delete from deal_stage_changes where updated_at <> ? and deal_id in (select id from deals where updated_at = ?) and exists (
         select 1 from deal_stage_changes n where n.deal_id = deal_stage_changes.deal_id and n.to_stage_id = deal_stage_changes.to_stage_id
         and n.at = deal_stage_changes.at and n.updated_at = ?)`,
      [db.ts(ctx.runStamp), db.ts(ctx.runStamp), db.ts(ctx.runStamp)],
    );
  }
  if (unmapped.size) {
    const list = [...unmapped].sort((a, b) => b[1] - a[1]).map(([v, n]) => `"${v}" (${n} row${n > 1 ? 's' : ''})`).join(', ');
    ctx.report.error(`${section.source.name}: stage values not mapped in deals.stages: ${list}. Mapped values: ${Object.keys(section.mapping.stages).join(', ') || 'none'}.`);
  }

  async function leadCreatedDates(leads: Map<string, number>): Promise<Map<number, Date>> {
    const ids = [...new Set([...leads.values()].filter((id) => id !== AMBIGUOUS))];
    const rows = await db.selectIn<{ id: number; created_at: unknown }>('select id, created_at from leads', 'id', ids);
    return new Map(rows.map((r) => [Number(r.id), new Date(db.millis(r.created_at)!)]));
  }

  function loadBatches(): Promise<void> {
    return runBatches(ctx, section, db.dialect === 'postgresql' ? PG_BATCH_SIZE : BATCH_SIZE, mapBatch, writeDeals);
  }

  // `ctx` and `section` below are the batch's (its report entries go to the batch's journal: pipeline.ts).
  async function mapBatch(ctx: ImportContext, section: Section, batch: Row[]): Promise<DealItem[]> {
    const items: DealItem[] = [];
    await createNamedReps(ctx, section, batch, rowDates);
    const leads = mapped('lead') ? await resolveInDb(db, 'leads', batch.map((r) => r.get('lead')).filter((v): v is string => v != null)) : null;
    const leadCreated = leads ? await leadCreatedDates(leads) : new Map<number, Date>();
    for (const row of batch) {
      const externalId = row.get('externalId');
      if (mapped('externalId') && !externalId) section.reject(row, 'externalId', null, 'no external id: a re-import could not find this deal again');
      const stageText = row.get('stage');
      const stage = stageText ? stages.get(repeatedKey(stageText)) : undefined;
      if (!stageText) section.reject(row, 'stage', null, 'a deal needs a stage');
      else if (!stage) {
        unmapped.set(stageText, (unmapped.get(stageText) ?? 0) + 1);
        section.reject(row, 'stage', stageText, 'stage not mapped: add it to deals.stages in the mapping');
      }
      let openedAt = section.date(row, 'createdAt');
      const closedText = section.date(row, 'closedAt');
      const expected = section.date(row, 'expectedCloseDate');
      const engagedAt = section.date(row, 'engagedAt');
      const amount = section.money(row, 'amount');
      const entered = new Map(stageDates.map(({ field, stage: s }) => [s.id, section.date(row, field) ?? null]));
      const currencyText = row.get('currency')?.toUpperCase();
      const currency = currencyText ?? 'EUR';
      if (!/^[A-Z]{3}$/.test(currency)) section.reject(row, 'currency', currency, 'not an ISO 4217 currency code');
      if (openedAt && closedText && closedText < openedAt) section.reject(row, 'closedAt', row.get('closedAt'), 'closed before it was created');
      if (row.rejected || !stage) continue;

      if (!currencyText) section.warn(row, mapped('currency') ? 'currency' : null, null, mapped('currency') ? 'no currency: EUR used' : 'no currency column mapped: EUR used');
      const accountId = resolveRef(section, row, 'account', ctx.accounts, 'account');
      const ownerId = resolveRef(section, row, 'owner', ctx.reps, 'rep');
      const lead = leads ? leadLink(ctx, section, row, leads) : null;
      if (openedAt === null && lead && leadCreated.has(lead.leadId) && !(closedText && closedText < leadCreated.get(lead.leadId)!)) {
        openedAt = leadCreated.get(lead.leadId)!;
        ctx.report.infer('deals', section.source.name, section.csvColumn('lead'), 'OPENED_AT_LEAD_CREATED', 'deal without a created date: opened when its lead was created', 1);
      }
      const productId = resolveRef(section, row, 'product', ctx.products, 'product');
      const status = stage.isWon ? DealStatus.WON : stage.isLost ? DealStatus.LOST : DealStatus.OPEN;
      let closedAt: Date | null = null;
      let expectedClose = expected ?? null;
      if (status !== DealStatus.OPEN) {
        closedAt = closedText ?? null;
        if (!closedAt) section.warn(row, 'closedAt', null, `${status.toLowerCase()} deal without a close date: closed date unknown`);
      } else if (closedText) {
        expectedClose ??= closedText;
        section.warn(row, 'closedAt', row.get('closedAt'), 'close date on an open deal: kept as its expected close date');
      }
      if (!openedAt) section.warn(row, 'createdAt', null, 'no created date: loaded with its opened date unknown');
      let amountCents = amount;
      if (amountCents == null) {
        const price = productId ? prices.get(productId) : undefined;
        amountCents = price ?? 0;
        section.warn(row, 'amount', null, price != null ? 'no amount: product list price used' : 'no amount and no known product: 0 used');
      }
      let lossReason = row.get('lossReason');
      if (lossReason && status !== DealStatus.LOST) {
        section.warn(row, 'lossReason', lossReason, 'loss reason on a deal that is not lost: ignored');
        lossReason = null;
      }
      const name = row.get('name') ??
        ([accountId && names.account.get(accountId), productId && names.product.get(productId)].filter(Boolean).join(' - ') || externalId || `Imported deal (line ${row.line})`);
      const history = buildStageHistory({
        stage, openStages, openedAt: openedAt ?? null, closedAt, stageDates: entered, stageAtLoss: stageAtLoss(section, row, stages, status),
      });
      for (const inference of history.inferences) ctx.report.infer('deals', section.source.name, null, inference, INFERENCE_TEXT[inference]);
      if (history.outOfOrder) section.warn(row, null, null, 'stage dates run backwards along the pipeline: each kept no earlier than the previous stage');
      const byColumn: Record<string, SqlValue> = {
        created_at: db.ts(openedAt ?? closedAt ?? ctx.runStamp), updated_at: db.ts(ctx.runStamp), name, amount_cents: amountCents, currency,
        stage_id: stage.id, status, stage_entered_at: db.ts(history.stageEnteredAt), external_id: externalId, version: 1,
        stage_history_known: db.bool(history.stageHistoryKnown),
        account_id: accountId, owner_id: ownerId, product_id: productId, opened_at: db.ts(openedAt), closed_at: db.ts(closedAt),
        loss_reason: lossReason, source: row.get('source'), engaged_at: db.ts(engagedAt), expected_close_date: db.ts(expectedClose),
        source_lead_id: lead?.leadId ?? null,
      };
      items.push({ row, externalId, values: columns.map((c) => byColumn[c]), stage, ownerId, steps: history.steps, lead });
    }
    if (!mapped('externalId')) for (const item of items) section.warn(item.row, null, null, 'no externalId column mapped: re-running this import will create these deals again');
    return items;
  }

  async function writeDeals(ctx: ImportContext, section: Section, items: DealItem[]): Promise<void> {
    const written = await writeDealBatch(ctx, section, { table: 'deals', columns, versioned: true, firstLoad }, items, fresh);
    const changes: SqlValue[][] = [];
    for (const { item, id } of written) {
      for (const step of item.steps) {
        changes.push([db.ts(step.at), db.ts(ctx.runStamp), id, step.from?.id ?? null, step.to.id, db.ts(step.at), item.ownerId, db.bool(step.inferred)]);
      }
    }
    await linkLeads(ctx, section, written.filter((w) => w.item.lead).map((w) => ({ dealId: w.id, link: w.item.lead! })));
    await db.append('deal_stage_changes', ['created_at', 'updated_at', 'deal_id', 'from_stage_id', 'to_stage_id', 'at', 'by_id', 'inferred'], changes);
  }
}

/** The open stage a lost deal was lost at (mapping `stageAtLoss`); ignored, with a warning, where it cannot apply. */
function stageAtLoss(section: Section, row: Row, stages: Map<string, PipelineStage>, status: DealStatus): PipelineStage | null {
  const text = row.get('stageAtLoss');
  if (text == null) return null;
  if (status !== DealStatus.LOST) {
    section.warn(row, 'stageAtLoss', text, 'stage at loss on a deal that is not lost: ignored');
    return null;
  }
  const stage = stages.get(normKey(text));
  if (!stage || stage.isWon || stage.isLost) {
    section.warn(row, 'stageAtLoss', text, stage ? 'stage at loss is a closing stage: ignored' : 'stage at loss is not a stage of deals.stages or the pipeline: ignored');
    return null;
  }
  return stage;
}

function leadLink(ctx: ImportContext, section: Section, row: Row, leads: Map<string, number>): LeadLink | null {
  const value = row.get('lead');
  if (value == null) return null;
  const id = leads.get(normKey(value));
  if (id == null || id === AMBIGUOUS) {
    section.warn(row, 'lead', value, id === AMBIGUOUS ? 'several leads have this name: not linked' : 'unknown lead: not linked');
    return null;
  }
  return { leadId: id, ownerId: section.index.leadOwner === undefined ? undefined : resolveRef(section, row, 'leadOwner', ctx.reps, 'rep') };
}
