import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { heavyJob, type Context } from '../../graphql/context';
import { loadRef } from '../../graphql/loaders';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { ForecastAdjustment, ForecastGroupBy, ForecastSnapshot } from './forecast.entity';
import { AdjustForecastInput, BacktestArgs, ForecastArgs, OverrideDealCategoryInput, SegmentArgs } from './forecast.inputs';
import { CycleDuration, Forecast, ForecastBacktest, StageWeights } from './forecast.types';
import * as forecasts from './forecast.service';
import { AccessRole } from '../auth/identity';
import { ForbiddenError } from '../../shared/errors';
import { TargetScope } from '../../shared/enums';
import { dealAggregateScope, visibleSnapshotGroups } from '../auth/aggregate.policy';
import { FORECAST_TABLES, STAGE_STATS_TABLES, cachedAnswer } from '../../shared/answer-cache';

@Resolver(() => Forecast)
export class ForecastResolver {
  @Query(() => Forecast, { description: 'Revenue forecast of a period (expected, P10/P50/P90, parts, categories, quota) as of a date.' })
  async forecast(@Args() { teamId, repId, ...args }: ForecastArgs, @Ctx() ctx: Context) {
    const scope = await forecastScopeFor(ctx, teamId, repId);
    return cachedAnswer(ctx, { name: 'forecast', args, scope, tables: FORECAST_TABLES }, () => forecasts.getForecast(ctx.em, ctx.config.database.kind, { ...args, scope, job: heavyJob(ctx) }));
  }

  @Query(() => StageWeights, { description: "Learned P(won | reached stage) with sample sizes, for a segment (the caller's slice by default: the company for EXEC and ADMIN)." })
  async stageWeights(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    const { teamId, ...rest } = segment ?? {};
    const scope = await dealAggregateScope(ctx.access, ctx.em, { teamId }, 'segment.');
    return cachedAnswer(ctx, { name: 'stageWeights', args: { rest, asOf }, scope, tables: STAGE_STATS_TABLES }, () => forecasts.getStageWeights(ctx.em, ctx.config.database.kind, rest, asOf, scope));
  }

  @Query(() => [CycleDuration], { description: "Time from entering each stage to closing, with sample sizes (the caller's slice by default)." })
  async cycleDurations(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    const { teamId, ...rest } = segment ?? {};
    const scope = await dealAggregateScope(ctx.access, ctx.em, { teamId }, 'segment.');
    return cachedAnswer(ctx, { name: 'cycleDurations', args: { rest, asOf }, scope, tables: STAGE_STATS_TABLES }, () => forecasts.getCycleDurations(ctx.em, ctx.config.database.kind, rest, asOf, scope));
  }

  @Query(() => ForecastBacktest, { description: 'Track record: past periods forecast as of their start vs actual, with run-rate and fixed-weight baselines.' })
  async forecastBacktest(@Args() { teamId, repId, ...args }: BacktestArgs, @Ctx() ctx: Context) {
    const scope = await forecastScopeFor(ctx, teamId, repId);
    return cachedAnswer(ctx, { name: 'backtest', args, scope, tables: FORECAST_TABLES }, () => forecasts.getBacktest(ctx.em, ctx.config.database.kind, { ...args, scope, job: heavyJob(ctx) }));
  }

  @Query(() => [ForecastSnapshot], { description: "Forecasts stored while their period was current, oldest first: company and product rows for EXEC and ADMIN, a MANAGER's team and reps, an AE's own." })
  async forecastSnapshots(
    @Arg('period') period: string,
    @Arg('groupBy', () => ForecastGroupBy, { defaultValue: ForecastGroupBy.COMPANY }) groupBy: ForecastGroupBy,
    @Ctx() ctx: Context,
  ) {
    const groups = await visibleSnapshotGroups(ctx.access, ctx.em, groupBy);
    const p = forecasts.periodOrFail(period);
    const where = { periodStart: new Date(p.start), periodEnd: new Date(p.end), groupBy, ...(groups && { groupKey: { $in: groups } }) };
    return ctx.em.find(ForecastSnapshot, where, { orderBy: { asOf: 'asc', id: 'asc' } });
  }

  @Mutation(() => ForecastAdjustment, { description: 'Records a called amount for the company, a team or a rep, next to the model number.' })
  async adjustForecast(@Arg('input') input: AdjustForecastInput, @Ctx() ctx: Context) {
    const author = forecastAuthor(ctx);
    await assertCanAdjust(ctx, input);
    return forecasts.adjustForecast(ctx.em, input, author);
  }

  @Mutation(() => ForecastAdjustment, { description: "Overrides a deal's forecast category (or clears it), recording who, when and why." })
  async overrideDealForecastCategory(@Arg('input') input: OverrideDealCategoryInput, @Ctx() ctx: Context) {
    const author = forecastAuthor(ctx);
    await ctx.access.findOrFail(ctx.em, Deal, input.dealId, 'input.dealId'); // NOT_FOUND outside the caller's deals
    return forecasts.overrideDealCategory(ctx.em, input, author);
  }
}

/** The deals a caller may forecast: the one aggregate rule (src/modules/auth/aggregate.policy.ts). */
const forecastScopeFor = (ctx: Context, teamId: string | undefined, repId: string | undefined) => dealAggregateScope(ctx.access, ctx.em, { teamId, repId });

/** The author of a forecast call or override is the caller, a rep who works deals (never an argument). */
function forecastAuthor(ctx: Context): number {
  const { access } = ctx;
  if (access.role === AccessRole.SDR) throw new ForbiddenError('Forecasts cover deals, which SDRs do not own');
  if (access.identity.repId == null) throw new ForbiddenError('Forecast calls are signed by a rep: use a token or API key that acts as one');
  return access.identity.repId;
}

/**
 * A called amount: the company by EXEC/ADMIN, a team by its MANAGER, a rep by itself or its MANAGER. The team or
 * rep named must be readable first (NOT_FOUND, as a read of it), then the caller's to call (FORBIDDEN).
 */
async function assertCanAdjust(ctx: Context, input: AdjustForecastInput): Promise<void> {
  const { access } = ctx;
  if (input.scope === TargetScope.COMPANY) access.assertCompanyWide('A company forecast call');
  if (input.scope === TargetScope.TEAM && input.teamId != null) {
    await access.findOrFail(ctx.em, Team, input.teamId, 'input.teamId');
    access.assertTeam(input.teamId, 'input.teamId');
  }
  if (input.scope === TargetScope.REP && input.repId != null) {
    await access.findOrFail(ctx.em, Rep, input.repId, 'input.repId');
    await access.assertRep(input.repId, 'input.repId');
  }
}

@Resolver(() => ForecastAdjustment)
export class ForecastAdjustmentResolver {
  @FieldResolver(() => Team, { nullable: true })
  team(@Root() a: ForecastAdjustment, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Team, a.team);
  }

  @FieldResolver(() => Rep, { nullable: true })
  rep(@Root() a: ForecastAdjustment, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, a.rep);
  }

  @FieldResolver(() => Deal, { nullable: true })
  deal(@Root() a: ForecastAdjustment, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Deal, a.deal);
  }

  @FieldResolver(() => Rep, { description: 'Who made the adjustment.' })
  author(@Root() a: ForecastAdjustment, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, a.author);
  }
}
