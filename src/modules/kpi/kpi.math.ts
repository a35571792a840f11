import { KpiDirection, KpiHealth, TargetStatus } from './kpi.enums';

/** Pure KPI arithmetic: ratios with reasons, percentiles, health, targets, comparisons. */

export interface Computed {
  value: number | null;
  numerator?: number | null;
  denominator?: number | null;
  /** Why the value is null (or how to read it). */
  reason?: string | null;
}

/** num / den; a zero or missing denominator gives null with the reason, never 0 or NaN. */
export function ratio(numerator: number | null, denominator: number | null, reasonWhenEmpty: string): Computed {
  if (denominator == null || denominator === 0 || numerator == null) return { value: null, numerator, denominator, reason: reasonWhenEmpty };
  return { value: numerator / denominator, numerator, denominator };
}

/** Linear interpolation between the order statistics around rank (n - 1) * p (the "R-7" definition). */
export function interpolatePercentile(rows: Array<{ v: number; rn: number; n: number }>, p: number): number | null {
  if (!rows.length) return null;
  const n = rows[0].n;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const at = (rank: number) => rows.find((r) => r.rn === rank + 1)?.v;
  const vLo = at(lo);
  if (vLo == null) return null;
  const vHi = at(Math.min(lo + 1, n - 1)) ?? vLo;
  return vLo + (h - lo) * (vHi - vLo);
}

export interface HealthRule {
  status: KpiHealth;
  /** Inclusive lower bound; open when absent. */
  min?: number;
  /** Exclusive upper bound; open when absent. */
  max?: number;
}

/** First matching rule, or null when the KPI has no benchmark or no value. */
export function healthOf(rules: HealthRule[] | undefined, value: number | null): KpiHealth | null {
  if (!rules || value == null) return null;
  for (const rule of rules) {
    if ((rule.min === undefined || value >= rule.min) && (rule.max === undefined || value < rule.max)) return rule.status;
  }
  return null;
}

export interface Comparison {
  value: number | null;
  delta: number | null;
  pctChange: number | null;
}

export function compare(current: number | null, previous: number | null): Comparison {
  if (current == null || previous == null) return { value: previous, delta: null, pctChange: null };
  const delta = current - previous;
  return { value: previous, delta, pctChange: previous === 0 ? null : delta / Math.abs(previous) };
}

export interface TargetWindow {
  start: Date;
  end: Date;
  value: number;
}

/**
 * The target over [start, end) from the stored targets that overlap it: additive KPIs (counts, money) take
 * each target prorated by the share of its period inside the window; other KPIs (ratios, durations) take the
 * overlap-weighted average. Null when no target overlaps.
 */
export function targetFor(targets: TargetWindow[], start: Date, end: Date, additive: boolean): number | null {
  let total = 0;
  let weight = 0;
  const s = start.getTime();
  const e = end.getTime();
  for (const t of targets) {
    const ts = t.start.getTime();
    const te = t.end.getTime();
    if (te <= s || ts >= e) continue;
    const overlap = Math.min(e, te) - Math.max(s, ts);
    const share = overlap / (te - ts);
    if (additive) total += t.value * share;
    else total += t.value * overlap;
    weight += overlap;
  }
  if (weight === 0) return null;
  return additive ? total : total / weight;
}

export interface TargetProgress {
  value: number;
  attainment: number | null;
  pace: number | null;
  status: TargetStatus | null;
  expectedToDate: number | null;
}

/** Pace ratio at or above 1 is on track; at or above AT_RISK_FLOOR at risk; below, off track. */
export const AT_RISK_FLOOR = 0.9;

/**
 * Attainment = value / target (target / value when lower is better). Pace = the end-of-period value at the
 * current run-rate: additive KPIs are extrapolated linearly over the elapsed share of the window, other KPIs
 * keep their current value. Status compares pace with the target (see AT_RISK_FLOOR); none before the window
 * starts.
 */
export function targetProgress(
  value: number | null,
  target: number,
  direction: KpiDirection,
  additive: boolean,
  start: Date,
  end: Date,
  asOf: Date,
): TargetProgress {
  const lowerIsBetter = direction === KpiDirection.LOWER_IS_BETTER;
  const score = (v: number | null) => (v == null ? null : lowerIsBetter ? (v === 0 ? null : target / v) : target === 0 ? null : v / target);
  const length = end.getTime() - start.getTime();
  const elapsed = Math.min(Math.max(asOf.getTime() - start.getTime(), 0), length);
  const started = elapsed > 0;
  const fraction = length > 0 ? elapsed / length : 1;
  let pace: number | null = null;
  if (value != null && started) pace = additive ? value / fraction : value;
  const paceScore = score(pace);
  const status =
    paceScore == null ? null : paceScore >= 1 ? TargetStatus.ON_TRACK : paceScore >= AT_RISK_FLOOR ? TargetStatus.AT_RISK : TargetStatus.OFF_TRACK;
  return {
    value: target,
    attainment: score(value),
    pace,
    status,
    expectedToDate: additive ? target * fraction : target,
  };
}
