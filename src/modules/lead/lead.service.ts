import type { FilterQuery } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { toMinor } from '../../graphql/money.scalar';
import { contains } from '../../shared/search';
import { BadInputError, ConflictError } from '../../shared/errors';
import { LeadStatus } from '../../shared/enums';
import { requiredText } from '../../shared/validation';
import { assertVersion, parseId } from '../../shared/ids';
import { Account } from '../account/account.entity';
import { Product } from '../product/product.entity';
import { createDeal } from '../deal/deal.service';
import { Deal } from '../deal/deal.entity';
import { Lead } from './lead.entity';
import { AccessScope } from '../auth/access.policy';
import type { ConvertLeadInput, CreateLeadInput, LeadFilter, UpdateLeadInput } from './lead.inputs';

export function leadWhere(em: Em, filter: LeadFilter = {}): FilterQuery<Lead> {
  const where: Record<string, unknown> = {};
  if (filter.ownerIds?.length) where.owner = { $in: filter.ownerIds.map((id) => parseId(id, 'filter.ownerIds')) };
  if (filter.teamId) where.owner = { ...(where.owner as object), team: parseId(filter.teamId, 'filter.teamId') };
  if (filter.statuses?.length) where.status = { $in: filter.statuses };
  if (filter.sources?.length) where.source = { $in: filter.sources };
  if (filter.createdFrom || filter.createdTo) {
    where.createdAt = { ...(filter.createdFrom && { $gte: filter.createdFrom }), ...(filter.createdTo && { $lt: filter.createdTo }) };
  }
  if (filter.search) {
    Object.assign(where, contains(em, 'leads', ['name', 'company', 'email'], filter.search));
  }
  return where as FilterQuery<Lead>;
}

/** The leads query's WHERE: the filters narrowed to the caller's slice (the one place lead lists are scoped). */
export function visibleLeadWhere(em: Em, access: AccessScope, filter?: LeadFilter): Promise<FilterQuery<Lead>> {
  return access.scoped<Lead>('Lead', leadWhere(em, filter));
}

/** Custom fields must stay flat scalars: they become model features and CSV columns. */
export function validateAttributes(attributes: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const entries = Object.entries(attributes);
  if (entries.length > 100) throw new BadInputError('attributes', 'At most 100 custom fields');
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 100) throw new BadInputError('attributes', `Custom field names are 1..100 characters: "${key.slice(0, 40)}"`);
    const ok = value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 1000);
    if (!ok) throw new BadInputError('attributes', `Custom field "${key}" must be a string (≤ 1000 chars), finite number, boolean or null`);
  }
  return attributes as Record<string, string | number | boolean | null>;
}

/** Account and owner through the caller's access policy: NOT_FOUND outside its slice, the one owner rule for the owner. */
async function applyFields(em: Em, lead: Lead, input: CreateLeadInput | UpdateLeadInput, prefix: string, access: AccessScope) {
  if (input.ownerId === null && !access.unrestricted) throw new BadInputError(`${prefix}ownerId`, 'A lead keeps an owner: name the rep taking it over');
  const account = await access.findOptional(em, Account, input.accountId, `${prefix}accountId`);
  const owner = input.ownerId == null ? input.ownerId : await access.resolveAssignee(em, input.ownerId, 'lead', `${prefix}ownerId`);
  if (input.name != null) lead.name = requiredText(input.name, `${prefix}name`, 160);
  for (const key of ['email', 'phone', 'title', 'company', 'source', 'hasAuthority', 'hasNeed', 'timelineMonths'] as const) {
    if (input[key] !== undefined) (lead as unknown as Record<string, unknown>)[key] = input[key];
  }
  if (account !== undefined) lead.account = account;
  if (owner !== undefined) lead.owner = owner;
  if (input.budget !== undefined) lead.budgetCents = input.budget == null ? null : toMinor(input.budget);
  if (input.attributes !== undefined) lead.attributes = validateAttributes(input.attributes ?? {});
}

/** `access` is the caller's scope; in-process callers (import, seeds, CLI) run as the system identity. */
export async function createLead(em: Em, input: CreateLeadInput, access = AccessScope.system()): Promise<Lead> {
  // A rep creating a lead without naming an owner works it themselves (otherwise they could not see it).
  if (input.ownerId === undefined && access.identity.repId != null && !access.unrestricted) input = { ...input, ownerId: String(access.identity.repId) } as CreateLeadInput;
  return em.transactional(async (tx) => {
    const lead = tx.create(Lead, { name: requiredText(input.name, 'input.name', 160), status: LeadStatus.NEW, attributes: {} });
    await applyFields(tx, lead, input, 'input.', access);
    return lead;
  });
}

export async function updateLead(em: Em, id: string, version: number, input: UpdateLeadInput, access = AccessScope.system()): Promise<Lead> {
  return em.transactional(async (tx) => {
    const lead = await access.findOrFail(tx, Lead, id, 'id');
    assertVersion(lead, version, 'Lead');
    await applyFields(tx, lead, input, 'input.', access);
    return lead;
  });
}

const CLOSED = new Set([LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED]);

function assertOpen(lead: Lead, action: string) {
  if (CLOSED.has(lead.status)) throw new ConflictError(`Lead ${lead.id} is ${lead.status}; it cannot be ${action}`);
}

export async function qualifyLead(em: Em, id: string, version: number, access = AccessScope.system()): Promise<Lead> {
  return em.transactional(async (tx) => {
    const lead = await access.findOrFail(tx, Lead, id, 'id');
    assertVersion(lead, version, 'Lead');
    assertOpen(lead, 'qualified');
    if (lead.status === LeadStatus.QUALIFIED) throw new ConflictError(`Lead ${lead.id} is already qualified`);
    lead.status = LeadStatus.QUALIFIED;
    lead.sqlAt = new Date();
    return lead;
  });
}

export async function disqualifyLead(em: Em, id: string, version: number, reason: string, access = AccessScope.system()): Promise<Lead> {
  return em.transactional(async (tx) => {
    const lead = await access.findOrFail(tx, Lead, id, 'id');
    assertVersion(lead, version, 'Lead');
    assertOpen(lead, 'disqualified');
    if (!reason.trim()) throw new BadInputError('reason', 'Say why the lead is disqualified');
    if (reason.length > 200) throw new BadInputError('reason', 'The reason is at most 200 characters');
    lead.status = LeadStatus.DISQUALIFIED;
    lead.disqualificationReason = reason.trim();
    lead.closedAt = new Date();
    return lead;
  });
}

/**
 * Creates the deal (and the account if the lead has none) and closes the lead as CONVERTED, atomically.
 * Whoever may edit the lead may convert it; the new deal goes to a deal owner under the one owner rule's
 * hand-off case (an SDR or AE: an active AE or manager of its team; a MANAGER: its team; EXEC/ADMIN: anyone).
 * An account is matched by the company name among the accounts the caller can read only: another team's
 * customer of the same name is never attached (nor revealed); a new account is created instead.
 */
export async function convertLead(em: Em, input: ConvertLeadInput, access = AccessScope.system()): Promise<Lead> {
  return em.transactional(async (tx) => {
    const lead = await access.findOrFail(tx, Lead, input.leadId, 'leadId');
    assertVersion(lead, input.version, 'Lead');
    assertOpen(lead, 'converted');
    const owner = await access.resolveAssignee(tx, input.ownerId, 'handoff', 'ownerId');
    const product = await access.findOptional(tx, Product, input.productId, 'productId');
    let account = lead.account ? await tx.findOne(Account, lead.account.id) : null;
    if (!account) {
      const company = lead.company?.trim();
      if (!company) throw new BadInputError('leadId', 'The lead has neither an account nor a company name to create one from');
      account = (await tx.findOne(Account, await access.scoped<Account>('Account', { name: company }, tx))) ?? tx.create(Account, { name: company });
      await tx.flush();
      lead.account = account;
    }
    // The caller's rights were checked above (the lead, its hand-off); the deal is written as the system would.
    const deal = await createDeal(tx, {
      name: input.dealName != null ? requiredText(input.dealName, 'dealName', 200) : [company(lead, account), product?.name].filter(Boolean).join(' - '),
      accountId: String(account.id),
      ownerId: String(owner.id),
      productId: input.productId,
      amount: input.amount,
      currency: input.currency,
      expectedCloseDate: input.expectedCloseDate,
      source: lead.source ?? undefined,
    });
    deal.sourceLead = lead;
    const now = new Date();
    lead.status = LeadStatus.CONVERTED;
    lead.sqlAt ??= now;
    lead.closedAt = now;
    lead.convertedDeal = tx.getReference(Deal, deal.id);
    return lead;
  });
}

const company = (lead: Lead, account: Account) => account.name || lead.company || lead.name;
