import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ConnectionException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { Logger } from 'pino';

/**
 * Turns every error into `{ message, extensions.code }` a client can act on. Database and programming errors
 * never leak SQL or stack traces outside development.
 */
export function createErrorFormatter(logger: Logger, exposeDetails: boolean) {
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
    if (original instanceof ConnectionException) {
      logger.error({ err: original }, 'database unavailable');
      return { ...base, message: 'The database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    if (code && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...base, extensions: exposeDetails ? formatted.extensions : extensions };
    }
    logger.error({ err: original }, 'unexpected error');
    return {
      ...base,
      message: exposeDetails ? formatted.message : 'Internal server error',
      extensions: exposeDetails ? formatted.extensions : { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
