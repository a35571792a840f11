import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { loadRef } from '../../graphql/loaders';
import { Deal } from '../deal/deal.entity';
import { Lead } from '../lead/lead.entity';
import { Rep } from '../rep/rep.entity';
import { Activity } from './activity.entity';
import { ActivityQueryArgs, LogActivityInput } from './activity.inputs';
import { logActivity, visibleActivityWhere } from './activity.service';

export const ActivityConnection = Connection(Activity);

@Resolver(() => Activity)
export class ActivityResolver {
  @Query(() => ActivityConnection, { description: 'Activities, most recent first.' })
  async activities(@Args() page: PageArgs, @Args() { filter }: ActivityQueryArgs, @Ctx() ctx: Context) {
    return paginate(ctx.em, Activity, await visibleActivityWhere(ctx.access, filter), { at: 'desc' }, page, ctx.config.maxPageSize);
  }

  @FieldResolver(() => Rep, { nullable: true })
  rep(@Root() activity: Activity, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, activity.rep);
  }

  @FieldResolver(() => Lead, { nullable: true })
  lead(@Root() activity: Activity, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Lead, activity.lead);
  }

  @FieldResolver(() => Deal, { nullable: true })
  deal(@Root() activity: Activity, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Deal, activity.deal);
  }

  @Mutation(() => Activity, { description: 'Logs an activity; the first outbound touch marks a NEW lead CONTACTED.' })
  logActivity(@Arg('input') input: LogActivityInput, @Ctx() ctx: Context) {
    return logActivity(ctx.em, input, ctx.access);
  }
}
