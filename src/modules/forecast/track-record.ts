/**
 * The forecast a company is served, and its track record: every candidate method forecast for past periods as of
 * their own start (same offset into the period as the live as-of), the method chosen and the range measured on
 * those closed periods only (method-choice.ts), and the backtest that replays the same choice period by period.
 * Pure: a FactTable and plain options in, numbers out, so a worker can run it on serialised inputs.
 */
import { type FactTable, Outcome, earliestCreated, factsAsOf } from './facts';
import { type ForecastOptions, type ForecastResult, type GroupForecast, actualWon, computeForecast, fixedWeightForecast } from './engine';
import { type ChoiceOptions, type ForecastMethod, type PastForecast, type ServedForecast, DEFAULT_CHOICE_OPTIONS, replayServed, serveForecast, servedAccuracy } from './method-choice';
import { type ThinSpot, type WinProbabilityFn, buildHistoryModel } from './model';
import { type ClosedPart, type ClosedWalk, closedWalk } from './closed-walk';
import { DEFAULT_WEIGHT_OPTIONS } from './stage-weights';
import type { AccuracyMetrics } from './metrics';
import { type Period, shiftPeriod } from '../../shared/period';
import { type ForecastScope, scopeFilter } from './scope';

/** The deal-win model as a candidate: its P(win) and the end of its training window (it is judged only after it). */
export interface DealModelCandidate {
  winFn: WinProbabilityFn;
  /** Epoch ms: a forecast as of an earlier date would use a model that saw the outcome (look-ahead), so none is made. */
  trainedUntil: number;
}

export interface ServeOptions extends ForecastOptions {
  choice?: ChoiceOptions;
  dealModel?: DealModelCandidate;
  /**
   * Who the forecast covers, when by owner: each past period then counts the deals its team or rep owned at that
   * period's dates (the as-of view's owners), not the deals they own today. Absent: `include` as given.
   */
  scope?: ForecastScope;
}

/** True for a scope by owner (a team or a rep): its deals are those the owners of each as-of view hold. */
const byOwner = (scope: ForecastScope | undefined): scope is ForecastScope => scope != null && (scope.teamId != null || scope.repId != null);

/** The rows of an as-of view in scope: by the owners of the view when options.scope names one, else `include`. */
const inScope = (view: FactTable, include: (i: number) => boolean, options: ServeOptions) => (byOwner(options.scope) ? scopeFilter(view, options.scope) : include);

const RUN_RATE_PERIODS = 3;

export { earliestCreated } from './facts';

/**
 * Run-rate as of asOf: the mean won revenue of the last 3 periods of the same kind closed by then, for the part of
 * the period still ahead, plus what was already won in it. Per group and in total; null when the data does not
 * reach back 3 whole periods.
 */
export function runRateForecast(
  t: FactTable,
  period: Period,
  asOf: number,
  include: (i: number) => boolean = () => true,
  groupOf: (i: number) => number = () => 0,
  earliest: number = earliestCreated(t),
): { total: number; byGroup: Map<number, number> } | null {
  const past: Period[] = [];
  for (let k = 1; past.length < RUN_RATE_PERIODS && k <= 60; k++) {
    const p = shiftPeriod(period, k);
    if (p.start < earliest) return null;
    if (p.end <= asOf) past.push(p);
  }
  if (past.length < RUN_RATE_PERIODS) return null;
  const ahead = Math.min(1, Math.max(0, (period.end - Math.max(asOf, period.start)) / (period.end - period.start)));
  const from = past[past.length - 1].start;
  const byGroup = new Map<number, number>();
  let total = 0;
  const won = Outcome.WON;
  const until = Math.min(asOf, period.end);
  for (let i = 0; i < t.n; i++) {
    if (t.outcome[i] !== won) continue;
    const c = t.closed[i];
    let v = 0;
    if (c >= period.start && c < until) v = t.amount[i];
    else if (c >= from && c < past[0].end && inSomePeriod(past, c)) v = (ahead * t.amount[i]) / RUN_RATE_PERIODS;
    // `include` (a closure) only for the deals that count
    if (!v || !include(i)) continue;
    const g = groupOf(i);
    byGroup.set(g, (byGroup.get(g) ?? 0) + v);
    total += v;
  }
  return { total, byGroup };
}

function inSomePeriod(periods: Period[], at: number): boolean {
  for (const p of periods) if (at >= p.start && at < p.end) return true;
  return false;
}

/**
 * Candidates for one period as of one date, in total over `include` (the pipeline model is not simulated unless
 * asked): forecast from the facts known then (amounts and close dates included, factsAsOf), judged against what
 * was won as the record stands in `t`.
 */
export function pastForecast(
  t: FactTable,
  period: Period,
  asOf: number,
  scoped: (i: number) => boolean,
  options: ServeOptions,
  earliest: number,
  simulate = false,
  closedPart?: ClosedPart,
): PastForecast {
  const known = factsAsOf(t, asOf);
  const include = inScope(known, scoped, options);
  const lean = { ...options, topDeals: 0, simulations: simulate ? options.simulations : 0 };
  // one history model for both candidates (it does not depend on the P(win) seam)
  const model = buildHistoryModel(known, asOf, options.weightOptions ?? DEFAULT_WEIGHT_OPTIONS, closedPart);
  const f = computeForecast(known, period, asOf, () => 0, include, { ...lean, winFn: undefined }, model);
  const dm = options.dealModel;
  const deal = dm && asOf >= dm.trainedUntil ? computeForecast(known, period, asOf, () => 0, include, { ...lean, winFn: dm.winFn, simulations: 0 }, model).total.expected : null;
  return {
    label: period.label,
    asOf,
    end: period.end,
    // won as the record stands, by whoever owned the deal when the period ended
    // (the whole company: no view needed to tell who owned what)
    actual: actualWon(t, period, byOwner(options.scope) ? scopeFilter(factsAsOf(t, period.end), options.scope) : scoped),
    pipeline: f.total.expected,
    runRate: runRateForecast(known, period, asOf, include, () => 0, earliest)?.total ?? null,
    dealModel: deal,
    simulatedP10: simulate ? f.total.p10 : null,
    simulatedP50: simulate ? f.total.p50 : null,
    simulatedP90: simulate ? f.total.p90 : null,
  };
}

/** The past periods of the same kind that judge the methods for `period` as of `asOf`, oldest first. */
export function trackRecord(
  t: FactTable,
  period: Period,
  asOf: number,
  include: (i: number) => boolean,
  options: ServeOptions,
  earliest = earliestCreated(t),
  walk?: ClosedWalk,
): PastForecast[] {
  const dates = trackRecordDates(period, asOf, options, earliest);
  const at = walk ?? closedWalk(t, dates.map((d) => d.asOf));
  // oldest first: the walk adds each period's newly closed deals to the last one's
  return dates.map(({ p, asOf: d }) => pastForecast(t, p, d, include, options, earliest, false, at(d)));
}

/** The past periods of a track record and their as-of dates (same offset into the period), oldest first. */
function trackRecordDates(period: Period, asOf: number, options: ServeOptions, earliest: number): Array<{ p: Period; asOf: number }> {
  const choice = options.choice ?? DEFAULT_CHOICE_OPTIONS;
  const wanted = choice.window + choice.minPeriods; // the oldest few only fit the blend weight of the next ones
  const offset = asOf - period.start;
  const out: Array<{ p: Period; asOf: number }> = [];
  for (let k = 1; out.length < wanted && k <= 120; k++) {
    const p = shiftPeriod(period, k);
    if (p.start < earliest) break;
    if (p.end > asOf) continue;
    out.push({ p, asOf: Math.min(p.end, p.start + offset) });
  }
  return out.reverse();
}

export interface ServedGroup {
  key: number;
  expected: number;
  p10: number;
  p50: number;
  p90: number;
  /** The pipeline model's expected value for the group (closedWon + pipeline + newBusiness). */
  pipelineExpected: number;
  runRate: number | null;
}

export interface ServedForecastResult {
  /** The model forecast behind the served one: the deal-win model's when it is served, else the pipeline model's. */
  forecast: ForecastResult;
  served: ServedForecast;
  /** The served forecast's own record, replayed over the same closed periods (coverage of its range included). */
  servedRecord: AccuracyMetrics;
  total: ServedGroup;
  groups: ServedGroup[];
  history: PastForecast[];
  thin: ThinSpot[];
  warnings: string[];
}

/** The forecast served for `period` as of `asOf`: the method the track record supports, with its conformal range. */
export function computeServedForecast(
  t: FactTable,
  period: Period,
  asOf: number,
  groupOf: (i: number) => number,
  include: (i: number) => boolean,
  options: ServeOptions,
): ServedForecastResult {
  const choice = options.choice ?? DEFAULT_CHOICE_OPTIONS;
  const earliest = earliestCreated(t);
  // the past periods' models and this one's from one walk over the closed deals
  const walk = closedWalk(t, [...trackRecordDates(period, asOf, options, earliest).map((d) => d.asOf), asOf]);
  const history = trackRecord(t, period, asOf, include, options, earliest, walk);
  const model = buildHistoryModel(t, asOf, options.weightOptions ?? DEFAULT_WEIGHT_OPTIONS, walk(asOf));
  const pipeline = computeForecast(t, period, asOf, groupOf, include, { ...options, winFn: undefined }, model);
  const dm = options.dealModel;
  const deal = dm && asOf >= dm.trainedUntil ? computeForecast(t, period, asOf, groupOf, include, { ...options, winFn: dm.winFn }, model) : null;
  const rr = runRateForecast(t, period, asOf, include, groupOf, earliest);
  const served = serveForecast(
    history,
    { pipeline: pipeline.total.expected, runRate: rr?.total ?? null, dealModel: deal?.total.expected ?? null, simulatedP10: pipeline.total.p10, simulatedP90: pipeline.total.p90 },
    asOf,
    choice,
  );
  const replay = replayServed(history, choice).slice(-choice.window);
  const forecast = served.method === 'DEAL_MODEL' && deal ? deal : pipeline;
  const view = (g: GroupForecast): ServedGroup => {
    const runRate = rr ? (g.key === -1 ? rr.total : (rr.byGroup.get(g.key) ?? 0)) : null;
    const expected = groupValue(served.method, served.blendWeight, g.expected, runRate);
    return { key: g.key, expected, ...groupRange(served, expected, g), pipelineExpected: pipeline.groups.find((p) => p.key === g.key)?.expected ?? (g.key === -1 ? pipeline.total.expected : 0), runRate };
  };
  const total = { ...view(forecast.total), p10: served.p10, p50: served.p50, p90: served.p90, expected: served.expected };
  const groups = forecast.groups.map(view);
  // the pipeline model's own range warning only matters when the served range falls back to its simulation
  const thin = forecast.thin.filter((x) => x.kind !== 'RANGE' || served.rangeSource === 'SIMULATION');
  for (const note of served.notes) thin.push({ kind: note.startsWith('Only') ? 'TRACK_RECORD' : 'RANGE', subject: served.method, sample: note.startsWith('Only') ? served.judgedPeriods : served.rangePeriods, message: note });
  return { forecast, served, servedRecord: servedAccuracy(replay), total, groups, history, thin, warnings: thin.map((x) => x.message) };
}

function fixedWeightOf(t: FactTable, period: Period, include: (i: number) => boolean, options: ServeOptions): number {
  const known = factsAsOf(t, period.start);
  return fixedWeightForecast(known, period, period.start, inScope(known, include, options));
}

function groupValue(method: ForecastMethod, w: number | null, model: number, runRate: number | null): number {
  if (method === 'RUN_RATE') return runRate ?? model;
  if (method === 'BLEND' && w != null && runRate != null) return w * model + (1 - w) * runRate;
  return model;
}

/**
 * A group's range: its served value scaled by the total's out-of-sample ratios, joined with its own simulated range
 * (scaled to the served value): a group varies at least as much as its own deals' dice say.
 */
function groupRange(served: ServedForecast, expected: number, g: GroupForecast): { p10: number; p50: number; p90: number } {
  const scale = g.expected > 0 ? expected / g.expected : 1;
  const sim = { p10: g.p10 * scale, p50: g.p50 * scale, p90: g.p90 * scale };
  if (!served.rangeRatios) return sim;
  const [lo, mid, hi] = served.rangeRatios;
  return { p10: Math.min(sim.p10, expected * lo), p50: expected * mid, p90: Math.max(sim.p90, expected * hi) };
}

export interface BacktestRow {
  period: Period;
  actual: number;
  /** The pipeline model with its simulated range. */
  model: { expected: number; p10: number; p50: number; p90: number };
  runRate: number | null;
  fixedWeight: number;
  blend: number | null;
  dealModel: number | null;
  /** What the forecast would have served as of the period's start (choice and range from earlier periods only). */
  served: ServedForecast;
}

export interface BacktestResult {
  rows: BacktestRow[];
  served: AccuracyMetrics;
}

/**
 * Each period forecast as of its start with only what was known then (pastForecast), against what actually closed
 * won. Earlier
 * periods (as far as the data goes, up to the choice window) warm up the track record the first choices rest on.
 */
export function runBacktest(t: FactTable, periods: Period[], options: ServeOptions, include: (i: number) => boolean = () => true): BacktestResult {
  if (!periods.length) return { rows: [], served: servedAccuracy([]) };
  const choice = options.choice ?? DEFAULT_CHOICE_OPTIONS;
  const earliest = earliestCreated(t);
  const warmUpPeriods: Period[] = [];
  for (let k = 1; k <= choice.window + choice.minPeriods; k++) {
    const p = shiftPeriod(periods[0], k);
    if (p.start < earliest) break;
    warmUpPeriods.unshift(p);
  }
  // oldest first, so that one walk over the closed deals serves every period's model
  const at = closedWalk(t, [...warmUpPeriods, ...periods].map((p) => p.start));
  const warmUp = warmUpPeriods.map((p) => pastForecast(t, p, p.start, include, options, earliest, false, at(p.start)));
  const points = periods.map((p) => pastForecast(t, p, p.start, include, options, earliest, true, at(p.start)));
  const replay = replayServed([...warmUp, ...points], choice).slice(warmUp.length);
  const rows = replay.map(({ point, served }, j) => {
    const blendWeight = served.blendWeight;
    return {
      period: periods[j],
      actual: point.actual,
      model: { expected: point.pipeline!, p10: point.simulatedP10!, p50: point.simulatedP50!, p90: point.simulatedP90! },
      runRate: point.runRate,
      fixedWeight: fixedWeightOf(t, periods[j], include, options),
      blend: blendWeight == null || point.runRate == null ? null : blendWeight * point.pipeline! + (1 - blendWeight) * point.runRate,
      dealModel: point.dealModel,
      served,
    };
  });
  return { rows, served: servedAccuracy(replay) };
}
