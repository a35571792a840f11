import 'reflect-metadata';
import pino from 'pino';
import { createApp } from './app';
import { loadConfig } from './config';
import { Deal } from './modules/deal/deal.entity';
import type { Em } from './db/orm';

/** Starts the server: migrate, seed the demo world into an empty database, listen, stop cleanly on signals. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  const app = await createApp(config, { logger });
  const database = config.database.kind === 'sqlite' ? `SQLite ${config.database.url}` : `PostgreSQL ${redact(config.database.url)}`;

  if (config.seedDemoWhenEmpty && (await (app.orm.em.fork() as Em).count(Deal, {})) === 0) {
    logger.info('empty database: seeding the demo world (pipewise seed --seed 42 --deals 20000)');
    const { seedDemoWorld } = await import('../seeds');
    const report = await seedDemoWorld(app.orm, { seed: 42, deals: 20000 });
    logger.info({ report }, 'demo world seeded');
  }

  const url = await app.listen();
  logger.info({ url, database }, `Pipewise GraphQL at ${url} (${database})`);

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** Never log a database password. */
const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

if (require.main === module) {
  serve().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
