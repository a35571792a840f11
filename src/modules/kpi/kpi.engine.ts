import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { TargetScope } from '../../shared/enums';
import { KPI_BY_KEY, type KpiDef } from './kpi.catalogue';
import { type ComparisonMode, KpiDimension, isTimeDimension, type KpiHealth, type KpiUnit, type TimeGrain } from './kpi.enums';
import { type Comparison, compare, healthOf, interpolatePercentile, targetFor, targetProgress, type TargetProgress, type TargetWindow } from './kpi.math';
import { type Bucket, bucketDays, buckets, comparisonBuckets, type Period, PeriodError } from '../../shared/period';
import { buildFactQuery, buildPercentileQuery, type FilterValues, type SqlBucket, UnsupportedDimensionError } from './kpi.query';
import { type Dialect, FACTS, type FactDef, factDimensions, ts } from './kpi.sql';

/**
 * The KPI engine: plans the fact queries a set of KPIs needs (one SQL statement per fact and dimension set,
 * shared by every KPI of the request, current and comparison windows in the same statement), runs them in
 * the database, then applies the pure formulas, targets and health rules to the aggregated rows.
 */

/** Access restriction injected by the caller (e.g. "only rep 12", "only team 3"); applied in `restrict`. */
export interface KpiScope {
  repIds?: number[];
  teamIds?: number[];
  /** KPIs the caller may not see (cost, spend, margin, quota below MANAGER): left out of dashboards. */
  hiddenKpis?: ReadonlySet<string>;
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

type MeasureRows = Map<string, number | null>;
const NONE = '\u0000';
const SEP = '\u0001';
const CURRENT = 'c:';
const PREVIOUS = 'p:';

interface Ref {
  ref: string;
  fact: FactDef;
  name: string;
  percentile: boolean;
  ignore: KpiDimension[];
}

function parseRef(def: KpiDef, ref: string): Ref {
  const [factId, rest] = ref.split('.');
  const name = rest.split('!')[0];
  const fact = (FACTS as Record<string, FactDef>)[factId];
  if (!fact) throw new Error(`KPI ${def.key}: unknown fact ${factId}`);
  const percentile = Boolean(fact.percentiles?.[name]);
  if (!percentile && !fact.aggregates[name]) throw new Error(`KPI ${def.key}: unknown aggregate ${ref}`);
  return { ref, fact, name, percentile, ignore: def.ignoreDims?.[ref] ?? [] };
}

const rowKey = (bucketKey: string, groupValues: Array<string | null>) => [bucketKey, ...groupValues.map((g) => g ?? NONE)].join(SEP);

export class KpiEngine {
  private readonly dialect: Dialect;
  private readonly cache = new Map<string, Promise<MeasureRows>>();
  /** Aggregates each fact must deliver for the current request: one statement computes them all. */
  private readonly wanted = new Map<string, Set<string>>();

  constructor(
    private readonly em: Em,
    private readonly scope: KpiScope = {},
  ) {
    this.dialect = em.getPlatform().constructor.name.toLowerCase().includes('postgre') ? 'postgresql' : 'sqlite';
  }

  get kind(): Dialect {
    return this.dialect;
  }

  /** Runs raw SQL through the request's connection; numbers come back as numbers on both dialects. */
  async query(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    return this.em.getConnection().execute(sql, params, 'all');
  }

  /** The one place where an access scope narrows the filter. */
  restrict(filter: FilterValues): FilterValues {
    const out: FilterValues = { ...filter };
    const narrow = (dim: KpiDimension, allowed?: number[]) => {
      if (!allowed) return;
      const asked = out[dim];
      out[dim] = asked ? asked.map(Number).filter((id) => allowed.includes(id)) : allowed;
    };
    narrow(KpiDimension.REP, this.scope.repIds);
    narrow(KpiDimension.TEAM, this.scope.teamIds);
    return out;
  }

  async compute(request: KpiRequest): Promise<KpiResultData[]> {
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
    // Targets follow the slice the caller asked for; the access scope only hides rows inside it.
    const requested = request.filter ?? {};
    const filter = this.restrict(requested);
    const period = request.period;

    let current: Bucket[];
    try {
      current = buckets(period, grain);
    } catch (e) {
      if (e instanceof PeriodError) throw new BadInputError(e.field, e.message);
      throw e;
    }
    const cmp = request.compareTo ? comparisonBuckets(period, current, request.compareTo) : null;
    const clampAsOf = (b: Bucket): SqlBucket => {
      const asOfEnd = new Date(Math.max(b.start.getTime(), Math.min(b.end.getTime(), period.asOf.getTime())));
      return { ...b, asOfEnd, live: period.asOf.getTime() <= b.end.getTime() };
    };
    const kb: SqlBucket[] = [
      ...current.map((b) => ({ ...clampAsOf(b), key: CURRENT + b.key })),
      ...(cmp?.buckets ?? []).map((b) => ({ ...clampAsOf(b), key: PREVIOUS + b.key })),
    ];

    const results: KpiResultData[] = [];
    const targetKeys = new Set<string>();
    const plans: Array<{ def: KpiDef; refs: Ref[]; unsupported: string | null }> = [];
    for (const def of defs) {
      const refs = def.uses.map((ref) => parseRef(def, ref));
      const unsupported = this.checkSupport(def, refs, dims, filter, request.lenient ?? false);
      plans.push({ def, refs, unsupported });
      if (!unsupported) {
        if (request.withTargets !== false) targetKeys.add(def.key);
        if (def.needsRevenueTarget) targetKeys.add('revenue');
      }
    }
    for (const plan of plans) {
      if (plan.unsupported) continue;
      for (const ref of plan.refs) if (!ref.percentile) this.want(ref);
    }
    const targets = targetKeys.size && this.appliesTargets(dims, requested) ? await this.loadTargets([...targetKeys], kb, dims, requested) : new Map<string, Map<string, TargetWindow[]>>();

    for (const { def, refs, unsupported } of plans) {
      if (unsupported) {
        const row = emptyRow(def.key, def.unit, unsupported);
        results.push({ key: def.key, definition: def, period, comparisonPeriod: cmp?.period ?? null, rows: [row] });
        continue;
      }
      const measured = await Promise.all(refs.map((ref) => this.measure(ref, dims.filter((d) => !ref.ignore.includes(d)), filter, kb)));
      const byRef = new Map(refs.map((ref, i) => [ref.ref, { ref, rows: measured[i] }]));
      // Rows: every group tuple seen in a full-dimension measure, for every current bucket.
      const tuples = new Map<string, Array<string | null>>();
      for (const { ref, rows } of byRef.values()) {
        if (ref.ignore.length) continue;
        for (const key of rows.keys()) {
          const parts = key.split(SEP);
          if (!parts[0].startsWith(CURRENT)) continue;
          const values = parts.slice(1).map((p) => (p === NONE ? null : p));
          tuples.set(values.map((v) => v ?? NONE).join(SEP), values);
        }
      }
      if (dims.length === 0) tuples.set('', []);
      const rows: KpiRowData[] = [];
      const targetsApply = this.appliesTargets(dims, requested);
      const refList = [...byRef.values()];
      const outBuckets = current.map((b) => ({ key: b.key, start: b.start, end: b.end }));
      // Tuples in display order once; rows come out bucket by bucket (no sort over the whole result).
      const ordered = [...tuples.values()].sort(compareTuples).map((values) => ({
        values,
        // Each measure's key suffix for this tuple (its own dimensions only).
        suffix: new Map(
          refList.map((m) => [m.ref.ref, values.filter((_, i) => !m.ref.ignore.includes(dims[i])).map((g) => SEP + (g ?? NONE)).join('')]),
        ),
        scopeKey: targetsApply ? this.targetScope(dims, values, requested) : null,
        // Shared by the tuple's rows in every bucket (labelled once below).
        groups: dims.map((dimension, i): RowGroup => ({ dimension, key: values[i], label: null })),
      }));
      await this.label(ordered.map((t) => t.groups));
      for (const [bucketIndex, bucket] of current.entries()) {
        const days = bucketDays(bucket);
        const cb = cmp ? cmp.buckets[bucketIndex] : null;
        for (const { suffix, scopeKey, groups } of ordered) {
          const lookup = (prefix: string) => (ref: string) => {
            const m = byRef.get(ref);
            if (!m) throw new Error(`KPI ${def.key} reads ${ref} without declaring it`);
            const found = m.rows.get(prefix + bucket.key + suffix.get(ref)!);
            if (found === undefined) return m.ref.percentile ? null : 0;
            return found;
          };
          const revenueTarget = def.needsRevenueTarget && scopeKey ? this.targetValue(targets.get('revenue'), scopeKey, bucket, true) : null;
          const computed = def.compute(lookup(CURRENT), { days, revenueTarget });
          let comparison: Comparison | null = null;
          if (cb) {
            const cmpTarget = def.needsRevenueTarget && scopeKey ? this.targetValue(targets.get('revenue'), scopeKey, cb, true) : null;
            const previous = def.compute(lookup(PREVIOUS), { days: Math.max(bucketDays(cb), 1e-9), revenueTarget: cmpTarget });
            comparison = compare(computed.value, previous.value);
          }
          const targetValue = scopeKey && request.withTargets !== false ? this.targetValue(targets.get(def.key), scopeKey, bucket, def.additive) : null;
          const value = computed.value == null || Number.isFinite(computed.value) ? computed.value : null;
          rows.push({
            kpiKey: def.key,
            groups,
            bucket: grain ? outBuckets[bucketIndex] : null,
            value,
            numerator: computed.numerator ?? null,
            denominator: computed.denominator ?? null,
            unit: def.unit,
            reason: computed.reason ?? null,
            comparison,
            target:
              targetValue == null ? null : targetProgress(value, targetValue, def.direction, def.additive, bucket.start, bucket.end, period.asOf),
            health: healthOf(def.health, value),
          });
        }
      }
      results.push({ key: def.key, definition: def, period, comparisonPeriod: cmp?.period ?? null, rows });
    }
    return results;
  }

  /**
   * One aggregate or percentile of a fact over the whole period, by group value (joined with SEP, '' for
   * null): the building block of funnels and signals.
   */
  async single(factId: string, name: string, dims: KpiDimension[], filter: FilterValues, period: Pick<Period, 'from' | 'to' | 'asOf'>): Promise<Map<string, number | null>> {
    const fact = (FACTS as Record<string, FactDef>)[factId];
    const ref: Ref = { ref: `${factId}.${name}`, fact, name, percentile: Boolean(fact.percentiles?.[name]), ignore: [] };
    const asOfEnd = new Date(Math.max(period.from.getTime(), Math.min(period.to.getTime(), period.asOf.getTime())));
    const kb: SqlBucket[] = [{ key: `${CURRENT}period`, start: period.from, end: period.to, asOfEnd, live: period.asOf.getTime() <= period.to.getTime() }];
    const rows = await this.measure(ref, dims, this.restrict(filter), kb);
    return new Map([...rows].map(([key, v]) => [key.split(SEP).slice(1).map((x) => (x === NONE ? '' : x)).join(SEP), v]));
  }

  private checkSupport(def: KpiDef, refs: Ref[], dims: KpiDimension[], filter: FilterValues, lenient: boolean): string | null {
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

  /** One SQL statement per (fact, dimensions): all aggregates of that fact the request needs run together. */
  private want(ref: Ref): void {
    const set = this.wanted.get(ref.fact.id) ?? new Set<string>();
    set.add(ref.name);
    this.wanted.set(ref.fact.id, set);
  }

  private measure(ref: Ref, dims: KpiDimension[], filter: FilterValues, kb: SqlBucket[]): Promise<MeasureRows> {
    const shared = JSON.stringify([ref.fact.id, dims, filter, kb]);
    if (ref.percentile) {
      const key = `${shared}#p:${ref.name}`;
      let hit = this.cache.get(key);
      if (!hit) {
        hit = this.runPercentile(ref, dims, filter, kb);
        this.cache.set(key, hit);
      }
      return hit;
    }
    const key = `${shared}#a:${ref.name}`;
    let hit = this.cache.get(key);
    if (!hit) {
      // Batch: every aggregate of this fact that the request's KPIs read, in one statement.
      this.want(ref);
      const names = [...this.wanted.get(ref.fact.id)!];
      const all = this.runAggregates(ref.fact, names, dims, filter, kb);
      names.forEach((name) => {
        this.cache.set(`${shared}#a:${name}`, all.then((m) => m.get(name)!));
      });
      hit = this.cache.get(key)!;
    }
    return hit;
  }

  private async runAggregates(fact: FactDef, names: string[], dims: KpiDimension[], filter: FilterValues, kb: SqlBucket[]) {
    const { sql, params } = this.built(() => buildFactQuery(this.dialect, fact, names, dims, filter, kb));
    const rows = await this.query(sql, params);
    const out = new Map<string, MeasureRows>(names.map((n) => [n, new Map()]));
    for (const row of rows) {
      const key = rowKey(String(row.bk), dims.map((_, i) => (row[`g${i}`] == null ? null : String(row[`g${i}`]))));
      names.forEach((name, i) => {
        const v = row[`a${i}`];
        out.get(name)!.set(key, v == null ? null : Number(v));
      });
    }
    return out;
  }

  private async runPercentile(ref: Ref, dims: KpiDimension[], filter: FilterValues, kb: SqlBucket[]): Promise<MeasureRows> {
    const def = ref.fact.percentiles![ref.name];
    const { sql, params } = this.built(() => buildPercentileQuery(this.dialect, ref.fact, ref.name, dims, filter, kb));
    const rows = await this.query(sql, params);
    const grouped = new Map<string, Array<{ v: number; rn: number; n: number }>>();
    for (const row of rows) {
      const key = rowKey(String(row.bk), dims.map((_, i) => (row[`g${i}`] == null ? null : String(row[`g${i}`]))));
      const list = grouped.get(key) ?? [];
      list.push({ v: Number(row.v), rn: Number(row.rn), n: Number(row.n) });
      grouped.set(key, list);
    }
    const p = def.p[0] / def.p[1];
    return new Map([...grouped].map(([key, list]) => [key, interpolatePercentile(list, p)]));
  }

  private built<T>(build: () => T): T {
    try {
      return build();
    } catch (e) {
      if (e instanceof UnsupportedDimensionError) throw new BadInputError(e.usage, e.message);
      throw e;
    }
  }

  /** Targets exist per rep, team or company: they apply when the row is sliced by nothing else. */
  private appliesTargets(dims: KpiDimension[], filter: FilterValues): boolean {
    const scopeDims = new Set([KpiDimension.REP, KpiDimension.TEAM]);
    if (!dims.every((d) => scopeDims.has(d))) return false;
    return Object.entries(filter).every(([d, values]) => scopeDims.has(d as KpiDimension) && values != null && values.length === 1);
  }

  private targetScope(dims: KpiDimension[], values: Array<string | null>, filter: FilterValues): string | null {
    if (!this.appliesTargets(dims, filter)) return null;
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
    return this.scope.repIds || this.scope.teamIds ? null : 'COMPANY';
  }

  private targetValue(targets: Map<string, TargetWindow[]> | undefined, scopeKey: string, bucket: Pick<Bucket, 'start' | 'end'>, additive: boolean): number | null {
    const windows = targets?.get(scopeKey);
    return windows?.length ? targetFor(windows, bucket.start, bucket.end, additive) : null;
  }

  /** Targets of the given KPI keys overlapping the buckets, by KPI key then scope key ("REP:12", "TEAM:3", "COMPANY"). */
  private async loadTargets(keys: string[], kb: SqlBucket[], dims: KpiDimension[], requested: FilterValues): Promise<Map<string, Map<string, TargetWindow[]>>> {
    const out = new Map<string, Map<string, TargetWindow[]>>();
    if (!keys.length || !kb.length) return out;
    const from = new Date(Math.min(...kb.map((b) => b.start.getTime())));
    const to = new Date(Math.max(...kb.map((b) => b.end.getTime())));
    // Only the scope level the rows can match (see targetScope): REP, TEAM or COMPANY targets.
    const ids = (dim: KpiDimension) => requested[dim]?.map(Number).join(', ');
    let scopeSql: string;
    if (dims.includes(KpiDimension.REP) || requested[KpiDimension.REP]) {
      scopeSql = `scope = '${TargetScope.REP}'` + (ids(KpiDimension.REP) ? ` and rep_id in (${ids(KpiDimension.REP)})` : '') +
        (ids(KpiDimension.TEAM) ? ` and rep_id in (select r2.id from reps r2 where r2.team_id in (${ids(KpiDimension.TEAM)}))` : '');
    } else if (dims.includes(KpiDimension.TEAM) || requested[KpiDimension.TEAM]) {
      scopeSql = `scope = '${TargetScope.TEAM}'` + (ids(KpiDimension.TEAM) ? ` and team_id in (${ids(KpiDimension.TEAM)})` : '');
    } else scopeSql = `scope = '${TargetScope.COMPANY}'`;
    const rows = await this.query(
      `select kpi_key, scope, team_id, rep_id, period_start, period_end, value from targets where kpi_key in (${keys.map(() => '?').join(', ')}) and ${scopeSql} and period_start < ${ts(this.dialect, to)} and period_end > ${ts(this.dialect, from)}`,
      keys,
    );
    for (const r of rows) {
      const scope = r.scope === TargetScope.REP ? `REP:${r.rep_id}` : r.scope === TargetScope.TEAM ? `TEAM:${r.team_id}` : 'COMPANY';
      const byScope = out.get(String(r.kpi_key)) ?? new Map<string, TargetWindow[]>();
      out.set(String(r.kpi_key), byScope);
      const list = byScope.get(scope) ?? [];
      list.push({ start: new Date(r.period_start as number), end: new Date(r.period_end as number), value: Number(r.value) });
      byScope.set(scope, list);
    }
    return out;
  }

  /** Names for id dimensions (rep, team, product, stage): one query per dimension present. */
  private async label(groupLists: RowGroup[][]): Promise<void> {
    const tables: Partial<Record<KpiDimension, string>> = {
      [KpiDimension.REP]: 'reps',
      [KpiDimension.TEAM]: 'teams',
      [KpiDimension.PRODUCT]: 'products',
      [KpiDimension.STAGE]: 'pipeline_stages',
    };
    const ids = new Map<KpiDimension, Set<number>>();
    for (const groups of groupLists) for (const g of groups) if (tables[g.dimension] && g.key != null) {
      const set = ids.get(g.dimension) ?? new Set<number>();
      set.add(Number(g.key));
      ids.set(g.dimension, set);
    }
    const names = new Map<string, string>();
    for (const [dim, set] of ids) {
      const found = await this.query(`select id, name from ${tables[dim]} where id in (${[...set].join(', ')})`);
      for (const r of found) names.set(`${dim}:${r.id}`, String(r.name));
    }
    for (const groups of groupLists) for (const g of groups) {
      g.label = g.key == null ? '(none)' : tables[g.dimension] ? names.get(`${g.dimension}:${g.key}`) ?? g.key : g.key;
    }
  }
}

function emptyRow(kpiKey: string, unit: KpiUnit, reason: string): KpiRowData {
  return { kpiKey, groups: [], bucket: null, value: null, numerator: null, denominator: null, unit, reason, comparison: null, target: null, health: null };
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
