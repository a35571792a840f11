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

@Resolver(() => Forecast)
export class ForecastResolver {
  @Query(() => Forecast, { description: 'Revenue forecast of a period (expected, P10/P50/P90, parts, categories, quota) as of a date.' })
  async forecast(@Args() { teamId, repId, ...args }: ForecastArgs, @Ctx() ctx: Context) {
    return forecasts.getForecast(ctx.em, ctx.config.database.kind, { ...args, scope: await forecastScopeFor(ctx, teamId, repId), job: heavyJob(ctx) });
  }

  @Query(() => StageWeights, { description: 'Learned P(won | reached stage) with sample sizes, for a segment (company-wide by default).' })
  stageWeights(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    if (segment?.teamId != null) ctx.access.assertTeam(segment.teamId, 'segment.teamId');
    return forecasts.getStageWeights(ctx.em, ctx.config.database.kind, segment, asOf);
  }

  @Query(() => [CycleDuration], { description: 'Time from entering each stage to closing, with sample sizes.' })
  cycleDurations(@Args() { segment, asOf }: SegmentArgs, @Ctx() ctx: Context) {
    if (segment?.teamId != null) ctx.access.assertTeam(segment.teamId, 'segment.teamId');
    return forecasts.getCycleDurations(ctx.em, ctx.config.database.kind, segment, asOf);
  }

  @Query(() => ForecastBacktest, { description: 'Track record: past periods forecast as of their start vs actual, with run-rate and fixed-weight baselines.' })
  async forecastBacktest(@Args() { teamId, repId, ...args }: BacktestArgs, @Ctx() ctx: Context) {
    return forecasts.getBacktest(ctx.em, ctx.config.database.kind, { ...args, scope: await forecastScopeFor(ctx, teamId, repId), job: heavyJob(ctx) });
  }

  @Query(() => [ForecastSnapshot], { description: 'Forecasts stored while their period was current, oldest first.' })
  forecastSnapshots(
    @Arg('period') period: string,
    @Arg('groupBy', () => ForecastGroupBy, { defaultValue: ForecastGroupBy.COMPANY }) groupBy: ForecastGroupBy,
    @Ctx() ctx: Context,
  ) {
    ctx.access.assertCompanyWide('Stored forecast snapshots');
    const p = forecasts.periodOrFail(period);
    return ctx.em.find(ForecastSnapshot, { periodStart: new Date(p.start), periodEnd: new Date(p.end), groupBy }, { orderBy: { asOf: 'asc', id: 'asc' } });
  }

  @Mutation(() => ForecastAdjustment, { description: 'Records a called amount for the company, a team or a rep, next to the model number.' })
  async adjustForecast(@Arg('input') input: AdjustForecastInput, @Ctx() ctx: Context) {
    await assertCanAdjust(ctx, input);
    return forecasts.adjustForecast(ctx.em, input);
  }

  @Mutation(() => ForecastAdjustment, { description: "Overrides a deal's forecast category (or clears it), recording who, when and why." })
  async overrideDealForecastCategory(@Arg('input') input: OverrideDealCategoryInput, @Ctx() ctx: Context) {
    await ctx.access.assertCanOwnDeals(input.authorId, 'input.authorId');
    await ctx.access.findOrFail(ctx.em, Deal, input.dealId, 'input.dealId'); // NOT_FOUND outside the caller's deals
    return forecasts.overrideDealCategory(ctx.em, input);
  }
}

/**
 * The deals a caller may forecast (src/modules/auth/access.policy.ts): EXEC and ADMIN as asked; a MANAGER its team
 * or one of its members (its team by default); an AE itself; an SDR owns no deals (FORBIDDEN).
 */
async function forecastScopeFor(ctx: Context, teamId: string | undefined, repId: string | undefined) {
  const { access } = ctx;
  if (access.unrestricted) return forecasts.parseScope(teamId, repId);
  if (access.role === AccessRole.SDR) throw new ForbiddenError('Forecasts cover deals, which SDRs do not own');
  if (teamId != null) access.assertTeam(teamId, 'teamId');
  if (repId != null) await access.assertRep(repId, 'repId');
  if (teamId != null || repId != null) return forecasts.parseScope(teamId, repId);
  const { teamId: ownTeam, repId: ownRep } = access.identity;
  return access.role === AccessRole.MANAGER && ownTeam != null ? { teamId: ownTeam } : { repId: ownRep ?? 0 };
}

/** A called amount: the company by EXEC/ADMIN, a team by its MANAGER, a rep by itself or its MANAGER. */
async function assertCanAdjust(ctx: Context, input: AdjustForecastInput): Promise<void> {
  const { access } = ctx;
  if (access.role === AccessRole.SDR) throw new ForbiddenError('Forecasts cover deals, which SDRs do not own');
  await access.assertCanAssign(input.authorId, 'input.authorId');
  if (input.scope === TargetScope.COMPANY) access.assertCompanyWide('A company forecast call');
  if (input.scope === TargetScope.TEAM && input.teamId != null) access.assertTeam(input.teamId, 'input.teamId');
  if (input.scope === TargetScope.REP && input.repId != null) await access.assertRep(input.repId, 'input.repId');
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
