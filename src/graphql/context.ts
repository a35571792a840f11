import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { Em } from '../db/orm';
import { Loaders } from './loaders';

/** What every resolver receives: a request-scoped entity manager and batched loaders. */
export interface Context {
  em: Em;
  loaders: Loaders;
  config: Readonly<AppConfig>;
  logger: Logger;
  requestId: string;
}

export function createContext(em: Em, config: Readonly<AppConfig>, logger: Logger, requestId: string): Context {
  const requestEm = em.fork({ clear: true }) as Em;
  return { em: requestEm, loaders: new Loaders(requestEm), config, logger, requestId };
}
