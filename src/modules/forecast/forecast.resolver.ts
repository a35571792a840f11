import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { heavyJob, type Context } from '../../graphql/context';
import { loadRef } from '../../graphql/loaders';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { ForecastAdjustment, ForecastGroupBy, ForecastSnapshot } from './forecast.entity';
import { AdjustForecastInput, BacktestArgs, ForecastArgs, OverrideDealCategoryInput, SegmentArgs } from './forecast.inputs';
import { CycleDuration, Forecast, ForecastBacktest, StageWeights } from './forecast.types';
import { adjustForecast, overrideDealCategory } from './adjustment.service';
import { getBacktest } from './backtest.service';
import { getForecast } from './forecast.service';
import { getCycleDurations, getStageWeights } from './history.service';
import { storedSnapshots } from '../forecast-snapshots/snapshot.service';
import { dealAggregateScope, visibleSnapshotGroups } from '../auth/aggregate.policy';
import { assertCanAdjust, assertCanOverride, forecastAuthor, forecastScope } from '../auth/forecast.policy';
import { FORECAST_TABLES, STAGE_STATS_TABLES, cachedAnswer } from '../../shared/answer-cache';

@Resolver(() => Forecast)
export class ForecastResolver {
  @Query(() => Forecast, { description: 'Revenue forecast of a period (expected, P10/P50/P90, parts, categories, quota) as of a date.' })
  async forecast(@Args() { teamId, repId, ...args }: ForecastArgs, @Ctx() ctx: Context) {
    const scope = await forecastScope(ctx.access, ctx.em, teamId, repId);
    return cachedAnswer(ctx, { name: 'forecast', args, scope, tables: FORECAST_TABLES }, () => getForecast(ctx.em, { ...args, scope, job: heavyJob(ctx) }));
  }

  @Query(() => StageWeights, { description: "Learned P(won | reached stage) with sample sizes, for a segment (the caller's slice by default: the company for EXEC and ADMIN)." })
  async stageWeights(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    const { teamId, ...rest } = segment ?? {};
    const scope = await dealAggregateScope(ctx.access, ctx.em, { teamId }, 'segment.');
    return cachedAnswer(ctx, { name: 'stageWeights', args: { rest, asOf }, scope, tables: STAGE_STATS_TABLES }, () => getStageWeights(ctx.em, rest, asOf, scope, heavyJob(ctx)));
  }

  @Query(() => [CycleDuration], { description: "Time from entering each stage to closing, with sample sizes (the caller's slice by default)." })
  async cycleDurations(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    const { teamId, ...rest } = segment ?? {};
    const scope = await dealAggregateScope(ctx.access, ctx.em, { teamId }, 'segment.');
    return cachedAnswer(ctx, { name: 'cycleDurations', args: { rest, asOf }, scope, tables: STAGE_STATS_TABLES }, () => getCycleDurations(ctx.em, rest, asOf, scope, heavyJob(ctx)));
  }

  @Query(() => ForecastBacktest, { description: 'Track record: past periods forecast as of their start vs actual, with run-rate and fixed-weight baselines.' })
  async forecastBacktest(@Args() { teamId, repId, ...args }: BacktestArgs, @Ctx() ctx: Context) {
    const scope = await forecastScope(ctx.access, ctx.em, teamId, repId);
    return cachedAnswer(ctx, { name: 'backtest', args, scope, tables: FORECAST_TABLES }, () => getBacktest(ctx.em, { ...args, scope, job: heavyJob(ctx) }));
  }

  @Query(() => [ForecastSnapshot], { description: "Forecasts stored while their period was current, oldest first: company and product rows for EXEC and ADMIN, a MANAGER's team and reps, an AE's own." })
  async forecastSnapshots(
    @Arg('period') period: string,
    @Arg('groupBy', () => ForecastGroupBy, { defaultValue: ForecastGroupBy.COMPANY }) groupBy: ForecastGroupBy,
    @Ctx() ctx: Context,
  ) {
    return storedSnapshots(ctx.em, period, groupBy, await visibleSnapshotGroups(ctx.access, ctx.em, groupBy));
  }

  @Mutation(() => ForecastAdjustment, { description: 'Records a called amount for the company, a team or a rep, next to the model number.' })
  async adjustForecast(@Arg('input') input: AdjustForecastInput, @Ctx() ctx: Context) {
    const author = forecastAuthor(ctx.access);
    await assertCanAdjust(ctx.access, ctx.em, input);
    return adjustForecast(ctx.em, input, author);
  }

  @Mutation(() => ForecastAdjustment, { description: "Overrides a deal's forecast category (or clears it), recording who, when and why." })
  async overrideDealForecastCategory(@Arg('input') input: OverrideDealCategoryInput, @Ctx() ctx: Context) {
    const author = forecastAuthor(ctx.access);
    await assertCanOverride(ctx.access, ctx.em, input.dealId);
    return overrideDealCategory(ctx.em, input, author);
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
