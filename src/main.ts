import 'reflect-metadata';
import { createApp } from './app';
import { ConfigError, StartupError, loadConfig } from './config';
import { safeErrorForLog } from './graphql/format-error';
import { createLogger, logFormatFor } from './shared/logger';
import type { Em } from './db/orm';
import { formatSeedReport } from '../seeds/report';
import { SHUTDOWN_MESSAGE, isClusterWorker, runsBackgroundJobs, superviseCluster, supervises } from './cluster';

/** Starts the server: migrate, seed the demo world into an empty database, listen, stop cleanly on signals. */
export async function serve(): Promise<void> {
  const loaded = loadConfig();
  const format = logFormatFor(loaded.env, Boolean(process.stdout.isTTY));
  const logger = createLogger(loaded, format);
  if (supervises(loaded)) return superviseCluster(loaded, logger); // WEB_CONCURRENCY > 1: this process only supervises
  // Of several server processes, one runs the background jobs (training, the scoring sweep, forecast snapshots).
  const background = runsBackgroundJobs();
  const config = background ? loaded : Object.freeze({ ...loaded, forecastSnapshots: { ...loaded.forecastSnapshots, everyHours: 0 } });
  const app = await createApp(config, { logger, ...(!background && { scoring: { sweepMs: 0, autoTrain: false } }) });
  if (isClusterWorker()) app.http.prependListener('request', (_req, res) => res.setHeader('x-pipewise-process', String(process.pid)));
  const database = config.database.kind === 'sqlite' ? `SQLite ${config.database.url}` : `PostgreSQL ${redact(config.database.url)}`;

  if (config.seedDemoWhenEmpty && background) {
    // Only a truly empty database: imported data of any shape (leads without deals, reps only...) is served as is.
    const { holdsSalesData, seedDemoWorld } = await import('../seeds');
    if (!(await holdsSalesData(app.orm.em.fork() as Em))) {
      logger.info('empty database: seeding the demo world (pipewise seed --seed 42 --deals 20000)');
      const report = await seedDemoWorld(app.orm, { seed: 42, deals: 20000 });
      // People read the table; log collectors get the report as fields.
      if (format === 'pretty') logger.info(formatSeedReport(report));
      else logger.info({ report }, `demo world seeded in ${report.totalSeconds.toFixed(1)} s`);
    }
  }

  const url = await app.listen();
  if (config.forecastFacts.warmOnStart) void app.warmForecastFacts();
  logger.info({ url, app: url.replace(/graphql$/, ''), database, ...(isClusterWorker() && { backgroundJobs: background }) }, `Pipewise GraphQL at ${url}, the app at ${url.replace(/graphql$/, '')} (${database})`);
  if (config.auth.anonymousRole) {
    logger.warn(
      `development: requests without a token act as the development ${config.auth.anonymousRole} identity (AUTH_ANONYMOUS=off to refuse them). ` +
        'Get a demo token per role with `node bin/pipewise.js token --role SDR` (or AE, MANAGER, EXEC, ADMIN) and send it as "Authorization: Bearer <token>".',
    );
  } else if (config.env !== 'production') {
    logger.info('every request needs "Authorization: Bearer <token>": `node bin/pipewise.js token --role SDR` prints a demo token');
  }

  // SIGTERM: stop accepting, let in-flight requests finish (at most shutdownTimeoutMs), close the pool, exit.
  let shuttingDown = false;
  const shutdown = async (signal: string, repeatIsFine = false) => {
    if (shuttingDown && repeatIsFine) return;
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish in time: exiting anyway');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    await app.stop();
    logger.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (isClusterWorker()) {
    // Ctrl-C reaches every process of the group and the supervisor asks too: the request is the same one.
    process.on('message', (message) => message === SHUTDOWN_MESSAGE && void shutdown('supervisor', true));
    process.on('disconnect', () => void shutdown('supervisor gone', true));
  }
}

/** Never log a database password. */
const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

/**
 * A start that fails says why in one line on stderr, and once in the JSON log: a known fault (configuration, a
 * database missing, unreadable or not migrated) without a stack; anything else with its stack in the log only.
 */
export function reportStartupFailure(error: unknown): void {
  const known = error instanceof ConfigError || error instanceof StartupError;
  const message = known ? (error as Error).message : `could not start: ${(error as Error)?.message ?? String(error)}`;
  createLogger({ env: process.env.NODE_ENV === 'production' ? 'production' : 'development', logLevel: 'fatal' }, 'json').fatal({ error: safeErrorForLog(error, !known) }, message);
  process.stderr.write(`pipewise: ${message}\n`);
}

if (require.main === module) {
  serve().catch((error) => {
    reportStartupFailure(error);
    process.exit(1);
  });
}
