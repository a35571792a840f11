import { BadInputError } from '../../shared/errors';
import { KPI_BY_KEY, type KpiDef } from './catalogue';
import { type ComparisonMode, isTimeDimension, KpiDimension, type TimeGrain } from './kpi.enums';
import { type FactDef, factById, factDimensions } from './kpi.facts';
import { type Bucket, buckets, comparisonBuckets, type Period, PeriodError } from '../../shared/period';
import type { FilterValues, SqlBucket } from './kpi.query';

/**
 * Planning a KPI request, pure: validate it, narrow it to the caller's scope, and decide the buckets and the
 * fact measures its KPIs read. The engine then fetches those measures in SQL (kpi.engine.ts) and assembles the
 * rows (kpi.assemble.ts).
 */

/** Access restriction injected by the caller (e.g. "only rep 12", "only team 3"); applied in `restrict`. */
export interface KpiScope {
  repIds?: number[];
  teamIds?: number[];
  /** The caller may not see financial KPIs (KpiDef.financial; below MANAGER): left out of dashboards. */
  hidesFinancialKpis?: boolean;
}

export interface KpiRequest {
  keys: string[];
  period: Period;
  filter?: FilterValues;
  groupBy?: KpiDimension[];
  compareTo?: ComparisonMode | null;
  /** Unsupported slices give a null value with a reason instead of an error (dashboards). */
  lenient?: boolean;
  /** False when the caller does not read targets (skips loading and prorating them on big results). */
  withTargets?: boolean;
}

/** Bucket keys of the current and the comparison window, as they appear in the `kb` CTE and measure rows. */
export const CURRENT = 'c:';
export const PREVIOUS = 'p:';
/** Measure rows are keyed by bucket, then by a group suffix: SEP + value (NONE for null) per dimension, '' for none. */
export const NONE = '\u0000';
export const SEP = '\u0001';
export const groupSuffix = (groupValues: ReadonlyArray<string | null>) => groupValues.map((g) => SEP + (g ?? NONE)).join('');

/** One "fact.aggregate" a KPI reads, resolved. */
export interface Ref {
  ref: string;
  fact: FactDef;
  name: string;
  percentile: boolean;
  /** Request dimensions this measure is not split by (KpiDef.ignoreDims). */
  ignore: KpiDimension[];
}

export function parseRef(def: KpiDef, ref: string): Ref {
  const [factId, rest] = ref.split('.');
  const name = rest.split('!')[0];
  const fact = factById(factId);
  if (!fact) throw new Error(`KPI ${def.key}: unknown fact ${factId}`);
  const percentile = Boolean(fact.percentiles?.[name]);
  if (!percentile && !fact.aggregates[name]) throw new Error(`KPI ${def.key}: unknown aggregate ${ref}`);
  return { ref, fact, name, percentile, ignore: def.ignoreDims?.[ref] ?? [] };
}

/** A KPI of the request: its measures, or why it cannot be computed for this slice (lenient requests). */
export interface PlannedKpi {
  def: KpiDef;
  refs: Ref[];
  unsupported: string | null;
}

export interface KpiPlan {
  kpis: PlannedKpi[];
  period: Period;
  grain: TimeGrain | null;
  /** The non-time groupBy dimensions, in request order. */
  dims: KpiDimension[];
  /** The filter as asked: targets follow the slice the caller asked for. */
  requested: FilterValues;
  /** The filter narrowed to the caller's scope: what the SQL reads. */
  filter: FilterValues;
  current: Bucket[];
  comparison: { period: Period; buckets: Bucket[] } | null;
  /** Current then comparison buckets, keyed CURRENT/PREVIOUS + bucket key, with their snapshot moments. */
  kb: SqlBucket[];
  withTargets: boolean;
  /** Whether targets can apply to the rows at all (sliced by rep or team only): see targetsApply. */
  targetsApply: boolean;
  /** KPI keys whose targets must be loaded; empty when targets cannot apply. */
  targetKeys: string[];
  /** The caller sees a slice only: the company target is not theirs. */
  scoped: boolean;
}

/** The one place where an access scope narrows the filter. */
export function restrict(filter: FilterValues, scope: KpiScope): FilterValues {
  const out: FilterValues = { ...filter };
  const narrow = (dim: KpiDimension, allowed?: number[]) => {
    if (!allowed) return;
    const asked = out[dim];
    out[dim] = asked ? asked.map(Number).filter((id) => allowed.includes(id)) : allowed;
  };
  narrow(KpiDimension.REP, scope.repIds);
  narrow(KpiDimension.TEAM, scope.teamIds);
  return out;
}

/** A bucket with its snapshot moment: min(end, asOf), never before start. */
export function sqlBucket(b: Bucket, key: string, asOf: Date): SqlBucket {
  const asOfEnd = new Date(Math.max(b.start.getTime(), Math.min(b.end.getTime(), asOf.getTime())));
  return { key, start: b.start, end: b.end, asOfEnd, live: asOf.getTime() <= b.end.getTime() };
}

/** Targets exist per rep, team or company: they apply when the row is sliced by nothing else. */
export function targetsApply(dims: KpiDimension[], filter: FilterValues): boolean {
  const scopeDims = new Set([KpiDimension.REP, KpiDimension.TEAM]);
  if (!dims.every((d) => scopeDims.has(d))) return false;
  return Object.entries(filter).every(([d, values]) => scopeDims.has(d as KpiDimension) && values != null && values.length === 1);
}

export function plan(request: KpiRequest, scope: KpiScope = {}): KpiPlan {
  const defs = request.keys.map((key) => {
    const def = KPI_BY_KEY.get(key);
    if (!def) throw new BadInputError('key', `Unknown KPI "${key}" (see kpiDefinitions)`);
    return def;
  });
  const groupBy = request.groupBy ?? [];
  if (new Set(groupBy).size !== groupBy.length) throw new BadInputError('groupBy', 'groupBy lists a dimension twice');
  const grains = groupBy.filter(isTimeDimension);
  if (grains.length > 1) throw new BadInputError('groupBy', 'groupBy takes at most one time grain (DAY, WEEK, MONTH, QUARTER or YEAR)');
  const grain: TimeGrain | null = grains[0] ?? null;
  const dims = groupBy.filter((d) => !isTimeDimension(d));
  const requested = request.filter ?? {};
  const filter = restrict(requested, scope);
  const period = request.period;

  let current: Bucket[];
  try {
    current = buckets(period, grain);
  } catch (e) {
    if (e instanceof PeriodError) throw new BadInputError(e.field, e.message);
    throw e;
  }
  const comparison = request.compareTo ? comparisonBuckets(period, current, request.compareTo) : null;
  const kb: SqlBucket[] = [
    ...current.map((b) => sqlBucket(b, CURRENT + b.key, period.asOf)),
    ...(comparison?.buckets ?? []).map((b) => sqlBucket(b, PREVIOUS + b.key, period.asOf)),
  ];

  const withTargets = request.withTargets !== false;
  const targetKeys = new Set<string>();
  const kpis = defs.map((def): PlannedKpi => {
    const refs = def.uses.map((ref) => parseRef(def, ref));
    const unsupported = checkSupport(def, refs, dims, filter, request.lenient ?? false);
    if (!unsupported) {
      if (withTargets) targetKeys.add(def.key);
      if (def.needsRevenueTarget) targetKeys.add('revenue');
    }
    return { def, refs, unsupported };
  });
  const applies = targetsApply(dims, requested);
  return {
    kpis,
    period,
    grain,
    dims,
    requested,
    filter,
    current,
    comparison,
    kb,
    withTargets,
    targetsApply: applies,
    targetKeys: applies ? [...targetKeys] : [],
    scoped: Boolean(scope.repIds || scope.teamIds),
  };
}

/** The dimensions a measure is split by: the request's, less those the KPI ignores for it. */
export const measureDims = (plan: Pick<KpiPlan, 'dims'>, ref: Ref) => plan.dims.filter((d) => !ref.ignore.includes(d));

function checkSupport(def: KpiDef, refs: Ref[], dims: KpiDimension[], filter: FilterValues, lenient: boolean): string | null {
  for (const ref of refs) {
    const supported = factDimensions(ref.fact);
    for (const dim of dims) {
      if (ref.ignore.includes(dim) || supported.has(dim)) continue;
      if (lenient) return `${def.label} cannot be split by ${dim}`;
      throw new BadInputError('groupBy', `KPI ${def.key} cannot be grouped by ${dim}`);
    }
    for (const dim of Object.keys(filter) as KpiDimension[]) {
      if (supported.has(dim)) continue;
      if (lenient) return `${def.label} is not available for a ${dim.toLowerCase()} filter or scope`;
      throw new BadInputError(`filter.${dim.toLowerCase()}`, `KPI ${def.key} cannot be filtered by ${dim}`);
    }
  }
  return null;
}
