import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { loadRef } from '../../graphql/loaders';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { ForecastAdjustment, ForecastGroupBy, ForecastSnapshot } from './forecast.entity';
import { AdjustForecastInput, BacktestArgs, ForecastArgs, OverrideDealCategoryInput, SegmentArgs } from './forecast.inputs';
import { CycleDuration, Forecast, ForecastBacktest, StageWeights } from './forecast.types';
import * as forecasts from './forecast.service';

@Resolver(() => Forecast)
export class ForecastResolver {
  @Query(() => Forecast, { description: 'Revenue forecast of a period (expected, P10/P50/P90, parts, categories, quota) as of a date.' })
  forecast(@Args() { teamId, repId, ...args }: ForecastArgs, @Ctx() ctx: Context) {
    return forecasts.getForecast(ctx.em, ctx.config.database.kind, { ...args, scope: forecasts.parseScope(teamId, repId) });
  }

  @Query(() => StageWeights, { description: 'Learned P(won | reached stage) with sample sizes, for a segment (company-wide by default).' })
  stageWeights(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    return forecasts.getStageWeights(ctx.em, ctx.config.database.kind, segment, asOf);
  }

  @Query(() => [CycleDuration], { description: 'Time from entering each stage to closing, with sample sizes.' })
  cycleDurations(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    return forecasts.getCycleDurations(ctx.em, ctx.config.database.kind, segment, asOf);
  }

  @Query(() => ForecastBacktest, { description: 'Track record: past periods forecast as of their start vs actual, with run-rate and fixed-weight baselines.' })
  forecastBacktest(@Args() { teamId, repId, ...args }: BacktestArgs, @Ctx() ctx: Context) {
    return forecasts.getBacktest(ctx.em, ctx.config.database.kind, { ...args, scope: forecasts.parseScope(teamId, repId) });
  }

  @Query(() => [ForecastSnapshot], { description: 'Forecasts stored while their period was current, oldest first.' })
  forecastSnapshots(
    @Arg('period') period: string,
    @Arg('groupBy', () => ForecastGroupBy, { defaultValue: ForecastGroupBy.COMPANY }) groupBy: ForecastGroupBy,
    @Ctx() ctx: Context,
  ) {
    const p = forecasts.periodOrFail(period);
    return ctx.em.find(ForecastSnapshot, { periodStart: new Date(p.start), periodEnd: new Date(p.end), groupBy }, { orderBy: { asOf: 'asc', id: 'asc' } });
  }

  @Mutation(() => ForecastAdjustment, { description: 'Records a called amount for the company, a team or a rep, next to the model number.' })
  adjustForecast(@Arg('input') input: AdjustForecastInput, @Ctx() ctx: Context) {
    return forecasts.adjustForecast(ctx.em, input);
  }

  @Mutation(() => ForecastAdjustment, { description: "Overrides a deal's forecast category (or clears it), recording who, when and why." })
  overrideDealForecastCategory(@Arg('input') input: OverrideDealCategoryInput, @Ctx() ctx: Context) {
    return forecasts.overrideDealCategory(ctx.em, input);
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
