/**
 * New business: revenue from deals not yet created at asOf that will be created and won inside the period.
 * Estimated from the same quantity in past analogue periods (same kind, same offset of asOf into the period),
 * with a seasonal index (month of quarter, or quarter of year) shrunk toward 1. Pure.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { type FactTable, Outcome, earliestCreated } from './facts';
import { type Period, seasonKey, shiftPeriod } from '../../shared/period';

export interface NewBusinessOptions {
  /** Recent analogue periods averaged for the level. */
  lookback: number;
  /** Analogue periods scanned for the seasonal index. */
  history: number;
  /** Pseudo-count pulling each seasonal index toward 1. */
  seasonShrinkage: number;
}

export const defaultNewBusinessOptions = (p: Period): NewBusinessOptions => ({
  lookback: p.kind === 'MONTH' ? 6 : p.kind === 'QUARTER' ? 4 : p.kind === 'YEAR' ? 1 : 4,
  history: p.kind === 'MONTH' ? 36 : p.kind === 'QUARTER' ? 12 : p.kind === 'YEAR' ? 3 : 12,
  seasonShrinkage: 2,
});

export interface NewBusinessEstimate {
  mean: number;
  sd: number;
  seasonalIndex: number;
  /** Past periods the estimate rests on. */
  analogues: number;
  /** Per group key: mean and sd (the means add up to the total). */
  byGroup: Map<number, { mean: number; sd: number }>;
  /** The analogue values, most recent first (for inspection and tests). */
  history: Array<{ label: string; value: number }>;
}

export function estimateNewBusiness(
  t: FactTable,
  period: Period,
  asOf: number,
  groupOf: (i: number) => number = () => 0,
  include: (i: number) => boolean = () => true,
  options: NewBusinessOptions = defaultNewBusinessOptions(period),
): NewBusinessEstimate {
  const offset = asOf - period.start;
  const earliest = earliestCreated(t);
  const analogues: Period[] = [];
  for (let k = 1; k <= options.history; k++) {
    const a = shiftPeriod(period, k);
    if (a.start < earliest) break;
    if (a.end <= asOf) analogues.push(a);
  }
  const totals = new Float64Array(analogues.length);
  const byGroupValues = new Map<number, Float64Array>();
  // analogues are most recent first: starts descending. `include` (a closure) is asked last: few won deals were
  // created and won inside one analogue
  const won = Outcome.WON;
  for (let i = 0; i < t.n; i++) {
    if (t.outcome[i] !== won || !(t.closed[i] < asOf)) continue;
    const c = t.closed[i];
    const k = findAnalogue(analogues, c);
    if (k < 0 || !(t.created[i] >= analogues[k].start + offset) || !include(i)) continue;
    totals[k] += t.amount[i];
    const g = groupOf(i);
    let v = byGroupValues.get(g);
    if (!v) byGroupValues.set(g, (v = new Float64Array(analogues.length)));
    v[k] += t.amount[i];
  }
  const index = seasonalIndexes(analogues, totals, options.seasonShrinkage);
  const target = seasonKey(period);
  const seasonalIndex = target == null ? 1 : (index.get(target) ?? 1);
  const recent = Math.min(options.lookback, analogues.length);
  const level = (values: Float64Array) => {
    const d = Array.from(values.subarray(0, recent), (v, k) => v / (index.get(seasonKey(analogues[k]) ?? -1) ?? 1));
    return { mean: d.length ? mean(d) * seasonalIndex : 0, sd: d.length >= 2 ? sampleStandardDeviation(d) * seasonalIndex : 0 };
  };
  const total = level(totals);
  const byGroup = new Map<number, { mean: number; sd: number }>();
  for (const [g, v] of byGroupValues) byGroup.set(g, level(v));
  return {
    mean: total.mean,
    sd: total.sd,
    seasonalIndex,
    analogues: recent,
    byGroup,
    history: analogues.map((a, k) => ({ label: a.label, value: totals[k] })),
  };
}

function findAnalogue(analogues: Period[], at: number): number {
  let lo = 0;
  let hi = analogues.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const a = analogues[mid];
    if (at < a.start) lo = mid + 1;
    else if (at >= a.end) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/** Mean value at each seasonal position / mean over all, shrunk toward 1 by `m` pseudo-periods. */
export function seasonalIndexes(analogues: Period[], values: ArrayLike<number>, m: number): Map<number, number> {
  const out = new Map<number, number>();
  if (!analogues.length) return out;
  const overall = mean(Array.from(values));
  if (!(overall > 0)) return out;
  const sums = new Map<number, { sum: number; n: number }>();
  analogues.forEach((a, k) => {
    const key = seasonKey(a);
    if (key == null) return;
    const s = sums.get(key) ?? { sum: 0, n: 0 };
    s.sum += values[k];
    s.n++;
    sums.set(key, s);
  });
  for (const [key, { sum, n }] of sums) out.set(key, (n * (sum / n / overall) + m) / (n + m));
  return out;
}
