/**
 * A large section's batches as a pipeline on PostgreSQL: batch k+1 is read from the CSV and mapped (node's CPU) while
 * batch k's statements run on the server. The transaction has one connection, so statements still reach the server
 * in the order they are sent; what overlaps is node's work with the server's. Each batch reports into its own
 * journal, replayed in file order once that batch is written, so the report is the one a run that took the batches
 * one after the other gives (report.ts ReportJournal). SQLite's driver is synchronous: nothing could overlap, so the
 * batches run one after the other, reporting straight into the report.
 */
import type { ImportContext } from './import-context';
import { ReportBuilder, ReportJournal, type ReportSink, type RowIssue, type EntityCounts, type AttributeType } from './report';
import type { Row, Section } from './section';
import type { SectionName } from './mapping';

/** Reading and mapping of one batch: may query (e.g. resolve references), must not write what `write` reads. */
export type MapBatch<T> = (ctx: ImportContext, section: Section, batch: Row[]) => Promise<T>;
export type WriteBatch<T> = (ctx: ImportContext, section: Section, mapped: T) => Promise<void>;

export async function runBatches<T>(
  ctx: ImportContext, section: Section, size: number, map: MapBatch<T>, write: WriteBatch<T>,
): Promise<void> {
  if (ctx.db.dialect !== 'postgresql' || !ctx.pipelined || !(ctx.report instanceof ReportBuilder)) {
    for await (const batch of section.batches(ctx.progress, size)) await write(ctx, section, await map(ctx, section, batch));
    return;
  }
  const builder = ctx.report;
  // Rows the CSV reader rejects (wrong field count, bad quoting) go to the journal of the batch being read.
  const reading = new Forwarder(builder);
  let inFlight: Promise<void> | null = null;
  try {
    for await (const batch of section.reportingTo(reading).batches(ctx.progress, size)) {
      const journal = reading.target;
      reading.target = new ReportJournal(builder);
      const batchCtx: ImportContext = { ...ctx, report: journal };
      const batchSection = section.reportingTo(journal);
      const mapped = await map(batchCtx, batchSection, batch);
      if (inFlight) await inFlight;
      inFlight = write(batchCtx, batchSection, mapped).then(() => journal.replay());
      inFlight.catch(() => undefined); // awaited with the next batch or below, not an unhandled rejection meanwhile
    }
  } catch (error) {
    // A failed write aborts the transaction, and the statements queued after it then fail too: report the first.
    const writeError = inFlight && (await inFlight.then(() => null, (e: unknown) => e));
    throw writeError ?? error;
  }
  if (inFlight) await inFlight;
  (reading.target as ReportJournal).replay(); // rejections read after the last full batch
}

/** Sends to the journal of the batch being read (switched as each batch is handed out). */
class Forwarder implements ReportSink {
  target: ReportJournal;

  constructor(private readonly builder: ReportBuilder) {
    this.target = new ReportJournal(builder);
  }

  infer(entity: SectionName, file: string, column: string | null, rule: string, description: string, count?: number): void {
    this.target.infer(entity, file, column, rule, description, count);
  }
  counts(entity: SectionName, file: string): EntityCounts {
    return this.builder.counts(entity, file);
  }
  reject(issue: RowIssue, newRow?: boolean): void {
    this.target.reject(issue, newRow);
  }
  warn(issue: RowIssue): void {
    this.target.warn(issue);
  }
  error(message: string): void {
    this.target.error(message);
  }
  attributeTypes(types: AttributeType[]): void {
    this.target.attributeTypes(types);
  }
}
