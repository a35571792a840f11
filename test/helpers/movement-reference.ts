/**
 * The reference answer of pipelineMovement: every candidate deal and its tracked changes since `from` loaded into
 * JavaScript (the statements the service ran before it classified in SQL) and classified by the pure
 * movement.classify.ts; each bar's deals sorted as the API pages them (largest contribution first, then id).
 */
import { dateValue, dialectOf, readEpochMs } from '../../src/db/dialect';
import type { Em } from '../../src/db/orm';
import { periodOrFail } from '../../src/shared/period';
import { type DealTimeline, type TrackedField, pipelineMovement } from '../../src/modules/movement/movement.classify';

export interface ReferenceQuery {
  from: Date;
  to: Date;
  period: string;
  scope: { teamId?: number; repId?: number };
}

const decode = (field: TrackedField, value: string | null) => (value == null ? null : field === 'EXPECTED_CLOSE_DATE' ? Date.parse(value) : Number(value));

export async function referenceMovement(em: Em, q: ReferenceQuery) {
  const period = periodOrFail(q.period);
  const ts = (d: Date | number) => dateValue(dialectOf(em), d);
  const conn = em.getConnection();
  let scopeReps: Set<number> | null = null;
  if (q.scope.repId != null) scopeReps = new Set([q.scope.repId]);
  else if (q.scope.teamId != null) scopeReps = new Set((await conn.execute(`select id from reps where team_id = ?`, [q.scope.teamId])).map((r) => Number(r.id)));
  // Every deal that exists before `to` and is open at some instant of the window: a superset of the candidates.
  const deals = await conn.execute(`select id, coalesce(opened_at, created_at) as created, status, closed_at, amount_cents, expected_close_date, owner_id from deals
    where coalesce(opened_at, created_at) < ? and (status = 'OPEN' or closed_at >= ?)`, [ts(q.to), ts(q.from)]);
  const changes = await conn.execute(`select deal_id, field, at, old_value, new_value from deal_changes
    where at >= ? and field in ('AMOUNT', 'EXPECTED_CLOSE_DATE', 'OWNER') order by deal_id, at, id`, [ts(q.from)]);
  const byDeal = new Map<number, DealTimeline>();
  for (const r of deals) {
    byDeal.set(Number(r.id), {
      id: Number(r.id),
      createdAt: readEpochMs(r.created) ?? 0,
      status: r.status,
      closedAt: readEpochMs(r.closed_at),
      amount: Number(r.amount_cents),
      closeDate: readEpochMs(r.expected_close_date),
      owner: r.owner_id == null ? null : Number(r.owner_id),
      changes: [],
    });
  }
  for (const c of changes) {
    const field = c.field as TrackedField;
    byDeal.get(Number(c.deal_id))?.changes.push({ field, at: readEpochMs(c.at)!, old: decode(field, c.old_value), new: decode(field, c.new_value) });
  }
  const totals = pipelineMovement(byDeal.values(), {
    from: q.from.getTime(),
    to: q.to.getTime(),
    periodStart: period.start,
    periodEnd: period.end,
    inScope: scopeReps ? (owner) => owner != null && scopeReps!.has(owner) : () => true,
  });
  const amountIn = (e: { bars: Array<{ kind: string; amount: number }> }, kind: string) => e.bars.find((b) => b.kind === kind)!.amount;
  for (const bar of totals.bars) bar.entries.sort((a, b) => amountIn(b, bar.kind) - amountIn(a, bar.kind) || a.dealId - b.dealId);
  return { ...totals, amountIn };
}
