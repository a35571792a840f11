/**
 * Streaming CSV reading with csv-parse: BOM, CRLF, quoted delimiters and newlines, `;`/tab/`|` delimiters
 * (sniffed from the header line unless the mapping sets one). Records are yielded one at a time with their
 * line number; a malformed record (unclosed quote, ...) is reported and skipped, not fatal.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Parser, parse, type CsvError } from 'csv-parse';

/** Where a file's bytes come from: a path on disk (CLI) or text sent through GraphQL. */
export interface ImportSource {
  name: string;
  size: number;
  open(): Readable;
}

export function fileSource(name: string, file: string): ImportSource {
  return { name, size: fs.statSync(file).size, open: () => fs.createReadStream(file, { highWaterMark: 256 * 1024 }) };
}

export function textSource(name: string, content: string): ImportSource {
  const bytes = Buffer.from(content, 'utf8');
  return { name, size: bytes.length, open: () => Readable.from([bytes]) };
}

export interface CsvRecord {
  line: number;
  values: string[];
}

export interface CsvSkip {
  line: number;
  reason: string;
}

/** The first line's bytes, enough to read the header and sniff the delimiter. */
async function firstLine(source: ImportSource): Promise<string> {
  const stream = source.open();
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString('utf8');
    if (/\r?\n/.test(text) || text.length > 1_000_000) break;
  }
  stream.destroy();
  return text.replace(/^\ufeff/, '').split(/\r?\n/)[0];
}

/** The delimiter that splits the header line into the most fields, counting outside quotes only. */
export function sniffDelimiter(headerLine: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (const c of headerLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c in counts) counts[c]++;
  }
  return Object.entries(counts).reduce((best, cur) => (cur[1] > best[1] ? cur : best), [',', 0])[0];
}

export interface CsvHeader {
  delimiter: string;
  headers: string[];
}

export async function readHeader(source: ImportSource, delimiter?: string): Promise<CsvHeader> {
  const line = await firstLine(source);
  const chosen = delimiter ?? sniffDelimiter(line);
  const records: string[][] = await new Promise((resolve, reject) =>
    parse(line, { delimiter: chosen, relax_quotes: true, to_line: 1 }, (err, out) => (err ? reject(err) : resolve(out as string[][]))),
  );
  return { delimiter: chosen, headers: (records[0] ?? []).map((h) => h.trim()) };
}

/**
 * csv-parse's stream with each record's line: the parser's line count when it hands the record out, which is the
 * `info.lines` its `info` option reports, without the info object it builds per record (a third of the parsing time).
 */
class LineParser extends Parser {
  override push(record: unknown, encoding?: BufferEncoding): boolean {
    return super.push(record === null ? null : { record, line: this.info.lines }, encoding);
  }
}

/**
 * Yields the data records (header skipped) in order. `onBytes` reports progress through the file;
 * `onSkip` receives records csv-parse could not read.
 */
export async function* readRecords(
  source: ImportSource,
  delimiter: string,
  onSkip: (skip: CsvSkip) => void,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<CsvRecord> {
  const input = source.open();
  let bytes = 0;
  if (onBytes) input.on('data', (chunk: Buffer) => onBytes((bytes += chunk.length)));
  const parser = input.pipe(
    new LineParser({
      delimiter,
      bom: true,
      from_line: 2,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        if (err) onSkip({ line: Number((err as unknown as { lines?: number }).lines ?? 0), reason: `unreadable CSV record: ${err.message}` });
        return undefined;
      },
    }),
  );
  try {
    for await (const { record, line } of parser as AsyncIterable<{ record: string[]; line: number }>) {
      yield { line, values: record };
    }
  } finally {
    input.destroy();
  }
}
