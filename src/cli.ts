import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from './config';
import { createOrm, migrate } from './db/orm';
import { printSdl } from './graphql/schema';
import { PROJECT_ROOT } from './shared/paths';
import { serve } from './main';
import { registerImportCommand } from './modules/import/import.command';
import { registerAuthCommands } from './modules/auth/auth.cli';
import { registerScoringCommands } from './modules/scoring/scoring.cli';
import { registerForecastCommands } from './modules/forecast/forecast.cli';
import { registerExportCommand } from './modules/export/export.command';

const SCHEMA_FILE = path.join(PROJECT_ROOT, 'schema', 'schema.graphql');

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

/** Commands of feature modules (train, score, import, forecast, ...): each adds its own to the program. */
const FEATURE_COMMANDS: Array<(program: Command) => void> = [
  registerScoringCommands,
  registerImportCommand,
  registerAuthCommands,
  registerForecastCommands,
  registerExportCommand,
];

export function buildProgram(): Command {
  const program = new Command('pipewise')
    .description('Pipewise: sales KPIs, revenue forecast and lead scoring over your CRM data.\nDatabase: DATABASE_URL (postgres://...) or an SQLite file (default ./data/pipewise.db).')
    .showHelpAfterError();

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const config = loadConfig();
      const orm = await createOrm(config.database);
      try {
        const applied = await migrate(orm);
        console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.');
      } finally {
        await orm.close();
      }
    });

  program
    .command('seed')
    .description('generate the deterministic demo world (a plausible B2B company over ~3 years)')
    .option('--seed <n>', 'random seed', positiveInt, 42)
    .option('--deals <n>', 'number of deals', positiveInt, 20000)
    .option('--activities-per-deal <n>', 'average activities per deal', positiveInt)
    .option('--end <date>', 'last day of the generated history (YYYY-MM-DD); today by default')
    .option('--reset', 'delete existing data first')
    .action(async (opts) => {
      const config = loadConfig();
      const { seedDemoWorld } = await import('../seeds');
      const orm = await createOrm(config.database);
      try {
        await migrate(orm);
        const report = await seedDemoWorld(orm, {
          seed: opts.seed,
          deals: opts.deals,
          activitiesPerDeal: opts.activitiesPerDeal,
          end: opts.end ? new Date(`${opts.end}T00:00:00Z`) : undefined,
          reset: Boolean(opts.reset),
          progress: process.stderr.isTTY,
        });
        console.log(JSON.stringify(report, null, 2));
      } finally {
        await orm.close();
      }
    });

  program
    .command('serve')
    .description('start the GraphQL server (same as npm start)')
    .action(async () => {
      await serve();
    });

  program
    .command('schema')
    .description('print the GraphQL SDL, write it to schema/schema.graphql, or check the committed copy is current')
    .option('--write', 'write schema/schema.graphql')
    .option('--check', 'exit 1 when schema/schema.graphql is stale')
    .action(async (opts) => {
      const sdl = await printSdl();
      if (opts.write) {
        fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
        fs.writeFileSync(SCHEMA_FILE, sdl);
        console.log(`Wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
      } else if (opts.check) {
        const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
        if (committed !== sdl) {
          console.error('schema/schema.graphql is stale: run `npm run schema:emit` and commit it.');
          process.exitCode = 1;
        } else console.log('schema/schema.graphql is current.');
      } else process.stdout.write(sdl);
    });

  program
    .command('migration:create')
    .description('generate a migration from entity changes for the dialect of DATABASE_URL (run once for SQLite, once for PostgreSQL)')
    .requiredOption('--name <name>', 'short name, e.g. add-forecast-snapshots')
    .action(async (opts) => {
      const config = loadConfig();
      const orm = await createOrm(config.database);
      try {
        await migrate(orm);
        const result = await orm.getMigrator().createMigration(undefined, false, false, opts.name);
        console.log(result.fileName ? `Created ${result.fileName}: add it to the index.ts beside it` : 'No changes.');
      } finally {
        await orm.close();
      }
    });

  for (const register of FEATURE_COMMANDS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
