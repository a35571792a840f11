import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { loadRef } from '../../graphql/loaders';
import { Rep } from '../rep/rep.entity';
import { Team } from './team.entity';

export const TeamConnection = Connection(Team);

@Resolver(() => Team)
export class TeamResolver {
  @Query(() => TeamConnection, { description: 'Sales teams, by name.' })
  async teams(@Args() page: PageArgs, @Ctx() ctx: Context) {
    return paginate(ctx.em, Team, await ctx.access.scoped('Team', {}), { name: 'asc' }, page, ctx.config.maxPageSize);
  }

  @Query(() => Team)
  team(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.access.findOrFail(ctx.em, Team, id, 'id');
  }

  @FieldResolver(() => Rep, { nullable: true })
  manager(@Root() team: Team, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, team.manager);
  }

  @FieldResolver(() => [Rep], { description: 'Members, by name.' })
  members(@Root() team: Team, @Ctx() ctx: Context) {
    return ctx.loaders.children(Rep, 'team', { name: 'asc' }).load(team.id);
  }
}
