import type { Context } from '../../graphql/context';
import { BadInputError, ForbiddenError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import { AccessRole } from '../auth/identity';

/** Whose deals an aggregate covers: a team, a rep, or the company (neither). */
export interface DealScope {
  teamId?: number;
  repId?: number;
}

/**
 * The pipeline a caller may look at, as for deals (src/modules/auth/access.policy.ts): EXEC and ADMIN anything;
 * a MANAGER its team (the default) or one of its reps; an AE itself; SDRs own no deals.
 */
export async function dealScopeFor(ctx: Context, teamId: string | undefined, repId: string | undefined, what: string): Promise<DealScope> {
  const { access } = ctx;
  if (teamId != null && repId != null) throw new BadInputError('repId', 'give teamId or repId, not both');
  const asked: DealScope = {
    ...(teamId != null && { teamId: parseId(teamId, 'teamId') }),
    ...(repId != null && { repId: parseId(repId, 'repId') }),
  };
  if (access.unrestricted) return asked;
  if (access.role === AccessRole.SDR) throw new ForbiddenError(`${what} covers deals, which SDRs do not own`);
  if (teamId != null) access.assertTeam(teamId, 'teamId');
  if (repId != null) await access.assertRep(repId, 'repId');
  if (teamId != null || repId != null) return asked;
  const { teamId: ownTeam, repId: ownRep } = access.identity;
  return access.role === AccessRole.MANAGER && ownTeam != null ? { teamId: ownTeam } : { repId: ownRep ?? 0 };
}

