/**
 * Kaplan–Meier survival of "time until a deal closes" with right censoring (deals still open are censored at the
 * as-of date), plus the conditional probabilities the forecast needs. Pure: plain numbers in, numbers out.
 * Times are in any unit (the forecast uses days).
 */
import type { HourCounts } from './closed-walk';

export interface SurvivalCurve {
  /** Distinct event times, ascending. */
  times: Float64Array;
  /** S(t) just after each event time. */
  survival: Float64Array;
  /** Cumulative incidence of a WIN by each event time (competing risks: a loss ends the deal too). */
  wonIncidence: Float64Array;
  subjects: number;
  events: number;
  censored: number;
  /** Largest observed time (event or censored). */
  maxTime: number;
  /** Constant hazard fitted on the upper quarter of observed times: extrapolates S beyond maxTime. */
  tailHazard: number;
  /** Share of wins among the events in that upper quarter: how the extrapolated closes split. */
  tailWinShare: number;
}

/**
 * Kaplan–Meier estimator. `eventTimes` are observed closes, `censoredTimes` are still-open deals (time observed so
 * far). At a tie, events come before censorings (the usual convention).
 */
export function kaplanMeier(eventTimes: ArrayLike<number>, censoredTimes: ArrayLike<number>): SurvivalCurve {
  return closeCurve([], eventTimes, censoredTimes);
}

/** Times are binned to the hour: linear-time counting instead of sorting millions of durations. */
const BINS_PER_DAY = 24;

function histogram(xs: ArrayLike<number>, bins: number, base?: HourCounts): Float64Array {
  const h = new Float64Array(bins);
  // a base's counts lie at or below its maxTime <= the curve's: its bins beyond `bins` are empty
  if (base) h.set(base.bins.length > bins ? base.bins.subarray(0, bins) : base.bins);
  for (let i = 0; i < xs.length; i++) h[Math.max(0, Math.round(xs[i] * BINS_PER_DAY))]++;
  return h;
}

/**
 * Kaplan–Meier of time to close (won or lost) plus the cumulative incidence of winning (Aalen–Johansen):
 * CIF_won(t) = sum over event times t_j <= t of S(t_j-) x wins(t_j) / at risk(t_j). Times in days, binned to
 * the hour; at a tie, events come before censorings. `wonBase` / `lostBase`: times already counted by hour (closed-walk.ts),
 * added to the lists' (the same curve as from one list holding both).
 */
export function closeCurve(
  wonTimes: ArrayLike<number>,
  lostTimes: ArrayLike<number>,
  censoredTimes: ArrayLike<number>,
  wonBase?: HourCounts,
  lostBase?: HourCounts,
): SurvivalCurve {
  let maxTime = Math.max(0, wonBase?.maxTime ?? 0, lostBase?.maxTime ?? 0);
  for (const xs of [wonTimes, lostTimes, censoredTimes]) for (let i = 0; i < xs.length; i++) if (xs[i] > maxTime) maxTime = xs[i];
  const bins = Math.round(maxTime * BINS_PER_DAY) + 1;
  const won = histogram(wonTimes, bins, wonBase);
  const lost = histogram(lostTimes, bins, lostBase);
  const ce = histogram(censoredTimes, bins);
  const events = wonTimes.length + lostTimes.length + (wonBase?.count ?? 0) + (lostBase?.count ?? 0);
  const total = events + censoredTimes.length;
  const times: number[] = [];
  const survival: number[] = [];
  const incidence: number[] = [];
  let atRisk = total;
  let s = 1;
  let cif = 0;
  for (let b = 0; b < bins; b++) {
    const d = won[b] + lost[b];
    if (d > 0) {
      cif += (s * won[b]) / atRisk;
      s *= 1 - d / atRisk;
      atRisk -= d;
      times.push(b / BINS_PER_DAY);
      survival.push(s);
      incidence.push(cif);
    }
    atRisk -= ce[b];
  }
  const tail = tailFit(won, lost, ce, total);
  return {
    times: Float64Array.from(times),
    survival: Float64Array.from(survival),
    wonIncidence: Float64Array.from(incidence),
    subjects: total,
    events,
    censored: censoredTimes.length,
    maxTime,
    tailHazard: tail.hazard,
    tailWinShare: tail.winShare,
  };
}

/** Events per unit of exposure among subjects observed beyond the 75th percentile of all observed times. */
function tailFit(won: Float64Array, lost: Float64Array, ce: Float64Array, total: number): { hazard: number; winShare: number } {
  if (!total) return { hazard: 0, winShare: 0 };
  const k = Math.floor(0.75 * (total - 1));
  let seen = 0;
  let qBin = 0;
  for (; qBin < won.length; qBin++) {
    seen += won[qBin] + lost[qBin] + ce[qBin];
    if (seen > k) break;
  }
  let wins = 0;
  let events = 0;
  let exposure = 0;
  for (let b = qBin; b < won.length; b++) {
    const dt = (b - qBin) / BINS_PER_DAY;
    wins += won[b];
    events += won[b] + lost[b];
    exposure += (won[b] + lost[b] + ce[b]) * dt;
  }
  return { hazard: exposure > 0 ? events / exposure : 0, winShare: events ? wins / events : 0 };
}

/** S(t): probability of still being open at time t (t measured from the same origin as the data). */
export function survivalAt(curve: SurvivalCurve, t: number): number {
  if (t < 0) return 1;
  const { times, survival } = curve;
  if (t > curve.maxTime) {
    const last = survival.length ? survival[survival.length - 1] : 1;
    return last * Math.exp(-curve.tailHazard * (t - curve.maxTime));
  }
  const found = lastIndexAtOrBefore(times, t);
  return found < 0 ? 1 : survival[found];
}

/**
 * P(close in [t1, t2) | still open at age a), with a <= t1 <= t2. When the curve has no mass left at `a` (the deal is
 * older than anything that ever closed), falls back to the fitted tail hazard, so stale deals get a small, decaying
 * chance instead of either full weight or a division by zero.
 */
export function conditionalCloseProbability(curve: SurvivalCurve, a: number, t1: number, t2: number): number {
  if (t2 <= t1) return 0;
  const sa = survivalAt(curve, a);
  if (sa > 1e-9) {
    const p = (survivalAt(curve, t1) - survivalAt(curve, t2)) / sa;
    return Math.min(1, Math.max(0, p));
  }
  const h = curve.tailHazard;
  if (!(h > 0)) return 0;
  return Math.exp(-h * (t1 - a)) - Math.exp(-h * (t2 - a));
}

/** Smallest t >= a with S(t) <= S(a) * (1 - q): the q-quantile of the remaining time to close; Infinity if never. */
export function conditionalQuantileTime(curve: SurvivalCurve, a: number, q: number): number {
  const target = survivalAt(curve, a) * (1 - q);
  const { times, survival } = curve;
  for (let i = 0; i < times.length; i++) if (times[i] >= a && survival[i] <= target) return times[i];
  const h = curve.tailHazard;
  if (!(h > 0) || !(target > 0)) return Infinity;
  if (a >= curve.maxTime) return a + Math.log(1 / (1 - q)) / h;
  const sMax = survivalAt(curve, curve.maxTime);
  return sMax > target ? curve.maxTime + Math.log(sMax / target) / h : curve.maxTime;
}

/** Median time to close (unconditional); null when the curve never drops to one half within the data. */
export function medianTime(curve: SurvivalCurve): number | null {
  return quantileTime(curve, 0.5);
}

export function quantileTime(curve: SurvivalCurve, q: number): number | null {
  for (let i = 0; i < curve.times.length; i++) if (curve.survival[i] <= 1 - q) return curve.times[i];
  return null;
}

/** CIF_won(t), extrapolated beyond the data with the tail hazard and the tail's win share. */
export function wonIncidenceAt(curve: SurvivalCurve, t: number): number {
  const { times, wonIncidence } = curve;
  if (t < 0 || !times.length) return 0;
  if (t > curve.maxTime) {
    const atMax = wonIncidence[wonIncidence.length - 1];
    return atMax + curve.tailWinShare * (survivalAt(curve, curve.maxTime) - survivalAt(curve, t));
  }
  const found = lastIndexAtOrBefore(times, t);
  return found < 0 ? 0 : wonIncidence[found];
}

/** Eventual CIF_won (all the mass that will ever close as a win, tail included). */
export function wonIncidenceTotal(curve: SurvivalCurve): number {
  if (!curve.times.length) return 0;
  return curve.wonIncidence[curve.wonIncidence.length - 1] + curve.tailWinShare * survivalAt(curve, curve.maxTime);
}

/**
 * P(a win lands in [t1, t2) | the deal, open at age a, will be won): the timing of wins, which is not the timing
 * of closes (losses come sooner). Falls back to the timing of any close when the history holds no win after `a`.
 */
export function conditionalWinTiming(curve: SurvivalCurve, a: number, t1: number, t2: number): number {
  if (t2 <= t1) return 0;
  const remaining = wonIncidenceTotal(curve) - wonIncidenceAt(curve, a);
  if (remaining > 1e-12) return Math.min(1, Math.max(0, (wonIncidenceAt(curve, t2) - wonIncidenceAt(curve, t1)) / remaining));
  return conditionalCloseProbability(curve, a, t1, t2);
}

/** Median time of a win for a deal open at age a that will be won; Infinity when the history cannot say. */
export function conditionalMedianWinTime(curve: SurvivalCurve, a: number): number {
  const base = wonIncidenceAt(curve, a);
  const remaining = wonIncidenceTotal(curve) - base;
  if (!(remaining > 1e-12)) return conditionalQuantileTime(curve, a, 0.5);
  const target = base + remaining / 2;
  for (let i = 0; i < curve.times.length; i++) if (curve.times[i] >= a && curve.wonIncidence[i] >= target) return curve.times[i];
  return Infinity;
}

/**
 * P(won within the observed horizon | still open at age a) = (CIF_won(maxTime) - CIF_won(a)) / S(a). Deals that
 * never close (stale) stay in the at-risk set, so this falls with age once the usual win times are past, unlike a
 * rate computed on closed deals only. No extrapolation beyond the data: a win nobody has seen is not credited.
 */
export function winProbabilityAtAge(curve: SurvivalCurve, a: number): number {
  if (!curve.times.length) return 0;
  const sa = survivalAt(curve, Math.min(a, curve.maxTime));
  if (!(sa > 1e-12)) return 0;
  const end = curve.wonIncidence[curve.wonIncidence.length - 1];
  return Math.max(0, Math.min(1, (end - wonIncidenceAt(curve, Math.min(a, curve.maxTime))) / sa));
}

/** How much likelier (< 1: less likely) a win is for a deal `a` days into its stage than for one just entering it. */
export function ageFactor(curve: SurvivalCurve, a: number): number {
  const base = winProbabilityAtAge(curve, 0);
  return base > 0 ? winProbabilityAtAge(curve, a) / base : 1;
}

/** Index of the last event time <= t in ascending `times` (binary search), or -1 when t precedes them all. */
function lastIndexAtOrBefore(times: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
