/** `pipewise import --mapping mapping.json [--dry-run] [--strict] [--report out.json]` */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../../config';
import { createOrm, migrate, type Em } from '../../db/orm';
import { JSON_HELP, UsageError, printOutput } from '../../shared/cli';
import { AppError } from '../../shared/errors';
import { fileSource } from './csv-source';
import { runImport } from './import.service';
import { formatReport } from './report';
import type { ProgressFn } from './section';

/** Progress on stderr: a bar on a terminal, a line per 100,000 rows otherwise (logs, CI, tests). */
function progressReporter(): { progress: ProgressFn; onSection: (name: string, file: string, bytes: number) => void; stop(): void } {
  if (process.stderr.isTTY) {
    let bar: SingleBar | null = null;
    return {
      onSection(name, file, bytes) {
        bar?.stop();
        bar = new SingleBar({ format: `${name.padEnd(10)} [{bar}] {percentage}% | {rows} rows | ${file}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
        bar.start(bytes, 0, { rows: 0 });
      },
      progress: (_name, bytesRead, _total, rows) => bar?.update(bytesRead, { rows }),
      stop: () => bar?.stop(),
    };
  }
  let next = 100_000;
  return {
    onSection(name, file, bytes) {
      next = 100_000;
      process.stderr.write(`importing ${name} from ${file} (${(bytes / 1e6).toFixed(1)} MB)\n`);
    },
    progress(name, _bytesRead, _total, rows) {
      if (rows >= next) {
        process.stderr.write(`${name}: ${rows} rows\n`);
        next += 100_000;
      }
    },
    stop: () => undefined,
  };
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('import a CRM export (CSV files described by a mapping file); one transaction: all or nothing')
    .requiredOption('--mapping <file>', 'mapping JSON: which file holds which entity, which column which field (paths relative to it)')
    .option('--dry-run', 'validate and report without writing anything')
    .option('--strict', 'abort (write nothing) when any row is rejected')
    .option('--report <file>', 'also write the full report as JSON')
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      const mappingFile = path.resolve(opts.mapping);
      let mapping: unknown;
      try {
        mapping = JSON.parse(fs.readFileSync(mappingFile, 'utf8'));
      } catch (error) {
        throw new UsageError(`--mapping ${opts.mapping}: cannot read it (${(error as Error).message}); e.g. --mapping examples/crm-export/mapping.json`);
      }
      const config = loadConfig();
      const orm = await createOrm(config.database);
      const reporter = progressReporter();
      try {
        await migrate(orm);
        const report = await runImport(orm.em as Em, config.database.kind, mapping, (file, section) => {
          const full = path.resolve(path.dirname(mappingFile), file);
          if (!fs.existsSync(full)) throw new AppError('BAD_USER_INPUT', `${section}: file ${full} does not exist`, { field: `mapping.${section}.file` });
          return fileSource(file, full);
        }, { dryRun: opts.dryRun, strict: opts.strict, progress: reporter.progress, onSection: reporter.onSection });
        reporter.stop();
        printOutput(opts.json, report, () => formatReport(report));
        if (opts.report) fs.writeFileSync(opts.report, JSON.stringify(report, null, 2));
        if (report.rejectedTotal > 0 || report.errors.length) process.exitCode = 1;
      } catch (error) {
        reporter.stop();
        if (!(error instanceof AppError)) throw error;
        const field = error.extensions.field ? ` (${error.extensions.field})` : '';
        throw new UsageError(`import not started${field}: ${error.message}`);
      } finally {
        await orm.close();
      }
    });
}
