import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { RepRole } from '../../shared/enums';
import { parseId } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { DASHBOARD_KPIS, KPI_BY_KEY, KPI_DEFINITIONS, type KpiDef } from './catalogue';
import { type ComparisonMode, KpiDimension, KpiDirection, type KpiFamily, TIME_DIMENSIONS } from './kpi.enums';
import type { KpiResultData, KpiRowData } from './kpi.assemble';
import { KpiEngine } from './kpi.engine';
import type { KpiScope } from './kpi.plan';
import type { DashboardScopeInput, KpiFilterInput, KpiPeriodInput } from './kpi.inputs';
import type { Dashboard, KpiDefinition, KpiPeriod, KpiResult, KpiRow, Leaderboard, LeaderboardEntry } from './kpi.types';
import { type Period, PeriodError, parsePeriod } from '../../shared/period';
import type { FilterValues } from './kpi.query';
import { factById, factDimensions } from './kpi.facts';

export function definitionOf(def: KpiDef): KpiDefinition {
  const dims = new Set<KpiDimension>(Object.values(KpiDimension));
  for (const ref of def.uses) {
    const own = factDimensions(factById(ref.split('.')[0])!);
    (def.ignoreDims?.[ref] ?? []).forEach((d) => own.add(d));
    for (const d of [...dims]) if (!own.has(d)) dims.delete(d);
  }
  const dashboards = (Object.entries(DASHBOARD_KPIS) as Array<[RepRole, readonly string[]]>).filter(([, keys]) => keys.includes(def.key)).map(([role]) => role);
  return {
    key: def.key,
    family: def.family,
    label: def.label,
    description: def.description,
    formula: def.formula,
    unit: def.unit,
    direction: def.direction,
    benchmark: def.benchmark ?? null,
    healthRules: (def.health ?? []).map((r) => ({ health: r.status, min: r.min ?? null, max: r.max ?? null })),
    additive: def.additive,
    dimensions: [...Object.values(KpiDimension).filter((d) => dims.has(d)), ...TIME_DIMENSIONS],
    dashboards,
  };
}

export function kpiDefinitions(family?: KpiFamily | null): KpiDefinition[] {
  return KPI_DEFINITIONS.filter((d) => !family || d.family === family).map(definitionOf);
}

export function toPeriod(input: KpiPeriodInput, now = new Date()): Period {
  try {
    return parsePeriod({ from: input.from, to: input.to, timeZone: input.timeZone, asOf: input.asOf }, now);
  } catch (e) {
    if (e instanceof PeriodError) throw new BadInputError(e.field, e.message);
    throw e;
  }
}

export function toFilter(input?: KpiFilterInput | null): FilterValues {
  if (!input) return {};
  const ids = (values: string[] | undefined, field: string) => values?.map((v) => parseId(v, `filter.${field}`));
  const out: FilterValues = {
    [KpiDimension.REP]: ids(input.repIds, 'repIds'),
    [KpiDimension.TEAM]: ids(input.teamIds, 'teamIds'),
    [KpiDimension.REGION]: input.regions,
    [KpiDimension.PRODUCT]: ids(input.productIds, 'productIds'),
    [KpiDimension.PRODUCT_FAMILY]: input.productFamilies,
    [KpiDimension.SOURCE]: input.sources,
    [KpiDimension.SEGMENT]: input.segments,
    [KpiDimension.SECTOR]: input.sectors,
    [KpiDimension.STAGE]: ids(input.stageIds, 'stageIds'),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v != null)) as FilterValues;
}

const periodOut = (p: Period): KpiPeriod => ({ from: p.from, to: p.to, timeZone: p.timeZone, asOf: p.asOf });

/** Engine rows already have the GraphQL shape (no per-row copy: large grouped results have thousands). */
const rowOut = (_def: KpiDef, row: KpiRowData): KpiRow => row;

export function resultOut(r: KpiResultData): KpiResult {
  return {
    key: r.key,
    definition: definitionOf(r.definition),
    period: periodOut(r.period),
    comparisonPeriod: r.comparisonPeriod ? periodOut(r.comparisonPeriod) : null,
    rows: r.rows, // as rowOut: not even a mapped copy of the array
  };
}

export interface KpiArgs {
  period: Period;
  filter?: FilterValues;
  groupBy?: KpiDimension[];
  compareTo?: ComparisonMode | null;
  withTargets?: boolean;
}

export async function computeKpis(em: Em, scope: KpiScope, keys: string[], args: KpiArgs): Promise<KpiResult[]> {
  if (!keys.length) throw new BadInputError('keys', 'Ask for at least one KPI');
  if (keys.length > 50) throw new BadInputError('keys', 'At most 50 KPIs per request');
  const engine = new KpiEngine(em, scope);
  const results = await engine.compute({ keys, ...args });
  return results.map(resultOut);
}

/** One KPI as a matrix: its buckets (none when no group has a value, as the rows would show) and each group's values. */
export async function computeKpiMatrix(em: Em, scope: KpiScope, key: string, args: KpiArgs) {
  const { planned, lines } = await new KpiEngine(em, scope).matrix({ keys: [key], ...args });
  const buckets = lines.length ? planned.current.map(({ key: bucketKey, start, end }) => ({ key: bucketKey, start, end })) : [];
  return { key, unit: planned.kpis[0].def.unit, period: periodOut(planned.period), buckets, rows: lines };
}

export async function dashboard(
  em: Em,
  scope: KpiScope,
  role: RepRole,
  who: DashboardScopeInput | null | undefined,
  period: Period,
  compareTo: ComparisonMode | null,
): Promise<Dashboard> {
  const filter: FilterValues = {};
  if (who?.repId) filter[KpiDimension.REP] = [parseId(who.repId, 'scope.repId')];
  if (who?.teamId) filter[KpiDimension.TEAM] = [parseId(who.teamId, 'scope.teamId')];
  const engine = new KpiEngine(em, scope);
  const keys = DASHBOARD_KPIS[role].filter((key) => !(scope.hidesFinancialKpis && KPI_BY_KEY.get(key)?.financial));
  const results = await engine.compute({ keys, period, filter, compareTo, lenient: true });
  return { role, period: periodOut(period), kpis: results.map(resultOut) };
}

/** Reps ranked by one KPI in a team (or the company), best first according to the KPI direction. */
export async function leaderboard(em: Em, scope: KpiScope, key: string, teamId: string | null | undefined, period: Period, limit: number): Promise<Leaderboard> {
  const def = KPI_BY_KEY.get(key);
  if (!def) throw new BadInputError('kpi', `Unknown KPI "${key}" (see kpiDefinitions)`);
  if (limit < 1 || limit > 500) throw new BadInputError('limit', 'limit must be between 1 and 500');
  const filter: FilterValues = {};
  const team = teamId ? parseId(teamId, 'teamId') : null;
  if (team) filter[KpiDimension.TEAM] = [team];
  const engine = new KpiEngine(em, scope);
  const [result] = await engine.compute({ keys: [key], period, filter, groupBy: [KpiDimension.REP] });
  const restricted = engine.restrict(filter);
  const repWhere: Record<string, unknown> = { role: { $in: [RepRole.SDR, RepRole.AE] } };
  if (restricted[KpiDimension.TEAM]) repWhere.team = { $in: restricted[KpiDimension.TEAM] };
  if (restricted[KpiDimension.REP]) repWhere.id = { $in: restricted[KpiDimension.REP] };
  const reps = await em.find(Rep, repWhere, { populate: ['team'] });
  const rowsByRep = new Map(result.rows.map((row) => [row.groups[0]?.key, row]));
  // Reps with values (the selling roles, plus anyone else who produced a row), then the rest.
  const repIds = new Set([...reps.map((r) => String(r.id)), ...[...rowsByRep.keys()].filter((k): k is string => k != null)]);
  const missing = [...repIds].filter((id) => !reps.some((r) => String(r.id) === id)).map(Number);
  if (missing.length) reps.push(...(await em.find(Rep, { id: { $in: missing } }, { populate: ['team'] })));
  const sign = def.direction === KpiDirection.LOWER_IS_BETTER ? 1 : -1;
  const entries: LeaderboardEntry[] = reps.map((rep) => {
    const row = rowsByRep.get(String(rep.id));
    // No row: nothing counted for this rep, which is 0 for a count or an amount, and unknown for a ratio.
    const kpiRow: KpiRow = row
      ? rowOut(def, row)
      : {
          kpiKey: key,
          groups: [{ dimension: KpiDimension.REP, key: String(rep.id), label: rep.name }],
          value: def.additive ? 0 : null,
          unit: def.unit,
          reason: def.additive ? null : 'nothing to measure for this rep in the period',
        };
    const end = period.to < period.asOf ? period.to : period.asOf;
    const tenureMonths = Math.max(0, Math.floor((end.getTime() - rep.hiredAt.getTime()) / (30.4375 * 86_400_000)));
    return { rep, teamName: rep.team?.name ?? null, region: rep.team?.region ?? null, tenureMonths, row: kpiRow, rank: null };
  });
  entries.sort((a, b) => {
    const [va, vb] = [a.row.value, b.row.value];
    if (va == null || vb == null) return va == null ? (vb == null ? a.rep.name.localeCompare(b.rep.name) : 1) : -1;
    return sign * (va - vb) || a.rep.name.localeCompare(b.rep.name);
  });
  let rank = 0;
  entries.forEach((e, i) => {
    if (e.row.value == null) return;
    const prev = entries[i - 1];
    rank = prev && prev.row.value === e.row.value ? rank : i + 1;
    e.rank = rank;
  });
  return { definition: definitionOf(def), period: periodOut(period), entries: entries.slice(0, limit) };
}
