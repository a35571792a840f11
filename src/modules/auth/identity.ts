import { registerEnumType } from 'type-graphql';
import { RepRole } from '../../shared/enums';

/**
 * What a caller may do: a rep acts in its `RepRole` (the same four values, see accessRoleOf); ADMIN is an
 * operator or a service account (the CLI, tests, the server's own jobs) that is not a person on the sales team.
 * Defined from RepRole so the two cannot drift apart.
 */
export const AccessRole = { ...RepRole, ADMIN: 'ADMIN' } as const;
export type AccessRole = RepRole | typeof AccessRole.ADMIN;
registerEnumType(AccessRole, { name: 'AccessRole', description: 'Role of the caller: decides which rows and fields it sees.' });

/** The access role of a rep: its sales role, as is. */
export const accessRoleOf = (role: RepRole): AccessRole => role;

/** Who is asking: set on the GraphQL context from the bearer token (or the system identity for in-process calls). */
export interface Identity {
  /** Stable subject for logs and rate limits: `rep:<id>`, `key:<id>` or `system`. Never a name or an email. */
  subject: string;
  role: AccessRole;
  /** The rep the caller is; null for ADMIN service identities. */
  repId: number | null;
  /** The rep's team; the slice a MANAGER sees. */
  teamId: number | null;
}

/** The identity of in-process callers: tests, the CLI and the server's own jobs. Sees everything. */
export const SYSTEM_IDENTITY: Readonly<Identity> = Object.freeze({ subject: 'system', role: AccessRole.ADMIN, repId: null, teamId: null });

const RANK: Record<AccessRole, number> = { SDR: 1, AE: 1, MANAGER: 2, EXEC: 3, ADMIN: 4 };

/** MANAGER, EXEC or ADMIN: may see cost, spend, margin, quota and target data. */
export const isManagerOrAbove = (identity: Identity) => RANK[identity.role] >= RANK.MANAGER;

/** EXEC or ADMIN: sees every row. */
export const seesEverything = (identity: Identity) => RANK[identity.role] >= RANK.EXEC;

export const isAccessRole = (value: unknown): value is AccessRole =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(RANK, value);
