import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { loadRef } from '../../graphql/loaders';
import { SortDirection } from '../../shared/enums';
import { Account } from '../account/account.entity';
import { Activity } from '../activity/activity.entity';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { Lead } from './lead.entity';
import { ConvertLeadInput, CreateLeadInput, LeadQueryArgs, LeadSortField, UpdateLeadInput } from './lead.inputs';
import * as leads from './lead.service';

export const LeadConnection = Connection(Lead);

@Resolver(() => Lead)
export class LeadResolver {
  @Query(() => LeadConnection, { description: 'Leads matching the filters, newest first by default.' })
  async leads(@Args() page: PageArgs, @Args() { filter, sort }: LeadQueryArgs, @Ctx() ctx: Context) {
    const field = sort?.field ?? LeadSortField.ID;
    const direction = (sort?.direction ?? SortDirection.DESC) === SortDirection.ASC ? 'asc' : 'desc';
    return paginate(ctx.em, Lead, await leads.visibleLeadWhere(ctx.em, ctx.access, filter), { [field]: direction }, page, ctx.config.maxPageSize);
  }

  @Query(() => Lead)
  lead(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.access.findOrFail(ctx.em, Lead, id, 'id');
  }

  @FieldResolver(() => Rep, { nullable: true, description: 'The SDR working the lead.' })
  owner(@Root() lead: Lead, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, lead.owner);
  }

  @FieldResolver(() => Account, { nullable: true })
  account(@Root() lead: Lead, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Account, lead.account);
  }

  @FieldResolver(() => Deal, { nullable: true })
  convertedDeal(@Root() lead: Lead, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Deal, lead.convertedDeal);
  }

  @FieldResolver(() => [Activity], { description: 'Activities logged on this lead, oldest first.' })
  activities(@Root() lead: Lead, @Ctx() ctx: Context) {
    return ctx.loaders.children(Activity, 'lead', { at: 'asc' }).load(lead.id);
  }

  @Mutation(() => Lead)
  createLead(@Arg('input') input: CreateLeadInput, @Ctx() ctx: Context) {
    return leads.createLead(ctx.em, input, ctx.access);
  }

  @Mutation(() => Lead)
  updateLead(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('input') input: UpdateLeadInput,
    @Ctx() ctx: Context,
  ) {
    return leads.updateLead(ctx.em, id, version, input, ctx.access);
  }

  @Mutation(() => Lead, { description: 'Marks the lead sales-qualified (SQL).' })
  qualifyLead(@Arg('id', () => ID) id: string, @Arg('version', () => Int) version: number, @Ctx() ctx: Context) {
    return leads.qualifyLead(ctx.em, id, version, ctx.access);
  }

  @Mutation(() => Lead)
  disqualifyLead(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('reason') reason: string,
    @Ctx() ctx: Context,
  ) {
    return leads.disqualifyLead(ctx.em, id, version, reason, ctx.access);
  }

  @Mutation(() => Lead, { description: 'Creates the deal from the lead and marks the lead CONVERTED, in one transaction.' })
  convertLead(@Arg('input') input: ConvertLeadInput, @Ctx() ctx: Context) {
    return leads.convertLead(ctx.em, input, ctx.access);
  }
}
