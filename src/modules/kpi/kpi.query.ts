import { KpiDimension } from './kpi.enums';
import { type Dialect, tsLiteral } from '../../db/dialect';
import { dimExpr, type FactDef } from './kpi.facts';

/** Builds the SQL of one fact: rows joined to the bucket list, grouped by bucket and dimensions. Pure. */

export type FilterValues = Partial<Record<KpiDimension, ReadonlyArray<string | number>>>;

/** One row of the `kb` CTE. */
export interface SqlBucket {
  key: string;
  start: Date;
  end: Date;
  /** Snapshot moment: min(end, asOf), never before start. */
  asOfEnd: Date;
  /**
   * The snapshot is the present (asOf at or before the bucket's end): deals open now without any date belong to
   * it. A past snapshot cannot know whether an undated deal existed then.
   */
  live: boolean;
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

export class UnsupportedDimensionError extends Error {
  constructor(readonly dimension: KpiDimension, readonly usage: 'groupBy' | 'filter') {
    super(`${dimension} is not available here`);
  }
}

const NUMERIC_DIMS = new Set([KpiDimension.REP, KpiDimension.TEAM, KpiDimension.PRODUCT, KpiDimension.STAGE]);
const YEAR_MS = 365 * 86_400_000;
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function bucketCte(d: Dialect, kb: SqlBucket[]): string {
  const rows = kb.map((b) => {
    const shifted = (x: Date) => new Date(x.getTime() - YEAR_MS);
    return `(${[quote(b.key), tsLiteral(d, b.start), tsLiteral(d, b.end), tsLiteral(d, b.asOfEnd), tsLiteral(d, shifted(b.start)), tsLiteral(d, shifted(b.asOfEnd)), b.live ? 1 : 0].join(', ')})`;
  });
  return `kb(bk, bs, be, ae, bsy, aey, live) as (values ${rows.join(', ')})`;
}

interface Parts {
  cte: string;
  from: string;
  where: string;
  groups: string[];
  params: unknown[];
}

function parts(d: Dialect, fact: FactDef, dims: KpiDimension[], filter: FilterValues, kb: SqlBucket[], extra: string[] = []): Parts {
  const params: unknown[] = [];
  const neededJoins = new Set<string>();
  const groups = dims.map((dim) => {
    const e = dimExpr(fact, dim);
    if (!e) throw new UnsupportedDimensionError(dim, 'groupBy');
    e.joins.forEach((j) => neededJoins.add(j));
    return e.expr;
  });
  const conditions: string[] = [...(fact.where?.(d) ?? []), ...extra];
  if (fact.range && kb.length) {
    const from = new Date(Math.min(...kb.map((b) => b.start.getTime())));
    const to = new Date(Math.max(...kb.map((b) => b.end.getTime())));
    conditions.push(`${fact.range} >= ${tsLiteral(d, from)} and ${fact.range} < ${tsLiteral(d, to)}`);
  }
  for (const [dim, rawValues] of Object.entries(filter) as Array<[KpiDimension, ReadonlyArray<string | number>]>) {
    if (!rawValues) continue;
    if (rawValues.length === 0) {
      conditions.push('1 = 0');
      continue;
    }
    const numeric = NUMERIC_DIMS.has(dim);
    const values = numeric ? rawValues.map((v) => String(Number(v))).join(', ') : rawValues.map(() => '?').join(', ');
    const bind = () => {
      if (!numeric) params.push(...rawValues.map(String));
    };
    const repColumn = fact.source.repColumn;
    if ((dim === KpiDimension.TEAM || dim === KpiDimension.REGION) && repColumn && !fact.dims?.[dim]) {
      // Through the rep column, so the planner can use the (owner, ...) indexes.
      conditions.push(
        dim === KpiDimension.TEAM
          ? `${repColumn} in (select r2.id from reps r2 where r2.team_id in (${values}))`
          : `${repColumn} in (select r2.id from reps r2 join teams t2 on t2.id = r2.team_id where t2.region in (${values}))`,
      );
      bind();
      continue;
    }
    const e = dimExpr(fact, dim);
    if (!e) throw new UnsupportedDimensionError(dim, 'filter');
    e.joins.forEach((j) => neededJoins.add(j));
    conditions.push(`${e.expr} in (${values})`);
    bind();
  }
  const joins = fact.source.joins.filter(([name]) => neededJoins.has(name)).map(([, sql]) => sql);
  const byOwner = [KpiDimension.REP, KpiDimension.TEAM, KpiDimension.REGION].some((dim) => filter[dim]);
  const source = d === 'sqlite' && fact.sqliteOwnerIndex && byOwner ? `${fact.source.from} indexed by ${fact.sqliteOwnerIndex}` : fact.source.from;
  const from = [source, `join kb on ${fact.inBucket(d)}`, ...joins, fact.extraJoins?.(d) ?? ''].filter(Boolean).join(' ');
  return {
    cte: bucketCte(d, kb),
    from,
    where: conditions.length ? ` where ${conditions.join(' and ')}` : '',
    groups,
    params,
  };
}

/** `select bk, g0.., a0..` grouped by bucket and dimensions. */
export function buildFactQuery(
  d: Dialect,
  fact: FactDef,
  aggregates: string[],
  dims: KpiDimension[],
  filter: FilterValues,
  kb: SqlBucket[],
): BuiltQuery {
  const only = new Set(aggregates.map((name) => fact.onlyWhen?.[name] ?? null));
  const [shared] = only;
  const p = parts(d, fact, dims, filter, kb, only.size === 1 && shared ? [shared] : []);
  const select = [
    'kb.bk as bk',
    ...p.groups.map((g, i) => `${g} as g${i}`),
    ...aggregates.map((name, i) => {
      const agg = fact.aggregates[name];
      if (!agg) throw new Error(`Unknown aggregate ${fact.id}.${name}`);
      return `${agg(d)} as a${i}`;
    }),
  ];
  const sql = `with ${p.cte} select ${select.join(', ')} from ${p.from}${p.where} group by ${['kb.bk', ...p.groups].join(', ')}`;
  return { sql, params: p.params };
}

/**
 * Percentile per group with window functions (both dialects): only the one or two rows around rank
 * (n - 1) * p come back; the caller interpolates between them.
 */
export function buildPercentileQuery(
  d: Dialect,
  fact: FactDef,
  name: string,
  dims: KpiDimension[],
  filter: FilterValues,
  kb: SqlBucket[],
): BuiltQuery {
  const def = fact.percentiles?.[name];
  if (!def) throw new Error(`Unknown percentile ${fact.id}.${name}`);
  const p = parts(d, fact, dims, filter, kb);
  const expr = def.expr(d);
  const extra = [`${expr} is not null`, ...(def.where ? [def.where(d)] : [])].join(' and ');
  const where = p.where ? `${p.where} and ${extra}` : ` where ${extra}`;
  const gcols = p.groups.map((_, i) => `g${i}`);
  const partition = ['bk', ...gcols].join(', ');
  const [num, den] = def.p;
  const lo = `((n - 1) * ${num}) / ${den}`;
  const sql =
    `with ${p.cte}, pv as (select kb.bk as bk${p.groups.map((g, i) => `, ${g} as g${i}`).join('')}, ${expr} as v from ${p.from}${where}),` +
    ` pr as (select pv.*, row_number() over (partition by ${partition} order by v) as rn, count(*) over (partition by ${partition}) as n from pv)` +
    ` select ${partition}, v, rn, n from pr where rn >= ${lo} + 1 and rn <= ${lo} + 2`;
  return { sql, params: p.params };
}
