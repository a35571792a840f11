import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { loadRef } from '../../graphql/loaders';
import { TargetScope } from '../../shared/enums';
import { parseId } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { Target } from './target.entity';
import { CreateTargetInput, UpdateTargetInput } from './target.inputs';
import { createTarget, updateTarget } from './target.service';

export const TargetConnection = Connection(Target);

@ArgsType()
class TargetQueryArgs {
  @Field({ nullable: true }) kpiKey?: string;
  @Field(() => TargetScope, { nullable: true }) scope?: TargetScope;
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => ID, { nullable: true }) repId?: string;
  @Field(() => Date, { nullable: true, description: 'Targets whose period overlaps [from, to).' }) from?: Date;
  @Field(() => Date, { nullable: true }) to?: Date;
}

@Resolver(() => Target)
export class TargetResolver {
  @Query(() => TargetConnection, { description: 'Objectives, most recent period first.' })
  async targets(@Args() page: PageArgs, @Args() args: TargetQueryArgs, @Ctx() ctx: Context) {
    const where: Record<string, unknown> = {};
    if (args.kpiKey) where.kpiKey = args.kpiKey;
    if (args.scope) where.scope = args.scope;
    if (args.teamId) where.team = parseId(args.teamId, 'teamId');
    if (args.repId) where.rep = parseId(args.repId, 'repId');
    if (args.from) where.periodEnd = { $gt: args.from };
    if (args.to) where.periodStart = { $lt: args.to };
    return paginate(ctx.em, Target, await ctx.access.scoped('Target', where), { periodStart: 'desc' }, page, ctx.config.maxPageSize);
  }

  @FieldResolver(() => Team, { nullable: true })
  team(@Root() target: Target, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Team, target.team);
  }

  @FieldResolver(() => Rep, { nullable: true })
  rep(@Root() target: Target, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, target.rep);
  }

  @Mutation(() => Target)
  createTarget(@Arg('input') input: CreateTargetInput, @Ctx() ctx: Context) {
    return createTarget(ctx.em, input, ctx.access);
  }

  @Mutation(() => Target)
  updateTarget(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('input') input: UpdateTargetInput,
    @Ctx() ctx: Context,
  ) {
    return updateTarget(ctx.em, id, version, input, ctx.access);
  }
}
