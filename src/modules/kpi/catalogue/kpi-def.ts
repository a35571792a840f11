import { KpiDimension, KpiDirection, KpiFamily, KpiHealth, KpiUnit } from '../kpi.enums';
import { type Computed, type HealthRule, ratio } from '../kpi.math';

/**
 * What a KPI of the catalogue is, and the small builders its family files use. Each KPI names the fact
 * aggregates it needs ("fact.aggregate", see ../kpi.facts.ts) and computes its value from them. Money
 * aggregates are in cents; `compute` returns KPI units (money in major units, ratios 0..1, days, hours).
 */

export interface ComputeContext {
  /** Length of the bucket in days. */
  days: number;
  /** The revenue quota of the row's scope over the bucket (major units), when the KPI needs it. */
  revenueTarget: number | null;
}

export type Values = (ref: string) => number | null;

export interface KpiDef {
  key: string;
  family: KpiFamily;
  label: string;
  description: string;
  formula: string;
  unit: KpiUnit;
  direction: KpiDirection;
  /** Benchmark text from the catalogue, when it gives one. */
  benchmark?: string;
  health?: HealthRule[];
  /** Sums over time (counts, money): targets are prorated and pace extrapolated. */
  additive: boolean;
  /**
   * Built on cost, spend, margin or quota (targets): MANAGER and above only (FORBIDDEN below, left out of
   * their dashboards). The one place that decides it; see the access rules in src/modules/auth.
   */
  financial: boolean;
  uses: string[];
  /** Dimensions a measure is NOT split by (e.g. the total of lost deals behind a loss-reason share). */
  ignoreDims?: Record<string, KpiDimension[]>;
  needsRevenueTarget?: boolean;
  compute(v: Values, ctx: ComputeContext): Computed;
}

export const cents = (v: number | null) => (v == null ? null : v / 100);
export const count = (ref: string) => (v: Values): Computed => ({ value: v(ref) ?? 0 });
export const rate = (num: string, den: string, reason: string) => (v: Values) => ratio(v(num), v(den), reason);

export const LOWER = KpiDirection.LOWER_IS_BETTER;
export const HIGHER = KpiDirection.HIGHER_IS_BETTER;
export const NEUTRAL = KpiDirection.NEUTRAL;
const { HEALTHY, WARNING, ALARM } = KpiHealth;

/** Health: WARNING below `min`, HEALTHY from it (higher is better). */
export const healthyFrom = (min: number): HealthRule[] => [{ status: WARNING, max: min }, { status: HEALTHY, min }];
/** Health: HEALTHY below `max`, WARNING from it (lower is better, or a load). */
export const healthyBelow = (max: number): HealthRule[] => [{ status: HEALTHY, max }, { status: WARNING, min: max }];
/** Health in three bands: HEALTHY below `warning`, WARNING up to `alarm`, ALARM from it. */
export const alarmAbove = (warning: number, alarm: number): HealthRule[] => [
  { status: HEALTHY, max: warning },
  { status: WARNING, min: warning, max: alarm },
  { status: ALARM, min: alarm },
];
/** Health in three bands: ALARM below `alarm`, WARNING up to `healthy`, HEALTHY from it. */
export const alarmBelow = (alarm: number, healthy: number): HealthRule[] => [
  { status: ALARM, max: alarm },
  { status: WARNING, min: alarm, max: healthy },
  { status: HEALTHY, min: healthy },
];

/** The descriptive part every KPI spells out; builders fill in the rest. */
type Described = Pick<KpiDef, 'key' | 'label' | 'description' | 'formula' | 'direction' | 'benchmark' | 'health'>;

/** A count of one aggregate over the period (additive: targets prorate, pace extrapolates). */
export function countKpi(family: KpiFamily, spec: Described & { ref: string }): KpiDef {
  const { ref, ...described } = spec;
  return { ...described, family, unit: KpiUnit.COUNT, additive: true, financial: false, uses: [ref], compute: count(ref) };
}

/**
 * One aggregate over another: a rate (unit RATIO) or a mean (a sum over a count, e.g. DAYS). `reason`
 * says why there is no value when the denominator is zero.
 */
export function quotientKpi(
  family: KpiFamily,
  spec: Described & Pick<KpiDef, 'ignoreDims'> & { unit?: KpiUnit; of: [numerator: string, denominator: string]; reason: string },
): KpiDef {
  const { of, reason, unit = KpiUnit.RATIO, ...described } = spec;
  return { ...described, family, unit, additive: false, financial: false, uses: [...of], compute: rate(of[0], of[1], reason) };
}
