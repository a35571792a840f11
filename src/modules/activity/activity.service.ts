import type { FilterQuery } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { assertNotInFuture } from '../../shared/validation';
import { LeadStatus, OUTBOUND_ACTIVITY_TYPES } from '../../shared/enums';
import { parseId } from '../../shared/ids';
import { AccessScope } from '../auth/access.policy';
import { Deal } from '../deal/deal.entity';
import { Lead } from '../lead/lead.entity';
import { Activity } from './activity.entity';
import type { ActivityFilter, LogActivityInput } from './activity.inputs';

export function activityWhere(filter: ActivityFilter = {}): FilterQuery<Activity> {
  const where: Record<string, unknown> = {};
  if (filter.repIds?.length) where.rep = { $in: filter.repIds.map((id) => parseId(id, 'filter.repIds')) };
  if (filter.teamId) where.rep = { ...(where.rep as object), team: parseId(filter.teamId, 'filter.teamId') };
  if (filter.leadId) where.lead = parseId(filter.leadId, 'filter.leadId');
  if (filter.dealId) where.deal = parseId(filter.dealId, 'filter.dealId');
  if (filter.types?.length) where.type = { $in: filter.types };
  if (filter.outcomes?.length) where.outcome = { $in: filter.outcomes };
  if (filter.from || filter.to) where.at = { ...(filter.from && { $gte: filter.from }), ...(filter.to && { $lt: filter.to }) };
  return where as FilterQuery<Activity>;
}

/** The activities query's WHERE: the filters narrowed to the caller's slice (the one place activity lists are scoped). */
export function visibleActivityWhere(access: AccessScope, filter?: ActivityFilter): Promise<FilterQuery<Activity>> {
  return access.scoped<Activity>('Activity', activityWhere(filter));
}

/** A rep logs their own activities (a MANAGER: their team's) on leads and deals they can see. */
export async function logActivity(em: Em, input: LogActivityInput, access = AccessScope.system()): Promise<Activity> {
  if (!input.leadId && !input.dealId) throw new BadInputError('leadId', 'An activity is logged on a lead or a deal: give leadId or dealId');
  const at = input.at ?? new Date();
  assertNotInFuture(at, 'at', 'An activity');
  return em.transactional(async (tx) => {
    const rep = await access.resolveAssignee(tx, input.repId, 'activity', 'repId');
    const lead = await access.findOptional(tx, Lead, input.leadId, 'leadId');
    const deal = await access.findOptional(tx, Deal, input.dealId, 'dealId');
    const activity = tx.create(Activity, {
      type: input.type,
      rep,
      lead: lead ?? null,
      deal: deal ?? null,
      at,
      outcome: input.outcome,
      notes: input.notes ?? null,
    });
    // First outbound touch starts the lead's clock (speed to lead) and moves NEW to CONTACTED.
    if (lead && OUTBOUND_ACTIVITY_TYPES.includes(input.type)) {
      if (!lead.firstContactedAt || at < lead.firstContactedAt) lead.firstContactedAt = at;
      if (lead.status === LeadStatus.NEW) lead.status = LeadStatus.CONTACTED;
    }
    return activity;
  });
}
