import 'reflect-metadata';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { AppConfig } from './config';
import { assertMigrated, createOrm, migrate, startupFault, type Orm, type Em } from './db/orm';
import { createContext, readYourWritesPlugin, type Context } from './graphql/context';
import { readDatabase } from './db/read-routing';
import { DatabaseHealth } from './graphql/db-health';
import { createErrorFormatter } from './graphql/format-error';
import { graphqlHandler, httpErrorHandler, telemetryPlugin } from './graphql/http';
import { queryLimitsPlugin } from './graphql/limits';
import { createRateLimiter, type RateLimiter } from './graphql/rate-limit';
import { getSchema } from './graphql/schema';
import { jitGateway } from './graphql/execution';
import { startSnapshotScheduler, type SnapshotScheduler } from './modules/forecast-snapshots/snapshot.scheduler';
import { startScoring, type RuntimeOptions, type ScoringRuntime } from './modules/scoring/scoring.runtime';
import { createLogger } from './shared/logger';
import { WorkerPool, cancelledByShutdown, registerHeavyWork } from './shared/workers/pool';
import { factCacheStats, factSource, flushFactFile, useFactFile } from './modules/forecast/fact-cache';
import { SYSTEM_IDENTITY, type Identity } from './modules/auth/identity';
import { mountWebApp } from './web-app';
import { answerCachePlugin, createAnswerCache, registerAnswerCache } from './shared/answer-cache';

export interface AppOptions {
  logger?: Logger;
  /** Apply pending migrations at start (default: config.migrateOnStart; otherwise pending ones refuse the start). */
  migrate?: boolean;
  /** Extra Apollo plugins (tests use one to hold a request in flight). */
  plugins?: ApolloServerPlugin<Context>[];
  /** Scoring runtime settings (tests turn on the start-up training that test apps skip by default). */
  scoring?: RuntimeOptions;
}

export interface App {
  config: Readonly<AppConfig>;
  orm: Orm;
  schema: GraphQLSchema;
  server: ApolloServer<Context>;
  http: http.Server;
  logger: Logger;
  /** Database availability (fail fast while it is away, recover by itself). */
  health: DatabaseHealth;
  /** The worker threads CPU-heavy work runs on. */
  workers: WorkerPool;
  /** The scheduled forecast snapshots (FORECAST_SNAPSHOT_EVERY_HOURS; off in tests unless configured). */
  snapshots: SnapshotScheduler;
  /** Lead and deal scoring: model registry, stored scores, automatic rescoring, background training. */
  scoring: ScoringRuntime;
  /**
   * Runs one operation through the full Apollo pipeline (limits, rules, error formatting), as an HTTP request
   * would, as `identity`: the system identity (ADMIN) by default, for tests, the CLI and the server's own jobs.
   */
  execute<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, identity?: Readonly<Identity>): Promise<{ data?: T | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }>;
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Reads the forecast's facts (from the fact file when it still serves, else the database) so the first forecast
   * does not wait for them; main.ts calls it once the server listens (FORECAST_FACTS_WARM). Never throws.
   */
  warmForecastFacts(): Promise<void>;
  stop(): Promise<void>;
}

/** The one factory the server, the CLI and the tests share. Importing this file starts nothing. */
export async function createApp(config: Readonly<AppConfig>, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const orm = await createOrm(config.database, false, { warn: (message) => logger.warn({ database: config.database.kind }, message) });
  try {
    if (options.migrate ?? config.migrateOnStart) await migrate(orm);
    else await assertMigrated(orm);
  } catch (error) {
    await orm.close(true);
    throw startupFault(config.database, error);
  }
  const workers = new WorkerPool({ threads: config.workers.threads, perCaller: config.workers.perCaller, logger, database: readDatabase(config.database) }); // forecast facts load from the replica when there is one
  registerHeavyWork(orm.em, workers);
  useFactFile(orm.em as Em, { file: config.forecastFacts.file, logger });
  const scoring = startScoring(orm, config, logger, { work: workers, ...options.scoring });
  const snapshots = startSnapshotScheduler(orm, config, logger);
  const answers = await createAnswerCache({ ...config.answerCache, redisUrl: config.redisUrl, logger });
  registerAnswerCache(orm.em, answers);
  const schema = await getSchema();
  const expressApp = express();
  // Every API answer is no-store (src/graphql/http.ts), so no client ever revalidates: an ETag would only cost a hash
  // of each body (3 ms of CPU for a 4.7 MB wide answer).
  expressApp.set('etag', false);
  const httpServer = http.createServer(expressApp);
  const exposeDetails = config.env === 'development';
  const health = new DatabaseHealth(orm, config.database, logger);
  let rateLimiter: RateLimiter | null = null;
  let ipRateLimiter: RateLimiter | null = null;

  const server = new ApolloServer<Context>({
    // Queries execute on graphql-jit (src/graphql/execution.ts), handed to Apollo as a gateway.
    gateway: jitGateway(schema),
    formatError: createErrorFormatter(logger, exposeDetails, (error) => health.markDown(error)),
    includeStacktraceInErrorResponses: exposeDetails,
    introspection: config.introspection,
    // Without introspection, validation errors do not hint at field names ("Did you mean ...?") either.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    // main.ts owns SIGTERM (drain, close the pool, exit); Apollo's own handler would stop and re-raise the signal.
    stopOnTerminationSignals: false,
    // Automatic persisted queries are on (Apollo's default, in-memory LRU per instance: a miss costs one retry).
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      queryLimitsPlugin(schema, config.limits.maxDepth, config.limits.maxCost),
      telemetryPlugin,
      readYourWritesPlugin,
      // Apollo's landing page loads from a CDN: the bundled explorer at /explorer replaces it (src/web-app.ts).
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints exist: its per-field hook cost a third of a wide answer's time (src/graphql/http.ts sends no-store).
      ApolloServerPluginCacheControlDisabled(),
      answerCachePlugin,
      ...(options.plugins ?? []),
    ],
  });
  await server.start();
  try {
    rateLimiter = await createRateLimiter({ perMinute: config.limits.rateLimitPerMinute, burst: config.limits.rateLimitBurst, redisUrl: config.redisUrl, logger });
    ipRateLimiter = await createRateLimiter({ perMinute: config.limits.ipRateLimitPerMinute, burst: config.limits.ipRateLimitBurst, redisUrl: config.redisUrl, logger });
  } catch (error) {
    await rateLimiter?.close();
    await answers.close();
    await server.stop();
    await workers.close();
    await orm.close(true);
    throw error;
  }

  const newContext = (requestId: string, identity: Readonly<Identity>, signal?: AbortSignal) => createContext(orm.em as Em, config, logger, scoring, requestId, identity, signal);

  let draining = false;
  let lastRequestAt = 0;
  expressApp.disable('x-powered-by');
  expressApp.use((_req, res, next) => {
    lastRequestAt = Date.now();
    if (draining) res.setHeader('connection', 'close'); // clients stop reusing this server's connections
    next();
  });
  expressApp.set('trust proxy', config.limits.trustProxy);
  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.get('/readyz', async (_req, res) => {
    if (draining) return void res.status(503).json({ status: 'shutting-down', database: config.database.kind });
    const state = await Promise.race([
      config.database.kind === 'sqlite' ? health.sqliteState() : health.check().then((ok) => (ok ? 'ready' : 'unavailable')),
      new Promise<'unavailable'>((resolve) => setTimeout(() => resolve('unavailable'), 2000).unref()),
    ]);
    if (state === 'ready') res.json({ status: 'ready', database: config.database.kind });
    else if (state === 'locked') res.status(503).json({ status: 'unavailable', database: config.database.kind, reason: 'another process holds the write lock' });
    else res.status(503).json({ status: 'unavailable', database: config.database.kind });
  });
  mountWebApp(expressApp, config);
  expressApp.use(
    '/graphql',
    express.json({ limit: config.limits.bodyLimitBytes }),
    graphqlHandler({ server, config, logger, em: orm.em as Em, health, rateLimiter, ipRateLimiter, newContext }),
  );
  expressApp.use(httpErrorHandler(logger));

  const execute: App['execute'] = async (query, variables, identity = SYSTEM_IDENTITY) => {
    const response: GraphQLResponse = await server.executeOperation({ query, variables }, { contextValue: newContext(randomUUID(), identity) });
    if (response.body.kind !== 'single') throw new Error('Incremental delivery is not used by Pipewise');
    return response.body.singleResult as never;
  };

  let stopped = false;
  return {
    config,
    orm,
    schema,
    server,
    http: httpServer,
    logger,
    health,
    workers,
    snapshots,
    scoring,
    execute,
    listen: (port = config.port, host = config.host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const address = httpServer.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          resolve(`http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}/graphql`);
        });
      }),
    async warmForecastFacts() {
      const em = orm.em.fork() as Em;
      const before = factCacheStats(em);
      const t0 = performance.now();
      try {
        await factSource(em);
        const after = factCacheStats(em);
        const from = after.loads > before.loads ? 'database' : after.fileReads > before.fileReads ? (after.patches > before.patches ? 'file, patched' : 'file') : 'memory';
        logger.info({ seconds: Math.round(performance.now() - t0) / 1000, from }, 'forecast facts ready');
      } catch (error) {
        if (!cancelledByShutdown(error)) logger.warn({ err: error }, 'forecast facts could not be read at start; the first forecast reads them');
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      draining = true;
      // Requests already sent on open connections may still sit unread while the event loop is busy: let them
      // arrive (250 ms without a new request) before the drain closes idle connections, so none is reset.
      if (httpServer.listening) {
        lastRequestAt = Date.now(); // at least one quiet period, even if nothing was read yet
        const giveUpAt = Date.now() + Math.min(5000, config.shutdownTimeoutMs / 2);
        while (Date.now() - lastRequestAt < 250 && Date.now() < giveUpAt) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await server.stop(); // stops accepting, waits for in-flight requests, closes the HTTP server
      health.stop();
      await rateLimiter?.close();
      await ipRateLimiter?.close();
      await scoring.stop();
      // The scheduler first knows it stops, then the pool's close cancels its forecast: that run ends as cancelled.
      const snapshotsStopped = snapshots.stop();
      await workers.close();
      await snapshotsStopped;
      await flushFactFile(orm.em as Em);
      await answers.close();
      await orm.close(true);
    },
  };
}
