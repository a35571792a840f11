import type { Em } from '../../db/orm';
import { DealStatus } from '../../shared/enums';
import { KPI_BY_KEY } from './catalogue';
import { KpiDimension, SignalKind, SignalSeverity, TargetStatus } from './kpi.enums';
import { KpiEngine } from './kpi.engine';
import type { KpiScope } from './kpi.plan';
import type { Signal } from './kpi.types';
import type { Period } from '../../shared/period';
import type { FilterValues } from './kpi.query';
import { tsLiteral } from '../../db/dialect';
import { days } from './kpi.sql';

/** A deal is stalled when it sits in its stage longer than the stage's p75 and nobody touched it for this long. */
export const STALL_QUIET_DAYS = 14;
/** Churn risk: order amount of the last CHURN_RECENT_DAYS below CHURN_DROP of the account's own prior rate. */
export const CHURN_RECENT_DAYS = 90;
export const CHURN_BASELINE_DAYS = 365;
export const CHURN_DROP = 0.5;
export const CHURN_MIN_PRIOR_ORDERS = 3;
const DAY = 86_400_000;

export async function signals(em: Em, scope: KpiScope, period: Period, filter: FilterValues, limit: number): Promise<Signal[]> {
  const engine = new KpiEngine(em, scope);
  const restricted = engine.restrict(filter);
  const [stalled, churn, offTrack] = await Promise.all([
    stalledDeals(engine, period, restricted, limit),
    churnRisks(engine, period, restricted, limit),
    kpisOffTrack(engine, period, filter),
  ]);
  return [...offTrack, ...stalled, ...churn];
}

function ownerCondition(filter: FilterValues, column: string): string[] {
  const out: string[] = [];
  const reps = filter[KpiDimension.REP];
  const teams = filter[KpiDimension.TEAM];
  if (reps) out.push(reps.length ? `${column} in (${reps.map(Number).join(', ')})` : '1 = 0');
  if (teams) out.push(teams.length ? `${column} in (select r2.id from reps r2 where r2.team_id in (${teams.map(Number).join(', ')}))` : '1 = 0');
  return out;
}

async function stalledDeals(engine: KpiEngine, period: Period, filter: FilterValues, limit: number): Promise<Signal[]> {
  const d = engine.kind;
  const asOf = period.asOf;
  // p75 of the time spent in each stage, from the stage exits of the last year (company-wide reference).
  const p75 = await engine.single('exits', 'stageP75', [KpiDimension.STAGE], {}, { from: new Date(asOf.getTime() - 365 * DAY), to: asOf, asOf });
  const thresholds = [...p75].filter(([stage, v]) => stage !== '' && v != null) as Array<[string, number]>;
  if (!thresholds.length) return [];
  const stageTerms = thresholds.map(([stage, days]) => `(d.stage_id = ${Number(stage)} and d.stage_entered_at < ${tsLiteral(d, new Date(asOf.getTime() - days * DAY))})`);
  const where = [
    `d.status = '${DealStatus.OPEN}'`,
    `(${stageTerms.join(' or ')})`,
    `not exists (select 1 from activities x where x.deal_id = d.id and x.at >= ${tsLiteral(d, new Date(asOf.getTime() - STALL_QUIET_DAYS * DAY))} and x.at < ${tsLiteral(d, asOf)})`,
    ...ownerCondition(filter, 'd.owner_id'),
  ];
  const rows = await engine.query(
    `select d.id, d.name, d.stage_id, ps.name as stage_name, ${days(d, 'd.stage_entered_at', tsLiteral(d, asOf))} as days_in_stage from deals d join pipeline_stages ps on ps.id = d.stage_id where ${where.join(' and ')}`,
  );
  const p75ByStage = new Map(thresholds);
  return rows
    .map((r) => {
      const days = Number(r.days_in_stage);
      const threshold = p75ByStage.get(String(r.stage_id))!;
      return { r, days, threshold, excess: days / threshold };
    })
    .sort((a, b) => b.excess - a.excess)
    .slice(0, limit)
    .map(({ r, days, threshold, excess }) => ({
      kind: SignalKind.STALLED_DEAL,
      severity: excess >= 2 ? SignalSeverity.CRITICAL : SignalSeverity.WARNING,
      entityType: 'Deal',
      entityId: String(r.id),
      entityLabel: String(r.name),
      reason: `${Math.round(days)} days in ${r.stage_name} (p75 of the stage: ${Math.round(threshold)} days) and no activity in the last ${STALL_QUIET_DAYS} days`,
      kpiKey: 'timeInStage',
      value: days,
      threshold,
    }));
}

async function churnRisks(engine: KpiEngine, period: Period, filter: FilterValues, limit: number): Promise<Signal[]> {
  const d = engine.kind;
  const asOf = period.asOf;
  const recentFrom = new Date(asOf.getTime() - CHURN_RECENT_DAYS * DAY);
  const baselineFrom = new Date(recentFrom.getTime() - CHURN_BASELINE_DAYS * DAY);
  const accountScope = ownerCondition(filter, 'ds.owner_id');
  const scoped = accountScope.length ? ` and o.account_id in (select ds.account_id from deals ds where ${accountScope.join(' and ')})` : '';
  const ratio = CHURN_RECENT_DAYS / CHURN_BASELINE_DAYS;
  const rows = await engine.query(
    `select o.account_id, a.name, sum(case when o.ordered_at >= ${tsLiteral(d, recentFrom)} then o.amount_cents else 0 end) as recent,` +
      ` sum(case when o.ordered_at < ${tsLiteral(d, recentFrom)} then o.amount_cents else 0 end) as prior,` +
      ` sum(case when o.ordered_at < ${tsLiteral(d, recentFrom)} then 1 else 0 end) as prior_orders` +
      ` from orders o join accounts a on a.id = o.account_id` +
      ` where o.ordered_at >= ${tsLiteral(d, baselineFrom)} and o.ordered_at < ${tsLiteral(d, asOf)}${scoped}` +
      ` group by o.account_id, a.name` +
      ` having sum(case when o.ordered_at < ${tsLiteral(d, recentFrom)} then 1 else 0 end) >= ${CHURN_MIN_PRIOR_ORDERS}` +
      ` and sum(case when o.ordered_at >= ${tsLiteral(d, recentFrom)} then o.amount_cents else 0 end) < ${CHURN_DROP * ratio} * sum(case when o.ordered_at < ${tsLiteral(d, recentFrom)} then o.amount_cents else 0 end)`,
  );
  return rows
    .map((r) => {
      const expected = (Number(r.prior) * ratio) / 100;
      const recent = Number(r.recent) / 100;
      return { r, expected, recent, drop: expected ? 1 - recent / expected : 0 };
    })
    .sort((a, b) => b.drop - a.drop || b.expected - a.expected)
    .slice(0, limit)
    .map(({ r, expected, recent, drop }) => ({
      kind: SignalKind.CHURN_RISK,
      severity: drop >= 0.75 ? SignalSeverity.CRITICAL : SignalSeverity.WARNING,
      entityType: 'Account',
      entityId: String(r.account_id),
      entityLabel: String(r.name),
      reason: `ordered ${recent.toFixed(2)} in the last ${CHURN_RECENT_DAYS} days vs ${expected.toFixed(2)} expected from its previous ${CHURN_BASELINE_DAYS} days (${Math.round(drop * 100)} % drop)`,
      kpiKey: 'churnRate',
      value: recent,
      threshold: expected * CHURN_DROP,
    }));
}

/** Every target overlapping the period whose KPI is not on track, at company, team and rep level (filter as asked; the engine applies the access scope). */
async function kpisOffTrack(engine: KpiEngine, period: Period, filter: FilterValues): Promise<Signal[]> {
  const d = engine.kind;
  const keyRows = await engine.query(
    `select distinct kpi_key from targets where period_start < ${tsLiteral(d, period.to)} and period_end > ${tsLiteral(d, period.from)}`,
  );
  const keys = keyRows.map((r) => String(r.kpi_key)).filter((k) => KPI_BY_KEY.has(k));
  if (!keys.length) return [];
  const out: Signal[] = [];
  const levels: Array<{ groupBy: KpiDimension[]; entityType: string }> = [
    { groupBy: [], entityType: 'Company' },
    { groupBy: [KpiDimension.TEAM], entityType: 'Team' },
    { groupBy: [KpiDimension.REP], entityType: 'Rep' },
  ];
  for (const level of levels) {
    // A team- or rep-scoped caller sees its own slice only, not the company figure.
    if (level.groupBy.length === 0 && (filter[KpiDimension.TEAM] || filter[KpiDimension.REP])) continue;
    const results = await engine.compute({ keys, period, filter, groupBy: level.groupBy, lenient: true });
    for (const result of results) {
      for (const row of result.rows) {
        const status = row.target?.status;
        if (status !== TargetStatus.OFF_TRACK && status !== TargetStatus.AT_RISK) continue;
        const who = row.groups[0];
        const def = result.definition;
        out.push({
          kind: SignalKind.KPI_OFF_TRACK,
          severity: status === TargetStatus.OFF_TRACK ? SignalSeverity.CRITICAL : SignalSeverity.WARNING,
          entityType: level.entityType,
          entityId: who?.key ?? null,
          entityLabel: who?.label ?? 'Company',
          reason: `${def.label} ${status === TargetStatus.OFF_TRACK ? 'off track' : 'at risk'}: ${fmt(row.value)} so far, pace ${fmt(row.target!.pace ?? null)} vs target ${fmt(row.target!.value)}`,
          kpiKey: result.key,
          value: row.value,
          threshold: row.target!.value,
        });
      }
    }
  }
  return out;
}

const fmt = (v: number | null) => (v == null ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3).replace(/\.?0+$/, ''));
