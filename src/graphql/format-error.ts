import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  DriverException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { Logger } from 'pino';
import { isDatabaseBusy } from '../db/orm';
import { isDatabaseUnavailable } from './db-health';

/**
 * What an unexpected error may put in a log: its type, code and (for non-database errors) a short message.
 * Database errors carry the SQL with its parameters, i.e. personal data: their message is never logged.
 */
export function safeErrorForLog(error: unknown, withStack = false): Record<string, unknown> {
  const e = error as { name?: string; code?: unknown; sqlState?: unknown; message?: unknown; stack?: unknown } | null;
  if (!e || typeof e !== 'object') return { type: typeof error };
  const isDriver = error instanceof DriverException;
  return {
    type: e.name,
    ...(e.code !== undefined && { code: String(e.code) }),
    ...(e.sqlState !== undefined && { sqlState: String(e.sqlState) }),
    ...(!isDriver && typeof e.message === 'string' && { message: e.message.slice(0, 200) }),
    ...(withStack && !isDriver && typeof e.stack === 'string' && { stack: e.stack.split('\n').slice(0, 8).join('\n') }),
  };
}

/** Apollo's messages for a persisted query the client got wrong (it sets HTTP 400 but no code). */
const APQ_MISTAKES: Record<string, string> = {
  'provided sha does not match query': 'PERSISTED_QUERY_HASH_MISMATCH',
  'Unsupported persisted query version': 'PERSISTED_QUERY_UNSUPPORTED_VERSION',
};

/**
 * Turns every error into `{ message, extensions.code }` a client can act on. Database and programming errors
 * never leak SQL or stack traces outside development.
 */
export function createErrorFormatter(logger: Logger, exposeDetails: boolean, onDatabaseUnavailable: (error: unknown) => void = () => undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code as string | undefined;
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

    if (original instanceof OptimisticLockError) {
      return { ...base, message: 'The record was changed by someone else; reload and retry', extensions: { code: 'CONFLICT' } };
    }
    if (original instanceof UniqueConstraintViolationException) {
      return { ...base, message: 'A record with the same unique value already exists', extensions: { code: 'CONFLICT' } };
    }
    if (original instanceof ForeignKeyConstraintViolationException || original instanceof NotNullConstraintViolationException) {
      return { ...base, message: 'The change would break a reference between records', extensions: { code: 'BAD_USER_INPUT' } };
    }
    // Apollo raises these persisted-query mistakes without a code (they would read as our bug): give them theirs.
    const apq = APQ_MISTAKES[(original as Error | undefined)?.message ?? ''];
    if (apq) return { ...base, extensions: { code: apq } };
    if (isDatabaseBusy(original)) {
      return { ...base, message: 'The database is busy: another process holds its write lock; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 } };
    }
    if (isDatabaseUnavailable(original)) {
      onDatabaseUnavailable(original);
      return { ...base, message: 'The database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    if (code && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...base, extensions: exposeDetails ? formatted.extensions : extensions };
    }
    logger.error({ err: safeErrorForLog(original, true) }, 'unexpected error');
    return {
      ...base,
      message: exposeDetails ? formatted.message : 'Internal server error',
      extensions: exposeDetails ? formatted.extensions : { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
