import type { Em } from '../../db/orm';
import { TargetScope } from '../../shared/enums';
import { BadInputError, ForbiddenError } from '../../shared/errors';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import type { AccessScope } from './access.policy';
import { type AggregateScope, dealAggregateScope } from './aggregate.policy';
import { AccessRole } from './identity';

/**
 * Who may read and call forecasts, and see pipeline movement and the call over time (beside access.policy.ts and
 * aggregate.policy.ts, whose rules these apply):
 * - reading: a forecast, backtest, pipeline movement or the call week by week covers the caller's slice by default
 *   and a named team or rep only as the aggregate rule allows (aggregate.policy.ts: NOT_FOUND, FORBIDDEN; SDRs none);
 * - writing: a called amount or a category override is signed by the caller, a rep who works deals; the company
 *   is called by EXEC/ADMIN, a team by its MANAGER, a rep by itself or its MANAGER; a deal is overridden only by
 *   someone who can read it.
 */

/** The deals a forecast or backtest covers. */
export const forecastScope = (access: AccessScope, em: Em, teamId?: string | null, repId?: string | null): Promise<AggregateScope> =>
  dealAggregateScope(access, em, { teamId, repId });

/** The pipeline a caller may look at over time (movement, the call week by week): a team or a rep, not both. */
export async function pipelineScope(access: AccessScope, em: Em, teamId?: string | null, repId?: string | null): Promise<AggregateScope> {
  if (teamId != null && repId != null) throw new BadInputError('repId', 'give teamId or repId, not both');
  return dealAggregateScope(access, em, { teamId, repId });
}

/** The author of a forecast call or override is the caller, a rep who works deals (never an argument). */
export function forecastAuthor(access: AccessScope): number {
  if (access.role === AccessRole.SDR) throw new ForbiddenError('Forecasts cover deals, which SDRs do not own');
  if (access.identity.repId == null) throw new ForbiddenError('Forecast calls are signed by a rep: use a token or API key that acts as one');
  return access.identity.repId;
}

/** The team or rep a called amount names must be readable first (NOT_FOUND, as a read of it), then the caller's to call (FORBIDDEN). */
export async function assertCanAdjust(access: AccessScope, em: Em, input: { scope: TargetScope; teamId?: string | null; repId?: string | null }): Promise<void> {
  if (input.scope === TargetScope.COMPANY) access.assertCompanyWide('A company forecast call');
  if (input.scope === TargetScope.TEAM && input.teamId != null) {
    await access.findOrFail(em, Team, input.teamId, 'input.teamId');
    access.assertTeam(input.teamId, 'input.teamId');
  }
  if (input.scope === TargetScope.REP && input.repId != null) {
    await access.findOrFail(em, Rep, input.repId, 'input.repId');
    await access.assertRep(input.repId, 'input.repId');
  }
}

/** A deal's category is overridden only by someone who can read the deal (NOT_FOUND outside the caller's deals). */
export async function assertCanOverride(access: AccessScope, em: Em, dealId: string): Promise<void> {
  await access.findOrFail(em, Deal, dealId, 'input.dealId');
}
