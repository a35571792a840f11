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

/**
 * Timing of a future win for a deal a days into the stage; t1 <= t2 in days since it entered the stage.
 * Every grid read depends on a, t1 and t2 only through whole days (floor(a), ceil(t2), floor and ceil of t1 - 1/2
 * and t2 - 1/2: those subtractions are exact in floating point), so the day-by-day sum is computed once per
 * distinct set of them and kept with the grid (a forecast asks for the same few thousand sets for 10^5 deals).
 */
export function winTiming(st: StageTiming, a: number, t1: number, t2: number): WinTiming {
  const sum = windowSum(st, a, t1, t2);
  if (!sum) return { inWindow: 0, medianDays: null };
  const nextMedian = nextWinMedian(st);
  const medianDays = sum.advMedian == null || Number.isNaN(nextMedian) ? null : Math.max(a, sum.advMedian) + nextMedian;
  return { inWindow: sum.eventual > 0 ? Math.max(0, Math.min(1, sum.window / sum.eventual)) : 0, medianDays };
}

interface WindowSum {
  window: number;
  eventual: number;
  advMedian: number | null;
}

/**
 * Window sums by key (an integer below 2^53), open addressing over typed arrays: a Map keyed by such numbers (not
 * small integers) hashed each of the 10^6 lookups of a served forecast at about 80 ns, most of winTiming's cost.
 */
export class KeyedMemo<V> {
  private keys = new Float64Array(1024).fill(-1);
  private values: Array<V | undefined> = new Array(1024);
  private size = 0;

  /** The value kept under `key` (>= 0), undefined when none. */
  get(key: number): V | undefined {
    const mask = this.keys.length - 1;
    for (let slot = hashOf(key) & mask; ; slot = (slot + 1) & mask) {
      const k = this.keys[slot];
      if (k === key) return this.values[slot];
      if (k === -1) return undefined;
    }
  }

  set(key: number, value: V): void {
    if (2 * (this.size + 1) > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let slot = hashOf(key) & mask;
    while (this.keys[slot] !== -1 && this.keys[slot] !== key) slot = (slot + 1) & mask;
    if (this.keys[slot] === -1) this.size++;
    this.keys[slot] = key;
    this.values[slot] = value;
  }

  private grow(): void {
    const [keys, values] = [this.keys, this.values];
    this.keys = new Float64Array(2 * keys.length).fill(-1);
    this.values = new Array(2 * keys.length);
    this.size = 0;
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== -1) this.set(keys[slot], values[slot] as V);
  }
}

/** Mixes the low 32 bits and the high bits of an integer key (murmur3's finaliser). */
function hashOf(key: number): number {
  let h = (key | 0) ^ Math.imul((key / 4294967296) | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const sums = new WeakMap<StageTiming, KeyedMemo<WindowSum | null>>();
const medians = new WeakMap<StageTiming, number>();
const KEY_RANGE = 4096;
const inKeyRange = (x: number) => x >= 0 && x < KEY_RANGE;

function windowSum(st: StageTiming, a: number, t1: number, t2: number): WindowSum | null {
  const start = Math.floor(a);
  const end = Math.min(st.days, Math.ceil(t2));
  const f1 = Math.floor(t1 - 0.5);
  const f2 = Math.floor(t2 - 0.5);
  const c1 = Math.ceil(t1 - 0.5) - f1;
  const c2 = Math.ceil(t2 - 0.5) - f2;
  const e = end - start + 1;
  const g1 = f1 - start + 1;
  const g2 = f2 - start + 1;
  if (!(inKeyRange(start) && inKeyRange(e) && inKeyRange(g1) && inKeyRange(g2))) return computeWindowSum(st, start, end, f1, f1 + c1, f2, f2 + c2);
  const key = ((start * KEY_RANGE + e) * KEY_RANGE + g1) * KEY_RANGE * 4 + g2 * 4 + c1 * 2 + c2;
  let memo = sums.get(st);
  if (!memo) sums.set(st, (memo = new KeyedMemo()));
  let sum = memo.get(key);
  if (sum === undefined) memo.set(key, (sum = computeWindowSum(st, start, end, f1, f1 + c1, f2, f2 + c2)));
  return sum;
}

/**
 * sum over days u >= start of the advance on day u x P(win in [t1 - u - 1/2, t2 - u - 1/2) after the next stage), in
 * whole days: nextWin at day floor(t - 1/2) - u while u < ceil(t - 1/2) (the offset is positive), else 0.
 */
function computeWindowSum(st: StageTiming, start: number, end: number, f1: number, ceil1: number, f2: number, ceil2: number): WindowSum | null {
  const a0 = st.advance[Math.max(0, Math.min(st.days, start))];
  const remaining = st.advance[st.days] - a0;
  if (!(remaining > 1e-12)) return null;
  const grid = st.nextWin;
  const last = grid ? grid.length - 1 : 0;
  let window = 0;
  let prev = a0;
  let advMedian: number | null = null;
  for (let u = start; u < st.days; u++) {
    const next = st.advance[u + 1];
    const dA = next - prev;
    prev = next;
    if (advMedian == null && next - a0 >= remaining / 2) advMedian = u + 0.5;
    if (u >= end) {
      if (advMedian != null) break;
      continue;
    }
    if (dA <= 0) continue;
    if (grid) window += dA * ((u < ceil2 ? grid[Math.min(last, f2 - u)] : 0) - (u < ceil1 ? grid[Math.min(last, f1 - u)] : 0));
    else if (u >= ceil1 && u < ceil2) window += dA;
  }
  return { window, eventual: remaining * st.nextWinTotal, advMedian };
}

/** Days from entering the next stage to the median win (0 for the last stage; NaN when never reached). */
function nextWinMedian(st: StageTiming): number {
  let m = medians.get(st);
  if (m !== undefined) return m;
  m = 0;
  if (st.nextWin) {
    m = NaN;
    for (let d = 0; d <= st.days; d++) if (st.nextWin[d] >= st.nextWinTotal / 2) { m = d; break; }
  }
  medians.set(st, m);
  return m;
}
