import { AttributeStats } from '../../src/modules/import/attributes';
import { sniffDelimiter } from '../../src/modules/import/csv-source';
import { parseMapping } from '../../src/modules/import/mapping';
import { formatReport, ReportBuilder } from '../../src/modules/import/report';
import { chunks } from '../../src/modules/import/sql-writer';
import { normKey, parseActivityType, parseDate, parseFlag, parseMoneyCents, parseNumber, placeholderEmail } from '../../src/modules/import/values';

const value = <T>(r: { ok: boolean; value?: T }) => (r.ok ? r.value : 'ERR');

describe('import value parsing', () => {
  it('reads numbers with separators, decimal commas and currency signs, flagging the lenient ones', () => {
    expect(parseNumber('1234.5')).toEqual({ ok: true, value: 1234.5 });
    expect(value(parseNumber('1,234.50'))).toBe(1234.5);
    expect(value(parseNumber('1.234,50'))).toBe(1234.5);
    expect(value(parseNumber('1 234,5'))).toBe(1234.5);
    expect(value(parseNumber('12,5'))).toBe(12.5);
    expect(value(parseNumber('1,200'))).toBe(1200);
    expect(value(parseNumber('€4,821.00'))).toBe(4821);
    expect(value(parseNumber('(250)'))).toBe(-250);
    expect(value(parseNumber('1.234.567'))).toBe(1234567);
    expect(parseNumber('1,234.50')).toMatchObject({ normalised: '1234.5' });
    expect(parseNumber('abc').ok).toBe(false);
    expect(parseNumber('12abc').ok).toBe(false);
    expect(parseMoneyCents('1 250,55')).toMatchObject({ ok: true, value: 125055 });
    expect(parseMoneyCents('-3').ok).toBe(false);
  });

  it('reads ISO and day/month dates, refusing ambiguous ones unless the order is given', () => {
    expect(value(parseDate('2024-03-01'))).toEqual(new Date('2024-03-01T00:00:00Z'));
    expect(value(parseDate('2024-03-01T10:30:00+02:00'))).toEqual(new Date('2024-03-01T08:30:00Z'));
    expect(value(parseDate('2024-03-01 10:30'))).toEqual(new Date('2024-03-01T10:30:00Z'));
    expect(value(parseDate('25/12/2023'))).toEqual(new Date('2023-12-25T00:00:00Z'));
    expect(value(parseDate('12/25/2023'))).toEqual(new Date('2023-12-25T00:00:00Z'));
    expect(parseDate('03/04/2023')).toMatchObject({ ok: false, reason: expect.stringContaining('ambiguous') });
    expect(value(parseDate('03/04/2023', 'DMY'))).toEqual(new Date('2023-04-03T00:00:00Z'));
    expect(value(parseDate('03/04/2023', 'MDY'))).toEqual(new Date('2023-03-04T00:00:00Z'));
    expect(value(parseDate('05.05.23'))).toEqual(new Date('2023-05-05T00:00:00Z'));
    expect(parseDate('2023-02-30').ok).toBe(false);
    expect(parseDate('yesterday').ok).toBe(false);
  });

  it('reads conversion flags and activity types', () => {
    for (const t of ['1', 'yes', 'TRUE', ' Won ']) expect(value(parseFlag(t))).toBe(true);
    for (const f of ['0', 'No', 'false', 'lost']) expect(value(parseFlag(f))).toBe(false);
    expect(parseFlag('maybe').ok).toBe(false);
    expect(value(parseActivityType('Phone Call'))).toBe('CALL');
    expect(value(parseActivityType('e-mail'))).toBe('EMAIL');
    expect(parseActivityType('fax').ok).toBe(false);
  });

  it('normalises keys and derives placeholder emails', () => {
    expect(normKey('  Acme   Corp ')).toBe('acme corp');
    expect(placeholderEmail('Zoé  Dupont-Martin')).toBe('zoe.dupont.martin@import.invalid');
    expect(placeholderEmail('???')).toBe('rep@import.invalid');
  });

  it('sniffs the delimiter from the header, ignoring quoted ones', () => {
    expect(sniffDelimiter('a,b,c')).toBe(',');
    expect(sniffDelimiter('a;b;"c,d,e"')).toBe(';');
    expect(sniffDelimiter('a\tb\tc')).toBe('\t');
    expect(sniffDelimiter('single')).toBe(',');
  });

  it('splits statements into a few fixed shapes', () => {
    expect(chunks(2500, 1000)).toEqual([[0, 1000], [1000, 2000], [2000, 2256], [2256, 2384], [2384, 2448], [2448, 2480], [2480, 2496], [2496, 2500]]);
    expect(chunks(7, 1000)).toEqual([[0, 4], [4, 6], [6, 7]]);
    expect(chunks(0, 10)).toEqual([]);
  });
});

describe('import mapping validation', () => {
  const deals = { file: 'o.csv', columns: { stage: 'stage' } };
  const field = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as { extensions: { field: string } }).extensions.field;
    }
    return 'no error';
  };

  it('accepts the sections and normalises defaults', () => {
    const m = parseMapping({ dateFormat: 'DMY', deals: { ...deals, stages: { Won: 'Won' }, delimiter: 'tab' } });
    expect(m.deals).toMatchObject({ file: 'o.csv', delimiter: '\t', dateFormat: 'DMY', missing: [], aliases: {}, stages: { Won: 'Won' } });
  });

  it('names the JSON path at fault', () => {
    expect(field(() => parseMapping({ opportunities: deals }))).toBe('mapping.opportunities');
    expect(field(() => parseMapping({ deals: { file: 'o.csv', columns: { stage: 'stage', price: 'p' } } }))).toBe('mapping.deals.columns.price');
    expect(field(() => parseMapping({ deals: { file: 'o.csv', columns: {} } }))).toBe('mapping.deals.columns.stage');
    expect(field(() => parseMapping({ deals: { ...deals, aliases: { product: { a: 'b' } } } }))).toBe('mapping.deals.aliases.product');
    expect(field(() => parseMapping({ leads: { file: 'l.csv', columns: {}, stages: {} } }))).toBe('mapping.leads.stages');
    expect(field(() => parseMapping({ deals: { ...deals, delimiter: '#' } }))).toBe('mapping.deals.delimiter');
    expect(field(() => parseMapping({ deals: { ...deals, fiel: 'x' } }))).toBe('mapping.deals.fiel');
    expect(field(() => parseMapping({}))).toBe('mapping');
  });
});

describe('lead attribute type inference', () => {
  it('is numeric only when every present value is a number', () => {
    const visits = new AttributeStats('Total Visits');
    for (const v of ['5', '0', '2,5', null, '12']) visits.add(v);
    expect(visits.summary()).toEqual({ name: 'Total Visits', type: 'numeric', present: 4, missing: 1, min: 0, max: 12 });
    expect(visits.convert('2,5')).toBe(2.5);

    const country = new AttributeStats('Country');
    for (const v of ['India', 'India', '12', null, 'Singapore']) country.add(v);
    expect(country.summary()).toEqual({ name: 'Country', type: 'categorical', present: 4, missing: 1, distinct: 3, topValues: ['India', '12', 'Singapore'] });
    expect(country.convert('12')).toBe('12');
  });
});

describe('import report', () => {
  it('counts a row with two problems once and prints a readable summary', () => {
    const b = new ReportBuilder({ dryRun: false, strict: false });
    b.counts('deals', 'o.csv').rowsRead = 3;
    b.reject({ entity: 'deals', file: 'o.csv', line: 4, column: 'value', value: 'abc', reason: '"abc" is not a number' }, true);
    b.reject({ entity: 'deals', file: 'o.csv', line: 2, column: 'closed', value: 'x', reason: 'bad date' }, true);
    b.reject({ entity: 'deals', file: 'o.csv', line: 2, column: 'value', value: 'y', reason: 'bad number' }, false);
    b.warn({ entity: 'deals', file: 'o.csv', line: 3, column: 'agent', value: 'Nobody', reason: 'unknown rep: left empty' });
    const report = b.finish('COMMITTED');
    expect(report.rejectedTotal).toBe(2);
    expect(report.entities[0]).toMatchObject({ rejected: 2, warnings: 1 });
    expect(report.rejected.map((r) => r.line)).toEqual([2, 2, 4]);
    const text = formatReport(report);
    expect(text).toContain('o.csv:4 [value] "abc": "abc" is not a number');
    expect(text).toContain('o.csv [agent]: unknown rep: left empty (1 row; e.g. line 3 "Nobody")');
  });
});
