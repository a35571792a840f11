import type { FilterQuery } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { toMinor } from '../../graphql/money.scalar';
import { contains } from '../../shared/search';
import { BadInputError, ConflictError } from '../../shared/errors';
import { DealStatus } from '../../shared/enums';
import { assertNotInFuture, requiredText } from '../../shared/validation';
import { assertVersion, parseId } from '../../shared/ids';
import { Account } from '../account/account.entity';
import { Order } from '../order/order.entity';
import { PipelineStage } from '../pipeline/stage.entity';
import { Product } from '../product/product.entity';
import { Rep } from '../rep/rep.entity';
import { Deal } from './deal.entity';
import { AccessScope } from '../auth/access.policy';
import type { CloseDealInput, CreateDealInput, DealFilter, MoveDealStageInput, UpdateDealInput } from './deal.inputs';
import { DealStageChange } from './stage-change.entity';
import { trackDealChanges } from './deal-history';

export function dealWhere(em: Em, filter: DealFilter = {}): FilterQuery<Deal> {
  const where: Record<string, unknown> = {};
  if (filter.ownerIds?.length) where.owner = { $in: filter.ownerIds.map((id) => parseId(id, 'filter.ownerIds')) };
  if (filter.teamId) where.owner = { ...(where.owner as object), team: parseId(filter.teamId, 'filter.teamId') };
  if (filter.stageIds?.length) where.stage = { $in: filter.stageIds.map((id) => parseId(id, 'filter.stageIds')) };
  if (filter.statuses?.length) where.status = { $in: filter.statuses };
  if (filter.sources?.length) where.source = { $in: filter.sources };
  if (filter.productId) where.product = parseId(filter.productId, 'filter.productId');
  if (filter.productFamily) where.product = { ...(where.product as object), family: filter.productFamily };
  if (filter.accountId) where.account = parseId(filter.accountId, 'filter.accountId');
  const range = (from?: Date, to?: Date) => ({ ...(from && { $gte: from }), ...(to && { $lt: to }) });
  if (filter.openedFrom || filter.openedTo) where.openedAt = range(filter.openedFrom, filter.openedTo);
  if (filter.closedFrom || filter.closedTo) where.closedAt = range(filter.closedFrom, filter.closedTo);
  if (filter.amountMin != null || filter.amountMax != null) {
    where.amountCents = {
      ...(filter.amountMin != null && { $gte: toMinor(filter.amountMin) }),
      ...(filter.amountMax != null && { $lte: toMinor(filter.amountMax) }),
    };
  }
  if (filter.search) Object.assign(where, contains(em, 'deals', ['name'], filter.search));
  return where as FilterQuery<Deal>;
}

/** The deals query's WHERE: the filters narrowed to the caller's slice (the one place deal lists are scoped). */
export function visibleDealWhere(em: Em, access: AccessScope, filter?: DealFilter): Promise<FilterQuery<Deal>> {
  return access.scoped<Deal>('Deal', dealWhere(em, filter));
}

async function firstOpenStage(em: Em): Promise<PipelineStage> {
  const stage = await em.findOne(PipelineStage, { isWon: false, isLost: false }, { orderBy: { position: 'asc' } });
  if (!stage) throw new ConflictError('The pipeline has no open stage');
  return stage;
}

function recordStageChange(em: Em, deal: Deal, from: PipelineStage | null, to: PipelineStage, at: Date, by: Rep | null) {
  trackDealChanges(deal, { by: by?.id ?? null, at });
  em.create(DealStageChange, { deal, fromStage: from, toStage: to, at, by, inferred: false });
  deal.stage = to;
  deal.stageEnteredAt = at;
}

/** `access` is the caller's scope; in-process callers (import, seeds, CLI) run as the system identity. */
export async function createDeal(em: Em, input: CreateDealInput, access = AccessScope.system(), ownerRule: 'deal' | 'handoff' = 'deal'): Promise<Deal> {
  access.assertMayCreateDeals();
  return em.transactional(async (tx) => {
    const { account, owner, product } = await dealReferences(tx, access, input, '', ownerRule);
    const stage = input.stageId ? await access.findOrFail(tx, PipelineStage, input.stageId, 'stageId') : await firstOpenStage(tx);
    if (stage.isClosed) throw new BadInputError('stageId', 'A new deal starts in an open stage; use closeDeal to win or lose it');
    const now = new Date();
    const deal = tx.create(Deal, {
      name: requiredText(input.name, 'name', 200),
      account: account!,
      owner: owner!,
      product: product ?? null,
      amountCents: toMinor(input.amount),
      currency: input.currency.toUpperCase(),
      stage,
      status: DealStatus.OPEN,
      openedAt: now,
      expectedCloseDate: input.expectedCloseDate ?? null,
      source: input.source ?? null,
      forecastCategory: input.forecastCategory ?? null,
    });
    recordStageChange(tx, deal, null, stage, now, owner!);
    return deal;
  });
}

export async function updateDeal(em: Em, id: string, version: number, input: UpdateDealInput, access = AccessScope.system()): Promise<Deal> {
  return em.transactional(async (tx) => {
    const deal = await access.findOrFail(tx, Deal, id, 'id');
    assertVersion(deal, version, 'Deal');
    trackDealChanges(deal, { by: access.identity.repId });
    const { account, owner, product } = await dealReferences(tx, access, input, 'input.', 'deal');
    assertBookedAmountKept(deal, input);
    if (input.name != null) deal.name = requiredText(input.name, 'input.name', 200);
    if (account !== undefined) deal.account = account;
    if (owner !== undefined) deal.owner = owner;
    if (product !== undefined) deal.product = product;
    if (input.amount != null) deal.amountCents = toMinor(input.amount);
    if (input.currency) deal.currency = input.currency.toUpperCase();
    if (input.expectedCloseDate !== undefined) deal.expectedCloseDate = input.expectedCloseDate;
    if (input.forecastCategory !== undefined) deal.forecastCategory = input.forecastCategory;
    return deal;
  });
}

/**
 * The records a deal write names, each through the caller's access policy (NOT_FOUND outside its slice, as a
 * read would answer) and the owner through the one owner rule. undefined = not given, null = cleared.
 */
async function dealReferences(em: Em, access: AccessScope, input: { accountId?: string | null; ownerId?: string | null; productId?: string | null }, prefix: string, ownerRule: 'deal' | 'handoff') {
  if (input.ownerId === null) throw new BadInputError(`${prefix}ownerId`, 'A deal always has an owner: name the rep taking it over');
  const account = await access.findOptional(em, Account, input.accountId, `${prefix}accountId`);
  const owner = input.ownerId === undefined ? undefined : await access.resolveAssignee(em, input.ownerId, ownerRule, `${prefix}ownerId`);
  const product = await access.findOptional(em, Product, input.productId, `${prefix}productId`);
  return { account, owner, product };
}

/**
 * A won deal's amount and currency are booked revenue (and its first order, KPIs, forecasts' closed-won part):
 * they are not edited in place (CONFLICT). A wrong booking is corrected where it lives: the order, by import.
 */
function assertBookedAmountKept(deal: Deal, input: UpdateDealInput): void {
  if (deal.status !== DealStatus.WON) return;
  const amountChanges = input.amount != null && toMinor(input.amount) !== deal.amountCents;
  const currencyChanges = input.currency != null && input.currency.toUpperCase() !== deal.currency;
  if (amountChanges || currencyChanges) {
    throw new ConflictError(`Deal ${deal.id} is won: its amount and currency are booked revenue and can no longer change`, { field: amountChanges ? 'input.amount' : 'input.currency' });
  }
}

export async function moveDealStage(em: Em, input: MoveDealStageInput, by: Rep | null = null, access = AccessScope.system()): Promise<Deal> {
  return em.transactional(async (tx) => {
    const deal = await access.findOrFail(tx, Deal, input.dealId, 'dealId');
    assertVersion(deal, input.version, 'Deal');
    if (deal.status !== DealStatus.OPEN) throw new ConflictError(`Deal ${deal.id} is closed (${deal.status}); its stage can no longer change`);
    const to = await access.findOrFail(tx, PipelineStage, input.stageId, 'stageId');
    if (to.isClosed) throw new BadInputError('stageId', `"${to.name}" closes the deal: use closeDeal`);
    const from = await tx.findOneOrFail(PipelineStage, deal.stage.id);
    if (from.id === to.id) throw new BadInputError('stageId', `Deal ${deal.id} is already in "${to.name}"`);
    const at = input.at ?? new Date();
    assertNotInFuture(at, 'at', 'A stage move');
    if (deal.stageEnteredAt && at < deal.stageEnteredAt) {
      throw new BadInputError('at', 'A stage move cannot predate the move into the current stage');
    }
    recordStageChange(tx, deal, from, to, at, by ?? (deal.owner ? tx.getReference(Rep, deal.owner.id) : null));
    return deal;
  });
}

export async function closeDeal(em: Em, input: CloseDealInput, access = AccessScope.system()): Promise<Deal> {
  return em.transactional(async (tx) => {
    const deal = await access.findOrFail(tx, Deal, input.dealId, 'dealId');
    assertVersion(deal, input.version, 'Deal');
    if (deal.status !== DealStatus.OPEN) throw new ConflictError(`Deal ${deal.id} is already closed (${deal.status})`);
    if (!input.won && !input.lossReason?.trim()) throw new BadInputError('lossReason', 'A lost deal needs a loss reason');
    const to = await tx.findOne(PipelineStage, input.won ? { isWon: true } : { isLost: true });
    if (!to) throw new ConflictError(`The pipeline has no ${input.won ? 'won' : 'lost'} stage`);
    const closedAt = input.closedAt ?? new Date();
    assertNotInFuture(closedAt, 'closedAt', 'A close');
    if (deal.openedAt && closedAt < deal.openedAt) throw new BadInputError('closedAt', 'A deal cannot close before it was opened');
    const from = await tx.findOneOrFail(PipelineStage, deal.stage.id);
    recordStageChange(tx, deal, from, to, closedAt, deal.owner ? tx.getReference(Rep, deal.owner.id) : null);
    deal.status = input.won ? DealStatus.WON : DealStatus.LOST;
    deal.closedAt = closedAt;
    deal.lossReason = input.won ? null : input.lossReason!.trim();
    if (input.won && deal.account) await recordFirstOrder(tx, deal, closedAt);
    return deal;
  });
}

/** A won deal is the customer's first purchase: LTV, repurchase and retention count from it. */
async function recordFirstOrder(em: Em, deal: Deal, at: Date): Promise<void> {
  const product = deal.product ? await em.findOne(Product, deal.product.id) : null;
  const costRatio = product?.unitCostCents != null && product.listPriceCents > 0 ? product.unitCostCents / product.listPriceCents : 0;
  em.create(Order, {
    account: deal.account!,
    product: product ?? null,
    deal,
    amountCents: deal.amountCents,
    costCents: Math.round(deal.amountCents * costRatio),
    orderedAt: at,
  });
}
