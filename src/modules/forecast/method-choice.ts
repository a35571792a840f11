/**
 * Which forecast to serve, chosen by the company's own rolling backtest, and an honest range around it.
 *
 * Candidates per period: the pipeline model, the run-rate (mean of the last 3 closed periods), a blend of the two
 * (pipeline weight fitted on earlier periods only), and the deal-win model when one is plugged in. Every candidate's
 * track record is out of sample: each past period was forecast as of its own start with only what was known then,
 * and the blend weight used for a past period was fitted on the periods before it. The method served as of a date is
 * the one with the lowest WAPE over the recent periods that had closed by then (never a period still running), so a
 * backtest that replays this choice period by period sees exactly what the live forecast would have served.
 *
 * The P10–P90 range is split-conformal on the served method's own out-of-sample errors: the ratios actual / forecast
 * over those closed periods, taken at ranks 0.1 (n + 1) and 0.9 (n + 1) (see rankQuantile). With fewer periods than
 * that needs (n < 9) the range is a log-normal prediction interval on the same ratios with Student-t
 * quantiles (wider), joined with the simulated range; with fewer than 2, the simulated range joined with the
 * period-to-period spread of past actuals. The response says which. Pure: plain numbers in, numbers out.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { type AccuracyMetrics, accuracy } from './metrics';

export type ForecastMethod = 'PIPELINE' | 'RUN_RATE' | 'BLEND' | 'DEAL_MODEL';
export const FORECAST_METHODS: ForecastMethod[] = ['PIPELINE', 'BLEND', 'DEAL_MODEL', 'RUN_RATE'];

export type RangeSource = 'CONFORMAL' | 'SMALL_SAMPLE' | 'SIMULATION';

/** What each method forecast for one period as of one date (null: the method could not forecast it). */
export interface CandidateForecasts {
  pipeline: number | null;
  runRate: number | null;
  dealModel: number | null;
  /** The pipeline model's simulated P10 / P90 (deal-by-deal chance), when simulated. */
  simulatedP10?: number | null;
  simulatedP50?: number | null;
  simulatedP90?: number | null;
}

/** A past period: the candidates as of asOf (within it or before) and what was actually won in it. */
export interface PastForecast extends CandidateForecasts {
  label: string;
  asOf: number;
  /** End of the period: it counts for a choice as of d only when end <= d. */
  end: number;
  actual: number;
}

export interface ChoiceOptions {
  /** Most recent closed periods that judge the methods. */
  window: number;
  /** Periods a method needs in the window to be judged (and the blend needs to fit its weight). */
  minPeriods: number;
  /**
   * Most recent out-of-sample errors the range rests on: the fewest a conformal 80 % range needs, so that it follows
   * a track record that improves as the history grows instead of carrying the errors of a younger pipeline.
   */
  rangeWindow: number;
}
export const DEFAULT_CHOICE_OPTIONS: ChoiceOptions = { window: 12, minPeriods: 3, rangeWindow: 9 };

/** Periods the split-conformal ranks need for an 80 % range: ceil(0.9 (n + 1)) <= n. */
export const CONFORMAL_MIN_PERIODS = 9;

export interface MethodRecord extends AccuracyMetrics {
  method: ForecastMethod;
}

export interface ServedForecast {
  method: ForecastMethod;
  expected: number;
  p10: number;
  p50: number;
  p90: number;
  /** Pipeline weight of the blend (1 - it on the run-rate), fitted on closed periods; null when not fitted. */
  blendWeight: number | null;
  /** Each candidate's out-of-sample record over the periods that judged them (same periods for all). */
  records: MethodRecord[];
  /** Periods the choice rested on (0: too little history, the pipeline model by default). */
  judgedPeriods: number;
  rangeSource: RangeSource;
  /** Out-of-sample errors of the served method the range rests on. */
  rangePeriods: number;
  /** actual / forecast quantiles applied to the point forecast (P10, P50, P90); null for SIMULATION. */
  rangeRatios: [number, number, number] | null;
  notes: string[];
}

/** The forecast of `method` from candidate values (the blend needs its weight). */
export function methodValue(c: CandidateForecasts, method: ForecastMethod, blendWeight: number | null): number | null {
  switch (method) {
    case 'PIPELINE':
      return c.pipeline;
    case 'RUN_RATE':
      return c.runRate;
    case 'DEAL_MODEL':
      return c.dealModel;
    case 'BLEND':
      return blendWeight == null || c.pipeline == null || c.runRate == null ? null : blendWeight * c.pipeline + (1 - blendWeight) * c.runRate;
  }
}

/**
 * Pipeline weight w in {0, 0.1, ..., 1} minimising sum |w pipeline + (1 - w) runRate - actual| (the WAPE numerator);
 * ties go to the weight nearest 1/2. Null with fewer than minPeriods usable periods.
 */
export function fitBlendWeight(points: PastForecast[], minPeriods: number): number | null {
  const usable = points.filter((p) => p.pipeline != null && p.runRate != null);
  if (usable.length < minPeriods) return null;
  let best: number | null = null;
  let bestLoss = Infinity;
  for (let step = 0; step <= 10; step++) {
    const w = step / 10;
    const loss = usable.reduce((s, p) => s + Math.abs(w * p.pipeline! + (1 - w) * p.runRate! - p.actual), 0);
    if (loss < bestLoss - 1e-9 * (1 + bestLoss) || (Math.abs(loss - bestLoss) <= 1e-9 * (1 + bestLoss) && Math.abs(w - 0.5) < Math.abs(best! - 0.5))) {
      best = w;
      bestLoss = loss;
    }
  }
  return best;
}

/** One closed period as judged: every method's out-of-sample forecast of it. */
interface Judged {
  point: PastForecast;
  values: Record<ForecastMethod, number | null>;
}

/** Out-of-sample forecasts of each past period: the blend weight for period j is fitted on periods closed before j. */
function judge(history: PastForecast[], options: ChoiceOptions): Judged[] {
  return history.map((point) => {
    const before = history.filter((h) => h.end <= point.asOf);
    const w = fitBlendWeight(before.slice(-options.window), options.minPeriods);
    const values = {} as Record<ForecastMethod, number | null>;
    for (const m of FORECAST_METHODS) values[m] = methodValue(point, m, w);
    return { point, values };
  });
}

/**
 * Chooses and serves the forecast as of `asOf` from `current` (the candidates for the period being forecast) and the
 * past periods in `history` (any order; only those closed by asOf are used).
 */
export function serveForecast(history: PastForecast[], current: CandidateForecasts, asOf: number, options: ChoiceOptions = DEFAULT_CHOICE_OPTIONS): ServedForecast {
  // A period judges the methods once the data reaches 3 whole periods before it (the run-rate exists): the first
  // periods of a company's history are forecast from almost nothing and say little about today's errors.
  // (Only the last two windows matter: the judged window and the periods fitting its blend weights.)
  const closed = history
    .filter((h) => h.end <= asOf && h.runRate != null)
    .sort((a, b) => a.end - b.end)
    .slice(-2 * options.window);
  const recent = closed.slice(-options.window);
  const judged = judge(closed, options).slice(-options.window);
  const blendWeight = fitBlendWeight(recent, options.minPeriods);
  const notes: string[] = [];
  // methods the current period can use, with enough past periods to be judged; then the periods where all of them
  // have a forecast, dropping the least available method while that leaves too few
  let methods = FORECAST_METHODS.filter((m) => methodValue(current, m, blendWeight) != null);
  const available = (m: ForecastMethod) => judged.filter((j) => j.values[m] != null).length;
  methods = methods.filter((m) => available(m) >= options.minPeriods);
  const shared = () => (methods.length ? judged.filter((j) => methods.every((m) => j.values[m] != null)) : []);
  let common = shared();
  while (methods.length > 1 && common.length < options.minPeriods) {
    methods.sort((a, b) => available(b) - available(a));
    methods.pop();
    common = shared();
  }
  const records: MethodRecord[] = methods.map((m) => ({ method: m, ...accuracy(common.map((j) => ({ forecast: j.values[m]!, actual: j.point.actual }))) }));
  let method: ForecastMethod;
  if (records.length && common.length >= options.minPeriods) {
    // lowest WAPE; ties keep the order of FORECAST_METHODS (the pipeline model first)
    method = records.reduce((best, r) => ((r.wape ?? Infinity) < (best.wape ?? Infinity) - 1e-12 ? r : best)).method;
  } else {
    method = current.pipeline != null ? 'PIPELINE' : current.runRate != null ? 'RUN_RATE' : 'PIPELINE';
    notes.push(`Only ${common.length} closed period(s) to judge the methods by (minimum ${options.minPeriods}): serving the ${method === 'PIPELINE' ? 'pipeline model' : 'run-rate'} without a track record.`);
  }
  const expected = methodValue(current, method, blendWeight) ?? 0;
  // the range rests on the served method's own out-of-sample errors over every window period it forecast
  const errors = judged
    .filter((j) => j.values[method] != null && j.values[method]! > 0 && j.point.actual > 0)
    .map((j) => j.point.actual / j.values[method]!)
    .slice(-options.rangeWindow);
  const range = conformalRange(expected, errors, current, closed.map((h) => h.actual));
  if (range.source !== 'CONFORMAL') notes.push(range.note);
  return {
    method,
    expected,
    ...range.values,
    blendWeight: method === 'BLEND' || records.some((r) => r.method === 'BLEND') ? blendWeight : null,
    records,
    judgedPeriods: common.length,
    rangeSource: range.source,
    rangePeriods: errors.length,
    rangeRatios: range.ratios,
    notes,
  };
}

/** Student-t 0.9 quantiles by degrees of freedom 1..8 (for the small-sample interval); beyond, the normal's. */
const T90 = [3.078, 1.886, 1.638, 1.533, 1.476, 1.44, 1.415, 1.397];
const Z90 = 1.2816;

interface Range {
  values: { p10: number; p50: number; p90: number };
  ratios: [number, number, number] | null;
  source: RangeSource;
  note: string;
}

/**
 * P10/P50/P90 around `expected` from past ratios actual / forecast (see the file comment). `pastActuals` (oldest
 * first) measure period-to-period spread when there are no errors to speak of.
 */
export function conformalRange(expected: number, ratios: number[], sim: Pick<CandidateForecasts, 'simulatedP10' | 'simulatedP90'>, pastActuals: number[] = []): Range {
  const n = ratios.length;
  const sorted = [...ratios].sort((a, b) => a - b);
  if (n >= CONFORMAL_MIN_PERIODS) {
    const lo = rankQuantile(sorted, 0.1);
    const hi = rankQuantile(sorted, 0.9);
    const mid = rankQuantile(sorted, 0.5);
    return { values: { p10: expected * lo, p50: expected * mid, p90: expected * hi }, ratios: [lo, mid, hi], source: 'CONFORMAL', note: '' };
  }
  const simLo = sim.simulatedP10 ?? expected;
  const simHi = sim.simulatedP90 ?? expected;
  if (n >= 2) {
    const logs = ratios.map(Math.log);
    const m = mean(logs);
    const half = T90[n - 2] * sampleStandardDeviation(logs) * Math.sqrt(1 + 1 / n);
    const ratiosOut: [number, number, number] = [Math.exp(m - half), Math.exp(m), Math.exp(m + half)];
    return {
      values: { p10: Math.min(simLo, expected * ratiosOut[0]), p50: expected * ratiosOut[1], p90: Math.max(simHi, expected * ratiosOut[2]) },
      ratios: ratiosOut,
      source: 'SMALL_SAMPLE',
      note: `The P10–P90 range rests on ${n} past error(s) of the served method (${CONFORMAL_MIN_PERIODS} needed for a conformal range): widened with Student-t quantiles and joined with the simulated range.`,
    };
  }
  const positive = pastActuals.filter((a) => a > 0).map(Math.log);
  if (positive.length >= 2) {
    const half = (T90[positive.length - 2] ?? Z90) * sampleStandardDeviation(positive) * Math.sqrt(1 + 1 / positive.length);
    return {
      values: { p10: Math.min(simLo, expected * Math.exp(-half)), p50: expected, p90: Math.max(simHi, expected * Math.exp(half)) },
      ratios: null,
      source: 'SIMULATION',
      note: `No past error of the served method to measure the range by: the simulated range is widened by the spread of ${positive.length} past period(s) won revenue.`,
    };
  }
  return {
    values: { p10: Math.min(simLo, expected), p50: expected, p90: Math.max(simHi, expected) },
    ratios: null,
    source: 'SIMULATION',
    note: 'No closed period to measure the range by: P10–P90 only reflects deal-by-deal chance and is too narrow.',
  };
}

/**
 * The value at rank q (n + 1) among n sorted values, interpolated between neighbouring ranks: a new exchangeable
 * value falls below the k-th of n with probability k / (n + 1), so [rank 0.1 (n + 1), rank 0.9 (n + 1)] covers 80 %
 * in expectation (the conservative whole ranks floor / ceil would cover 11 / 13 = 85 % with 12 periods).
 */
export function rankQuantile(sorted: number[], q: number): number {
  const n = sorted.length;
  const pos = Math.min(n, Math.max(1, q * (n + 1))) - 1;
  const lo = Math.floor(pos);
  return lo + 1 < n ? sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

/** A period as served at its own as-of date (replaying the choice), against what was won. */
export interface ServedPoint {
  point: PastForecast;
  served: ServedForecast;
}

/** Replays the choice over past periods: each is served with only the periods closed before its as-of date. */
export function replayServed(history: PastForecast[], options: ChoiceOptions = DEFAULT_CHOICE_OPTIONS): ServedPoint[] {
  return history.map((point) => ({ point, served: serveForecast(history, point, point.asOf, options) }));
}

/** The served forecast's own record over replayed periods (with its range, so coverage too). */
export function servedAccuracy(points: ServedPoint[]): AccuracyMetrics {
  return accuracy(points.map(({ point, served }) => ({ forecast: served.expected, actual: point.actual, p10: served.p10, p90: served.p90 })));
}
