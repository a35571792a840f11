import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { Em } from '../db/orm';
import { readFromPrimary, readFromReplica } from '../db/read-routing';
import type { ApolloServerPlugin } from '@apollo/server';
import { AccessScope } from '../modules/auth/access.policy';
import { SYSTEM_IDENTITY, type Identity } from '../modules/auth/identity';
import type { ScoringRuntime } from '../modules/scoring/scoring.runtime';
import type { HeavyJob } from '../shared/workers/pool';
import { Loaders } from './loaders';
import type { RateDecision } from './rate-limit';

/** What every resolver receives: a request-scoped entity manager, batched loaders, and who is asking. */
export interface Context {
  em: Em;
  loaders: Loaders;
  config: Readonly<AppConfig>;
  logger: Logger;
  /** The app's scoring (model registry, stored scores, training). */
  scoring: ScoringRuntime;
  requestId: string;
  identity: Readonly<Identity>;
  /** Row- and field-level rules for this identity (src/modules/auth/access.policy.ts). */
  access: AccessScope;
  /** Aborted when the request's deadline passes: heavy work on the worker pool is cancelled with it. */
  signal: AbortSignal;
  /** The caller's rate-limit budget after this request (HTTP requests; reported in `extensions.cost`). */
  rateLimit?: RateDecision;
}

/** What the worker pool needs of a request: its deadline, and who asks (the per-caller cap on heavy work). */
export const heavyJob = (ctx: Context): HeavyJob => ({ signal: ctx.signal, caller: ctx.identity.subject });

export function createContext(
  em: Em,
  config: Readonly<AppConfig>,
  logger: Logger,
  scoring: ScoringRuntime,
  requestId: string,
  identity: Readonly<Identity> = SYSTEM_IDENTITY,
  signal: AbortSignal = new AbortController().signal,
): Context {
  const requestEm = readFromReplica(em.fork({ clear: true }) as Em); // with DATABASE_READ_URL: until it writes
  const access = new AccessScope(identity, requestEm);
  return { em: requestEm, loaders: new Loaders(requestEm, access), config, logger, scoring, requestId, identity, access, signal };
}

/** A mutation reads from the primary from its first statement on: what it reads decides what it writes. */
export const readYourWritesPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, contextValue }) {
        if (operation?.operation !== 'query') readFromPrimary(contextValue.em);
      },
    };
  },
};
