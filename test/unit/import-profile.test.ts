/**
 * The profiling pass over a deals file's date columns is skipped when a scan of the raw text shows no value can be a
 * day-first or month-first date; whenever one may be, the pass runs and decides as before, even when the date is cut
 * across two chunks of the file or comes from an alias.
 */
import { Readable } from 'node:stream';
import type { ImportSource } from '../../src/modules/import/csv-source';
import { parseMapping } from '../../src/modules/import/mapping';
import { ReportBuilder } from '../../src/modules/import/report';
import { Section } from '../../src/modules/import/section';

/** The text handed out `size` bytes at a time, counting how often the file is opened. */
function chunked(text: string, size: number): ImportSource & { opened: number } {
  const bytes = Buffer.from(text);
  const source = {
    name: 'deals.csv', size: bytes.length, opened: 0,
    open: () => {
      source.opened++;
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
      return Readable.from(parts);
    },
  };
  return source;
}

async function open(text: string, aliases: Record<string, Record<string, string>> = {}) {
  const mapping = parseMapping({ deals: { file: 'deals.csv', columns: { externalId: 'id', stage: 'stage', closedAt: 'closed' }, aliases } });
  const source = chunked(text, 3);
  const report = new ReportBuilder({ dryRun: false, strict: false });
  const section = await Section.open('deals', mapping.deals!, source, report);
  return { order: section.dateOrders.closedAt, opened: source.opened, inferences: report.report.inferences.map((i) => i.rule) };
}

const rows = (closed: string[]) => ['id,stage,closed', ...closed.map((c, i) => `D${i},Won,${c}`)].join('\n');

describe('date-column profiling', () => {
  it('skips the pass when every date is ISO (header, scan: two openings) and reads nothing into the column', async () => {
    expect(await open(rows(['2023-04-03', '2020-12-25', '', '2023-11-05 10:00']))).toEqual({ order: undefined, opened: 2, inferences: [] });
  });

  it('runs the pass for a day-first date cut across chunks, and decides the order as before', async () => {
    const { order, opened, inferences } = await open(rows(['2023-04-03', '03/04/2023', '2020-01-01', '25/12/2023']));
    expect([order, opened, inferences]).toEqual(['DMY', 3, ['DATE_ORDER_FROM_COLUMN']]);
  });

  it('runs the pass when an alias turns a value into a numeric date', async () => {
    const { order, opened } = await open(rows(['2023-04-03', 'year end']), { closedAt: { 'year end': '12/31/2023' } });
    expect([order, opened]).toEqual(['MDY', 2]); // header and pass: the alias alone decides that the pass runs
  });
});
