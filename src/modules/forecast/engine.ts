/**
 * The forecast of one period as of a date, by group, and the backtest that replays it over past periods with
 * the run-rate and fixed-weight baselines. Pure: a FactTable in, numbers out (the service adds names and quotas).
 */
import { type FactTable, Outcome, isOpenAt, stageAt } from './facts';
import { type CategoryName, type CategoryTotals, CATEGORY_ORDER, categoryOf, categoryTotals } from './metrics';
import { type DealOutlook, type HistoryModel, type ThinSpot, type WinProbabilityFn, buildHistoryModel, dealOutlook, openDeals, pipelineAmount } from './model';
import { estimateNewBusiness } from './new-business';
import { calendarCorrection, calendarStage } from './calendar';
import type { Period } from '../../shared/period';
import { percentiles, simulate } from './monte-carlo';
import { DEFAULT_WEIGHT_OPTIONS, type WeightOptions } from './stage-weights';

export interface ForecastOptions {
  simulations: number;
  seed: number;
  topDeals: number;
  weightOptions?: WeightOptions;
  /** Seam for the deal-win model: per-deal P(win) replacing the stage weights. */
  winFn?: WinProbabilityFn;
  /** Calendar (quarter-end) correction of timing; on unless false. */
  calendar?: boolean;
}
export const DEFAULT_FORECAST_OPTIONS: ForecastOptions = { simulations: 10_000, seed: 42, topDeals: 10 };

export interface DealContribution extends DealOutlook {
  dealId: number;
  amount: number;
  expectedValue: number;
  category: CategoryName;
  override: CategoryName | null;
}

export interface GroupForecast {
  key: number;
  expected: number;
  p10: number;
  p50: number;
  p90: number;
  /** Expected revenue from deals open at asOf. */
  pipeline: number;
  /** Expected revenue from deals not yet created. */
  newBusiness: number;
  closedWon: number;
  openDeals: number;
  openAmount: number;
  categories: CategoryTotals[];
  categoriesWithOverrides: CategoryTotals[];
  topDeals: DealContribution[];
}

export interface ForecastResult {
  period: Period;
  asOf: number;
  model: HistoryModel;
  total: GroupForecast;
  groups: GroupForecast[];
  newBusinessAnalogues: number;
  /** Per-stage calendar correction of timing (null when off). */
  calendarRatios: number[] | null;
  /** RMS log error of the pipeline model over recent past periods, used to widen the range (null: too few). */
  modelLogError: number | null;
  thin: ThinSpot[];
  warnings: string[];
}

export function computeForecast(
  t: FactTable,
  period: Period,
  asOf: number,
  groupOf: (i: number) => number,
  include: (i: number) => boolean,
  options: ForecastOptions = DEFAULT_FORECAST_OPTIONS,
  model: HistoryModel = buildHistoryModel(t, asOf, options.weightOptions ?? DEFAULT_WEIGHT_OPTIONS),
): ForecastResult {
  const keys = new Map<number, number>();
  const slot = (key: number) => {
    let g = keys.get(key);
    if (g === undefined) keys.set(key, (g = keys.size));
    return g;
  };
  const contributions: DealContribution[] = [];
  const calendar = options.calendar === false ? null : calendarCorrection(t, model, period, asOf, include, options.winFn);
  for (const i of openDeals(t, asOf, include)) {
    const o = dealOutlook(t, model, i, period.start, period.end, options.winFn);
    if (calendar) {
      o.pTiming = Math.min(1, o.pTiming * calendar.ratio[calendarStage(model, o.stage)]);
      o.probability = o.pWin * o.pTiming;
    }
    const amount = pipelineAmount(t, model, i);
    const override = (CATEGORY_ORDER[t.category[i] - 1] ?? null) as CategoryName | null;
    const c = o as DealContribution;
    c.dealId = t.id[i];
    c.amount = amount;
    c.expectedValue = amount * o.probability;
    c.category = categoryOf(o.probability);
    c.override = override;
    contributions.push(c);
    slot(groupOf(i));
  }
  const closedWon = new Map<number, number>();
  for (let i = 0; i < t.n; i++) {
    if (t.outcome[i] === Outcome.WON && t.closed[i] >= period.start && t.closed[i] < Math.min(asOf, period.end) && include(i)) {
      const g = groupOf(i);
      slot(g);
      closedWon.set(g, (closedWon.get(g) ?? 0) + t.amount[i]);
    }
  }
  const nb = asOf < period.end ? estimateNewBusiness(t, period, asOf, groupOf, include) : null;
  for (const g of nb?.byGroup.keys() ?? []) slot(g);
  const groupKeys = [...keys.keys()];
  const G = groupKeys.length;
  const base = new Float64Array(G);
  const nbMean = new Float64Array(G);
  const nbSd = new Float64Array(G);
  groupKeys.forEach((key, g) => {
    base[g] = closedWon.get(key) ?? 0;
    nbMean[g] = nb?.byGroup.get(key)?.mean ?? 0;
    nbSd[g] = nb?.byGroup.get(key)?.sd ?? 0;
  });
  const sims = simulate({
    probabilities: contributions.map((c) => c.probability),
    amounts: contributions.map((c) => c.amount),
    groups: contributions.map((c) => keys.get(groupOf(c.index))!),
    groupCount: G,
    base,
    newBusinessMean: nbMean,
    newBusinessSd: nbSd,
    simulations: options.simulations,
    seed: options.seed,
    pipelineLogSd: calendar?.modelLogError ?? 0,
  });
  const perGroup: DealContribution[][] = Array.from({ length: G }, () => []);
  for (const c of contributions) perGroup[keys.get(groupOf(c.index))!].push(c);
  const summarize = (key: number, deals: DealContribution[], closed: number, nbValue: number, sorted: Float64Array): GroupForecast => {
    const pipeline = deals.reduce((s, c) => s + c.expectedValue, 0);
    return {
      key,
      expected: closed + pipeline + nbValue,
      ...percentiles(sorted),
      pipeline,
      newBusiness: nbValue,
      closedWon: closed,
      openDeals: deals.length,
      openAmount: deals.reduce((s, c) => s + c.amount, 0),
      categories: categoryTotals(deals, false),
      categoriesWithOverrides: categoryTotals(deals, true),
      topDeals: topBy(deals, options.topDeals),
    };
  };
  const groups = groupKeys.map((key, g) => summarize(key, perGroup[g], base[g], nbMean[g], sims.byGroup[g]));
  const total = summarize(
    -1,
    contributions,
    base.reduce((s, v) => s + v, 0),
    nbMean.reduce((s, v) => s + v, 0),
    sims.total,
  );
  const thin: ThinSpot[] = [...model.thin];
  if (nb && nb.analogues < 3) thin.push({ kind: 'NEW_BUSINESS', subject: 'new business', sample: nb.analogues, message: `New business rests on ${nb.analogues} past period(s) only: treat it as a rough guess.` });
  const defaults = contributions.filter((c) => c.usedDefaultWeight).length;
  if (defaults) thin.push({ kind: 'STAGE_WEIGHT', subject: 'default probabilities', sample: model.closedDeals, message: `${defaults} open deal(s) use a default stage probability: no closed deal before the as-of date to learn from.` });
  if (calendar && calendar.modelLogError == null) thin.push({ kind: 'RANGE', subject: 'pipeline model', sample: calendar.periods, message: 'Fewer than 2 past periods to measure the pipeline model error: its simulated range only reflects deal-by-deal chance and is too narrow.' });
  if (sims.approximatedDeals) {
    thin.push({ kind: 'SIMULATION', subject: 'simulation', sample: sims.approximatedDeals, message: `${sims.approximatedDeals} of ${contributions.length} open deals (the smallest) were simulated through their summed normal approximation (exact mean and variance) to bound the Monte Carlo cost.` });
  }
  const undated = contributions.filter((c) => t.dateUnknown[c.index]).length;
  if (undated) {
    thin.push({ kind: 'DEAL_DATES', subject: 'open deals', sample: undated, message: `${undated} open deal(s) have no date of their own: counted as open since they were first recorded, new in their stage.` });
  }
  const stale = contributions.filter((c) => c.stale).length;
  if (stale) thin.push({ kind: 'STALE_DEALS', subject: 'stale deals', sample: stale, message: `${stale} open deal(s) are older than any historical win and were decayed.` });
  const warnings = thin.map((x) => x.message);
  return { period, asOf, model, total, groups, newBusinessAnalogues: nb?.analogues ?? 0, calendarRatios: calendar ? Array.from(calendar.ratio) : null, modelLogError: calendar?.modelLogError ?? null, thin, warnings };
}

/** The k deals with the largest expected value, largest first (one pass; k is small). */
function topBy(deals: DealContribution[], k: number): DealContribution[] {
  const top: DealContribution[] = [];
  if (k <= 0) return top;
  for (const d of deals) {
    if (top.length === k && d.expectedValue <= top[k - 1].expectedValue) continue;
    let j = top.length < k ? top.length : k - 1;
    while (j > 0 && top[j - 1].expectedValue < d.expectedValue) {
      if (j < k) top[j] = top[j - 1];
      j--;
    }
    top[j] = d;
  }
  return top;
}

/** Won revenue closed inside the period (the truth a backtest compares with). */
export function actualWon(t: FactTable, period: Period, include: (i: number) => boolean = () => true): number {
  let sum = 0;
  for (let i = 0; i < t.n; i++) if (t.outcome[i] === Outcome.WON && t.closed[i] >= period.start && t.closed[i] < period.end && include(i)) sum += t.amount[i];
  return sum;
}

/**
 * Textbook baseline: default stage probability x amount over deals open at asOf that the CRM expects to close in
 * the period (deals with no expected close date count too: a fixed-weight pipeline has no timing model).
 */
export function fixedWeightForecast(t: FactTable, period: Period, asOf: number, include: (i: number) => boolean = () => true): number {
  let sum = 0;
  for (let i = 0; i < t.n; i++) {
    if (!isOpenAt(t, i, asOf) || !include(i)) continue;
    const ec = t.expectedClose[i];
    if (!Number.isNaN(ec) && (ec < period.start || ec >= period.end)) continue;
    sum += t.stages[stageAt(t, i, asOf).stage].defaultProbability * t.amount[i];
  }
  return sum;
}
