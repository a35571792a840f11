import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Query, Resolver, Root } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { contains } from '../../shared/search';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { loadRef } from '../../graphql/loaders';
import { AccountSegment, DealStatus } from '../../shared/enums';
import { Deal } from '../deal/deal.entity';
import { Order } from '../order/order.entity';
import { LatestArgs } from '../rep/rep.resolver';
import { Account } from './account.entity';

export const AccountConnection = Connection(Account);

@InputType()
class AccountFilter {
  @Field(() => [AccountSegment], { nullable: true }) segments?: AccountSegment[];
  @Field(() => [String], { nullable: true }) sectors?: string[];
  @Field(() => [String], { nullable: true }) countries?: string[];
  @Field({ nullable: true, description: 'Case-insensitive text in the name.' }) @MaxLength(200) search?: string;
}

@ArgsType()
class AccountQueryArgs {
  @Field(() => AccountFilter, { nullable: true }) filter?: AccountFilter;
}

@ArgsType()
class AccountDealsArgs extends LatestArgs {
  @Field(() => [DealStatus], { nullable: true }) statuses?: DealStatus[];
}

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => AccountConnection, { description: 'Customer and prospect companies, by name.' })
  async accounts(@Args() page: PageArgs, @Args() { filter = {} }: AccountQueryArgs, @Ctx() ctx: Context) {
    const where: Record<string, unknown> = {};
    if (filter.segments?.length) where.segment = { $in: filter.segments };
    if (filter.sectors?.length) where.sector = { $in: filter.sectors };
    if (filter.countries?.length) where.country = { $in: filter.countries };
    if (filter.search) Object.assign(where, contains(ctx.em, 'accounts', ['name'], filter.search));
    return paginate(ctx.em, Account, await ctx.access.scoped('Account', where), { name: 'asc' }, page, ctx.config.maxPageSize);
  }

  @Query(() => Account)
  account(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.access.findOrFail(ctx.em, Account, id, 'id');
  }

  @FieldResolver(() => Account, { nullable: true })
  parent(@Root() account: Account, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Account, account.parent);
  }

  @FieldResolver(() => [Deal], { description: 'The newest deals with this account.' })
  async deals(@Root() account: Account, @Args() { first, statuses }: AccountDealsArgs, @Ctx() ctx: Context) {
    const owners = await ctx.access.dealOwnerIds(); // an AE sees its own deals with the account, not its colleagues'
    const where = { ...(statuses?.length && { status: statuses }), ...(owners && { owner: owners }) };
    return ctx.loaders.latestChildren(Deal, 'account', first, where).load(account.id);
  }

  @FieldResolver(() => [Order], { description: 'The newest orders of this account.' })
  orders(@Root() account: Account, @Args() { first }: LatestArgs, @Ctx() ctx: Context) {
    return ctx.loaders.latestChildren(Order, 'account', first).load(account.id);
  }
}
