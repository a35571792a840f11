import type { AuthConfig } from '../../config';
import type { Em } from '../../db/orm';
import { AccessRole, type Identity } from './identity';
import { API_KEY_PREFIX, UnauthenticatedError, verifyToken, type TokenSettings } from './token.service';
import { verifyApiKey } from './api-key.service';
import { identityFromDatabase } from './rep-identity';

/** The identity requests without a token get in development (AUTH_ANONYMOUS); logged at start. */
export const DEVELOPMENT_IDENTITY: Readonly<Identity> = Object.freeze({ subject: 'dev-anonymous', role: AccessRole.ADMIN, repId: null, teamId: null });

export const tokenSettings = (auth: AuthConfig): TokenSettings => ({
  secret: auth.jwtSecret,
  issuer: auth.jwtIssuer,
  audience: auth.jwtAudience,
  ttl: auth.tokenTtl,
});

/**
 * Who sent an HTTP request: `Authorization: Bearer <JWT>` or `Bearer pw_<id>_<secret>` (API key).
 * No header: the development identity when allowed, else UNAUTHENTICATED. A bad token is always UNAUTHENTICATED.
 * The credential names a rep; that rep's state (exists, active, role, team) is read from the database, cached
 * for at most `auth.identityCacheMs` (src/modules/auth/rep-identity.ts).
 */
export async function authenticate(header: string | undefined, auth: AuthConfig, em: Em): Promise<Identity> {
  if (!header) {
    if (auth.anonymousRole) return DEVELOPMENT_IDENTITY;
    throw new UnauthenticatedError();
  }
  const match = /^Bearer\s+(\S{1,4096})\s*$/i.exec(header);
  if (!match) throw new UnauthenticatedError('Send the token as "Authorization: Bearer <token>"');
  const token = match[1];
  const claimed = token.startsWith(API_KEY_PREFIX) ? await verifyApiKey(em, token) : await verifyToken(tokenSettings(auth), token);
  return identityFromDatabase(em, claimed, auth.identityCacheMs);
}
