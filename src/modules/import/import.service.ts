/**
 * Runs an import: validate the mapping and every file's header first, then load reps, accounts, products,
 * leads, deals and activities in ONE database transaction. A crash or kill before the commit leaves the
 * database exactly as it was (the transaction never commits); --dry-run and --strict-with-rejections roll
 * it back on purpose. Re-running the same import updates records by external id (or name for reps,
 * accounts, products) and creates no duplicates.
 */
import type { Knex } from 'knex';
import type { DatabaseKind } from '../../config';
import type { Em } from '../../db/orm';
import { ensureDefaultPipeline } from '../pipeline/stage.service';
import type { ImportSource } from './csv-source';
import type { ImportContext } from './import-context';
import { ImportRun } from './import-run.entity';
import { loadActivities } from './load-activities';
import { loadAccounts, loadProducts } from './load-catalog';
import { loadDeals, stageDateColumns } from './load-deals';
import { loadLeads } from './load-leads';
import { loadReps } from './load-reps';
import { analyzeWritten } from '../../db/analyze';
import { parseMapping, SECTIONS, type ImportMapping, type SectionMapping, type SectionName } from './mapping';
import { RefIndex } from './refs';
import { ReportBuilder, type ImportReport } from './report';
import { Section, type ProgressFn } from './section';
import { SqlWriter } from './sql-writer';
import { bumpDataVersionsSql } from '../../shared/answer-cache/data-versions';

export interface ImportOptions {
  dryRun?: boolean;
  strict?: boolean;
  progress?: ProgressFn;
  /**
   * A deals file larger than this loads with the tables' secondary indexes rebuilt after it (and, on PostgreSQL, the
   * foreign keys checked at once: src/modules/import/pg-bulk.ts). Default 10 MB; tests set 0 to compare both paths.
   */
  bulkLoadBytes?: number;
  /**
   * PostgreSQL: a batch is read and mapped while the previous one is written (src/modules/import/pipeline.ts). Default
   * true; tests set false to compare with batches taken one after the other.
   */
  pipelined?: boolean;
  /** Called when a section starts loading (the CLI prints it). */
  onSection?: (section: SectionName, file: string, bytes: number) => void;
}

/** Finds the bytes of the file a section names (path relative to the mapping file, or an uploaded file). */
export type SourceResolver = (file: string, section: SectionName) => ImportSource;

const LOADERS: Record<SectionName, (ctx: ImportContext, section: Section) => Promise<void>> = {
  reps: loadReps,
  accounts: loadAccounts,
  products: loadProducts,
  leads: loadLeads,
  deals: loadDeals,
  activities: loadActivities,
};

class Rollback extends Error {}

export async function runImport(
  em: Em,
  dialect: DatabaseKind,
  mappingInput: unknown,
  resolveSource: SourceResolver,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const mapping: ImportMapping = parseMapping(mappingInput);
  const builder = new ReportBuilder({ dryRun: Boolean(options.dryRun), strict: Boolean(options.strict) });
  const sections: Section[] = [];
  for (const name of SECTIONS) {
    const sectionMapping: SectionMapping | undefined = mapping[name];
    if (sectionMapping) sections.push(await Section.open(name, sectionMapping, resolveSource(sectionMapping.file, name), builder));
  }
  const runStamp = new Date(Math.floor(Date.now()));
  let written: Set<string> = new Set();

  try {
    await em.fork().transactional(async (tx) => {
      const trx = tx.getTransactionContext<Knex.Transaction>()!;
      const db = await SqlWriter.create(trx, dialect);
      written = db.written;
      const stages = await ensureDefaultPipeline(tx as Em);
      if (mapping.deals) stageDateColumns(mapping.deals, stages); // fail on a bad stage mapping before loading anything
      const ctx: ImportContext = {
        db, report: builder, runStamp, stages, progress: options.progress, bulkLoadBytes: options.bulkLoadBytes ?? 10_000_000,
        pipelined: options.pipelined ?? true,
        reps: new RefIndex(), accounts: new RefIndex(), products: new RefIndex(),
      };
      for (const r of await db.query<{ id: number; name: string; external_id: string | null }>('select id, name, external_id from reps')) ctx.reps.add(Number(r.id), r.name, r.external_id);
      for (const a of await db.query<{ id: number; name: string; external_id: string | null }>('select id, name, external_id from accounts')) ctx.accounts.add(Number(a.id), a.name, a.external_id);
      for (const p of await db.query<{ id: number; name: string; external_id: string | null }>('select id, name, external_id from products')) ctx.products.add(Number(p.id), p.name, p.external_id);

      for (const section of sections) {
        options.onSection?.(section.name, section.source.name, section.source.size);
        await LOADERS[section.name](ctx, section);
      }
      if (options.strict && builder.report.rejectedTotal > 0) throw new Rollback('strict');
      if (options.dryRun) throw new Rollback('dry-run');
      const report = builder.finish('COMMITTED');
      await db.query(bumpDataVersionsSql()); // cached answers (src/shared/answer-cache) are stale once this commits
      const [run] = await db.insert<{ id: number }>(
        'import_runs',
        ['created_at', 'updated_at', 'status', 'mapping', 'counts', 'attribute_types', 'rejected_rows', 'duration_ms', 'report'],
        [[db.ts(runStamp), db.ts(new Date()), 'COMMITTED', JSON.stringify(mappingInput), JSON.stringify(report.entities),
          JSON.stringify(report.attributeTypes), report.rejectedTotal, report.durationMs, JSON.stringify({ ...report, runId: null })]],
        { returning: ['id'] },
      );
      report.runId = Number(run.id);
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
    return builder.finish(error.message === 'strict' ? 'ABORTED' : 'DRY_RUN');
  }
  await analyzeWritten(em, dialect, written); // fresh planner statistics for what the import loaded
  return builder.report;
}

/** Lead attribute types recorded by the latest committed import that had attributes (for feature encoding). */
export async function latestAttributeTypes(em: Em) {
  const runs = await em.fork().find(ImportRun, {}, { orderBy: { id: 'desc' }, limit: 20 });
  return runs.find((r) => r.attributeTypes.length)?.attributeTypes ?? [];
}
