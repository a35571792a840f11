import type { ComputeContext, KpiDef } from './catalogue';
import { KpiDimension, type KpiHealth, type KpiUnit } from './kpi.enums';
import { type Comparison, compare, healthOf, targetFor, targetProgress, type TargetProgress, type TargetWindow } from './kpi.math';
import { type Bucket, bucketDays, type Period } from '../../shared/period';
import { CURRENT, groupSuffix, type KpiPlan, NONE, type PlannedKpi, PREVIOUS, SEP, targetsApply } from './kpi.plan';

/**
 * Assembling KPI rows, pure: from a plan and the measures fetched for it, the formulas, comparisons, targets
 * and health of every row. No database: tests give it plain maps.
 */

export interface RowGroup {
  dimension: KpiDimension;
  key: string | null;
  label: string | null;
}

export interface KpiRowData {
  kpiKey: string;
  groups: RowGroup[];
  bucket: Bucket | null;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  unit: KpiUnit;
  reason: string | null;
  comparison: Comparison | null;
  target: TargetProgress | null;
  health: KpiHealth | null;
}

export interface KpiResultData {
  key: string;
  definition: KpiDef;
  period: Period;
  comparisonPeriod: Period | null;
  rows: KpiRowData[];
}

/**
 * One measure's values by bucket key ("c:2026-07"), then group suffix (SEP + value per dimension, NONE for null;
 * '' without dimensions): stored so from the SQL rows, so a wide answer's 53,160 values are never keyed by a
 * concatenated string nor regrouped.
 */
export type MeasureRows = Map<string, Map<string, number | null>>;

/** Targets by KPI key, then scope key ("REP:12", "TEAM:3", "COMPANY"). */
export type TargetsByKpi = Map<string, Map<string, TargetWindow[]>>;

/** What fetch() read for a plan. */
export interface Fetched {
  /** Per planned KPI (same order): each measure's rows by ref ("closed.won"); null for unsupported KPIs. */
  measures: Array<Map<string, MeasureRows> | null>;
  targets: TargetsByKpi;
  /** Display names of id dimensions, by "DIM:id" (e.g. "REP:12"). */
  labels: Map<string, string>;
}

export function assemble(plan: KpiPlan, fetched: Fetched): KpiResultData[] {
  const comparisonPeriod = plan.comparison?.period ?? null;
  return plan.kpis.map((kpi, i) => {
    const { def } = kpi;
    const measures = fetched.measures[i];
    if (!kpi.unsupported && !measures) throw new Error(`KPI ${def.key} was planned but not fetched`);
    const rows = kpi.unsupported ? [emptyRow(def, kpi.unsupported)] : kpiRows(plan, kpi, measures!, fetched);
    return { key: def.key, definition: def, period: plan.period, comparisonPeriod, rows };
  });
}

// The engine reads a planned KPI's tuples for the group names, assembly again for the rows: found once.
const tuplesSeen = new WeakMap<PlannedKpi, WeakMap<Map<string, MeasureRows>, ReadonlyArray<Array<string | null>>>>();

/** Every group tuple seen in a measure split by all the request's dimensions (unordered: see compareTuples). */
export function groupTuples(plan: Pick<KpiPlan, 'dims'>, kpi: PlannedKpi, measures: Map<string, MeasureRows>): ReadonlyArray<Array<string | null>> {
  let byMeasures = tuplesSeen.get(kpi);
  if (!byMeasures) tuplesSeen.set(kpi, (byMeasures = new WeakMap()));
  let found = byMeasures.get(measures);
  if (!found) byMeasures.set(measures, (found = findTuples(plan, kpi, measures)));
  return found;
}

function findTuples(plan: Pick<KpiPlan, 'dims'>, kpi: PlannedKpi, measures: Map<string, MeasureRows>): Array<Array<string | null>> {
  const tuples = new Map<string, Array<string | null>>();
  for (const ref of kpi.refs) {
    if (ref.ignore.length) continue;
    for (const [bucket, rows] of measures.get(ref.ref)!) {
      if (!bucket.startsWith(CURRENT)) continue;
      for (const suffix of rows.keys()) {
        if (!tuples.has(suffix)) tuples.set(suffix, suffix ? suffix.slice(1).split(SEP).map((p) => (p === NONE ? null : p)) : []);
      }
    }
  }
  if (plan.dims.length === 0) tuples.set('', []);
  return [...tuples.values()];
}

/** A KPI's group tuples in display order, each with its measures' key suffixes, target scope and output groups. */
function orderedTuples(plan: KpiPlan, kpi: PlannedKpi, measures: Map<string, MeasureRows>, fetched: Fetched) {
  const { dims } = plan;
  return [...groupTuples(plan, kpi, measures)].sort(compareTuples).map((values) => ({
    // Each measure's group suffix for this tuple (its own dimensions only), in the order of kpi.refs.
    suffixes: kpi.refs.map((ref) => groupSuffix(values.filter((_, i) => !ref.ignore.includes(dims[i])))),
    scopeKey: plan.targetsApply ? targetScope(plan, values) : null,
    // Shared by the tuple's rows in every bucket.
    groups: dims.map((dimension, i): RowGroup => ({ dimension, key: values[i], label: labelOf(fetched.labels, dimension, values[i]) })),
  }));
}

/**
 * One reader of a KPI's measures for every row (a wide answer has tens of thousands): `bucket(key)` once per
 * bucket, `tuple(suffixes)` once per row, then hand `read` to the KPI's compute. A KPI reads one to six refs,
 * found by a scan of their names (no hashing per read).
 */
function measureReader(kpi: PlannedKpi, measures: Map<string, MeasureRows>) {
  const names = kpi.refs.map((ref) => ref.ref);
  const rows = kpi.refs.map((ref) => measures.get(ref.ref)!);
  const missing = kpi.refs.map((ref) => (ref.percentile ? null : 0));
  const resolved = new Map<string, Array<Map<string, number | null> | undefined>>();
  let inBucket: Array<Map<string, number | null> | undefined> = [];
  let suffixes: string[] = [];
  const read = (ref: string) => {
    let i = 0;
    while (i < names.length && names[i] !== ref) i++;
    if (i === names.length) throw new Error(`KPI ${kpi.def.key} reads ${ref} without declaring it`);
    const found = inBucket[i]?.get(suffixes[i]);
    return found === undefined ? missing[i] : found;
  };
  return {
    read,
    bucket: (key: string) => {
      let maps = resolved.get(key);
      if (!maps) resolved.set(key, (maps = rows.map((byBucket) => byBucket.get(key))));
      inBucket = maps;
    },
    tuple: (tupleSuffixes: string[]) => (suffixes = tupleSuffixes),
  };
}

const finiteOrNull = (value: number | null) => (value == null || Number.isFinite(value) ? value : null);

function kpiRows(plan: KpiPlan, kpi: PlannedKpi, measures: Map<string, MeasureRows>, fetched: Fetched): KpiRowData[] {
  const { def } = kpi;
  const { period, grain } = plan;
  const revenueTargets = fetched.targets.get('revenue');
  const ownTargets = fetched.targets.get(def.key);
  // Tuples in display order once; rows come out bucket by bucket (no sort over the whole result).
  const ordered = orderedTuples(plan, kpi, measures, fetched);
  const reader = measureReader(kpi, measures);
  const { read } = reader;
  const rows: KpiRowData[] = [];
  for (const [bucketIndex, bucket] of plan.current.entries()) {
    const days = bucketDays(bucket);
    const cb = plan.comparison ? plan.comparison.buckets[bucketIndex] : null;
    const cbDays = cb ? Math.max(bucketDays(cb), 1e-9) : 0;
    const outBucket = grain ? { key: bucket.key, start: bucket.start, end: bucket.end } : null;
    const [currentKey, previousKey] = [CURRENT + bucket.key, PREVIOUS + bucket.key];
    // One compute context per bucket and window (computes only read it): no object per row.
    const now: ComputeContext = { days, revenueTarget: null };
    const then: ComputeContext = { days: cbDays, revenueTarget: null };
    reader.bucket(currentKey);
    for (const { suffixes, scopeKey, groups } of ordered) {
      reader.tuple(suffixes);
      if (cb) reader.bucket(currentKey); // the previous row's comparison pointed it to previousKey
      now.revenueTarget = def.needsRevenueTarget && scopeKey ? targetValue(revenueTargets, scopeKey, bucket, true) : null;
      const computed = def.compute(read, now);
      let comparison: Comparison | null = null;
      if (cb) {
        then.revenueTarget = def.needsRevenueTarget && scopeKey ? targetValue(revenueTargets, scopeKey, cb, true) : null;
        reader.bucket(previousKey);
        comparison = compare(computed.value, def.compute(read, then).value);
      }
      const target = scopeKey && plan.withTargets ? targetValue(ownTargets, scopeKey, bucket, def.additive) : null;
      const value = finiteOrNull(computed.value);
      rows.push({
        kpiKey: def.key,
        groups,
        bucket: outBucket,
        value,
        numerator: computed.numerator ?? null,
        denominator: computed.denominator ?? null,
        unit: def.unit,
        reason: computed.reason ?? null,
        comparison,
        target: target == null ? null : targetProgress(value, target, def.direction, def.additive, bucket.start, bucket.end, period.asOf),
        health: healthOf(def.health, value),
      });
    }
  }
  return rows;
}

/** One group tuple's values, one per bucket of the plan. */
export interface MatrixLine {
  groups: RowGroup[];
  values: Array<number | null>;
}

/**
 * The values of a plan's one KPI as a matrix, tuples in display order: the `value` of each of kpiRows' rows,
 * without building the rows (no comparison, targets or health: a matrix has none).
 */
export function matrixLines(plan: KpiPlan, fetched: Fetched): MatrixLine[] {
  const [kpi] = plan.kpis;
  const measures = fetched.measures[0];
  if (plan.kpis.length !== 1 || kpi.unsupported || !measures) throw new Error('A matrix is one supported KPI');
  const { def } = kpi;
  const revenueTargets = fetched.targets.get('revenue');
  const ordered = orderedTuples(plan, kpi, measures, fetched);
  const reader = measureReader(kpi, measures);
  const lines = ordered.map(({ groups }): MatrixLine => ({ groups, values: new Array<number | null>(plan.current.length) }));
  for (const [bucketIndex, bucket] of plan.current.entries()) {
    const days = bucketDays(bucket);
    const context: ComputeContext = { days, revenueTarget: null };
    reader.bucket(CURRENT + bucket.key);
    for (let i = 0; i < ordered.length; i++) {
      const { suffixes, scopeKey } = ordered[i];
      reader.tuple(suffixes);
      context.revenueTarget = def.needsRevenueTarget && scopeKey ? targetValue(revenueTargets, scopeKey, bucket, true) : null;
      lines[i].values[bucketIndex] = finiteOrNull(def.compute(reader.read, context).value);
    }
  }
  return lines;
}

/** Id dimensions whose rows carry a display name (fetch reads them from these tables). */
export const LABELLED_DIMENSIONS: Partial<Record<KpiDimension, string>> = {
  [KpiDimension.REP]: 'reps',
  [KpiDimension.TEAM]: 'teams',
  [KpiDimension.PRODUCT]: 'products',
  [KpiDimension.STAGE]: 'pipeline_stages',
};

function labelOf(labels: Map<string, string>, dimension: KpiDimension, key: string | null): string {
  if (key == null) return '(none)';
  return LABELLED_DIMENSIONS[dimension] ? labels.get(`${dimension}:${key}`) ?? key : key;
}

/** The target scope of a row ("REP:12", "TEAM:3", "COMPANY"), or null when no target applies to it. */
function targetScope(plan: Pick<KpiPlan, 'dims' | 'requested' | 'scoped'>, values: Array<string | null>): string | null {
  const { dims, requested: filter } = plan;
  if (!targetsApply(dims, filter)) return null;
  const pick = (dim: KpiDimension) => {
    const i = dims.indexOf(dim);
    if (i >= 0) return values[i];
    return filter[dim]?.length === 1 ? String(filter[dim]![0]) : undefined;
  };
  const rep = pick(KpiDimension.REP);
  if (rep === null) return null;
  if (rep !== undefined) return `REP:${rep}`;
  const team = pick(KpiDimension.TEAM);
  if (team === null) return null;
  if (team !== undefined) return `TEAM:${team}`;
  // A restricted caller's "whole company" is only its own slice: the company target does not apply.
  return plan.scoped ? null : 'COMPANY';
}

function targetValue(targets: Map<string, TargetWindow[]> | undefined, scopeKey: string, bucket: Pick<Bucket, 'start' | 'end'>, additive: boolean): number | null {
  const windows = targets?.get(scopeKey);
  return windows?.length ? targetFor(windows, bucket.start, bucket.end, additive) : null;
}

function emptyRow(def: KpiDef, reason: string): KpiRowData {
  return { kpiKey: def.key, groups: [], bucket: null, value: null, numerator: null, denominator: null, unit: def.unit, reason, comparison: null, target: null, health: null };
}

/** Group tuples in display order: ids numerically, names alphabetically, "(none)" last. */
function compareTuples(a: Array<string | null>, b: Array<string | null>): number {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (x == null) return 1;
    if (y == null) return -1;
    const [nx, ny] = [Number(x), Number(y)];
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c) return c;
  }
  return 0;
}
