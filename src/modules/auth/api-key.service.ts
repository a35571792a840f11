import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { findOrFail } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { ApiKey } from './api-key.entity';
import { AccessRole, type Identity } from './identity';
import { API_KEY_PREFIX, UnauthenticatedError, hashApiKeySecret, newApiKeySecret, parseApiKey, sameHash } from './token.service';

/** Verified keys are remembered this long, so a request does not cost a lookup; revocation takes effect within it. */
const CACHE_MS = 30_000;
const cache = new Map<string, { identity: Identity; until: number }>();

/** Creates a key and returns its text, which is never stored and cannot be shown again. */
export async function createApiKey(em: Em, input: { name: string; role: AccessRole; repId?: string }): Promise<{ id: number; key: string }> {
  if (!input.name.trim() || input.name.length > 120) throw new BadInputError('name', 'A key name is 1..120 characters');
  if (input.role !== AccessRole.ADMIN && !input.repId) throw new BadInputError('repId', `A ${input.role} key acts as a rep: give repId`);
  return em.transactional(async (tx) => {
    const rep = input.repId ? await findOrFail(tx, Rep, input.repId, 'repId') : null;
    // A rep's key acts with the rep's current role (src/modules/auth/rep-identity.ts): say so rather than store another.
    if (rep && input.role !== AccessRole.ADMIN && (rep.role as string) !== input.role) {
      throw new BadInputError('role', `rep ${rep.id} is ${rep.role}: a key acting as a rep has the rep's role (or ADMIN)`);
    }
    const secret = newApiKeySecret();
    const key = tx.create(ApiKey, { name: input.name.trim(), role: input.role, rep, secretHash: hashApiKeySecret(secret), revokedAt: null });
    await tx.flush();
    return { id: key.id, key: `${API_KEY_PREFIX}${key.id}_${secret}` };
  });
}

export async function revokeApiKey(em: Em, id: number): Promise<void> {
  await em.transactional(async (tx) => {
    const key = await findOrFail(tx, ApiKey, id, 'id');
    key.revokedAt = new Date();
  });
  cache.clear();
}

/** Checks an API key against its stored hash (constant-time) and returns the identity it acts as. */
export async function verifyApiKey(em: Em, text: string): Promise<Identity> {
  const parsed = parseApiKey(text);
  if (!parsed) throw new UnauthenticatedError('The API key is not valid');
  const hash = hashApiKeySecret(parsed.secret);
  const cached = cache.get(hash);
  if (cached && cached.until > Date.now()) return cached.identity;
  const key = await em.fork().findOne(ApiKey, { id: parsed.id }, { populate: ['rep'] });
  if (!key || key.revokedAt || !sameHash(key.secretHash, hash)) throw new UnauthenticatedError('The API key is not valid');
  const identity: Identity = {
    subject: `key:${key.id}`,
    role: key.role,
    repId: key.rep?.id ?? null,
    teamId: key.rep?.team?.id ?? null,
  };
  if (cache.size > 10_000) cache.clear();
  cache.set(hash, { identity, until: Date.now() + CACHE_MS });
  return identity;
}
