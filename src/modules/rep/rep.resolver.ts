import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Int, Query, Resolver, Root } from 'type-graphql';
import { Max, MaxLength, Min } from 'class-validator';
import { contains } from '../../shared/search';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { loadRef } from '../../graphql/loaders';
import { DealStatus, LeadStatus, RepRole } from '../../shared/enums';
import { parseId } from '../../shared/ids';
import { Deal } from '../deal/deal.entity';
import { Lead } from '../lead/lead.entity';
import { Team } from '../team/team.entity';
import { Rep } from './rep.entity';

export const RepConnection = Connection(Rep);

@InputType()
class RepFilter {
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => [RepRole], { nullable: true }) roles?: RepRole[];
  @Field({ nullable: true }) active?: boolean;
  @Field({ nullable: true, description: 'Case-insensitive text in the name or email.' }) @MaxLength(200) search?: string;
}

@ArgsType()
class RepQueryArgs {
  @Field(() => RepFilter, { nullable: true }) filter?: RepFilter;
}

/** Arguments of the nested "latest N" lists (rep.deals, account.deals, ...). */
@ArgsType()
export class LatestArgs {
  @Field(() => Int, { defaultValue: 10, description: 'How many, newest first (1..100). Page with the top-level query for more.' })
  @Min(1)
  @Max(100)
  first!: number;
}

@ArgsType()
class RepDealsArgs extends LatestArgs {
  @Field(() => [DealStatus], { nullable: true }) statuses?: DealStatus[];
}

@ArgsType()
class RepLeadsArgs extends LatestArgs {
  @Field(() => [LeadStatus], { nullable: true }) statuses?: LeadStatus[];
}

@Resolver(() => Rep)
export class RepResolver {
  @Query(() => RepConnection, { description: 'People on the sales team, by name.' })
  async reps(@Args() page: PageArgs, @Args() { filter = {} }: RepQueryArgs, @Ctx() ctx: Context) {
    const where: Record<string, unknown> = {};
    if (filter.teamId) where.team = parseId(filter.teamId, 'filter.teamId');
    if (filter.roles?.length) where.role = { $in: filter.roles };
    if (filter.active != null) where.active = filter.active;
    if (filter.search) {
      Object.assign(where, contains(ctx.em, 'reps', ['name', 'email'], filter.search));
    }
    return paginate(ctx.em, Rep, await ctx.access.scoped('Rep', where), { name: 'asc' }, page, ctx.config.maxPageSize);
  }

  @Query(() => Rep)
  rep(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.access.findOrFail(ctx.em, Rep, id, 'id');
  }

  @FieldResolver(() => Team, { nullable: true })
  team(@Root() rep: Rep, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Team, rep.team);
  }

  @FieldResolver(() => Int, { description: 'Whole months since hire: compare reps in context.' })
  tenureMonths(@Root() rep: Rep) {
    const now = new Date();
    return Math.max(0, (now.getUTCFullYear() - rep.hiredAt.getUTCFullYear()) * 12 + now.getUTCMonth() - rep.hiredAt.getUTCMonth());
  }

  @FieldResolver(() => [Deal], { description: 'The newest deals this rep owns.' })
  async deals(@Root() rep: Rep, @Args() { first, statuses }: RepDealsArgs, @Ctx() ctx: Context) {
    const owners = await ctx.access.dealOwnerIds(); // the rep is visible; its deals only to those who see deals
    const where = { ...(statuses?.length && { status: statuses }), ...(owners && { owner: owners }) };
    return ctx.loaders.latestChildren(Deal, 'owner', first, where).load(rep.id);
  }

  @FieldResolver(() => [Lead], { description: 'The newest leads this rep works.' })
  async leads(@Root() rep: Rep, @Args() { first, statuses }: RepLeadsArgs, @Ctx() ctx: Context) {
    const reps = await ctx.access.repIds(); // a colleague in the directory is visible, its leads are not
    if (reps && !reps.includes(rep.id)) return [];
    return ctx.loaders.latestChildren(Lead, 'owner', first, statuses?.length ? { status: statuses } : {}).load(rep.id);
  }
}
