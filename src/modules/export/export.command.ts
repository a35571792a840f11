/**
 * `pipewise export --snapshot --out <dir>`: the database as a typical CRM export plus the mapping that re-imports it
 * (snapshot.ts). CLI conventions (src/shared/cli.ts): exit 0 on success, 1 when the export failed, 2 for a usage
 * error (unknown option, bad value, missing --snapshot), `--json` for scripts.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config';
import { createOrm, migrate, type Em } from '../../db/orm';
import { JSON_HELP, UsageError, printOutput, wholeNumber } from '../../shared/cli';
import { writeSnapshotExport, type SnapshotSummary } from './snapshot';

const share = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a share between 0 and 1, e.g. 0.1');
  return n;
};
const lostAmounts = (value: string): 'zero' | 'keep' => {
  if (value !== 'zero' && value !== 'keep') throw new InvalidArgumentError('expected zero or keep, e.g. --lost-amounts keep');
  return value;
};

function describe(summary: SnapshotSummary): string {
  const { deals } = summary;
  return [
    `Snapshot export written to ${summary.dir}`,
    ...summary.files.map((f) => `  ${f.file.padEnd(18)} ${String(f.rows).padStart(9)} rows (${f.entity})`),
    `  mapping.json       re-imports them: pipewise import --mapping ${summary.mapping}`,
    `Deals: ${deals.open} open (${deals.undatedOpen} without dates), ${deals.won} won, ${deals.lost} lost (amounts ${summary.lostAmounts === 'zero' ? 'exported as 0' : 'kept'}); ` +
      `current stage only${summary.stageDates ? ', with "Date entered <stage>" columns' : ', no stage history'}.`,
  ].join('\n');
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('write the database as a typical CRM export (CSV files + a mapping that re-imports them)')
    .option('--snapshot', 'current stage only, no stage history, lost amounts 0, some open deals undated (the only kind of export)')
    .requiredOption('--out <dir>', 'folder to write the CSV files and mapping.json into (created if missing)')
    .option('--stage-dates', 'add "Date entered <stage>" columns (first entry into each open stage)')
    .option('--undated-share <share>', 'share of open deals exported without any date, 0..1', share, 0.1)
    .option('--lost-amounts <zero|keep>', 'lost deals\' amounts: zero (as CRMs export them) or keep', lostAmounts, 'zero')
    .option('--seed <n>', 'which open deals are undated (same seed, same deals)', wholeNumber(1), 1)
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      if (!opts.snapshot) throw new UsageError('only snapshot exports exist: add --snapshot, e.g. pipewise export --snapshot --out /tmp/export');
      const config = loadConfig();
      const orm = await createOrm(config.database);
      try {
        await migrate(orm);
        const summary = await writeSnapshotExport(orm.em as Em, path.resolve(opts.out), {
          undatedOpenShare: opts.undatedShare, stageDates: Boolean(opts.stageDates), lostAmounts: opts.lostAmounts, seed: opts.seed,
        });
        printOutput(opts.json, summary, () => describe(summary));
      } catch (error) {
        throw new Error(`the export failed: ${(error as Error).message}`); // exit 1
      } finally {
        await orm.close();
      }
    });
}
