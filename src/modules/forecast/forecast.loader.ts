/**
 * Loads the per-deal facts the forecast needs with one SQL statement: each deal with its owner's team, product
 * family, and the first time it entered each open stage (a pivot of deal_stage_changes aggregated in the
 * database), restricted to what existed before `asOf`. Dates come back as epoch milliseconds on both dialects.
 */
import type { Em } from '../../db/orm';
import type { DatabaseConfig } from '../../config';
import { PipelineStage } from '../pipeline/stage.entity';
import { type DealFactRow, type FactTable, type OpenStage, Outcome, buildFactTable } from './facts';

export type DatabaseKind = DatabaseConfig['kind'];

export interface PipelineShape {
  open: OpenStage[];
  /** stage id -> index among open stages, or -1 for won/lost stages. */
  indexById: Map<number, number>;
}

export async function loadPipeline(em: Em): Promise<PipelineShape> {
  const stages = await em.find(PipelineStage, {}, { orderBy: { position: 'asc', id: 'asc' } });
  const open = stages.filter((s) => !s.isWon && !s.isLost);
  const indexById = new Map(stages.map((s) => [s.id, open.indexOf(s)]));
  return { open: open.map((s) => ({ id: s.id, name: s.name, defaultProbability: s.defaultProbability })), indexById };
}

const epochMs = (kind: DatabaseKind, column: string) =>
  kind === 'sqlite' ? column : `(extract(epoch from ${column}) * 1000)::float8`;

const num = (v: unknown): number | null => (v == null ? null : Number(v));

/** Deals created before asOf, with only the stage history recorded before asOf. */
export async function loadFacts(em: Em, kind: DatabaseKind, asOf: Date, pipeline?: PipelineShape): Promise<FactTable> {
  const shape = pipeline ?? (await loadPipeline(em));
  const pivots = shape.open.map((s, k) => `min(case when to_stage_id = ${Number(s.id)} then at end) as s${k}`).join(', ');
  const at = kind === 'sqlite' ? asOf.getTime() : asOf.toISOString();
  const sql = `
    with h as (
      select deal_id, min(at) as first_at${pivots ? `, ${pivots}` : ''}
      from deal_stage_changes where at < ? group by deal_id
    )
    select d.id, ${epochMs(kind, 'd.opened_at')} as opened, ${epochMs(kind, 'd.closed_at')} as closed, d.status,
      d.amount_cents as amount, d.owner_id as rep, r.team_id as team, d.product_id as product, p.family,
      d.forecast_category as fc, ${epochMs(kind, 'd.expected_close_date')} as ecd, d.stage_id as stage,
      ${epochMs(kind, 'd.stage_entered_at')} as entered
      ${shape.open.map((_, k) => `, ${epochMs(kind, `h.s${k}`)} as s${k}`).join('')}
    from deals d
      left join h on h.deal_id = d.id
      left join reps r on r.id = d.owner_id
      left join products p on p.id = d.product_id
    where coalesce(d.opened_at, h.first_at) < ?
    order by d.id`;
  const rows: Array<Record<string, unknown>> = await em.getConnection().execute(sql, [at, at], 'all');
  const k = shape.open.length;
  const facts: DealFactRow[] = rows.map((r) => {
    const entries: Array<number | null> = new Array(k);
    for (let s = 0; s < k; s++) entries[s] = num(r[`s${s}`]);
    return {
      id: Number(r.id),
      openedAt: num(r.opened),
      closedAt: num(r.closed),
      outcome: r.status === 'WON' ? Outcome.WON : r.status === 'LOST' ? Outcome.LOST : Outcome.OPEN,
      amountCents: Number(r.amount),
      teamId: num(r.team),
      repId: num(r.rep),
      productId: num(r.product),
      family: (r.family as string | null) ?? null,
      forecastCategory: (r.fc as string | null) ?? null,
      expectedCloseAt: num(r.ecd),
      currentStage: shape.indexById.get(Number(r.stage)) ?? -1,
      stageEnteredAt: num(r.entered),
      entries,
    };
  });
  return buildFactTable(shape.open, facts);
}
