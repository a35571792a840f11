import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { AppError } from '../../shared/errors';
import { AccessRole, isAccessRole, type Identity } from './identity';

export interface TokenSettings {
  /** HS256 secret (at least 32 characters). */
  secret: string;
  issuer: string;
  audience: string;
  /** Lifetime of issued tokens, e.g. "8h". */
  ttl: string;
}

const ALGORITHM = 'HS256';
const key = (secret: string) => new TextEncoder().encode(secret);

/** Signs a bearer token carrying the caller's role, rep and team. */
export async function signToken(settings: TokenSettings, identity: Identity, ttl = settings.ttl): Promise<string> {
  return new SignJWT({ role: identity.role, repId: identity.repId, teamId: identity.teamId })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(identity.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(key(settings.secret));
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'A valid bearer token is required') {
    super('UNAUTHENTICATED', message);
  }
}

const optionalId = (value: unknown): number | null | undefined =>
  value === null || value === undefined ? null : Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined;

/**
 * Tokens already verified, per secret, issuer and audience: a client sends the same token with every request, and
 * jose's HMAC check through WebCrypto cost about 0.6 ms of the event loop each time (4 % of the load bench's CPU).
 * Only tokens that passed every check and carry an expiry are kept, until that expiry (then they fail as expired,
 * as jose would fail them); at most VERIFIED_KEPT per key, the oldest let go first.
 */
const VERIFIED_KEPT = 10_000;
const verifiedTokens = new Map<string, Map<string, { identity: Identity; expiresAtMs: number }>>();

function verifiedOf(settings: TokenSettings) {
  const key = `${settings.secret}\n${settings.issuer}\n${settings.audience}`;
  let kept = verifiedTokens.get(key);
  if (!kept) verifiedTokens.set(key, (kept = new Map()));
  return kept;
}

/** Verifies signature, issuer, audience and expiry, then the claims' shape. Any failure is UNAUTHENTICATED. */
export async function verifyToken(settings: TokenSettings, token: string): Promise<Identity> {
  const kept = verifiedOf(settings);
  const known = kept.get(token);
  if (known) {
    // jose's rule: expired once the current second reaches `exp`
    if (Math.floor(Date.now() / 1000) * 1000 < known.expiresAtMs) return { ...known.identity };
    kept.delete(token);
    throw new UnauthenticatedError('The token has expired');
  }
  const { identity, exp } = await verifyTokenAfresh(settings, token);
  if (typeof exp === 'number') {
    if (kept.size >= VERIFIED_KEPT) kept.delete(kept.keys().next().value!);
    kept.set(token, { identity: { ...identity }, expiresAtMs: exp * 1000 });
  }
  return identity;
}

async function verifyTokenAfresh(settings: TokenSettings, token: string): Promise<{ identity: Identity; exp: unknown }> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key(settings.secret), { algorithms: [ALGORITHM], issuer: settings.issuer, audience: settings.audience }));
  } catch (error) {
    throw new UnauthenticatedError(error instanceof joseErrors.JWTExpired ? 'The token has expired' : 'The token is not valid');
  }
  const repId = optionalId(payload.repId);
  const teamId = optionalId(payload.teamId);
  if (!isAccessRole(payload.role) || repId === undefined || teamId === undefined || typeof payload.sub !== 'string') {
    throw new UnauthenticatedError('The token is not valid');
  }
  if (payload.role !== AccessRole.ADMIN && repId === null) throw new UnauthenticatedError('The token names no rep');
  return { identity: { subject: payload.sub, role: payload.role, repId, teamId }, exp: payload.exp };
}

/** API keys: `pw_<id>_<secret>`; only a SHA-256 of the secret is stored, compared in constant time. */
export const API_KEY_PREFIX = 'pw_';

export function newApiKeySecret(): string {
  return randomBytes(24).toString('base64url');
}

export const hashApiKeySecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Splits `pw_<id>_<secret>`; null when the text is not shaped like an API key. */
export function parseApiKey(text: string): { id: number; secret: string } | null {
  const match = /^pw_(\d{1,12})_([A-Za-z0-9_-]{20,100})$/.exec(text);
  return match ? { id: Number(match[1]), secret: match[2] } : null;
}
