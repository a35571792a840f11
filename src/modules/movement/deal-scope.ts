import type { Context } from '../../graphql/context';
import { BadInputError } from '../../shared/errors';
import { dealAggregateScope, type AggregateScope } from '../auth/aggregate.policy';

/** Whose deals an aggregate covers: a team, a rep, or the company (neither). */
export type DealScope = AggregateScope;

/**
 * The pipeline a caller may look at: the one aggregate rule (src/modules/auth/aggregate.policy.ts). EXEC and ADMIN
 * anything; a MANAGER its team (the default) or one of its reps; an AE itself; SDRs own no deals; a team or rep the
 * caller cannot read is NOT_FOUND, one it can read but not aggregate FORBIDDEN.
 */
export async function dealScopeFor(ctx: Context, teamId: string | undefined, repId: string | undefined): Promise<DealScope> {
  if (teamId != null && repId != null) throw new BadInputError('repId', 'give teamId or repId, not both');
  return dealAggregateScope(ctx.access, ctx.em, { teamId, repId });
}
