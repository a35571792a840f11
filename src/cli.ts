import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from './config';
import { createMigration, migrationSuffix } from './db/migration-create';
import { createOrm, migrate } from './db/orm';
import { printSdl } from './graphql/schema';
import { PROJECT_ROOT } from './shared/paths';
import { JSON_HELP, PipewiseCommand, calendarDate, checkRequiredOptions, exitCodeFor, printOutput, wholeNumber } from './shared/cli';
import { serve } from './main';
import { formatSeedReport } from '../seeds/report';
import { registerImportCommand } from './modules/import/import.command';
import { registerAuthCommands } from './modules/auth/auth.cli';
import { registerScoringCommands } from './modules/scoring/scoring.cli';
import { registerForecastCommands } from './modules/forecast/forecast.cli';
import { registerExportCommand } from './modules/export/export.command';

const SCHEMA_FILE = path.join(PROJECT_ROOT, 'schema', 'schema.graphql');

/** Commands of feature modules (train, score, import, forecast, ...): each adds its own to the program. */
const FEATURE_COMMANDS: Array<(program: Command) => void> = [
  registerScoringCommands,
  registerImportCommand,
  registerAuthCommands,
  registerForecastCommands,
  registerExportCommand,
];

export function buildProgram(): Command {
  const program = new PipewiseCommand('pipewise')
    .description(
      'Pipewise: sales KPIs, revenue forecast and lead scoring over your CRM data.\nDatabase: DATABASE_URL (postgres://...) or an SQLite file (default ./data/pipewise.db).\n' +
        'Exit codes: 0 success, 1 the work failed, 2 usage error (unknown option, bad value, unknown id).',
    )
    .exitOverride()
    .hook('preAction', checkRequiredOptions);

  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      const config = loadConfig();
      const orm = await createOrm(config.database);
      try {
        const applied = await migrate(orm);
        printOutput(opts.json, { applied }, () => (applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.'));
      } finally {
        await orm.close();
      }
    });

  program
    .command('seed')
    .description('generate the deterministic demo world (a plausible B2B company over ~3 years)')
    .option('--seed <n>', 'random seed', wholeNumber(42), 42)
    .option('--deals <n>', 'number of deals', wholeNumber(20000, 1), 20000)
    .option('--activities-per-deal <n>', 'average activities per deal', wholeNumber(6, 1))
    .option('--end <date>', 'last day of the generated history (YYYY-MM-DD); today by default', calendarDate)
    .option('--reset', 'delete existing data first')
    .option('--json', JSON_HELP)
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
          end: opts.end,
          reset: Boolean(opts.reset),
          progress: process.stderr.isTTY,
        });
        printOutput(opts.json, report, () => formatSeedReport(report));
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
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      const sdl = await printSdl();
      const file = path.relative(process.cwd(), SCHEMA_FILE);
      if (opts.write) {
        fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
        fs.writeFileSync(SCHEMA_FILE, sdl);
        printOutput(opts.json, { file, written: true }, () => `Wrote ${file}`);
      } else if (opts.check) {
        const current = (fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '') === sdl;
        printOutput(opts.json, { file, current }, () => (current ? 'schema/schema.graphql is current.' : 'schema/schema.graphql is stale: run `npm run schema:emit` and commit it.'));
        if (!current) process.exitCode = 1;
      } else printOutput(opts.json, { sdl }, () => sdl.trimEnd());
    });

  program
    .command('docs')
    .description('print docs/kpis.md (the KPI reference, generated from the catalogue), write it, or check the committed copy is current')
    .option('--write', 'write docs/kpis.md')
    .option('--check', 'exit 1 when docs/kpis.md is stale')
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      const { kpiDefinitions } = await import('./modules/kpi/kpi.service');
      const { KPI_DOCS_FILE, kpiDocsCurrent, renderKpiDocs } = await import('./modules/kpi/kpi.docs');
      const markdown = renderKpiDocs(kpiDefinitions());
      const file = path.relative(process.cwd(), KPI_DOCS_FILE);
      if (opts.write) {
        fs.mkdirSync(path.dirname(KPI_DOCS_FILE), { recursive: true });
        fs.writeFileSync(KPI_DOCS_FILE, markdown);
        printOutput(opts.json, { file, written: true }, () => `Wrote ${file}`);
      } else if (opts.check) {
        const current = kpiDocsCurrent(markdown);
        printOutput(opts.json, { file, current }, () => (current ? 'docs/kpis.md is current.' : 'docs/kpis.md is stale: run `npx pipewise docs --write` and commit it.'));
        if (!current) process.exitCode = 1;
      } else printOutput(opts.json, { markdown }, () => markdown.trimEnd());
    });

  program
    .command('migration:create')
    .description('generate a migration from entity changes for the dialect of DATABASE_URL and list it in its index.ts (run once with SQLite, once with PostgreSQL)')
    .requiredOption('--name <name>', 'short name, e.g. add-forecast-snapshots')
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      const config = loadConfig();
      migrationSuffix(opts.name); // a bad name is refused before connecting
      const orm = await createOrm(config.database);
      try {
        await migrate(orm);
        const created = await createMigration(orm, config.database.kind, opts.name);
        const other = config.database.kind === 'sqlite' ? 'PostgreSQL (DATABASE_URL=postgres://...)' : 'SQLite (DATABASE_URL unset)';
        printOutput(opts.json, { dialect: config.database.kind, ...created }, () =>
          created.file
            ? `Created ${path.relative(process.cwd(), created.file)} (${created.statements} statement(s)) and listed it in its index.ts.\nReview it, run the same command with ${other}, then \`pipewise migrate\`.`
            : `No changes: the ${config.database.kind} database matches the entities.`,
        );
      } finally {
        await orm.close();
      }
    });

  for (const register of FEATURE_COMMANDS) register(program);
  return program;
}

/** Runs the CLI; resolves to the exit code (README "CLI conventions"). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}
