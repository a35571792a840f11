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

/** Verifies signature, issuer, audience and expiry, then the claims' shape. Any failure is UNAUTHENTICATED. */
export async function verifyToken(settings: TokenSettings, token: string): Promise<Identity> {
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
  return { subject: payload.sub, role: payload.role, repId, teamId };
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
