/**
 * Deals, with the stage history the export implies: created -> an open stage (inferred), closed ->
 * won/lost (inferred). A deal with no dates loads as open with unknown dates (opened_at null), not dropped.
 */
import { DealStatus } from '../../shared/enums';
import { BadInputError } from '../../shared/errors';
import type { PipelineStage } from '../pipeline/stage.entity';
import type { BulkRow } from './bulk';
import { writeDealBatch } from './deal-history';
import { resolveRef, type ImportContext } from './import-context';
import type { SectionMapping } from './mapping';
import type { Section } from './section';
import type { SqlValue } from './sql-writer';
import { normKey } from './values';

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

interface DealItem extends BulkRow {
  stage: PipelineStage;
  ownerId: number | null;
  openedAt: Date | null;
  closedAt: Date | null;
}

export async function loadDeals(ctx: ImportContext, section: Section): Promise<void> {
  const { db } = ctx;
  const stages = stageLookup(section.mapping, ctx.stages);
  const firstOpen = ctx.stages.filter((s) => !s.isWon && !s.isLost).sort((a, b) => a.position - b.position)[0];
  const prices = new Map((await db.query<{ id: number; list_price_cents: number }>('select id, list_price_cents from products')).map((p) => [Number(p.id), Number(p.list_price_cents)]));
  const names = {
    account: new Map((await db.query<{ id: number; name: string }>('select id, name from accounts')).map((a) => [Number(a.id), a.name])),
    product: new Map((await db.query<{ id: number; name: string }>('select id, name from products')).map((p) => [Number(p.id), p.name])),
  };
  const mapped = (field: string) => field in section.index;
  const columns = ['created_at', 'updated_at', 'name', 'amount_cents', 'currency', 'stage_id', 'status', 'stage_entered_at', 'external_id', 'version'];
  const optional: Array<[string, string]> = [['account', 'account_id'], ['owner', 'owner_id'], ['product', 'product_id'], ['createdAt', 'opened_at'],
    ['closedAt', 'closed_at'], ['lossReason', 'loss_reason'], ['source', 'source'], ['engagedAt', 'engaged_at']];
  for (const [field, column] of optional) if (mapped(field)) columns.push(column);
  if (mapped('expectedCloseDate') || mapped('closedAt')) columns.push('expected_close_date');
  const unmapped = new Map<string, number>();
  const large = section.source.size > 10_000_000;
  await (large
    ? db.withIndexesRebuiltAfter(['deals', 'deal_stage_changes'], () => loadBatches())
    : loadBatches());
  // A re-imported deal's inferred history is replaced: drop the inferred changes this run did not write.
  await db.query(
    `delete from deal_stage_changes where inferred = ? and updated_at <> ? and deal_id in (select id from deals where updated_at = ?)`,
    [db.bool(true), db.ts(ctx.runStamp), db.ts(ctx.runStamp)],
  );
  if (unmapped.size) {
    const list = [...unmapped].sort((a, b) => b[1] - a[1]).map(([v, n]) => `"${v}" (${n} row${n > 1 ? 's' : ''})`).join(', ');
    ctx.report.error(`${section.source.name}: stage values not mapped in deals.stages: ${list}. Mapped values: ${Object.keys(section.mapping.stages).join(', ') || 'none'}.`);
  }

  async function loadBatches(): Promise<void> {
    for await (const batch of section.batches(ctx.progress)) {
      const items: DealItem[] = [];
      for (const row of batch) {
        const externalId = row.get('externalId');
        if (mapped('externalId') && !externalId) section.reject(row, 'externalId', null, 'no external id: a re-import could not find this deal again');
        const stageText = row.get('stage');
        const stage = stageText ? stages.get(normKey(stageText)) : undefined;
        if (!stageText) section.reject(row, 'stage', null, 'a deal needs a stage');
        else if (!stage) {
          unmapped.set(stageText, (unmapped.get(stageText) ?? 0) + 1);
          section.reject(row, 'stage', stageText, 'stage not mapped: add it to deals.stages in the mapping');
        }
        const openedAt = section.date(row, 'createdAt');
        const closedText = section.date(row, 'closedAt');
        const expected = section.date(row, 'expectedCloseDate');
        const engagedAt = section.date(row, 'engagedAt');
        const amount = section.money(row, 'amount');
        const currency = row.get('currency')?.toUpperCase() ?? 'EUR';
        if (!/^[A-Z]{3}$/.test(currency)) section.reject(row, 'currency', currency, 'not an ISO 4217 currency code');
        if (openedAt && closedText && closedText < openedAt) section.reject(row, 'closedAt', row.get('closedAt'), 'closed before it was created');
        if (row.rejected || !stage) continue;

        const accountId = resolveRef(section, row, 'account', ctx.accounts, 'account');
        const ownerId = resolveRef(section, row, 'owner', ctx.reps, 'rep');
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
        const stageEnteredAt = status === DealStatus.OPEN ? openedAt : (closedAt ?? openedAt);
        const byColumn: Record<string, SqlValue> = {
          created_at: db.ts(openedAt ?? closedAt ?? ctx.runStamp), updated_at: db.ts(ctx.runStamp), name, amount_cents: amountCents, currency,
          stage_id: stage.id, status, stage_entered_at: db.ts(stageEnteredAt), external_id: externalId, version: 1,
          account_id: accountId, owner_id: ownerId, product_id: productId, opened_at: db.ts(openedAt), closed_at: db.ts(closedAt),
          loss_reason: lossReason, source: row.get('source'), engaged_at: db.ts(engagedAt), expected_close_date: db.ts(expectedClose),
        };
        items.push({ row, externalId, values: columns.map((c) => byColumn[c]), stage, ownerId, openedAt: openedAt ?? null, closedAt });
      }
      if (!mapped('externalId')) for (const item of items) section.warn(item.row, null, null, 'no externalId column mapped: re-running this import will create these deals again');

      const written = await writeDealBatch(ctx, section, { table: 'deals', columns, versioned: true }, items);
      const changes: SqlValue[][] = [];
      const change = (dealId: number, from: PipelineStage | null, to: PipelineStage, at: Date, by: number | null) =>
        changes.push([db.ts(at), db.ts(ctx.runStamp), dealId, from?.id ?? null, to.id, db.ts(at), by, db.bool(true)]);
      for (const { item, id } of written) {
        const closed = item.stage.isWon || item.stage.isLost;
        if (!closed) {
          if (item.openedAt) change(id, null, item.stage, item.openedAt, item.ownerId);
        } else if (item.openedAt) {
          change(id, null, firstOpen, item.openedAt, item.ownerId);
          if (item.closedAt) change(id, firstOpen, item.stage, item.closedAt, item.ownerId);
        } else if (item.closedAt) change(id, null, item.stage, item.closedAt, item.ownerId);
      }
      await db.insert('deal_stage_changes', ['created_at', 'updated_at', 'deal_id', 'from_stage_id', 'to_stage_id', 'at', 'by_id', 'inferred'], changes);
    }
  }
}
