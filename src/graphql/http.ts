import { randomUUID } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { Em } from '../db/orm';
import { authenticate } from '../modules/auth/authenticate';
import type { Identity } from '../modules/auth/identity';
import type { Context } from './context';
import type { DatabaseHealth } from './db-health';
import { textNestingExceeds } from './limits';
import { rateLimitHeaders, type RateDecision, type RateLimiter } from './rate-limit';

/** What the access log records of an operation (never variables, tokens, names or emails). */
interface Telemetry {
  operationName?: string;
  operationType?: string;
  errorCodes: string[];
}
/** Apollo shallow-copies the context per operation: a shared object reached through a symbol survives the copy. */
const TELEMETRY = Symbol('telemetry');
const telemetryOf = (contextValue: object): Telemetry | undefined => (contextValue as { [TELEMETRY]?: Telemetry })[TELEMETRY];

/** Collects the operation name and error codes for the access log (requests that came over HTTP). */
export const telemetryPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart({ contextValue }) {
    const entry = telemetryOf(contextValue);
    if (!entry) return;
    return {
      async didResolveOperation({ operationName, operation }) {
        entry.operationName = operationName ?? undefined;
        entry.operationType = operation?.operation;
      },
      async didEncounterErrors({ errors }) {
        for (const error of errors) entry.errorCodes.push(String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
      },
    };
  },
};

/** JSON body in the GraphQL error shape, for answers given before GraphQL runs. */
export function sendError(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  if (res.headersSent) return;
  res.status(status).type('application/json').send(JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] }));
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export interface GraphqlHandlerOptions {
  server: ApolloServer<Context>;
  config: Readonly<AppConfig>;
  logger: Logger;
  em: Em;
  health: DatabaseHealth;
  rateLimiter: RateLimiter | null;
  /** Counts every request by client address before authentication: a flood of bad tokens is refused too. */
  ipRateLimiter: RateLimiter | null;
  newContext: (requestId: string, identity: Identity, signal?: AbortSignal) => Context;
}

/**
 * POST/GET /graphql: request id, authentication, per-token rate limit, fail-fast while the database is away,
 * the operation under a deadline, and one structured access-log line per request.
 */
export function graphqlHandler(options: GraphqlHandlerOptions) {
  const { server, config, logger, em, health, rateLimiter, ipRateLimiter, newContext } = options;
  return async (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    const log: Record<string, unknown> = { requestId, method: req.method };
    const finish = (status: number, extra: Record<string, unknown> = {}) => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = status >= 500 ? 'error' : status === 401 || status === 429 ? 'warn' : 'info';
      logger[level]({ ...log, status, durationMs: Math.round(durationMs * 10) / 10, ...extra }, 'graphql request');
    };

    const refuse = (decision: RateDecision) => {
      for (const [key, value] of Object.entries(rateLimitHeaders(decision))) res.setHeader(key, value);
      sendError(res, 429, 'RATE_LIMITED', 'Too many requests: slow down and retry after the Retry-After delay', { retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) });
      return finish(429);
    };

    try {
      let rate: RateDecision | undefined;
      if (ipRateLimiter) {
        rate = await ipRateLimiter.take(`ip:${req.ip}`);
        if (!rate.allowed) return refuse(rate);
      }
      let identity: Identity;
      try {
        identity = await authenticate(req.headers.authorization, config.auth, em);
      } catch (error) {
        const message = (error as Error).message;
        const code = (error as { extensions?: { code?: string } }).extensions?.code;
        if (code === 'SERVICE_UNAVAILABLE') {
          // The credential's rep is read from the database (src/modules/auth/rep-identity.ts).
          res.setHeader('retry-after', '1');
          sendError(res, 503, 'SERVICE_UNAVAILABLE', message);
          return finish(503);
        }
        if (code !== 'UNAUTHENTICATED') throw error;
        res.setHeader('www-authenticate', 'Bearer');
        if (rate) for (const [key, value] of Object.entries(rateLimitHeaders(rate))) res.setHeader(key, value);
        sendError(res, 401, 'UNAUTHENTICATED', message);
        return finish(401);
      }
      log.user = identity.subject;
      log.role = identity.role;

      if (rateLimiter) {
        // The caller's own budget (per token; the anonymous development identity per address).
        rate = await rateLimiter.take(identity.subject === 'dev-anonymous' ? `anonymous:${req.ip}` : identity.subject);
        if (!rate.allowed) return refuse(rate);
      }
      if (rate) for (const [key, value] of Object.entries(rateLimitHeaders(rate))) res.setHeader(key, value);

      if (!health.available) {
        res.setHeader('retry-after', '1');
        sendError(res, 503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly');
        return finish(503);
      }

      const text = (req.body as { query?: unknown } | undefined)?.query ?? req.query?.query;
      if (typeof text === 'string' && textNestingExceeds(text, 3 * config.limits.maxDepth + 10)) {
        sendError(res, 400, 'QUERY_TOO_DEEP', `Query nesting is over the limit of ${config.limits.maxDepth}`);
        return finish(400, { errorCodes: ['QUERY_TOO_DEEP'] });
      }

      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      // The deadline answers 503 TIMEOUT and aborts the request's signal, which cancels its work on the worker pool.
      const abort = new AbortController();
      const contextValue = newContext(requestId, identity, abort.signal);
      contextValue.rateLimit = rate;
      const seen: Telemetry = { errorCodes: [] };
      Object.assign(contextValue, { [TELEMETRY]: seen });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => {
          abort.abort(new Error('request deadline'));
          resolve('timeout');
        }, config.limits.requestTimeoutMs);
      });
      const response = await Promise.race([
        server.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: new URL(req.url, 'http://localhost').search, body: req.body },
          context: async () => contextValue,
        }),
        deadline,
      ]).finally(() => clearTimeout(timer));

      // An unnamed operation is logged as "anonymous query" (or mutation), never as a bare "query" that reads like a name.
      log.operation = seen.operationName ?? (seen.operationType ? `anonymous ${seen.operationType}` : undefined);
      if (response === 'timeout') {
        sendError(res, 503, 'TIMEOUT', `The request took longer than ${config.limits.requestTimeoutMs} ms and was abandoned`);
        return finish(503, { errorCodes: ['TIMEOUT'] });
      }
      // What Apollo's cache-control plugin answered for a schema without cache hints (the plugin is off: src/app.ts).
      res.setHeader('cache-control', 'no-store');
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') res.send(response.body.string);
      else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
      finish(res.statusCode, seen.errorCodes.length ? { errorCodes: [...new Set(seen.errorCodes)] } : {});
    } catch (error) {
      next(error);
    }
  };
}

/** Body-parser and unexpected errors: a clean JSON error, never an HTML page or a stack trace. */
export function httpErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode ?? 500;
    const type = (error as { type?: string }).type;
    if (status === 413 || type === 'entity.too.large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
    if (status === 400 || type === 'entity.parse.failed') return sendError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON');
    if (status >= 400 && status < 500) return sendError(res, status, 'BAD_REQUEST', 'The request could not be read');
    logger.error({ err: { type: (error as Error)?.name, code: (error as { code?: string })?.code }, path: req.path }, 'unhandled HTTP error');
    sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
}
