import type { EntityName } from '@mikro-orm/core';
import type { Em } from '../db/orm';
import { BadInputError, ConflictError, NotFoundError } from './errors';

/** Parses a GraphQL ID into a database id, or throws BAD_USER_INPUT naming the argument. */
export function parseId(value: string | number, field: string): number {
  const n = typeof value === 'number' ? value : /^\d{1,15}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new BadInputError(field, `${field} is not a valid id: "${value}"`);
  return n;
}

/** Loads an entity by GraphQL id: BAD_USER_INPUT for a malformed id, NOT_FOUND when it does not exist. */
export async function findOrFail<T extends object>(em: Em, entity: EntityName<T>, id: string | number, field: string): Promise<T> {
  const found = await em.findOne(entity, { id: parseId(id, field) } as never);
  if (!found) throw new NotFoundError(typeof entity === 'function' ? entity.name : String(entity), id);
  return found as T;
}

/** Optional reference: undefined leaves it unchanged, null clears it. */
export async function findOptional<T extends object>(
  em: Em,
  entity: EntityName<T>,
  id: string | null | undefined,
  field: string,
): Promise<T | null | undefined> {
  if (id === undefined) return undefined;
  if (id === null) return null;
  return findOrFail(em, entity, id, field);
}

/** Optimistic locking at the edge: the client must send the version it read. */
export function assertVersion(entity: { version: number; id: number }, expected: number, name: string): void {
  if (entity.version !== expected) {
    throw new ConflictError(`${name} ${entity.id} was changed by someone else (version ${entity.version}, you sent ${expected}); reload and retry`, {
      currentVersion: entity.version,
    });
  }
}
