import type { Em } from '../../db/orm';
import { TargetScope } from '../../shared/enums';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import type { AccessScope } from './access.policy';

/**
 * Who may set and change targets (quotas), beside the read rule in access.policy.ts (MANAGER and above see
 * company targets, their team's and their members'):
 * - Below MANAGER: FORBIDDEN (targets are quota data).
 * - MANAGER: targets of its team and of its team's reps; a COMPANY target is FORBIDDEN.
 * - EXEC and ADMIN: any target.
 * The team or rep named must be readable first (NOT_FOUND, as a read of it), then the caller's (FORBIDDEN).
 */

/** Targets and quotas at all: FORBIDDEN below MANAGER. */
export function assertCanChangeTargets(access: AccessScope): void {
  access.requireFinancials('Targets and quotas');
}

/** A target of this scope, team and rep. */
export async function assertCanSetTarget(em: Em, access: AccessScope, target: { scope: TargetScope; teamId?: string; repId?: string }): Promise<void> {
  assertCanChangeTargets(access);
  if (access.unrestricted) return;
  if (target.scope === TargetScope.COMPANY) access.assertCompanyWide('A company target');
  if (target.teamId) {
    await access.findOrFail(em, Team, target.teamId, 'teamId');
    access.assertTeam(target.teamId, 'teamId');
  }
  if (target.repId) {
    await access.findOrFail(em, Rep, target.repId, 'repId');
    await access.assertRep(target.repId, 'repId');
  }
}
