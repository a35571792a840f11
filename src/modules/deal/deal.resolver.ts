import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { loadRef } from '../../graphql/loaders';
import { SortDirection } from '../../shared/enums';
import { Account } from '../account/account.entity';
import { Activity } from '../activity/activity.entity';
import { Lead } from '../lead/lead.entity';
import { PipelineStage } from '../pipeline/stage.entity';
import { Product } from '../product/product.entity';
import { Rep } from '../rep/rep.entity';
import { Deal } from './deal.entity';
import { CloseDealInput, CreateDealInput, DealQueryArgs, DealSortField, MoveDealStageInput, UpdateDealInput } from './deal.inputs';
import * as deals from './deal.service';
import { DealStageChange } from './stage-change.entity';

export const DealConnection = Connection(Deal);

@Resolver(() => Deal)
export class DealResolver {
  @Query(() => DealConnection, { description: 'Deals matching the filters, newest first by default.' })
  async deals(@Args() page: PageArgs, @Args() { filter, sort }: DealQueryArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo) {
    const field = sort?.field ?? DealSortField.ID;
    const direction = (sort?.direction ?? SortDirection.DESC) === SortDirection.ASC ? 'asc' : 'desc';
    return paginate(ctx.em, Deal, await deals.visibleDealWhere(ctx.em, ctx.access, filter), { [field]: direction }, page, ctx.config.maxPageSize, info);
  }

  @Query(() => Deal)
  deal(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.access.findOrFail(ctx.em, Deal, id, 'id');
  }

  @FieldResolver(() => Account, { nullable: true })
  account(@Root() deal: Deal, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Account, deal.account);
  }

  @FieldResolver(() => Rep, { nullable: true })
  owner(@Root() deal: Deal, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, deal.owner);
  }

  @FieldResolver(() => Product, { nullable: true })
  product(@Root() deal: Deal, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Product, deal.product);
  }

  @FieldResolver(() => PipelineStage)
  stage(@Root() deal: Deal, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, PipelineStage, deal.stage);
  }

  @FieldResolver(() => Lead, { nullable: true, description: 'The lead this deal was converted from.' })
  sourceLead(@Root() deal: Deal, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Lead, deal.sourceLead);
  }

  @FieldResolver(() => [DealStageChange], { description: 'Every stage move, oldest first.' })
  stageHistory(@Root() deal: Deal, @Ctx() ctx: Context) {
    return ctx.loaders.children(DealStageChange, 'deal', { at: 'asc' }).load(deal.id);
  }

  @FieldResolver(() => [Activity], { description: 'Activities logged on this deal, oldest first.' })
  activities(@Root() deal: Deal, @Ctx() ctx: Context) {
    return ctx.loaders.children(Activity, 'deal', { at: 'asc' }).load(deal.id);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Whole days in the current stage (open deals).' })
  daysInStage(@Root() deal: Deal) {
    if (!deal.stageEnteredAt || deal.closedAt) return null;
    return Math.floor((Date.now() - deal.stageEnteredAt.getTime()) / 86_400_000);
  }

  @Mutation(() => Deal, { description: 'Opens a deal in the first (or given) open stage.' })
  createDeal(@Arg('input') input: CreateDealInput, @Ctx() ctx: Context) {
    return deals.createDeal(ctx.em, input, ctx.access);
  }

  @Mutation(() => Deal)
  updateDeal(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { description: 'The version you read.' }) version: number,
    @Arg('input') input: UpdateDealInput,
    @Ctx() ctx: Context,
  ) {
    return deals.updateDeal(ctx.em, id, version, input, ctx.access);
  }

  @Mutation(() => Deal, { description: 'Moves an open deal to another open stage and records the move.' })
  moveDealStage(@Arg('input') input: MoveDealStageInput, @Ctx() ctx: Context) {
    return deals.moveDealStage(ctx.em, input, null, ctx.access);
  }

  @Mutation(() => Deal, { description: 'Wins or loses an open deal. A win records the first order of the account.' })
  closeDeal(@Arg('input') input: CloseDealInput, @Ctx() ctx: Context) {
    return deals.closeDeal(ctx.em, input, ctx.access);
  }
}

@Resolver(() => DealStageChange)
export class DealStageChangeResolver {
  @FieldResolver(() => PipelineStage, { nullable: true })
  fromStage(@Root() change: DealStageChange, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, PipelineStage, change.fromStage);
  }

  @FieldResolver(() => PipelineStage)
  toStage(@Root() change: DealStageChange, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, PipelineStage, change.toStage);
  }

  @FieldResolver(() => Rep, { nullable: true })
  by(@Root() change: DealStageChange, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, change.by);
  }
}
