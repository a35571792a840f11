import { GraphQLError } from 'graphql';

/** Stable error codes clients can switch on (`extensions.code`). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'INSUFFICIENT_DATA'
  | 'SERVICE_UNAVAILABLE'
  | 'TOO_MANY_HEAVY_REQUESTS'
  | 'TIMEOUT'
  | 'INTERNAL_SERVER_ERROR';

export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

/** Invalid input: names the field at fault so a form can highlight it. */
export class BadInputError extends AppError {
  constructor(field: string, message: string, extra: Record<string, unknown> = {}) {
    super('BAD_USER_INPUT', message, { field, ...extra });
  }
}

export class NotFoundError extends AppError {
  constructor(entity: string, id: string | number) {
    super('NOT_FOUND', `${entity} ${id} does not exist`, { entity, id: String(id) });
  }
}

/** A write based on a stale version, or a state transition that is no longer allowed. */
export class ConflictError extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super('CONFLICT', message, extra);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}
