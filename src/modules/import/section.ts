/**
 * One mapped CSV file read as rows of Pipewise fields: headers matched case- and space-insensitively,
 * "missing" placeholders turned into null, aliases applied, problems reported against file, line and the
 * CSV column. Batches keep memory flat however long the file is.
 */
import { BadInputError } from '../../shared/errors';
import { readHeader, readRecords, type CsvHeader, type ImportSource } from './csv-source';
import type { SectionMapping, SectionName } from './mapping';
import type { ReportBuilder } from './report';
import { normKey, parseDate, parseMoneyCents, parseNumber, type Parsed } from './values';

export const BATCH_SIZE = 1000;

export class Row {
  /** Set once a problem makes the row unloadable. */
  rejected = false;

  constructor(private readonly section: Section, readonly line: number, private readonly values: string[]) {}

  /** Trimmed value of a mapped field; null when unmapped, blank or a "missing" placeholder; aliases applied. */
  get(field: string): string | null {
    const index = this.section.index[field];
    if (index === undefined) return null;
    return this.section.clean(field, this.values[index]);
  }

  /** Value of an unmapped-by-field CSV column (lead attributes). */
  column(index: number): string | null {
    return this.section.clean(null, this.values[index]);
  }

  get width(): number {
    return this.values.length;
  }
}

export type ProgressFn = (entity: SectionName, bytesRead: number, totalBytes: number, rows: number) => void;

export class Section {
  readonly index: Record<string, number> = {};
  readonly attributeIndex: Array<{ name: string; index: number }> = [];
  private readonly missing: Set<string>;
  private readonly longestMissing: number;
  private readonly aliases: Record<string, Map<string, string>> = {};

  private constructor(
    readonly name: SectionName,
    readonly mapping: SectionMapping,
    readonly source: ImportSource,
    readonly header: CsvHeader,
    private readonly report: ReportBuilder,
  ) {
    this.missing = new Set(['', ...mapping.missing.map((m) => m.trim().toLowerCase())]);
    this.longestMissing = Math.max(0, ...[...this.missing].map((m) => m.length));
    for (const [field, table] of Object.entries(mapping.aliases)) {
      this.aliases[field] = new Map(Object.entries(table).map(([from, to]) => [normKey(from), to.trim()]));
    }
    const byHeader = new Map(header.headers.map((h, i) => [normKey(h), i] as const));
    const missingColumn = (path: string, csvHeader: string) =>
      new BadInputError(path, `Column "${csvHeader}" is not in ${source.name} (${header.delimiter === '\t' ? 'tab' : `"${header.delimiter}"`}-separated; headers: ${header.headers.join(', ')})`);
    for (const [field, csvHeader] of Object.entries(mapping.columns)) {
      const i = byHeader.get(normKey(csvHeader));
      if (i === undefined) throw missingColumn(`mapping.${name}.columns.${field}`, csvHeader);
      this.index[field] = i;
    }
    mapping.attributes.forEach((csvHeader, k) => {
      const i = byHeader.get(normKey(csvHeader));
      if (i === undefined) throw missingColumn(`mapping.${name}.attributes.${k}`, csvHeader);
      this.attributeIndex.push({ name: csvHeader.trim(), index: i });
    });
    report.counts(name, source.name);
  }

  /** Reads the header and checks every mapped column exists: throws BadInputError before anything is written. */
  static async open(name: SectionName, mapping: SectionMapping, source: ImportSource, report: ReportBuilder): Promise<Section> {
    const header = await readHeader(source, mapping.delimiter);
    if (!header.headers.some(Boolean)) throw new BadInputError(`mapping.${name}.file`, `${source.name} is empty: it needs a header line`);
    return new Section(name, mapping, source, header, report);
  }

  clean(field: string | null, raw: string | undefined): string | null {
    if (raw == null) return null;
    const value = raw.trim();
    if (value.length <= this.longestMissing && this.missing.has(value.toLowerCase())) return null;
    const alias = field ? this.aliases[field]?.get(normKey(value)) : undefined;
    return alias ?? value;
  }

  csvColumn(field: string | null): string | null {
    return field ? (this.mapping.columns[field] ?? field) : null;
  }

  /** Records why a row cannot load; a row with several problems lists each but counts once. */
  reject(row: { line: number; rejected?: boolean }, field: string | null, value: string | null, reason: string): void {
    const issue = { entity: this.name, file: this.source.name, line: row.line, column: this.csvColumn(field), value, reason };
    this.report.reject(issue, !row.rejected);
    row.rejected = true;
  }

  warn(row: { line: number }, field: string | null, value: string | null, reason: string): void {
    this.report.warn({ entity: this.name, file: this.source.name, line: row.line, column: this.csvColumn(field), value, reason });
  }

  get counts() {
    return this.report.counts(this.name, this.source.name);
  }

  /** Rows in batches; records with the wrong number of fields or unreadable quoting are rejected here. */
  async *batches(progress?: ProgressFn, size = BATCH_SIZE): AsyncGenerator<Row[]> {
    const width = this.header.headers.length;
    let batch: Row[] = [];
    let rows = 0;
    let bytes = 0;
    const skip = (s: { line: number; reason: string }) => {
      this.counts.rowsRead++;
      this.reject(s, null, null, s.reason);
    };
    for await (const record of readRecords(this.source, this.header.delimiter, skip, (b) => (bytes = b))) {
      this.counts.rowsRead++;
      rows++;
      if (record.values.length !== width) {
        this.reject(record, null, null, `expected ${width} fields, found ${record.values.length} (an unquoted "${this.header.delimiter}" or a cut line?)`);
        continue;
      }
      batch.push(new Row(this, record.line, record.values));
      if (batch.length >= size) {
        yield batch;
        batch = [];
        progress?.(this.name, bytes, this.source.size, rows);
      }
    }
    if (batch.length) yield batch;
    progress?.(this.name, this.source.size, this.source.size, rows);
  }

  // Typed readers: null when blank; report a rejection (and return undefined) when unreadable.

  date(row: Row, field: string): Date | null | undefined {
    return this.parsed(row, field, (v) => parseDate(v, this.mapping.dateFormat));
  }

  money(row: Row, field: string): number | null | undefined {
    return this.parsed(row, field, parseMoneyCents);
  }

  integer(row: Row, field: string): number | null | undefined {
    return this.parsed(row, field, (v) => {
      const n = parseNumber(v);
      return n.ok && !Number.isInteger(n.value) ? { ok: false, reason: `"${v}" is not a whole number` } : n;
    });
  }

  parsed<T>(row: Row, field: string, parse: (value: string) => Parsed<T>): T | null | undefined {
    const value = row.get(field);
    if (value == null) return null;
    const result = parse(value);
    if (!result.ok) {
      this.reject(row, field, value, result.reason);
      return undefined;
    }
    if (result.normalised !== undefined) this.warn(row, field, `${value} -> ${result.normalised}`, 'number normalised (separators or currency sign removed)');
    return result.value;
  }
}
