/**
 * Kaplan–Meier survival of "time until a deal closes" with right censoring (deals still open are censored at the
 * as-of date), plus the conditional probabilities the forecast needs. Pure: plain numbers in, numbers out.
 * Times are in any unit (the forecast uses days).
 */

export interface SurvivalCurve {
  /** Distinct event times, ascending. */
  times: Float64Array;
  /** S(t) just after each event time. */
  survival: Float64Array;
  subjects: number;
  events: number;
  censored: number;
  /** Largest observed time (event or censored). */
  maxTime: number;
  /** Constant hazard fitted on the upper quarter of observed times: extrapolates S beyond maxTime. */
  tailHazard: number;
}

/**
 * Kaplan–Meier estimator. `eventTimes` are observed closes, `censoredTimes` are still-open deals (time observed so
 * far). At a tie, events come before censorings (the usual convention).
 */
export function kaplanMeier(eventTimes: ArrayLike<number>, censoredTimes: ArrayLike<number>): SurvivalCurve {
  const ev = Float64Array.from(eventTimes).sort();
  const ce = Float64Array.from(censoredTimes).sort();
  const total = ev.length + ce.length;
  const times: number[] = [];
  const survival: number[] = [];
  let atRisk = total;
  let s = 1;
  let i = 0;
  let j = 0;
  while (i < ev.length) {
    const t = ev[i];
    while (j < ce.length && ce[j] < t) {
      atRisk--;
      j++;
    }
    let d = 0;
    while (i < ev.length && ev[i] === t) {
      d++;
      i++;
    }
    s *= 1 - d / atRisk;
    atRisk -= d;
    times.push(t);
    survival.push(s);
  }
  const maxTime = Math.max(ev.length ? ev[ev.length - 1] : 0, ce.length ? ce[ce.length - 1] : 0);
  return {
    times: Float64Array.from(times),
    survival: Float64Array.from(survival),
    subjects: total,
    events: ev.length,
    censored: ce.length,
    maxTime,
    tailHazard: tailHazard(ev, ce),
  };
}

/** Events per unit of exposure among subjects observed beyond the 75th percentile of all observed times. */
function tailHazard(ev: Float64Array, ce: Float64Array): number {
  const all = new Float64Array(ev.length + ce.length);
  all.set(ev);
  all.set(ce, ev.length);
  if (!all.length) return 0;
  all.sort();
  const q = all[Math.floor(0.75 * (all.length - 1))];
  let events = 0;
  let exposure = 0;
  for (const t of ev) if (t >= q) { events++; exposure += t - q; }
  for (const t of ce) if (t >= q) exposure += t - q;
  return exposure > 0 ? events / exposure : 0;
}

/** S(t): probability of still being open at time t (t measured from the same origin as the data). */
export function survivalAt(curve: SurvivalCurve, t: number): number {
  if (t < 0) return 1;
  const { times, survival } = curve;
  if (t > curve.maxTime) {
    const last = survival.length ? survival[survival.length - 1] : 1;
    return last * Math.exp(-curve.tailHazard * (t - curve.maxTime));
  }
  // last event time <= t
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
