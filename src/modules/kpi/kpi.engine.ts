import { type Dialect, dialectOf, tsLiteral } from '../../db/dialect';
import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { TargetScope } from '../../shared/enums';
import { assemble, type Fetched, groupTuples, type KpiResultData, LABELLED_DIMENSIONS, type MatrixLine, matrixLines, type MeasureRows, type TargetsByKpi } from './kpi.assemble';
import { KpiDimension } from './kpi.enums';
import { FACTS, type FactDef, type FactId } from './kpi.facts';
import { interpolatePercentile, type TargetWindow } from './kpi.math';
import type { Period } from '../../shared/period';
import { CURRENT, type KpiPlan, type KpiRequest, type KpiScope, measureDims, NONE, plan, type Ref, restrict, SEP, sqlBucket } from './kpi.plan';
import { buildFactQuery, buildPercentileQuery, type FilterValues, type SqlBucket, UnsupportedDimensionError } from './kpi.query';

/**
 * The KPI engine: `compute` = plan (pure, kpi.plan.ts) → fetch (the SQL, here) → assemble (pure,
 * kpi.assemble.ts). Fetching runs one SQL statement per fact and dimension set, shared by every KPI of the
 * request, current and comparison windows in the same statement.
 */

/**
 * A row's group suffix (SEP + value per group column, NONE for null; see MeasureRows). With one group column (the
 * wide answers: REP x MONTH) each distinct value's suffix is built once, so the maps see the same string again
 * (hashed once) instead of a new one per row.
 */
function suffixReader(columns: string[]): (row: Record<string, unknown>) => string {
  // groupSuffix's format, without an array per row.
  const part = (value: unknown) => SEP + (value == null ? NONE : String(value));
  if (columns.length !== 1) {
    return (row) => {
      let suffix = '';
      for (const column of columns) suffix += part(row[column]);
      return suffix;
    };
  }
  const [column] = columns;
  const seen = new Map<unknown, string>();
  return (row) => {
    const value = row[column];
    let suffix = seen.get(value);
    if (suffix === undefined) seen.set(value, (suffix = part(value)));
    return suffix;
  };
}

/** Past this many ids, group names are read by id range (see KpiEngine.labels). */
const LABEL_IN_LIST_MAX = 200;

export class KpiEngine {
  private readonly dialect: Dialect;
  private readonly cache = new Map<string, Promise<MeasureRows>>();
  /** Aggregates each fact must deliver for the current request: one statement computes them all. */
  private readonly wanted = new Map<string, Set<string>>();

  constructor(
    private readonly em: Em,
    private readonly scope: KpiScope = {},
  ) {
    this.dialect = dialectOf(em);
  }

  get kind(): Dialect {
    return this.dialect;
  }

  /** Runs raw SQL through the request's connection; numbers come back as numbers on both dialects. */
  async query(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    return this.em.getConnection().execute(sql, params, 'all');
  }

  /** The caller's access scope applied to a filter (see kpi.plan.ts restrict). */
  restrict(filter: FilterValues): FilterValues {
    return restrict(filter, this.scope);
  }

  async compute(request: KpiRequest): Promise<KpiResultData[]> {
    const planned = plan(request, this.scope);
    return assemble(planned, await this.fetch(planned));
  }

  /** One KPI as a matrix (kpiMatrix): the same plan and SQL as `compute`, the values assembled without row objects. */
  async matrix(request: KpiRequest): Promise<{ planned: KpiPlan; lines: MatrixLine[] }> {
    const planned = plan(request, this.scope);
    return { planned, lines: matrixLines(planned, await this.fetch(planned)) };
  }

  /** Runs the SQL a plan needs: targets, then each KPI's measures, then the names of the groups found. */
  async fetch(planned: KpiPlan): Promise<Fetched> {
    for (const kpi of planned.kpis) {
      if (kpi.unsupported) continue;
      for (const ref of kpi.refs) if (!ref.percentile) this.want(ref);
    }
    // Every statement starts before any is awaited: on PostgreSQL they run side by side on the pool.
    const [targets, fetchedRows] = await Promise.all([
      planned.targetKeys.length ? this.loadTargets(planned) : new Map(),
      Promise.all(planned.kpis.map((kpi) => (kpi.unsupported ? null : Promise.all(kpi.refs.map((ref) => this.measure(ref, measureDims(planned, ref), planned.filter, planned.kb)))))),
    ]);
    const measures: Fetched['measures'] = [];
    const labelIds = new Map<KpiDimension, Set<number>>();
    for (const [k, kpi] of planned.kpis.entries()) {
      const rows = fetchedRows[k];
      if (!rows) {
        measures.push(null);
        continue;
      }
      const byRef = new Map(kpi.refs.map((ref, i) => [ref.ref, rows[i]]));
      measures.push(byRef);
      for (const values of groupTuples(planned, kpi, byRef)) {
        values.forEach((key, i) => {
          const dim = planned.dims[i];
          if (key == null || !LABELLED_DIMENSIONS[dim]) return;
          const set = labelIds.get(dim) ?? new Set<number>();
          set.add(Number(key));
          labelIds.set(dim, set);
        });
      }
    }
    return { measures, targets, labels: await this.labels(labelIds) };
  }

  /**
   * One aggregate or percentile of a fact over the whole period, by group value (joined with SEP, '' for
   * null): the building block of funnels and signals.
   */
  async single(factId: FactId, name: string, dims: KpiDimension[], filter: FilterValues, period: Pick<Period, 'from' | 'to' | 'asOf'>): Promise<Map<string, number | null>> {
    const fact: FactDef = FACTS[factId];
    const ref: Ref = { ref: `${factId}.${name}`, fact, name, percentile: Boolean(fact.percentiles?.[name]), ignore: [] };
    const kb = [sqlBucket({ key: 'period', start: period.from, end: period.to }, `${CURRENT}period`, period.asOf)];
    const rows = (await this.measure(ref, dims, this.restrict(filter), kb)).get(kb[0].key) ?? new Map<string, number | null>();
    return new Map([...rows].map(([suffix, v]) => [suffix.split(SEP).slice(1).map((x) => (x === NONE ? '' : x)).join(SEP), v]));
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
    // Stored by bucket then group suffix as read (kpi.assemble.ts MeasureRows); a wide answer has tens of thousands
    // of rows, so no per-row arrays or closures, and one suffix string per distinct group value (suffixReader).
    const groupColumns = dims.map((_, i) => `g${i}`);
    const columns = names.map((_, i) => `a${i}`);
    const maps: MeasureRows[] = names.map(() => new Map());
    const suffixOf = suffixReader(groupColumns);
    // Each bucket's maps, one per aggregate, found once per row (PostgreSQL's hash aggregate mixes the buckets).
    const bucketMaps = new Map<string, Array<Map<string, number | null>>>();
    for (const row of rows) {
      const bucket = String(row.bk);
      let inBucket = bucketMaps.get(bucket);
      if (!inBucket) {
        inBucket = maps.map(() => new Map());
        bucketMaps.set(bucket, inBucket);
        inBucket.forEach((map, i) => maps[i].set(bucket, map));
      }
      const suffix = suffixOf(row);
      for (let i = 0; i < columns.length; i++) {
        const v = row[columns[i]];
        inBucket[i].set(suffix, v == null ? null : Number(v));
      }
    }
    return new Map(names.map((name, i) => [name, maps[i]]));
  }

  private async runPercentile(ref: Ref, dims: KpiDimension[], filter: FilterValues, kb: SqlBucket[]): Promise<MeasureRows> {
    const def = ref.fact.percentiles![ref.name];
    const { sql, params } = this.built(() => buildPercentileQuery(this.dialect, ref.fact, ref.name, dims, filter, kb));
    const rows = await this.query(sql, params);
    const grouped = new Map<string, Map<string, Array<{ v: number; rn: number; n: number }>>>();
    const suffixOf = suffixReader(dims.map((_, i) => `g${i}`));
    for (const row of rows) {
      const bucket = String(row.bk);
      const inBucket = grouped.get(bucket) ?? grouped.set(bucket, new Map()).get(bucket)!;
      const suffix = suffixOf(row);
      const list = inBucket.get(suffix) ?? inBucket.set(suffix, []).get(suffix)!;
      list.push({ v: Number(row.v), rn: Number(row.rn), n: Number(row.n) });
    }
    const p = def.p[0] / def.p[1];
    return new Map([...grouped].map(([bucket, lists]) => [bucket, new Map([...lists].map(([suffix, list]) => [suffix, interpolatePercentile(list, p)]))]));
  }

  private built<T>(build: () => T): T {
    try {
      return build();
    } catch (e) {
      if (e instanceof UnsupportedDimensionError) throw new BadInputError(e.usage, e.message);
      throw e;
    }
  }

  /** Targets of the plan's KPI keys overlapping its buckets, by KPI key then scope key ("REP:12", "TEAM:3", "COMPANY"). */
  private async loadTargets({ targetKeys: keys, kb, dims, requested }: KpiPlan): Promise<TargetsByKpi> {
    const out: TargetsByKpi = new Map();
    if (!keys.length || !kb.length) return out;
    const from = new Date(Math.min(...kb.map((b) => b.start.getTime())));
    const to = new Date(Math.max(...kb.map((b) => b.end.getTime())));
    // Only the scope level the rows can match (see targetScope in kpi.assemble.ts): REP, TEAM or COMPANY targets.
    const ids = (dim: KpiDimension) => requested[dim]?.map(Number).join(', ');
    let scopeSql: string;
    if (dims.includes(KpiDimension.REP) || requested[KpiDimension.REP]) {
      scopeSql = `scope = '${TargetScope.REP}'` + (ids(KpiDimension.REP) ? ` and rep_id in (${ids(KpiDimension.REP)})` : '') +
        (ids(KpiDimension.TEAM) ? ` and rep_id in (select r2.id from reps r2 where r2.team_id in (${ids(KpiDimension.TEAM)}))` : '');
    } else if (dims.includes(KpiDimension.TEAM) || requested[KpiDimension.TEAM]) {
      scopeSql = `scope = '${TargetScope.TEAM}'` + (ids(KpiDimension.TEAM) ? ` and team_id in (${ids(KpiDimension.TEAM)})` : '');
    } else scopeSql = `scope = '${TargetScope.COMPANY}'`;
    const rows = await this.query(
      `select kpi_key, scope, team_id, rep_id, period_start, period_end, value from targets where kpi_key in (${keys.map(() => '?').join(', ')}) and ${scopeSql} and period_start < ${tsLiteral(this.dialect, to)} and period_end > ${tsLiteral(this.dialect, from)}`,
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

  /**
   * Names of the id groups found (rep, team, product, stage), by "DIM:id": one query per dimension present. Many
   * ids (a wide answer's 2,215 reps) are read as their id range: PostgreSQL took 10 ms to plan and probe an IN list
   * that long, 0.5 ms to read the range.
   */
  private async labels(ids: Map<KpiDimension, Set<number>>): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const [dim, set] of ids) {
      const list = [...set];
      const where = list.length > LABEL_IN_LIST_MAX ? `id >= ${Math.min(...list)} and id <= ${Math.max(...list)}` : `id in (${list.join(', ')})`;
      const found = await this.query(`select id, name from ${LABELLED_DIMENSIONS[dim]} where ${where}`);
      for (const r of found) if (set.has(Number(r.id))) names.set(`${dim}:${r.id}`, String(r.name));
    }
    return names;
  }
}
