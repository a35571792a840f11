/**
 * The answer cache's one entry point for resolvers: `cachedAnswer(ctx, { name, args, scope, tables }, compute)`.
 * createApp registers the app's cache on its ORM; services and resolvers find it through any fork of the entity
 * manager (like the worker pool). Without a registered cache (the CLI, a script) `compute` simply runs.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { AnswerCache, AnswerSpec, AnswerStats, VersionReader } from './answer-cache';

export { AnswerCache, createAnswerCache, type AnswerSpec } from './answer-cache';
export { ANSWER_TABLES, FORECAST_TABLES, KPI_TABLES, STAGE_STATS_TABLES, DataVersionSubscriber, bumpDataVersionsSql } from './data-versions';

/** What the wrapper needs of a request's context (src/graphql/context.ts). */
interface CallerContext {
  em: VersionReader & { config: object };
  access: { role: string; seesFinancials: boolean };
}

// Forks of one ORM share its Configuration object (event managers are cloned inside transactions, so not those).
const registry = new WeakMap<object, AnswerCache>();
// Per request: Apollo copies the context per operation, the request's entity manager is the same object.
const perRequest = new WeakMap<object, AnswerStats>();

export function registerAnswerCache(em: { config: object }, cache: AnswerCache): void {
  registry.set(em.config, cache);
}

export function answerCacheOf(em: { config: object }): AnswerCache | undefined {
  return registry.get(em.config);
}

/**
 * The answer to a question as this caller may see it, computed at most once per data version. The caller's role
 * and financial visibility are part of the key beside `spec.scope`: callers with different access never share.
 * Access checks that can refuse the request run before this call, every time.
 */
export function cachedAnswer<T>(ctx: CallerContext, spec: AnswerSpec, compute: () => Promise<T>): Promise<T> {
  const cache = answerCacheOf(ctx.em);
  if (!cache?.enabled) return compute();
  let stats = perRequest.get(ctx.em);
  if (!stats) perRequest.set(ctx.em, (stats = { hits: 0, misses: 0 }));
  const scope = { role: ctx.access.role, financials: ctx.access.seesFinancials, scope: spec.scope };
  return cache.answer(ctx.em, { ...spec, scope }, compute, stats);
}

/** Reports a request's cached answers in `extensions.answerCache` ({ hits, misses }), only when it had some. */
export const answerCachePlugin: ApolloServerPlugin<{ em: object }> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        const stats = perRequest.get(contextValue.em);
        if (!stats || response.body.kind !== 'single') return;
        response.body.singleResult.extensions = { ...response.body.singleResult.extensions, answerCache: { ...stats } };
      },
    };
  },
};
