/**
 * Age in stage and timing of wins, on a daily grid. Two curves per open stage s:
 * - in-stage: time from entering s until the deal leaves it, by advancing (or winning from it) vs losing; deals
 *   still sitting in s are censored, so never-closed (stale) deals stay at risk and make old deals unlikely;
 * - from-entry: time from entering s until a win (the won incidence of closeCurve).
 * For a deal a days into stage s, the chance of a win inside [t1, t2) (days since it entered s) is
 *   sum over days u >= a of P(advances on day u | still in s at a) x P(win within [t1 - u, t2 - u) after entering s+1)
 * (for the last open stage, advancing is winning). Pure.
 */
import { type SurvivalCurve, survivalAt, wonIncidenceAt } from './survival';

export interface StageTiming {
  days: number;
  /** Cumulative incidence of leaving the stage forward, per day since entry (no extrapolation past the data). */
  advance: Float64Array;
  /** P(still in the stage) per day since entry. */
  stay: Float64Array;
  /** Won incidence after entering the next stage, per day (null for the last open stage). */
  nextWin: Float64Array | null;
  nextWinTotal: number;
}

export function buildStageTiming(inStage: SurvivalCurve, nextFromEntry: SurvivalCurve | null, days: number): StageTiming {
  const advance = new Float64Array(days + 1);
  const stay = new Float64Array(days + 1);
  // No win ever seen after entering the next stage (last open stage, or deals that win straight from this one):
  // leaving this stage forward is winning.
  const usable = nextFromEntry != null && nextFromEntry.wonIncidence.some((v) => v > 0);
  const nextWin = usable ? new Float64Array(days + 1) : null;
  for (let d = 0; d <= days; d++) {
    const x = Math.min(d, inStage.maxTime);
    advance[d] = wonIncidenceAt(inStage, x);
    stay[d] = survivalAt(inStage, x);
    if (nextWin) nextWin[d] = wonIncidenceAt(nextFromEntry!, d);
  }
  return { days, advance, stay, nextWin, nextWinTotal: nextWin ? nextWin[days] : 1 };
}

const at = (grid: Float64Array, d: number) => grid[Math.max(0, Math.min(grid.length - 1, Math.floor(d)))];

/** P(the deal ever leaves the stage forward | still in it after a days). */
export function advanceProbability(st: StageTiming, a: number): number {
  const stay = at(st.stay, a);
  if (!(stay > 1e-12)) return 0;
  return Math.max(0, Math.min(1, (st.advance[st.days] - at(st.advance, a)) / stay));
}

/** advanceProbability(a) / advanceProbability(0): how age in stage changes the odds of moving on. */
export function ageFactor(st: StageTiming, a: number): number {
  const base = advanceProbability(st, 0);
  return base > 0 ? advanceProbability(st, a) / base : 1;
}

export interface WinTiming {
  /** P(the win lands in [t1, t2) | the deal will be won). */
  inWindow: number;
  /** Median days since stage entry at which the win would come; null when the history cannot say. */
  medianDays: number | null;
}

/** Timing of a future win for a deal a days into the stage; t1 <= t2 in days since it entered the stage. */
export function winTiming(st: StageTiming, a: number, t1: number, t2: number): WinTiming {
  const start = Math.floor(a);
  const remaining = st.advance[st.days] - at(st.advance, a);
  if (!(remaining > 1e-12)) return { inWindow: 0, medianDays: null };
  const eventual = remaining * st.nextWinTotal;
  let window = 0;
  let prev = at(st.advance, a);
  let advMedian: number | null = null;
  const end = Math.min(st.days, Math.ceil(t2));
  for (let u = start; u < st.days; u++) {
    const next = st.advance[u + 1];
    const dA = next - prev;
    prev = next;
    if (advMedian == null && next - at(st.advance, a) >= remaining / 2) advMedian = u + 0.5;
    if (u >= end) {
      if (advMedian != null) break;
      continue;
    }
    if (dA <= 0) continue;
    const mid = u + 0.5;
    if (st.nextWin) window += dA * (gridValue(st.nextWin, t2 - mid) - gridValue(st.nextWin, t1 - mid));
    else if (mid >= t1 && mid < t2) window += dA;
  }
  let nextMedian = 0;
  if (st.nextWin) {
    nextMedian = NaN;
    for (let d = 0; d <= st.days; d++) if (st.nextWin[d] >= st.nextWinTotal / 2) { nextMedian = d; break; }
  }
  const medianDays = advMedian == null || Number.isNaN(nextMedian) ? null : Math.max(a, advMedian) + nextMedian;
  return { inWindow: eventual > 0 ? Math.max(0, Math.min(1, window / eventual)) : 0, medianDays };
}

const gridValue = (grid: Float64Array, x: number) => (x <= 0 ? 0 : at(grid, x));
