import 'reflect-metadata';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { ApolloServer, type GraphQLResponse } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import pino, { type Logger } from 'pino';
import type { AppConfig } from './config';
import { createOrm, migrate, type Orm, type Em } from './db/orm';
import { createContext, type Context } from './graphql/context';
import { createErrorFormatter } from './graphql/format-error';
import { getSchema } from './graphql/schema';

export interface AppOptions {
  logger?: Logger;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
}

export interface App {
  config: Readonly<AppConfig>;
  orm: Orm;
  schema: GraphQLSchema;
  server: ApolloServer<Context>;
  http: http.Server;
  logger: Logger;
  /** Runs one operation through the full Apollo pipeline, as an HTTP request would. */
  execute<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }>;
  listen(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The one factory the server, the CLI and the tests share. Importing this file starts nothing. */
export async function createApp(config: Readonly<AppConfig>, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const orm = await createOrm(config.database);
  if (options.migrate ?? true) await migrate(orm);
  const schema = await getSchema();
  const expressApp = express();
  const httpServer = http.createServer(expressApp);
  const exposeDetails = config.env === 'development';

  const server = new ApolloServer<Context>({
    schema,
    formatError: createErrorFormatter(logger, exposeDetails),
    includeStacktraceInErrorResponses: exposeDetails,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ...(config.env === 'production' ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await server.start();

  const newContext = (requestId: string) => createContext(orm.em as Em, config, logger, requestId);

  expressApp.disable('x-powered-by');
  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.get('/readyz', async (_req, res) => {
    try {
      await (orm.em as Em).getConnection().execute('select 1');
      res.json({ status: 'ready', database: config.database.kind });
    } catch {
      res.status(503).json({ status: 'unavailable', database: config.database.kind });
    }
  });
  expressApp.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(server, { context: async ({ req }) => newContext(String(req.headers['x-request-id'] ?? randomUUID())) }),
  );

  const execute: App['execute'] = async (query, variables) => {
    const response: GraphQLResponse = await server.executeOperation({ query, variables }, { contextValue: newContext(randomUUID()) });
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
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop(); // drains in-flight requests, closes the HTTP server
      await orm.close(true);
    },
  };
}
