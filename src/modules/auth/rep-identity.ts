import type { Em } from '../../db/orm';
import { AppError } from '../../shared/errors';
import { isDatabaseUnavailable } from '../../graphql/db-health';
import { Rep } from '../rep/rep.entity';
import { AccessRole, accessRoleOf, type Identity } from './identity';
import { UnauthenticatedError } from './token.service';

/** What the database says about a credential's rep; null = no such rep (deleted). */
interface RepState {
  role: Rep['role'];
  teamId: number | null;
  active: boolean;
}

/**
 * Per database (the ORM configuration every fork of one app shares), a short-lived copy of each rep's state, so
 * a request does not cost a lookup; `forgetRep` drops an entry the moment an ADMIN changes that rep here, and
 * other server instances see the change within `ttlMs`.
 */
const caches = new WeakMap<object, Map<number, { state: RepState | null; until: number }>>();

function cacheOf(em: Em) {
  let cache = caches.get(em.config);
  if (!cache) caches.set(em.config, (cache = new Map()));
  return cache;
}

async function repState(em: Em, repId: number, ttlMs: number): Promise<RepState | null> {
  const cache = cacheOf(em);
  const cached = cache.get(repId);
  if (cached && cached.until > Date.now()) return cached.state;
  let rep: Rep | null;
  try {
    rep = await em.fork().findOne(Rep, { id: repId });
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly');
    throw error;
  }
  const state = rep ? { role: rep.role, teamId: rep.team?.id ?? null, active: rep.active } : null;
  if (ttlMs > 0) {
    if (cache.size > 50_000) cache.clear();
    cache.set(repId, { state, until: Date.now() + ttlMs });
  }
  return state;
}

/** Called by the rep and team administration after a change, so this instance applies it at once. */
export function forgetRep(em: Em, repId: number): void {
  cacheOf(em).delete(repId);
}

/**
 * The identity a verified token or API key really has: its rep as the database holds it now. A deleted or
 * inactive rep is UNAUTHENTICATED; the role and team come from the database, never from the token (a token is
 * a signed claim of who, not of what they may do). An ADMIN credential stays ADMIN (operators and service
 * accounts are not sales roles) but its rep, if it names one, must still exist and be active.
 */
export async function identityFromDatabase(em: Em, claimed: Identity, ttlMs: number): Promise<Identity> {
  if (claimed.repId == null) return claimed;
  const state = await repState(em, claimed.repId, ttlMs);
  if (!state) throw new UnauthenticatedError('The rep this credential acts as no longer exists');
  if (!state.active) throw new UnauthenticatedError('The rep this credential acts as is inactive');
  const role = claimed.role === AccessRole.ADMIN ? AccessRole.ADMIN : accessRoleOf(state.role);
  return { subject: claimed.subject, role, repId: claimed.repId, teamId: state.teamId };
}
