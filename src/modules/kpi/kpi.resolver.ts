import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { Arg, Ctx, ID, Info, Int, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { RepRole } from '../../shared/enums';
import { ComparisonMode, FunnelCohort, KpiDimension, KpiFamily } from './kpi.enums';
import type { KpiScope } from './kpi.plan';
import { funnel } from './kpi.funnel';
import { DashboardScopeInput, KpiFilterInput, KpiPeriodInput } from './kpi.inputs';
import { Dashboard, DashboardRole, Funnel, KpiDefinition, KpiResult, Leaderboard, Signal } from './kpi.types';
import { computeKpis, dashboard, kpiDefinitions, leaderboard, toFilter, toPeriod } from './kpi.service';
import { signals } from './kpi.signals';
import { FINANCIAL_KPI_KEYS } from './catalogue';
import { SignalKind } from './kpi.enums';
import { assertKpiSegments } from '../auth/aggregate.policy';
import { KPI_TABLES, cachedAnswer } from '../../shared/answer-cache';

/**
 * The slice of the business the caller may see: the one place access rules reach the KPI engine. Today the
 * reps of the caller's row-level scope (src/modules/auth/access.policy.ts); every KPI, dashboard, funnel,
 * signal and leaderboard is narrowed to it (see KpiEngine.restrict).
 */
export async function kpiScopeFor(ctx: Context, segments: { teamIds?: readonly string[] | null; repIds?: readonly string[] | null } = {}, prefix = 'filter.'): Promise<KpiScope> {
  // A team or rep named in the filter must be readable (NOT_FOUND) and the caller's (FORBIDDEN): aggregate.policy.ts.
  await assertKpiSegments(ctx.access, ctx.em, segments.teamIds ?? [], segments.repIds ?? [], prefix);
  const repIds = await ctx.access.repIds();
  const hidden = ctx.access.seesFinancials ? {} : { hidesFinancialKpis: true };
  return repIds === null ? hidden : { repIds, ...hidden };
}

const segmentsOf = (scope: DashboardScopeInput | undefined) => ({ teamIds: scope?.teamId ? [scope.teamId] : [], repIds: scope?.repId ? [scope.repId] : [] });

/** Financial KPIs (`financial` in the catalogue): FORBIDDEN below MANAGER, and left out of their dashboards (kpiScopeFor). */
export function assertKpisVisible(ctx: Context, keys: string[]): void {
  const blocked = keys.filter((key) => FINANCIAL_KPI_KEYS.has(key));
  if (blocked.length) ctx.access.requireFinancials(`KPIs on cost, spend, margin or quota (${blocked.join(', ')})`);
}

/** Whether the query reads `target` anywhere below this field (fragments count as yes): targets cost on big results. */
function selectsTarget(info: GraphQLResolveInfo): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set &&
    set.selections.some((s) => (s.kind === 'Field' ? s.name.value === 'target' || visit(s.selectionSet) : true));
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

@Resolver()
export class KpiResolver {
  @Query(() => [KpiDefinition], { description: 'The KPI catalogue: keys, formulas, units, directions and benchmarks.' })
  kpiDefinitions(@Arg('family', () => KpiFamily, { nullable: true }) family?: KpiFamily): KpiDefinition[] {
    return kpiDefinitions(family);
  }

  @Query(() => KpiResult, { description: 'One KPI over a period, optionally filtered, grouped and compared.' })
  async kpi(
    @Arg('key', { description: 'KPI key from kpiDefinitions, e.g. "winRate".' }) key: string,
    @Arg('period', () => KpiPeriodInput) period: KpiPeriodInput,
    @Arg('filter', () => KpiFilterInput, { nullable: true }) filter: KpiFilterInput | undefined,
    @Arg('groupBy', () => [KpiDimension], { nullable: true, description: 'Combinable dimensions, at most one time grain (e.g. [TEAM, MONTH]).' })
    groupBy: KpiDimension[] | undefined,
    @Arg('compareTo', () => ComparisonMode, { nullable: true }) compareTo: ComparisonMode | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<KpiResult> {
    assertKpisVisible(ctx, [key]);
    const scope = await kpiScopeFor(ctx, filter ?? {});
    const withTargets = selectsTarget(info);
    const [result] = await cachedAnswer(ctx, { name: 'kpis', args: { keys: [key], period, filter, groupBy, compareTo, withTargets }, scope, tables: KPI_TABLES }, () => computeKpis(ctx.em, scope, [key], {
      period: toPeriod(period),
      filter: toFilter(filter),
      groupBy,
      compareTo,
      withTargets,
    }));
    return result;
  }

  @Query(() => [KpiResult], { description: 'Several KPIs over the same slice, computed together (shared SQL).' })
  async kpis(
    @Arg('keys', () => [String]) keys: string[],
    @Arg('period', () => KpiPeriodInput) period: KpiPeriodInput,
    @Arg('filter', () => KpiFilterInput, { nullable: true }) filter: KpiFilterInput | undefined,
    @Arg('groupBy', () => [KpiDimension], { nullable: true }) groupBy: KpiDimension[] | undefined,
    @Arg('compareTo', () => ComparisonMode, { nullable: true }) compareTo: ComparisonMode | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<KpiResult[]> {
    assertKpisVisible(ctx, keys);
    const scope = await kpiScopeFor(ctx, filter ?? {});
    const withTargets = selectsTarget(info);
    return cachedAnswer(ctx, { name: 'kpis', args: { keys, period, filter, groupBy, compareTo, withTargets }, scope, tables: KPI_TABLES }, () => computeKpis(ctx.em, scope, keys, {
      period: toPeriod(period),
      filter: toFilter(filter),
      groupBy,
      compareTo,
      withTargets,
    }));
  }

  @Query(() => Dashboard, { description: 'An audience’s 5–10 KPIs (SDR activity, AE conversion/value, MANAGER pipeline/team, EXEC CAC/LTV/margin) with trend, target and health.' })
  async dashboard(
    @Arg('role', () => DashboardRole) role: RepRole,
    @Arg('period', () => KpiPeriodInput) period: KpiPeriodInput,
    @Arg('scope', () => DashboardScopeInput, { nullable: true }) scope: DashboardScopeInput | undefined,
    @Arg('compareTo', () => ComparisonMode, { defaultValue: ComparisonMode.PREVIOUS_PERIOD }) compareTo: ComparisonMode,
    @Ctx() ctx: Context,
  ): Promise<Dashboard> {
    const kpiScope = await kpiScopeFor(ctx, segmentsOf(scope), 'scope.');
    return cachedAnswer(ctx, { name: 'dashboard', args: { role, period, scope, compareTo }, scope: kpiScope, tables: KPI_TABLES }, () => dashboard(ctx.em, kpiScope, role, scope, toPeriod(period), compareTo));
  }

  @Query(() => Funnel, { description: 'Leads created or deals opened in the period, through their steps: counts, conversions, median and p75 durations.' })
  async funnel(
    @Arg('cohort', () => FunnelCohort) cohort: FunnelCohort,
    @Arg('period', () => KpiPeriodInput) period: KpiPeriodInput,
    @Arg('filter', () => KpiFilterInput, { nullable: true }) filter: KpiFilterInput | undefined,
    @Ctx() ctx: Context,
  ): Promise<Funnel> {
    const scope = await kpiScopeFor(ctx, filter ?? {});
    return cachedAnswer(ctx, { name: 'funnel', args: { cohort, period, filter }, scope, tables: KPI_TABLES }, () => funnel(ctx.em, scope, cohort, toPeriod(period), toFilter(filter)));
  }

  @Query(() => [Signal], { description: 'Stalled deals, accounts at churn risk and KPIs off their targets, as of period.asOf (now by default).' })
  async signals(
    @Arg('period', () => KpiPeriodInput) period: KpiPeriodInput,
    @Arg('scope', () => DashboardScopeInput, { nullable: true }) scope: DashboardScopeInput | undefined,
    @Arg('limit', () => Int, { defaultValue: 50, description: 'Most signals of each kind.' }) limit: number,
    @Ctx() ctx: Context,
  ): Promise<Signal[]> {
    const filter = toFilter({ teamIds: scope?.teamId ? [scope.teamId] : undefined, repIds: scope?.repId ? [scope.repId] : undefined });
    const found = await signals(ctx.em, await kpiScopeFor(ctx, segmentsOf(scope), 'scope.'), toPeriod(period), filter, Math.min(Math.max(limit, 1), 500));
    // KPI_OFF_TRACK signals compare with targets (quotas): MANAGER and above.
    return ctx.access.seesFinancials ? found : found.filter((signal) => signal.kind !== SignalKind.KPI_OFF_TRACK);
  }

  @Query(() => Leaderboard, { description: 'Reps ranked by a KPI within a team (or the company), with tenure and territory for context.' })
  async leaderboard(
    @Arg('kpi') kpi: string,
    @Arg('period', () => KpiPeriodInput) period: KpiPeriodInput,
    @Arg('teamId', () => ID, { nullable: true }) teamId: string | undefined,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
    @Ctx() ctx: Context,
  ): Promise<Leaderboard> {
    assertKpisVisible(ctx, [kpi]);
    return leaderboard(ctx.em, await kpiScopeFor(ctx, { teamIds: teamId ? [teamId] : [] }, ''), kpi, teamId, toPeriod(period), limit);
  }
}
