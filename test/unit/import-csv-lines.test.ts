/**
 * readRecords gives each record the line csv-parse's `info` option reports (csv-source.ts LineParser), on text with
 * quoted newlines, CRLF and lone CR endings, blank lines, a BOM and unreadable quoting.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { readRecords, type ImportSource } from '../../src/modules/import/csv-source';

const source = (text: string, size: number): ImportSource => ({
  name: 'x.csv', size: text.length,
  open: () => { const b = Buffer.from(text); const parts: Buffer[] = []; for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size)); return Readable.from(parts); },
});

/** What csv-parse with `info: true` reports: the reference. */
async function reference(text: string) {
  const out: Array<{ line: number; values: string[] }> = [];
  const skips: number[] = [];
  const parser = Readable.from([Buffer.from(text)]).pipe(parse({
    delimiter: ',', bom: true, from_line: 2, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, info: true,
    on_skip: (err) => { if (err) skips.push(Number((err as unknown as { lines: number }).lines)); return undefined; },
  }));
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) out.push({ line: info.lines, values: record });
  return { out, skips };
}

async function ours(text: string, size: number) {
  const out: Array<{ line: number; values: string[] }> = [];
  const skips: number[] = [];
  for await (const r of readRecords(source(text, size), ',', (s) => skips.push(s.line))) out.push(r);
  return { out, skips };
}

const TEXTS = [
  '\ufeffid,name,notes\n1,a,plain\n2,"b, c","two\nlines"\n\n3,d,"x ""q"" y"\n4,e,last',
  'id,name\r\n1,a\r\n2,"multi\r\nline"\r\n\r\n3,c\r\n',
  'id,name\r1,a\r2,b\r\r3,"c\rd"\r',
  'id,name\n1,"unclosed\n2,b\n3,c\n',
  'id,name\n1,a"b\n2,"c"d\n3,e\n4,"f"\n',
  'id,name\n1,a,extra\n2\n\n\n3,"x\n\ny"\n',
];

describe('readRecords lines', () => {
  it.each(TEXTS.map((t, i) => [i, t]))('text %i: the same records and lines as csv-parse info', async (_, text) => {
    const expected = await reference(text as string);
    expect(expected.out.length + expected.skips.length).toBeGreaterThan(0); // records or rejections to compare
    for (const size of [1, 3, 1 << 16]) expect(await ours(text as string, size)).toEqual(expected);
  });

  it('numbers lines as counted by hand', async () => {
    expect((await ours(TEXTS[0], 5)).out.map((r) => r.line)).toEqual([2, 4, 6, 7]);
  });
});
