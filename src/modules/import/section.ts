/**
 * One mapped CSV file read as rows of Pipewise fields: headers matched case- and space-insensitively,
 * "missing" placeholders turned into null, aliases applied, problems reported against file, line and the
 * CSV column. Batches keep memory flat however long the file is.
 */
import { BadInputError } from '../../shared/errors';
import { readHeader, readRecords, type CsvHeader, type ImportSource } from './csv-source';
import { DATE_FIELDS, FLAG_FIELDS, stageDateField, type SectionMapping, type SectionName } from './mapping';
import type { ReportSink } from './report';
import { CHECKMARKS, dateShape, normKey, parseDate, repeatedKey, parseFlag, parseMoneyCents, parseNumber, type DateOrder, type FlagWords, type Parsed } from './values';

export const BATCH_SIZE = 1000;

/** The start of a numeric date that may read day-first or month-first (values.ts NUMERIC with a 1- or 2-digit first part). */
const DAY_OR_MONTH_FIRST = /(?<!\d)\d{1,2}([/.-])\d{1,2}\1\d/;

export class Row {
  /** Set once a problem makes the row unloadable. */
  rejected = false;

  constructor(private readonly section: Section, readonly line: number, private readonly values: string[]) {}

  /** Trimmed value of a mapped field; null when unmapped, blank or a "missing" placeholder; aliases applied. */
  get(field: string): string | null {
    const index = this.section.index[field];
    if (index === undefined) return this.section.mapping.constants[field] ?? null;
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
  /** Pipewise field (and `stageDate:<stage>` pseudo-field) -> CSV header. */
  readonly columns: Record<string, string>;
  /** Per date field: the order its numeric dates are read in (the mapping's, or decided from the column). */
  readonly dateOrders: Record<string, DateOrder | undefined> = {};
  /** Per flag field: the mapping's words, and what a blank means (checkmark columns: no). */
  readonly flagWords: Record<string, FlagWords> = {};

  private constructor(
    readonly name: SectionName,
    readonly mapping: SectionMapping,
    readonly source: ImportSource,
    readonly header: CsvHeader,
    private readonly report: ReportSink,
  ) {
    this.missing = new Set(['', ...mapping.missing.map((m) => m.trim().toLowerCase())]);
    this.longestMissing = Math.max(0, ...[...this.missing].map((m) => m.length));
    for (const [field, table] of Object.entries(mapping.aliases)) {
      this.aliases[field] = new Map(Object.entries(table).map(([from, to]) => [normKey(from), to.trim()]));
    }
    const byHeader = new Map(header.headers.map((h, i) => [normKey(h), i] as const));
    const missingColumn = (path: string, csvHeader: string) =>
      new BadInputError(path, `Column "${csvHeader}" is not in ${source.name} (${header.delimiter === '\t' ? 'tab' : `"${header.delimiter}"`}-separated; headers: ${header.headers.join(', ')})`);
    this.columns = { ...mapping.columns };
    for (const [stage, csvHeader] of Object.entries(mapping.stageDates)) this.columns[stageDateField(stage)] = csvHeader;
    for (const [field, csvHeader] of Object.entries(this.columns)) {
      const i = byHeader.get(normKey(csvHeader));
      if (i === undefined) throw missingColumn(this.mappingPath(field), csvHeader);
      this.index[field] = i;
    }
    for (const field of this.dateFields) this.dateOrders[field] = mapping.dateFormat;
    for (const field of FLAG_FIELDS[name]) {
      if (field in this.index) this.flagWords[field] = mapping.flags[field] ?? { true: new Set(), false: new Set(), blank: null };
    }
    mapping.attributes.forEach((csvHeader, k) => {
      const i = byHeader.get(normKey(csvHeader));
      if (i === undefined) throw missingColumn(`mapping.${name}.attributes.${k}`, csvHeader);
      this.attributeIndex.push({ name: csvHeader.trim(), index: i });
    });
    report.counts(name, source.name);
  }

  /**
   * Reads the header and checks every mapped column exists, then profiles the date and flag columns (one pass):
   * throws BadInputError before anything is written.
   */
  static async open(name: SectionName, mapping: SectionMapping, source: ImportSource, report: ReportSink): Promise<Section> {
    const header = await readHeader(source, mapping.delimiter);
    if (!header.headers.some(Boolean)) throw new BadInputError(`mapping.${name}.file`, `${source.name} is empty: it needs a header line`);
    const section = new Section(name, mapping, source, header, report);
    await section.profileColumns();
    return section;
  }

  /** This section reporting into `sink` (a batch's journal); everything else shared. */
  reportingTo(sink: ReportSink): Section {
    return Object.create(this, { report: { value: sink } }) as Section;
  }

  /** True when rows have a value source for the field: a mapped column or a mapping constant. */
  has(field: string): boolean {
    return field in this.index || field in this.mapping.constants;
  }

  /** Mapped date fields, stage-date columns included. */
  get dateFields(): string[] {
    return [...DATE_FIELDS[this.name], ...Object.keys(this.mapping.stageDates).map(stageDateField)].filter((f) => f in this.index);
  }

  mappingPath(field: string): string {
    return field.startsWith('stageDate:') ? `mapping.${this.name}.stageDates.${field.slice('stageDate:'.length)}` : `mapping.${this.name}.columns.${field}`;
  }

  /**
   * Decides, per column, what the rows cannot decide one by one. Dates without a mapping `dateFormat`: a column
   * whose numeric dates include one that only fits day-first ("20/10/2017") is read day-first throughout (and
   * vice versa); a column where every such date fits both orders is refused, naming its first ambiguous value;
   * a column with both kinds is refused. Flags: a column holding only checkmarks ("x") reads blank as no.
   */
  private async profileColumns(): Promise<void> {
    const dates = this.dateFields.filter((f) => !this.dateOrders[f]);
    const flags = Object.keys(this.flagWords).filter((f) => this.mapping.flags[f]?.blank == null);
    if (!dates.length && !flags.length) return;
    if (!flags.length && !(await this.mayHoldDayOrMonthFirstDates(dates))) return; // nothing for the pass to decide
    type Seen = { line: number; value: string };
    const evidence = dates.map(() => ({ DMY: null as Seen | null, MDY: null as Seen | null, ambiguous: null as Seen | null, ambiguousCount: 0 }));
    const marks = flags.map(() => ({ checkmarks: 0, other: 0, blank: 0 }));
    const width = this.header.headers.length;
    for await (const record of readRecords(this.source, this.header.delimiter, () => undefined)) {
      if (record.values.length !== width) continue;
      dates.forEach((field, k) => {
        const value = this.clean(field, record.values[this.index[field]]);
        if (value == null) return;
        const shape = dateShape(value);
        if (shape.kind !== 'numeric') return;
        const dmy = shape.fits.includes('DMY');
        const mdy = shape.fits.includes('MDY');
        const e = evidence[k];
        if (dmy && mdy) {
          if (parseDate(value).ok) return; // 05/05/2023: the same date either way
          e.ambiguousCount++;
          e.ambiguous ??= { line: record.line, value };
        } else if (dmy) e.DMY ??= { line: record.line, value };
        else if (mdy) e.MDY ??= { line: record.line, value };
      });
      flags.forEach((field, k) => {
        const value = this.clean(field, record.values[this.index[field]]);
        if (value == null) marks[k].blank++;
        else if (CHECKMARKS.has(normKey(value))) marks[k].checkmarks++;
        else marks[k].other++;
      });
    }
    dates.forEach((field, k) => {
      const e = evidence[k];
      const column = `Column "${this.columns[field]}" of ${this.source.name}`;
      if (e.DMY && e.MDY) {
        throw new BadInputError(this.mappingPath(field),
          `${column} mixes day-first dates ("${e.DMY.value}", line ${e.DMY.line}) and month-first dates ("${e.MDY.value}", line ${e.MDY.line}): ` +
          `set "dateFormat" in mapping.${this.name} (rows in the other order are then rejected) or fix the export`);
      }
      const decided = e.DMY ? 'DMY' : e.MDY ? 'MDY' : undefined;
      if (!decided) {
        if (e.ambiguous) {
          throw new BadInputError(this.mappingPath(field),
            `${column} has dates that read both day-first and month-first, first "${e.ambiguous.value}" on line ${e.ambiguous.line}: ` +
            `set "dateFormat": "DMY" or "MDY" in mapping.${this.name}`);
        }
        return;
      }
      this.dateOrders[field] = decided;
      if (e.ambiguousCount) {
        const proof = (e.DMY ?? e.MDY)!;
        this.report.infer(this.name, this.source.name, this.columns[field], 'DATE_ORDER_FROM_COLUMN',
          `dates read ${decided === 'DMY' ? 'day-first' : 'month-first'}: "${proof.value}" (line ${proof.line}) fits no other order`, e.ambiguousCount);
      }
    });
    flags.forEach((field, k) => {
      const m = marks[k];
      if (m.checkmarks > 0 && m.other === 0 && m.blank > 0) {
        this.flagWords[field] = { ...this.flagWords[field], blank: false };
        this.report.infer(this.name, this.source.name, this.columns[field], 'CHECKMARK_BLANK_IS_NO', 'checkmark column ("x" or blank): blank read as no', m.blank);
      }
    });
  }

  /**
   * False when no value of the file can be a numeric date that reads day-first or month-first ("03/04/2023"): then
   * the profiling pass has nothing to decide, and a scan of the raw text (a regular expression over the bytes, tens
   * of times cheaper than parsing the CSV) saves it. Such a date begins with one or two digits not preceded by a
   * digit (it starts the trimmed value); ISO dates ("2023-04-03") never match. A digit delimiter, or an alias that
   * turns a value into a numeric date, takes the pass.
   */
  private async mayHoldDayOrMonthFirstDates(fields: string[]): Promise<boolean> {
    if (/\d/.test(this.header.delimiter)) return true;
    if (fields.some((f) => [...(this.aliases[f]?.values() ?? [])].some((to) => DAY_OR_MONTH_FIRST.test(to)))) return true;
    const search = new RegExp(DAY_OR_MONTH_FIRST.source, 'g');
    let tail = '';
    for await (const chunk of this.source.open()) {
      const text = tail + (chunk as Buffer).toString('latin1'); // digits and separators are ASCII: the same in any encoding
      // The previous chunk's last 9 characters come first, so that a match cut by the boundary is found; one starting
      // at the first of them (at most 7 long, so already searched, with what preceded it) is not searched again.
      search.lastIndex = tail ? 1 : 0;
      if (search.exec(text)) return true;
      tail = text.slice(-9);
    }
    return false;
  }

  clean(field: string | null, raw: string | undefined): string | null {
    if (raw == null) return null;
    const value = raw.trim();
    if (value.length <= this.longestMissing && this.missing.has(value.toLowerCase())) return null;
    const aliases = field ? this.aliases[field] : undefined;
    const alias = aliases?.get(repeatedKey(value));
    return alias ?? value;
  }

  csvColumn(field: string | null): string | null {
    return field ? (this.columns[field] ?? field) : null;
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
    const order = this.dateOrders[field];
    return this.parsed(row, field, (v) => parseDate(v, order));
  }

  money(row: Row, field: string): number | null | undefined {
    return this.parsed(row, field, (v) => parseMoneyCents(v, this.mapping.numberStyle));
  }

  /** A yes/no field: null when blank (unless the column reads blank as no), undefined when rejected. */
  flag(row: Row, field: string): boolean | null | undefined {
    const words = this.flagWords[field];
    if (!words) return null;
    if (row.get(field) == null) return words.blank;
    return this.parsed(row, field, (v) => parseFlag(v, words));
  }

  integer(row: Row, field: string): number | null | undefined {
    return this.parsed(row, field, (v) => {
      const n = parseNumber(v, this.mapping.numberStyle);
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
