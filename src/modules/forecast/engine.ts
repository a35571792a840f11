/**
 * The forecast of one period as of a date, by group, and the backtest that replays it over past periods with
 * the run-rate and fixed-weight baselines. Pure: a FactTable in, numbers out (the service adds names and quotas).
 */
import { type FactTable, Outcome, openRowsAt } from './facts';
import { type CategoryName, type CategoryTotals, CATEGORY_ORDER, categoryIndex, categoryOf } from './metrics';
import { type DealOutlook, type HistoryModel, type ThinSpot, type WinProbabilityFn, buildHistoryModel, dealOutlook, emptyOutlook, outlookInStage, pipelineAmount } from './model';
import { estimateNewBusiness } from './new-business';
import { closedWalk } from './closed-walk';
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
  // the closed deals counted by hour in one pass (closed-walk.ts: the same model bit for bit, no list of durations)
  model: HistoryModel = buildHistoryModel(t, asOf, options.weightOptions ?? DEFAULT_WEIGHT_OPTIONS, closedWalk(t, [asOf])(asOf)),
): ForecastResult {
  const keys = new Map<number, number>();
  const slot = (key: number) => {
    let g = keys.get(key);
    if (g === undefined) keys.set(key, (g = keys.size));
    return g;
  };
  // the open deals column-wise: objects only for the few top deals a group reports (10^5 live objects cost more in
  // garbage collection than computing them)
  const calendar = options.calendar === false ? null : calendarCorrection(t, model, period, asOf, include, options.winFn);
  const openAt = openRowsAt(t, asOf);
  const included = openIncluded(openAt.rows, include);
  const m = included.length;
  const open = new Int32Array(m);
  const probability = new Float64Array(m);
  const amount = new Float64Array(m);
  const slotOf = new Int32Array(m);
  const stage = new Int32Array(m);
  const age = new Float64Array(m);
  const pWin = new Float64Array(m);
  const pTiming = new Float64Array(m);
  const closeAt = new Float64Array(m);
  const flags = new Uint8Array(m); // 1: default weight, 2: stale
  const scratch = emptyOutlook();
  for (let j = 0; j < m; j++) {
    const i = (open[j] = openAt.rows[included[j]]);
    // the kept stages are as of asOf; a model of another date places the deal at its own date
    const o =
      model.asOf === asOf
        ? outlookInStage(t, model, i, openAt.stage[included[j]], openAt.enteredAt[included[j]], period.start, period.end, options.winFn, asOf, scratch)
        : dealOutlook(t, model, i, period.start, period.end, options.winFn);
    if (calendar) {
      o.pTiming = Math.min(1, o.pTiming * calendar.ratio[calendarStage(model, o.stage)]);
      o.probability = o.pWin * o.pTiming;
    }
    probability[j] = o.probability;
    amount[j] = pipelineAmount(t, model, i);
    slotOf[j] = slot(groupOf(i));
    stage[j] = o.stage;
    age[j] = o.ageInStageDays;
    pWin[j] = o.pWin;
    pTiming[j] = o.pTiming;
    closeAt[j] = o.expectedCloseAt ?? NaN;
    flags[j] = (o.usedDefaultWeight ? 1 : 0) | (o.stale ? 2 : 0);
  }
  const closedWon = new Map<number, number>();
  const won = Outcome.WON;
  const until = Math.min(asOf, period.end);
  // as of the period's start (a past period's forecast, the bench's) nothing can have closed in it yet: no scan
  for (let i = 0; until > period.start && i < t.n; i++) {
    if (t.outcome[i] === won && t.closed[i] >= period.start && t.closed[i] < until && include(i)) {
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
    probabilities: probability,
    amounts: amount,
    groups: slotOf,
    groupCount: G,
    base,
    newBusinessMean: nbMean,
    newBusinessSd: nbSd,
    simulations: options.simulations,
    seed: options.seed,
    pipelineLogSd: calendar?.modelLogError ?? 0,
  });
  const contribution = (j: number): DealContribution => {
    const i = open[j];
    return {
      index: i,
      stage: stage[j],
      ageInStageDays: age[j],
      pWin: pWin[j],
      pTiming: pTiming[j],
      probability: probability[j],
      expectedCloseAt: Number.isNaN(closeAt[j]) ? null : closeAt[j],
      usedDefaultWeight: (flags[j] & 1) === 1,
      stale: (flags[j] & 2) === 2,
      dealId: t.id[i],
      amount: amount[j],
      expectedValue: amount[j] * probability[j],
      category: categoryOf(probability[j]),
      override: (CATEGORY_ORDER[t.category[i] - 1] ?? null) as CategoryName | null,
    };
  };
  const expectedValue = (j: number) => amount[j] * probability[j];
  /** A group's figures over its open deals (`deals`: positions among the open deals, in their order). */
  const summarize = (key: number, deals: ArrayLike<number>, closed: number, nbValue: number, sorted: Float64Array): GroupForecast => {
    let pipeline = 0;
    let openAmount = 0;
    const categories = CATEGORY_ORDER.map((category) => ({ category, deals: 0, amount: 0, expected: 0 }));
    const withOverrides = CATEGORY_ORDER.map((category) => ({ category, deals: 0, amount: 0, expected: 0 }));
    const add = (row: CategoryTotals, a: number, p: number) => {
      row.deals++;
      row.amount += a;
      row.expected += a * p;
    };
    const top: number[] = [];
    for (let x = 0; x < deals.length; x++) {
      const j = deals[x];
      const p = probability[j];
      const a = amount[j];
      pipeline += a * p;
      openAmount += a;
      const own = categoryIndex(p);
      const override = t.category[open[j]];
      add(categories[own], a, p);
      add(withOverrides[override > 0 ? override - 1 : own], a, p);
      insertTop(top, j, options.topDeals, expectedValue);
    }
    return {
      key,
      expected: closed + pipeline + nbValue,
      ...percentiles(sorted),
      pipeline,
      newBusiness: nbValue,
      closedWon: closed,
      openDeals: deals.length,
      openAmount,
      categories,
      categoriesWithOverrides: withOverrides,
      topDeals: top.map(contribution),
    };
  };
  // each group's deals in their order (a counting sort by group)
  const starts = new Int32Array(G + 1);
  for (let j = 0; j < m; j++) starts[slotOf[j] + 1]++;
  for (let g = 0; g < G; g++) starts[g + 1] += starts[g];
  const byGroup = new Int32Array(m);
  const fill = starts.slice(0, G);
  for (let j = 0; j < m; j++) byGroup[fill[slotOf[j]]++] = j;
  const groups = groupKeys.map((key, g) => summarize(key, byGroup.subarray(starts[g], starts[g + 1]), base[g], nbMean[g], sims.byGroup[g]));
  const all = new Int32Array(m);
  for (let j = 0; j < m; j++) all[j] = j;
  const total = summarize(
    -1,
    all,
    base.reduce((s, v) => s + v, 0),
    nbMean.reduce((s, v) => s + v, 0),
    sims.total,
  );
  // the flagged open deals, counted in one loop (no predicate per deal)
  let defaults = 0;
  let undated = 0;
  let stale = 0;
  for (let j = 0; j < m; j++) {
    defaults += flags[j] & 1;
    stale += (flags[j] >> 1) & 1;
    undated += t.dateUnknown[open[j]] === 1 ? 1 : 0;
  }
  const thin: ThinSpot[] = [...model.thin];
  if (nb && nb.analogues < 3) thin.push({ kind: 'NEW_BUSINESS', subject: 'new business', sample: nb.analogues, message: `New business rests on ${nb.analogues} past period(s) only: treat it as a rough guess.` });
  if (defaults) thin.push({ kind: 'STAGE_WEIGHT', subject: 'default probabilities', sample: model.closedDeals, message: `${defaults} open deal(s) use a default stage probability: no closed deal before the as-of date to learn from.` });
  if (calendar && calendar.modelLogError == null) thin.push({ kind: 'RANGE', subject: 'pipeline model', sample: calendar.periods, message: 'Fewer than 2 past periods to measure the pipeline model error: its simulated range only reflects deal-by-deal chance and is too narrow.' });
  if (sims.approximatedDeals) {
    thin.push({ kind: 'SIMULATION', subject: 'simulation', sample: sims.approximatedDeals, message: `${sims.approximatedDeals} of ${m} open deals (the smallest) were simulated through their summed normal approximation (exact mean and variance) to bound the Monte Carlo cost.` });
  }
  if (undated) {
    thin.push({ kind: 'DEAL_DATES', subject: 'open deals', sample: undated, message: `${undated} open deal(s) have no date of their own: counted as open since they were first recorded, new in their stage.` });
  }
  if (stale) thin.push({ kind: 'STALE_DEALS', subject: 'stale deals', sample: stale, message: `${stale} open deal(s) are older than any historical win and were decayed.` });
  const warnings = thin.map((x) => x.message);
  return { period, asOf, model, total, groups, newBusinessAnalogues: nb?.analogues ?? 0, calendarRatios: calendar ? Array.from(calendar.ratio) : null, modelLogError: calendar?.modelLogError ?? null, thin, warnings };
}

/** Keeps `top` the k items with the largest value, largest first (one insertion; k is small; ties keep the earlier). */
function insertTop(top: number[], x: number, k: number, value: (x: number) => number): void {
  if (k <= 0) return;
  const v = value(x);
  if (top.length === k && v <= value(top[k - 1])) return;
  let j = top.length < k ? top.length : k - 1;
  while (j > 0 && value(top[j - 1]) < v) {
    if (j < k) top[j] = top[j - 1];
    j--;
  }
  top[j] = x;
}

/** The positions in `rows` of the deals `include` accepts, ascending. */
export function openIncluded(rows: Int32Array, include: (i: number) => boolean): Int32Array {
  const out = new Int32Array(rows.length);
  let m = 0;
  for (let j = 0; j < rows.length; j++) if (include(rows[j])) out[m++] = j;
  return out.subarray(0, m);
}

/** Won revenue closed inside the period (the truth a backtest compares with). */
export function actualWon(t: FactTable, period: Period, include: (i: number) => boolean = () => true): number {
  let sum = 0;
  const won = Outcome.WON;
  for (let i = 0; i < t.n; i++) if (t.outcome[i] === won && t.closed[i] >= period.start && t.closed[i] < period.end && include(i)) sum += t.amount[i];
  return sum;
}

/**
 * Textbook baseline: default stage probability x amount over deals open at asOf that the CRM expects to close in
 * the period (deals with no expected close date count too: a fixed-weight pipeline has no timing model).
 */
export function fixedWeightForecast(t: FactTable, period: Period, asOf: number, include: (i: number) => boolean = () => true): number {
  let sum = 0;
  const open = openRowsAt(t, asOf);
  for (let j = 0; j < open.rows.length; j++) {
    const i = open.rows[j];
    if (!include(i)) continue;
    const ec = t.expectedClose[i];
    if (!Number.isNaN(ec) && (ec < period.start || ec >= period.end)) continue;
    sum += t.stages[open.stage[j]].defaultProbability * t.amount[i];
  }
  return sum;
}
