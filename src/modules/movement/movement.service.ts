/**
 * Loads the deals that can be in a period's pipeline at either end of a window, with their tracked-field changes
 * since the window start (two SQL statements over the same candidate set), and runs the pure classification.
 */
import { dateValue, dialectOf, readEpochMs } from '../../db/dialect';
import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { periodOrFail } from '../../shared/period';
import type { AggregateScope } from '../auth/aggregate.policy';
import { type DealTimeline, type MovementTotals, type TimelineChange, type TrackedField, pipelineMovement } from './movement.classify';

export interface MovementQuery {
  from: Date;
  to: Date;
  period: string;
  scope: AggregateScope;
}

export interface MovementResult extends MovementTotals {
  periodLabel: string;
  periodStart: Date;
  periodEnd: Date;
  from: Date;
  to: Date;
}


function decode(field: TrackedField, value: string | null): number | null {
  if (value == null) return null;
  return field === 'EXPECTED_CLOSE_DATE' ? Date.parse(value) : Number(value);
}

export async function getPipelineMovement(em: Em, q: MovementQuery): Promise<MovementResult> {
  if (!(q.from < q.to)) throw new BadInputError('to', 'to must be after from');
  if (q.to.getTime() > Date.now() + 60_000) throw new BadInputError('to', 'to cannot be in the future: movement compares what was known at two instants');
  const period = periodOrFail(q.period);
  const dialect = dialectOf(em);
  const ts = (d: Date | number) => dateValue(dialect, d);
  const conn = em.getConnection();

  let scopeReps: Set<number> | null = null;
  if (q.scope.repId != null) scopeReps = new Set([q.scope.repId]);
  else if (q.scope.teamId != null) {
    const rows = await conn.execute<Array<{ id: number }>>('select id from reps where team_id = ?', [q.scope.teamId]);
    scopeReps = new Set(rows.map((r) => Number(r.id)));
  }
  const reps = scopeReps ? [...scopeReps] : [];
  const ownerFilter = scopeReps
    ? `and (${reps.length ? `d.owner_id in (${reps.map(() => '?').join(', ')}) or ` : ''}exists (select 1 from deal_changes c where c.deal_id = d.id and c.field = 'OWNER' and c.at >= ?))`
    : '';
  // Deals that existed before `to`, were open at some point of the window, and were expected in the period
  // (today, or before a close-date change made since `from`), owned in the scope (likewise).
  // The close-date test is a union of two index-friendly sets rather than an OR with a correlated EXISTS, which made
  // the database test every open or recently closed deal one by one (1.1 s against 0.4 s on the 1M world).
  const candidates = `select d.id from deals d
    where d.id in (select id from deals where expected_close_date >= ? and expected_close_date < ?
                   union select deal_id from deal_changes where field = 'EXPECTED_CLOSE_DATE' and at >= ?)
      and coalesce(d.opened_at, d.created_at) < ?
      and (d.status = 'OPEN' or d.closed_at >= ?)
      ${ownerFilter}`;
  const params = [ts(period.start), ts(period.end), ts(q.from), ts(q.to), ts(q.from), ...(scopeReps ? [...reps, ts(q.from)] : [])];

  const [deals, changes] = await Promise.all([
    conn.execute<Array<Record<string, unknown>>>(
      `select d.id, coalesce(d.opened_at, d.created_at) as created, d.status, d.closed_at, d.amount_cents, d.expected_close_date, d.owner_id
       from deals d where d.id in (${candidates})`,
      params,
    ),
    conn.execute<Array<Record<string, unknown>>>(
      `select c.deal_id, c.field, c.at, c.old_value, c.new_value from deal_changes c
       where c.at >= ? and c.field in ('AMOUNT', 'EXPECTED_CLOSE_DATE', 'OWNER') and c.deal_id in (${candidates})
       order by c.deal_id, c.at, c.id`,
      [ts(q.from), ...params],
    ),
  ]);
  const byDeal = new Map<number, DealTimeline>();
  for (const r of deals) {
    byDeal.set(Number(r.id), {
      id: Number(r.id),
      createdAt: readEpochMs(r.created) ?? 0,
      status: r.status as DealTimeline['status'],
      closedAt: readEpochMs(r.closed_at),
      amount: Number(r.amount_cents),
      closeDate: readEpochMs(r.expected_close_date),
      owner: r.owner_id == null ? null : Number(r.owner_id),
      changes: [],
    });
  }
  for (const c of changes) {
    const field = c.field as TrackedField;
    const change: TimelineChange = { field, at: readEpochMs(c.at)!, old: decode(field, c.old_value as string | null), new: decode(field, c.new_value as string | null) };
    byDeal.get(Number(c.deal_id))?.changes.push(change);
  }
  const totals = pipelineMovement(byDeal.values(), {
    from: q.from.getTime(),
    to: q.to.getTime(),
    periodStart: period.start,
    periodEnd: period.end,
    inScope: scopeReps ? (owner) => owner != null && scopeReps!.has(owner) : () => true,
  });
  for (const bar of totals.bars) bar.entries.sort((a, b) => amountIn(b, bar.kind) - amountIn(a, bar.kind) || a.dealId - b.dealId);
  return { ...totals, periodLabel: period.label, periodStart: new Date(period.start), periodEnd: new Date(period.end), from: q.from, to: q.to };
}

export const amountIn = (entry: { bars: Array<{ kind: string; amount: number }> }, kind: string) => entry.bars.find((b) => b.kind === kind)?.amount ?? 0;
