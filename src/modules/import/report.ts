/**
 * What an import did, row by row where it matters: counts per entity, every rejected row (file, line,
 * column, value, reason; the first MAX_REJECTED kept in full, all counted), warnings grouped by
 * (file, column, reason) with sample lines. Pure: the service fills it, the CLI and GraphQL print it.
 */
import type { SectionName } from './mapping';

export type ImportStatus = 'COMMITTED' | 'DRY_RUN' | 'ABORTED';

export interface RowIssue {
  entity: SectionName;
  file: string;
  line: number;
  column: string | null;
  value: string | null;
  reason: string;
}

export interface WarningGroup {
  entity: SectionName;
  file: string;
  column: string | null;
  reason: string;
  count: number;
  /** Up to MAX_SAMPLES examples: line and value. */
  samples: Array<{ line: number; value: string | null }>;
}

/** A fact the export did not state and the import concluded, with the number of rows (deals, values) it touched. */
export interface Inference {
  entity: SectionName;
  file: string;
  column: string | null;
  /** Stable code, e.g. WON_THROUGH_OPEN_STAGES. */
  rule: string;
  description: string;
  count: number;
}

export interface EntityCounts {
  entity: SectionName;
  file: string;
  rowsRead: number;
  created: number;
  updated: number;
  rejected: number;
  warnings: number;
}

export interface AttributeType {
  name: string;
  type: 'numeric' | 'categorical';
  present: number;
  missing: number;
  /** Numeric: smallest and largest value. */
  min?: number | null;
  max?: number | null;
  /** Categorical: distinct values (up to MAX_CATEGORIES counted) and the most frequent ones. */
  distinct?: number | null;
  topValues?: string[] | null;
}

export interface ImportReport {
  runId: number | null;
  status: ImportStatus;
  dryRun: boolean;
  strict: boolean;
  startedAt: Date;
  durationMs: number;
  entities: EntityCounts[];
  /** Problems that concern the import as a whole (e.g. stage values the mapping does not map). */
  errors: string[];
  rejectedTotal: number;
  rejected: RowIssue[];
  warnings: WarningGroup[];
  /** Every inference the import made, with how many rows it touched. */
  inferences: Inference[];
  attributeTypes: AttributeType[];
}

export const MAX_REJECTED = 1000;
export const MAX_SAMPLES = 5;

/** What loaders report into: the builder itself, or a batch's journal (ReportJournal). */
export interface ReportSink {
  infer(entity: SectionName, file: string, column: string | null, rule: string, description: string, count?: number): void;
  counts(entity: SectionName, file: string): EntityCounts;
  reject(issue: RowIssue, newRow?: boolean): void;
  warn(issue: RowIssue): void;
  error(message: string): void;
  attributeTypes(types: AttributeType[]): void;
}

export class ReportBuilder implements ReportSink {
  readonly report: ImportReport;
  private readonly warningIndex = new Map<string, WarningGroup>();

  constructor(options: { dryRun: boolean; strict: boolean }) {
    this.report = {
      runId: null, status: 'COMMITTED', dryRun: options.dryRun, strict: options.strict, startedAt: new Date(), durationMs: 0,
      entities: [], errors: [], rejectedTotal: 0, rejected: [], warnings: [], inferences: [], attributeTypes: [],
    };
  }

  infer(entity: SectionName, file: string, column: string | null, rule: string, description: string, count = 1): void {
    let found = this.report.inferences.find((i) => i.entity === entity && i.rule === rule && i.column === column && i.description === description);
    if (!found) {
      found = { entity, file, column, rule, description, count: 0 };
      this.report.inferences.push(found);
    }
    found.count += count;
  }

  counts(entity: SectionName, file: string): EntityCounts {
    let counts = this.report.entities.find((c) => c.entity === entity);
    if (!counts) {
      counts = { entity, file, rowsRead: 0, created: 0, updated: 0, rejected: 0, warnings: 0 };
      this.report.entities.push(counts);
    }
    return counts;
  }

  /** `newRow` is false for a second problem on a row already rejected: listed, not counted again. */
  reject(issue: RowIssue, newRow = true): void {
    if (newRow) {
      this.counts(issue.entity, issue.file).rejected++;
      this.report.rejectedTotal++;
    }
    if (this.report.rejected.length < MAX_REJECTED) this.report.rejected.push(issue);
  }

  warn(issue: RowIssue): void {
    this.counts(issue.entity, issue.file).warnings++;
    const key = `${issue.entity}\u0000${issue.column}\u0000${issue.reason}`;
    let group = this.warningIndex.get(key);
    if (!group) {
      group = { entity: issue.entity, file: issue.file, column: issue.column, reason: issue.reason, count: 0, samples: [] };
      this.warningIndex.set(key, group);
      this.report.warnings.push(group);
    }
    group.count++;
    if (group.samples.length < MAX_SAMPLES) group.samples.push({ line: issue.line, value: issue.value });
  }

  error(message: string): void {
    this.report.errors.push(message);
  }

  attributeTypes(types: AttributeType[]): void {
    this.report.attributeTypes.push(...types);
  }

  finish(status: ImportStatus): ImportReport {
    const order = new Map(this.report.entities.map((c, i) => [c.entity, i]));
    this.report.rejected.sort((a, b) => order.get(a.entity)! - order.get(b.entity)! || a.line - b.line);
    this.report.status = status;
    this.report.durationMs = Date.now() - this.report.startedAt.getTime();
    return this.report;
  }
}

/**
 * A batch's report entries, held until `replay` passes them to the builder in the order they came. When batch k+1 is
 * mapped while batch k is still being written (src/modules/import/pipeline.ts), each batch reports into its own
 * journal and the journals are replayed in file order: the first MAX_REJECTED rows kept, the warning samples and the
 * order of inferences are those of a run that took the batches one after the other. Counts are sums: shared at once.
 */
export class ReportJournal implements ReportSink {
  private readonly entries: Array<(builder: ReportBuilder) => void> = [];

  constructor(private readonly builder: ReportBuilder) {}

  infer(entity: SectionName, file: string, column: string | null, rule: string, description: string, count = 1): void {
    this.entries.push((b) => b.infer(entity, file, column, rule, description, count));
  }

  counts(entity: SectionName, file: string): EntityCounts {
    return this.builder.counts(entity, file);
  }

  reject(issue: RowIssue, newRow = true): void {
    this.entries.push((b) => b.reject(issue, newRow));
  }

  warn(issue: RowIssue): void {
    this.entries.push((b) => b.warn(issue));
  }

  error(message: string): void {
    this.entries.push((b) => b.error(message));
  }

  attributeTypes(types: AttributeType[]): void {
    this.entries.push((b) => b.attributeTypes(types));
  }

  replay(): void {
    for (const entry of this.entries) entry(this.builder);
    this.entries.length = 0;
  }
}

const STATUS_TEXT: Record<ImportStatus, string> = {
  COMMITTED: 'Import committed.',
  DRY_RUN: 'Dry run: nothing was written.',
  ABORTED: 'Import aborted (--strict and rows were rejected): nothing was written.',
};

/** The report as a person reads it in a terminal. */
export function formatReport(report: ImportReport, maxRejectedShown = 50): string {
  const out: string[] = [STATUS_TEXT[report.status] + ` (${(report.durationMs / 1000).toFixed(1)} s${report.runId ? `, run #${report.runId}` : ''})`, ''];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  out.push(`${'entity'.padEnd(11)}${pad('read', 10)}${pad('created', 10)}${pad('updated', 10)}${pad('rejected', 10)}${pad('warnings', 10)}  file`);
  for (const c of report.entities) {
    out.push(`${c.entity.padEnd(11)}${pad(c.rowsRead, 10)}${pad(c.created, 10)}${pad(c.updated, 10)}${pad(c.rejected, 10)}${pad(c.warnings, 10)}  ${c.file}`);
  }
  if (report.errors.length) {
    out.push('', 'Errors:');
    for (const e of report.errors) out.push(`  - ${e}`);
  }
  if (report.rejectedTotal) {
    out.push('', `Rejected rows (${report.rejectedTotal}${report.rejectedTotal > maxRejectedShown ? `, first ${maxRejectedShown} shown` : ''}):`);
    for (const r of report.rejected.slice(0, maxRejectedShown)) {
      const where = `${r.file}:${r.line}${r.column ? ` [${r.column}]` : ''}`;
      out.push(`  ${where}${r.value != null ? ` "${r.value}"` : ''}: ${r.reason}`);
    }
  }
  if (report.warnings.length) {
    out.push('', 'Warnings:');
    for (const w of report.warnings) {
      const lines = w.samples.map((s) => (s.value != null && s.value !== '' ? `${s.line} "${s.value}"` : String(s.line))).join(', ');
      out.push(`  ${w.file}${w.column ? ` [${w.column}]` : ''}: ${w.reason} (${w.count} row${w.count > 1 ? 's' : ''}${lines ? `; e.g. line ${lines}` : ''})`);
    }
  }
  if (report.inferences.length) {
    out.push('', 'Inferences (what the export did not say, and how many rows each touched):');
    for (const i of report.inferences) out.push(`  ${i.file}${i.column ? ` [${i.column}]` : ''}: ${i.description} (${i.count} ${i.entity === 'deals' && !i.column ? 'deal' : 'row'}${i.count > 1 ? 's' : ''})`);
  }
  if (report.attributeTypes.length) {
    out.push('', 'Lead attributes (types inferred):');
    for (const a of report.attributeTypes) {
      const detail = a.type === 'numeric' ? `min ${a.min}, max ${a.max}` : `${a.distinct} distinct: ${(a.topValues ?? []).join(', ')}`;
      out.push(`  ${a.name}: ${a.type}, ${a.present} values, ${a.missing} missing; ${detail}`);
    }
  }
  return out.join('\n');
}
