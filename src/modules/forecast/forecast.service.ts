/**
 * The forecast of a period as of a date: the facts (fact-cache.ts, facts.sql.ts), the pure estimators run on a worker
 * thread, names, quotas and adjustments added. Resolvers, the CLI and the snapshot schedule call this; the track
 * record on demand is backtest.service.ts, stage weights and cycle curves history.service.ts, called amounts and
 * overrides adjustment.service.ts.
 */
import type { Em } from '../../db/orm';
import { toMajor, toMinor } from '../../graphql/money.scalar';
import { ForecastCategory, TargetScope } from '../../shared/enums';
import { parseId } from '../../shared/ids';
import { type Period, periodOrFail } from '../../shared/period';
import { type HeavyJob, heavyWorkOf } from '../../shared/workers/pool';
import { Deal } from '../deal/deal.entity';
import { Product } from '../product/product.entity';
import { Rep } from '../rep/rep.entity';
import { Target } from '../targets/target.entity';
import { Team } from '../team/team.entity';
import type { DealContribution, GroupForecast } from './engine';
import { factSource } from './fact-cache';
import { factsAt } from './fact-source';
import type { FactTable } from './facts';
import { ForecastAdjustment, ForecastGroupBy } from './forecast.entity';
import type { ForecastArgs } from './forecast.inputs';
import { forecastTask } from './forecast.task';
import { type Forecast, type ForecastDeal, type ForecastGroup, type ForecastMethodChoice, ForecastMethod, RangeSource, ThinKind } from './forecast.types';
import type { ServedForecast } from './method-choice';
import type { AccuracyMetrics } from './metrics';
import type { ForecastScope } from './scope';
import type { DealModelCandidate, ServedGroup } from './track-record';

/** Who the forecast is about (the caller's slice, narrowed by src/modules/auth/forecast.policy.ts). */
export type { ForecastScope } from './scope';

export function parseScope(teamId: string | undefined, repId: string | undefined): ForecastScope {
  return {
    ...(teamId != null && { teamId: parseId(teamId, 'teamId') }),
    ...(repId != null && { repId: parseId(repId, 'repId') }),
  };
}

export interface ForecastCall extends Omit<ForecastArgs, 'teamId' | 'repId'> {
  scope: ForecastScope;
  /** The deal-win model as a candidate method, when one is plugged in (scoring); judged only after its training window. */
  dealModel?: DealModelCandidate;
  /** The request's deadline and caller, for the worker pool (src/shared/workers/pool.ts). */
  job?: HeavyJob;
}

export async function getForecast(em: Em, call: ForecastCall): Promise<Forecast> {
  const period = periodOrFail(call.period);
  const now = new Date();
  const asOf = call.asOf ?? now;
  const { stages, result: servedResult } = await computeOffThread(em, asOf, call, period);
  const result = servedResult.forecast;
  const servedGroups = new Map(servedResult.groups.map((g) => [g.key, g]));
  const [labels, quotas, adjustments, dealNames] = await Promise.all([
    groupLabels(em, call.groupBy, result.groups.map((g) => g.key)),
    loadQuotas(em, period),
    // The calls made by then: an as-of forecast (a snapshot of a past week, a backtest's view) shows what was known.
    em.find(ForecastAdjustment, { periodStart: new Date(period.start), periodEnd: new Date(period.end), createdAt: { $lte: asOf } }, { orderBy: { createdAt: 'desc', id: 'desc' } }),
    loadDealNames(em, [...result.total.topDeals, ...result.groups.flatMap((g) => g.topDeals)].map((d) => d.dealId)),
  ]);
  const stageName = (s: number) => stages[s].name;
  const totalQuota =
    call.scope.repId != null ? quotas.get(`REP:${call.scope.repId}`) : call.scope.teamId != null ? quotas.get(`TEAM:${call.scope.teamId}`) : quotas.get('COMPANY:0');
  const totalAdjustments = adjustments.filter((a) =>
    call.scope.repId != null
      ? a.scope === TargetScope.REP && a.rep?.id === call.scope.repId
      : call.scope.teamId != null
        ? a.scope === TargetScope.TEAM && a.team?.id === call.scope.teamId
        : a.scope === TargetScope.COMPANY,
  );
  const groupScope = call.groupBy === ForecastGroupBy.TEAM ? TargetScope.TEAM : call.groupBy === ForecastGroupBy.REP ? TargetScope.REP : null;
  const groups = result.groups
    .map((g) => {
      const quota = groupScope ? (quotas.get(`${groupScope}:${g.key}`) ?? null) : call.groupBy === ForecastGroupBy.COMPANY ? (totalQuota ?? null) : null;
      const own = groupScope
        ? adjustments.filter((a) => a.scope === groupScope && (groupScope === TargetScope.TEAM ? a.team?.id : a.rep?.id) === g.key)
        : call.groupBy === ForecastGroupBy.COMPANY
          ? totalAdjustments
          : [];
      return groupView(g, servedGroups.get(g.key)!, g.key ? String(g.key) : null, labels.get(g.key) ?? 'Unassigned', quota, own, stageName, dealNames);
    })
    .sort((a, b) => b.expected - a.expected);
  const total = groupView(result.total, servedResult.total, null, 'Total', totalQuota ?? null, totalAdjustments, stageName, dealNames);
  return {
    period: period.label,
    periodStart: new Date(period.start),
    periodEnd: new Date(period.end),
    asOf,
    groupBy: call.groupBy,
    total,
    groups,
    closedDealsInHistory: result.model.closedDeals,
    newBusinessPeriods: result.newBusinessAnalogues,
    simulations: call.simulations,
    seed: call.seed,
    warnings: servedResult.warnings,
    thin: servedResult.thin.map((x) => ({ ...x, kind: x.kind as ThinKind })),
    method: methodChoiceView(servedResult.served, servedResult.servedRecord),
    snapshotSaved: false, // reading a forecast never writes: snapshots are taken on a schedule (forecast-snapshots/)
  };
}

/**
 * The Monte Carlo on a worker thread (src/shared/workers/), on the facts as of asOf derived there from the app's
 * shared fact source (fact-cache.ts: loaded once for every forecast, backtest and stage statistic of the same data).
 * A deal model (a function) cannot cross to a worker: with one, the forecast is computed here.
 */
async function computeOffThread(em: Em, asOf: Date, call: ForecastCall, period: Period) {
  const spec = { period, asOf: asOf.getTime(), groupBy: call.groupBy, scope: call.scope, options: { simulations: call.simulations, seed: call.seed, topDeals: call.topDeals } };
  let stages: FactTable['stages'] = [];
  const withFacts = async () => {
    const source = await factSource(em, call.job);
    stages = source.table.stages;
    return { ...spec, source, factsAsOf: asOf.getTime() };
  };
  if (call.dealModel) {
    const { source, ...task } = await withFacts();
    return { stages, result: forecastTask({ ...task, facts: factsAt(source, asOf.getTime()) }, call.dealModel) };
  }
  const result = await heavyWorkOf(em).run('forecastFromSource', withFacts, call.job);
  return { stages, result };
}

function methodChoiceView(served: ServedForecast, record: AccuracyMetrics): ForecastMethodChoice {
  return {
    method: served.method as ForecastMethod,
    judgedPeriods: served.judgedPeriods,
    candidates: served.records.map((r) => ({ method: r.method as ForecastMethod, periods: r.periods, mape: r.mape, wape: r.wape, bias: r.bias })),
    record,
    blendWeight: served.blendWeight,
    rangeSource: served.rangeSource as RangeSource,
    rangePeriods: served.rangePeriods,
  };
}

async function groupLabels(em: Em, groupBy: ForecastGroupBy, keys: number[]): Promise<Map<number, string>> {
  const ids = keys.filter((k) => k > 0);
  if (groupBy === ForecastGroupBy.COMPANY) return new Map([[0, 'Company']]);
  if (!ids.length) return new Map();
  const entity = groupBy === ForecastGroupBy.TEAM ? Team : groupBy === ForecastGroupBy.REP ? Rep : Product;
  const rows = (await em.find(entity as typeof Team, { id: { $in: ids } }, { fields: ['id', 'name'] })) as Array<{ id: number; name: string }>;
  return new Map(rows.map((r) => [r.id, r.name]));
}

async function loadDealNames(em: Em, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await em.find(Deal, { id: { $in: [...new Set(ids)] } }, { fields: ['id', 'name'] });
  return new Map(rows.map((d) => [d.id, d.name]));
}

/** `revenue` targets overlapping the period, prorated by overlap, in cents, keyed "SCOPE:id" (COMPANY:0). */
async function loadQuotas(em: Em, period: Period): Promise<Map<string, number>> {
  const targets = await em.find(Target, { kpiKey: 'revenue', periodStart: { $lt: new Date(period.end) }, periodEnd: { $gt: new Date(period.start) } });
  const out = new Map<string, number>();
  for (const target of targets) {
    const s = target.periodStart.getTime();
    const e = target.periodEnd.getTime();
    if (!(e > s)) continue;
    const overlap = Math.min(e, period.end) - Math.max(s, period.start);
    const key = `${target.scope}:${target.scope === TargetScope.TEAM ? target.team?.id : target.scope === TargetScope.REP ? target.rep?.id : 0}`;
    out.set(key, (out.get(key) ?? 0) + toMinor(target.value) * (overlap / (e - s)));
  }
  return out;
}

function groupView(
  g: GroupForecast,
  served: ServedGroup,
  key: string | null,
  label: string,
  quotaCents: number | null,
  adjustments: ForecastAdjustment[],
  stageName: (s: number) => string,
  dealNames: Map<number, string>,
): ForecastGroup {
  const remaining = quotaCents == null ? null : quotaCents - g.closedWon;
  const called = adjustments.find((a) => a.amountCents != null);
  const money = (v: number) => toMajor(Math.round(v));
  return {
    key,
    label,
    expected: money(served.expected),
    p10: money(served.p10),
    p50: money(served.p50),
    p90: money(served.p90),
    pipelineModelExpected: money(served.pipelineExpected),
    runRate: served.runRate == null ? null : money(served.runRate),
    pipeline: toMajor(g.pipeline),
    newBusiness: toMajor(g.newBusiness),
    closedWon: toMajor(g.closedWon),
    quota: quotaCents == null ? null : toMajor(Math.round(quotaCents)),
    gapToQuota: quotaCents == null ? null : toMajor(Math.round(quotaCents - served.expected)),
    pipelineCoverage: remaining == null ? null : remaining > 0 ? g.openAmount / remaining : null,
    openDeals: g.openDeals,
    openPipeline: toMajor(g.openAmount),
    categories: g.categories.map((c) => ({ ...c, category: c.category as ForecastCategory, amount: toMajor(c.amount), expected: toMajor(c.expected) })),
    categoriesWithOverrides: g.categoriesWithOverrides.map((c) => ({ ...c, category: c.category as ForecastCategory, amount: toMajor(c.amount), expected: toMajor(c.expected) })),
    calledAmount: called ? toMajor(called.amountCents) : null,
    adjustments,
    topDeals: g.topDeals.map((d) => dealView(d, stageName, dealNames)),
  };
}

function dealView(d: DealContribution, stageName: (s: number) => string, names: Map<number, string>): ForecastDeal {
  return {
    dealId: String(d.dealId),
    name: names.get(d.dealId) ?? `Deal ${d.dealId}`,
    stage: stageName(d.stage),
    amount: toMajor(d.amount),
    probability: d.probability,
    winProbability: d.pWin,
    timingProbability: d.pTiming,
    expectedCloseDate: d.expectedCloseAt == null ? null : new Date(d.expectedCloseAt),
    expectedValue: toMajor(Math.round(d.expectedValue)),
    daysInStage: Math.round(d.ageInStageDays * 10) / 10,
    modelCategory: d.category as ForecastCategory,
    repCategory: d.override as ForecastCategory | null,
    stale: d.stale,
    usedDefaultWeight: d.usedDefaultWeight,
  };
}
