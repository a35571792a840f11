import type { Em } from '../../db/orm';
import { ForbiddenError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import type { AccessScope } from './access.policy';
import { AccessRole } from './identity';

/**
 * One rule for every aggregate entry point: KPIs, kpis, dashboard, funnel, signals, leaderboard, forecast,
 * forecastBacktest, stageWeights, cycleDurations, forecastSnapshots (and any new one).
 *
 * 1. An aggregate counts only rows the caller could list (its slice, src/modules/auth/access.policy.ts).
 * 2. Without a segment it covers the caller's whole slice: EXEC and ADMIN the company, a MANAGER its team, an
 *    AE or SDR itself. Company-wide figures are therefore EXEC/ADMIN only; nobody gets them by omitting a filter.
 * 3. A team or rep named as a segment is resolved like any id (NOT_FOUND when the caller cannot read it), then
 *    must be the caller's to aggregate (FORBIDDEN otherwise): a team for its MANAGER (and EXEC/ADMIN), a rep for
 *    itself, its MANAGER (and EXEC/ADMIN). An AE naming its own team or a colleague is FORBIDDEN, not narrowed.
 * 4. Statistics of deals only (forecasts, backtests, stage weights, cycle durations, snapshots) are FORBIDDEN to
 *    SDRs, who own no deals.
 * Learned model parameters (a segment's stage weights shrink toward the company-wide ones) are not row data:
 * the forecast of an AE's own deals is built on them too. Counts (reached, won, closed, open) are the slice's.
 */
export interface AggregateScope {
  teamId?: number;
  repId?: number;
}

export interface Segment {
  teamId?: string | null;
  repId?: string | null;
}

/** Rule 3 for one named team or rep. */
async function assertSegmentMember(access: AccessScope, em: Em, segment: Segment, prefix: string): Promise<void> {
  if (segment.teamId != null) {
    await access.findOrFail(em, Team, segment.teamId, `${prefix}teamId`);
    access.assertTeam(segment.teamId, `${prefix}teamId`);
  }
  if (segment.repId != null) {
    await access.findOrFail(em, Rep, segment.repId, `${prefix}repId`);
    await access.assertRep(segment.repId, `${prefix}repId`, em);
  }
}

/** The slice a deal statistic covers (rules 2-4): the named segment once checked, else the caller's own slice. */
export async function dealAggregateScope(access: AccessScope, em: Em, segment: Segment, prefix = ''): Promise<AggregateScope> {
  if (access.role === AccessRole.SDR) throw new ForbiddenError('Deal statistics cover deals, which SDRs do not own');
  await assertSegmentMember(access, em, segment, prefix);
  const named: AggregateScope = {
    ...(segment.teamId != null && { teamId: parseId(segment.teamId, `${prefix}teamId`) }),
    ...(segment.repId != null && { repId: parseId(segment.repId, `${prefix}repId`) }),
  };
  if (named.teamId != null || named.repId != null || access.unrestricted) return named;
  const { teamId, repId } = access.identity;
  return access.role === AccessRole.MANAGER && teamId != null ? { teamId } : { repId: repId ?? 0 };
}

/**
 * Rule 3 for the KPI filters (teamIds, repIds, a dashboard's or leaderboard's team or rep). Rules 1 and 2 are the
 * KPI engine's restriction to the caller's reps (KpiEngine.restrict).
 */
export async function assertKpiSegments(access: AccessScope, em: Em, teamIds: readonly string[] = [], repIds: readonly string[] = [], prefix = 'filter.'): Promise<void> {
  if (access.unrestricted) return;
  for (const teamId of teamIds) await assertSegmentMember(access, em, { teamId }, prefix);
  for (const repId of repIds) await assertSegmentMember(access, em, { repId }, prefix);
}

/** Stored forecast snapshots: company and product rows are company-wide (rule 2); team and rep rows follow rule 3. */
export async function visibleSnapshotGroups(access: AccessScope, em: Em, groupBy: 'COMPANY' | 'TEAM' | 'REP' | 'PRODUCT'): Promise<number[] | null> {
  if (access.role === AccessRole.SDR) throw new ForbiddenError('Deal statistics cover deals, which SDRs do not own');
  if (access.unrestricted) return null;
  if (groupBy === 'COMPANY' || groupBy === 'PRODUCT') access.assertCompanyWide('Company-wide forecast snapshots');
  if (groupBy === 'TEAM') return access.role === AccessRole.MANAGER && access.identity.teamId != null ? [access.identity.teamId] : [];
  return (await access.repIds(em)) ?? [];
}
