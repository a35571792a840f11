import type { PipelineStage } from '../pipeline/stage.entity';
import { AMBIGUOUS, type RefIndex } from './refs';
import type { ReportSink } from './report';
import type { ProgressFn, Row, Section } from './section';
import type { SqlWriter } from './sql-writer';

/** What every section loader shares during one import (one transaction). */
export interface ImportContext {
  db: SqlWriter;
  /** The run's report, or (in a pipelined batch) the batch's journal. */
  report: ReportSink;
  /** Written to updated_at of every row this import writes: a second row with the same key is a duplicate. */
  runStamp: Date;
  reps: RefIndex;
  accounts: RefIndex;
  products: RefIndex;
  stages: PipelineStage[];
  progress?: ProgressFn;
  /** Files larger than this load in bulk (indexes rebuilt after; ImportOptions.bulkLoadBytes). */
  bulkLoadBytes: number;
  /** PostgreSQL: batches read and mapped while the previous one is written (ImportOptions.pipelined). */
  pipelined: boolean;
}

/** Resolves a reference column; an unknown or ambiguous value is left empty with a warning. */
export function resolveRef(section: Section, row: Row, field: string, index: RefIndex, what: string): number | null {
  const value = row.get(field);
  if (value == null) return null;
  const id = index.resolve(value);
  if (id === AMBIGUOUS) {
    section.warn(row, field, value, `several ${what}s have this name: left empty`);
    return null;
  }
  if (id == null) section.warn(row, field, value, `unknown ${what}: left empty`);
  return id;
}

/** Same row twice in one file: identical copies are skipped with a warning, conflicting ones rejected. */
export class FileDuplicates {
  private readonly seen = new Map<string, { line: number; signature: string }>();

  constructor(private readonly what: string) {}

  /** True when the row should be skipped (already reported). */
  check(section: Section, row: Row, key: string, signature: string, label: string): boolean {
    const first = this.seen.get(key);
    if (!first) {
      this.seen.set(key, { line: row.line, signature });
      return false;
    }
    if (first.signature === signature) section.warn(row, null, label, `duplicate of line ${first.line} (same ${this.what}, same values): skipped`);
    else section.reject(row, null, label, `same ${this.what} as line ${first.line} with different values: keep one of the two rows`);
    return true;
  }
}
