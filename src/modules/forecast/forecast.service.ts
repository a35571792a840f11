/**
 * Forecast use cases: load the facts as of a date (SQL), run the pure estimators, add names, quotas and
 * adjustments. Resolvers, the CLI and the snapshot schedule call these.
 */
import type { Em } from '../../db/orm';
import { toMajor, toMinor } from '../../graphql/money.scalar';
import { BadInputError } from '../../shared/errors';
import { ForecastCategory, TargetScope } from '../../shared/enums';
import { assertVersion, findOrFail, parseId } from '../../shared/ids';
import { requiredText } from '../../shared/validation';
import { type HeavyJob, heavyWorkOf } from '../../shared/workers/pool';
import { Deal } from '../deal/deal.entity';
import { trackDealChanges } from '../deal/deal-history';
import { Product } from '../product/product.entity';
import { Rep } from '../rep/rep.entity';
import { Target } from '../target/target.entity';
import { Team } from '../team/team.entity';
import type { DealContribution, GroupForecast } from './engine';
import type { DealModelCandidate, ServedGroup } from './track-record';
import { type ForecastScope, scopeFilter } from './scope';
import { type ForecastTask, factBuffers, forecastTask } from './forecast.task';
import type { ServedForecast } from './method-choice';
import type { AccuracyMetrics } from './metrics';
import { DAY_MS, type FactTable, closedBefore, isOpenAt } from './facts';
import { ForecastAdjustment, ForecastGroupBy } from './forecast.entity';
import type { AdjustForecastInput, BacktestArgs, ForecastArgs, ForecastSegmentInput, OverrideDealCategoryInput } from './forecast.inputs';
import { loadFacts } from './facts.sql';
import {
  type Accuracy,
  type CycleDuration,
  type Forecast,
  type ForecastBacktest,
  type ForecastDeal,
  type ForecastGroup,
  type StageWeights,
  type ForecastMethodChoice,
  BacktestInterval,
  ForecastMethod,
  RangeSource,
  SizeBand,
  ThinKind,
  WeightStatus,
} from './forecast.types';
import { accuracy } from './metrics';
import { ageBuckets, buildHistoryModel } from './model';
import { type Period, PeriodError, parsePeriod, periodsBetween } from '../../shared/period';
import { DEFAULT_WEIGHT_OPTIONS, SIZE_BANDS, learnStageWeights, sizeBandBounds, sizeBandOf } from './stage-weights';
import { kaplanMeier, quantileTime } from './survival';

/** Who the forecast is about (access control narrows it in the resolver, src/modules/auth/access.policy.ts). */
export type { ForecastScope } from './scope';

export function parseScope(teamId: string | undefined, repId: string | undefined): ForecastScope {
  return {
    ...(teamId != null && { teamId: parseId(teamId, 'teamId') }),
    ...(repId != null && { repId: parseId(repId, 'repId') }),
  };
}

/** A forecast period ("2026-11", "2026-Q4", "2026") or BAD_USER_INPUT naming `field`. */
export function periodOrFail(text: string, field = 'period', now = new Date()): Period {
  try {
    return parsePeriod(text, now, field);
  } catch (error) {
    if (error instanceof PeriodError) throw new BadInputError(error.field, error.message);
    throw error;
  }
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
    em.find(ForecastAdjustment, { periodStart: new Date(period.start), periodEnd: new Date(period.end) }, { orderBy: { createdAt: 'desc', id: 'desc' } }),
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
 * The facts and the Monte Carlo on a worker thread (src/shared/workers/): the worker loads the facts through its
 * own connection (an SQLite file or PostgreSQL), or they are loaded here and moved to it (in-memory SQLite). A deal
 * model (a function) cannot cross to a worker: with one, the forecast is computed here.
 */
async function computeOffThread(em: Em, asOf: Date, call: ForecastCall, period: Period) {
  const work = heavyWorkOf(em);
  const spec = { period, asOf: asOf.getTime(), groupBy: call.groupBy, scope: call.scope, options: { simulations: call.simulations, seed: call.seed, topDeals: call.topDeals } };
  if (work.database && !call.dealModel) {
    const { stages, ...result } = await work.run('forecastFromDatabase', { ...spec, database: work.database, factsAsOf: asOf.getTime() }, call.job);
    return { stages, result };
  }
  const t = await loadFacts(em, asOf);
  const task: ForecastTask = { ...spec, facts: t };
  const result = call.dealModel ? forecastTask(task, call.dealModel) : await work.run('forecast', task, call.job, factBuffers(t));
  return { stages: t.stages, result };
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

function segmentFilter(t: FactTable, segment: ForecastSegmentInput | undefined, asOf: number): (i: number) => boolean {
  if (!segment) return () => true;
  const teamId = segment.teamId != null ? parseId(segment.teamId, 'segment.teamId') : null;
  const family = segment.productFamily != null ? t.families.indexOf(segment.productFamily) : null;
  const band = segment.sizeBand != null ? SIZE_BANDS.indexOf(segment.sizeBand) : null;
  const bounds = sizeBandBounds(t, asOf);
  return (i) =>
    (teamId == null || t.team[i] === teamId) && (family == null || t.family[i] === family) && (band == null || sizeBandOf(t.amount[i], bounds) === band);
}

/** `scope` is the caller's slice (src/modules/auth/aggregate.policy.ts): counts never cover more than it. */
function inScopeAndSegment(t: FactTable, scope: ForecastScope, segment: ForecastSegmentInput | undefined, asOf: number): (i: number) => boolean {
  const inScope = scopeFilter(t, scope);
  const inSegment = segmentFilter(t, segment, asOf);
  return (i) => inScope(i) && inSegment(i);
}

/** `scope` is the caller's slice (src/modules/auth/aggregate.policy.ts): counts never cover more than it. */
export async function getStageWeights(em: Em, segment: ForecastSegmentInput | undefined, asOfArg?: Date, scope: ForecastScope = {}): Promise<StageWeights> {
  const asOf = asOfArg ?? new Date();
  const t = await loadFacts(em, asOf);
  const at = asOf.getTime();
  const model = buildHistoryModel(t, at, DEFAULT_WEIGHT_OPTIONS);
  const overall = model.weights;
  const isSegment = !!(segment && (segment.teamId != null || segment.productFamily != null || segment.sizeBand != null)) || scope.teamId != null || scope.repId != null;
  const weights = isSegment ? learnStageWeights(t, at, DEFAULT_WEIGHT_OPTIONS, inScopeAndSegment(t, scope, segment, at), overall) : overall;
  return {
    asOf,
    stages: weights.map((w) => ({
      stageId: String(t.stages[w.stage].id),
      stage: t.stages[w.stage].name,
      reached: w.reached,
      won: w.won,
      apportionedShare: w.apportioned,
      rawRate: w.rawRate,
      weight: w.weight,
      status: w.status as WeightStatus,
      defaultProbability: t.stages[w.stage].defaultProbability,
      ageBuckets: ageBuckets(model, w.stage, w.weight),
      maxWonDaysInStage: w.maxWonDaysInStage,
    })),
    sizeBandBounds: sizeBandBounds(t, at).map((b) => (Number.isFinite(b) ? toMajor(Math.round(b)) : 0)),
    minSample: DEFAULT_WEIGHT_OPTIONS.minSample,
  };
}

export async function getCycleDurations(em: Em, segment: ForecastSegmentInput | undefined, asOfArg?: Date, scope: ForecastScope = {}): Promise<CycleDuration[]> {
  const asOf = asOfArg ?? new Date();
  const t = await loadFacts(em, asOf);
  const at = asOf.getTime();
  const include = inScopeAndSegment(t, scope, segment, at);
  const k = t.stages.length;
  const events: number[][] = Array.from({ length: k }, () => []);
  const censored: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < t.n; i++) {
    if (!include(i)) continue;
    const closed = closedBefore(t, i, at);
    if (!closed && !isOpenAt(t, i, at)) continue;
    for (let s = 0; s < k; s++) {
      const e = t.entries[i * k + s];
      if (!(e < at)) continue;
      (closed ? events : censored)[s].push(((closed ? t.closed[i] : at) - e) / DAY_MS);
    }
  }
  return t.stages.map((stage, s) => {
    const curve = kaplanMeier(events[s], censored[s]);
    const step = Math.max(1, Math.ceil(curve.times.length / 40));
    const curvePoints = [];
    for (let j = 0; j < curve.times.length; j += step) curvePoints.push({ days: curve.times[j], survival: curve.survival[j] });
    return {
      stageId: String(stage.id),
      stage: stage.name,
      deals: curve.subjects,
      closed: curve.events,
      stillOpen: curve.censored,
      p25Days: quantileTime(curve, 0.25),
      medianDays: quantileTime(curve, 0.5),
      p75Days: quantileTime(curve, 0.75),
      p90Days: quantileTime(curve, 0.9),
      curve: curvePoints,
    };
  });
}

const MAX_BACKTEST_PERIODS = 60;

export async function getBacktest(em: Em, args: Omit<BacktestArgs, 'teamId' | 'repId'> & { scope: ForecastScope; job?: HeavyJob }): Promise<ForecastBacktest> {
  if (!(args.from < args.to)) throw new BadInputError('to', 'to must be after from');
  const now = Date.now();
  const periods = periodsBetween(args.from.getTime(), args.to.getTime(), args.interval === BacktestInterval.MONTH ? 'MONTH' : 'QUARTER');
  if (periods.length > MAX_BACKTEST_PERIODS) throw new BadInputError('from', `at most ${MAX_BACKTEST_PERIODS} periods per backtest; got ${periods.length}`);
  if (periods[periods.length - 1].end > now) throw new BadInputError('to', 'a backtest compares with actuals: every period must be over');
  // Everything up to the end of the last period; each period then only sees what was known at its start.
  const work = heavyWorkOf(em);
  const spec = { periods, scope: args.scope, options: { simulations: args.simulations, seed: args.seed, topDeals: 0 } };
  const factsAsOf = periods[periods.length - 1].end;
  let backtest;
  if (work.database) backtest = await work.run('backtestFromDatabase', { ...spec, database: work.database, factsAsOf }, args.job);
  else {
    const t = await loadFacts(em, new Date(factsAsOf));
    backtest = await work.run('backtest', { ...spec, facts: t }, args.job, factBuffers(t));
  }
  const { rows, served } = backtest;
  const money = (v: number) => toMajor(Math.round(v));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.served.method, (counts.get(r.served.method) ?? 0) + 1);
  const of = (pick: (r: (typeof rows)[number]) => number | null): Accuracy =>
    accuracy(rows.filter((r) => pick(r) != null).map((r) => ({ forecast: pick(r)!, actual: r.actual })));
  return {
    interval: args.interval,
    periods: rows.map((r) => ({
      period: r.period.label,
      periodStart: new Date(r.period.start),
      actual: toMajor(r.actual),
      expected: money(r.model.expected),
      p10: money(r.model.p10),
      p50: money(r.model.p50),
      p90: money(r.model.p90),
      runRate: r.runRate == null ? null : money(r.runRate),
      fixedWeight: money(r.fixedWeight),
      blend: r.blend == null ? null : money(r.blend),
      dealModel: r.dealModel == null ? null : money(r.dealModel),
      served: {
        method: r.served.method as ForecastMethod,
        expected: money(r.served.expected),
        p10: money(r.served.p10),
        p50: money(r.served.p50),
        p90: money(r.served.p90),
        rangeSource: r.served.rangeSource as RangeSource,
      },
    })),
    served,
    servedMethods: [...counts].map(([method, periods]) => ({ method: method as ForecastMethod, periods })),
    model: accuracy(rows.map((r) => ({ forecast: r.model.expected, actual: r.actual, p10: r.model.p10, p90: r.model.p90 }))),
    runRate: of((r) => r.runRate),
    fixedWeight: of((r) => r.fixedWeight),
    blend: of((r) => r.blend),
    dealModel: of((r) => r.dealModel),
  };
}

/** `authorId` is the caller's rep (never a client argument: nobody writes in someone else's name). */
export async function adjustForecast(em: Em, input: AdjustForecastInput, authorId: number): Promise<ForecastAdjustment> {
  const period = periodOrFail(input.period, 'input.period');
  return em.transactional(async (tx) => {
    const author = await tx.findOneOrFail(Rep, authorId);
    let team: Team | null = null;
    let rep: Rep | null = null;
    if (input.scope === TargetScope.TEAM) {
      if (input.teamId == null) throw new BadInputError('input.teamId', 'TEAM scope needs teamId');
      team = await findOrFail(tx, Team, input.teamId, 'input.teamId');
    } else if (input.scope === TargetScope.REP) {
      if (input.repId == null) throw new BadInputError('input.repId', 'REP scope needs repId');
      rep = await findOrFail(tx, Rep, input.repId, 'input.repId');
    }
    return tx.create(ForecastAdjustment, {
      periodLabel: period.label,
      periodStart: new Date(period.start),
      periodEnd: new Date(period.end),
      scope: input.scope,
      team,
      rep,
      deal: null,
      amountCents: toMinor(input.amount),
      category: null,
      previousCategory: null,
      note: requiredText(input.note, 'input.note', 2000),
      author,
    });
  });
}

/** Sets (or clears) a deal's forecast category and records who did it, when and why, in one transaction. */
export async function overrideDealCategory(em: Em, input: OverrideDealCategoryInput, authorId: number): Promise<ForecastAdjustment> {
  const period = periodOrFail(input.period, 'input.period');
  return em.transactional(async (tx) => {
    const [deal, author] = await Promise.all([findOrFail(tx, Deal, input.dealId, 'input.dealId'), tx.findOneOrFail(Rep, authorId)]);
    assertVersion(deal, input.version, 'Deal');
    trackDealChanges(deal, { by: author.id });
    if (deal.closedAt) throw new BadInputError('input.dealId', 'The deal is closed: its category no longer matters');
    const previous = deal.forecastCategory ?? null;
    deal.forecastCategory = input.category ?? null;
    return tx.create(ForecastAdjustment, {
      periodLabel: period.label,
      periodStart: new Date(period.start),
      periodEnd: new Date(period.end),
      scope: TargetScope.REP,
      team: null,
      rep: deal.owner ?? null,
      deal,
      amountCents: null,
      category: input.category ?? null,
      previousCategory: previous,
      note: requiredText(input.note, 'input.note', 2000),
      author,
    });
  });
}

export const SIZE_BAND_NAMES = SizeBand;
