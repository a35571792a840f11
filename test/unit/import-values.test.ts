import { AttributeStats } from '../../src/modules/import/attributes';
import { sniffDelimiter } from '../../src/modules/import/csv-source';
import { parseMapping } from '../../src/modules/import/mapping';
import { formatReport, ReportBuilder } from '../../src/modules/import/report';
import { chunks } from '../../src/modules/import/sql-writer';
import { dateOrderOf, dateShape, normKey, numberStyle, parseActivityType, parseDate, parseFlag, parseMoneyCents, parseNumber, placeholderEmail } from '../../src/modules/import/values';

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
    expect(value(parseDate('04/04/2023'))).toEqual(new Date('2023-04-04T00:00:00Z')); // the same date either way
    expect(value(parseDate('03/04/2023', 'DMY'))).toEqual(new Date('2023-04-03T00:00:00Z'));
    expect(value(parseDate('03/04/2023', 'MDY'))).toEqual(new Date('2023-03-04T00:00:00Z'));
    expect(value(parseDate('05.05.23'))).toEqual(new Date('2023-05-05T00:00:00Z'));
    expect(parseDate('2023-02-30').ok).toBe(false);
    expect(parseDate('yesterday').ok).toBe(false);
  });

  it('reads numbers as exports write them: locales, currency signs and codes, percentages', () => {
    const de = numberStyle('de-DE')!;
    const fr = numberStyle('fr-FR')!;
    const ch = numberStyle('de-CH')!;
    expect(de).toEqual({ decimal: ',', group: '.' });
    expect(value(parseNumber('1.234,5', de))).toBe(1234.5);
    expect(value(parseNumber('1.234', de))).toBe(1234); // a thousands dot, not 1.234
    expect(value(parseNumber('1,2', de))).toBe(1.2);
    expect(parseNumber('1,234.50', de).ok).toBe(false); // the locale says "," is the decimal separator
    expect(value(parseNumber('1 234,75', fr))).toBe(1234.75);
    expect(value(parseNumber('1 234,75 €', fr))).toBe(1234.75);
    expect(value(parseNumber("1'234.5", ch))).toBe(1234.5);
    expect(value(parseNumber('1,200', numberStyle('en-US')))).toBe(1200);
    expect(value(parseNumber('R$ 1.200,00'))).toBe(1200);
    expect(value(parseNumber('US$1,200'))).toBe(1200);
    expect(value(parseNumber('EUR 950'))).toBe(950);
    expect(value(parseNumber('950 CHF'))).toBe(950);
    expect(value(parseNumber('1200GBP'))).toBe(1200);
    expect(value(parseNumber('-€250'))).toBe(-250);
    expect(value(parseNumber('£ 3.5'))).toBe(3.5);
    expect(value(parseNumber('45%'))).toBe(0.45);
    expect(value(parseNumber('12,5 %'))).toBe(0.125);
    expect(parseMoneyCents('45%')).toMatchObject({ ok: false, reason: expect.stringContaining('percentage') });
    expect(value(parseMoneyCents('1.234,56', de))).toBe(123456);
    expect(numberStyle('not a locale at all')).toBeUndefined();
  });

  it('reads dates as exports write them: day-first and month-first, times, AM/PM, month names, spreadsheet serials', () => {
    const utc = (s: string) => new Date(`${s}Z`);
    expect(value(parseDate('26-02-2018 19:58'))).toEqual(utc('2018-02-26T19:58:00'));
    expect(value(parseDate('01-02-2018', 'DMY'))).toEqual(utc('2018-02-01T00:00:00'));
    expect(value(parseDate('01-02-2018', 'MDY'))).toEqual(utc('2018-01-02T00:00:00'));
    expect(value(parseDate('2/26/2018 7:58 PM'))).toEqual(utc('2018-02-26T19:58:00'));
    expect(value(parseDate('2/26/2018 12:05 am'))).toEqual(utc('2018-02-26T00:05:00'));
    expect(value(parseDate('26.02.2018 07:58:09'))).toEqual(utc('2018-02-26T07:58:09'));
    expect(value(parseDate('2018/02/26'))).toEqual(utc('2018-02-26T00:00:00'));
    expect(value(parseDate('5 Mar 2024'))).toEqual(utc('2024-03-05T00:00:00'));
    expect(value(parseDate('March 5, 2024 10:30'))).toEqual(utc('2024-03-05T10:30:00'));
    expect(value(parseDate('2024-03-01T10:30:00.250Z'))).toEqual(utc('2024-03-01T10:30:00.250'));
    expect(value(parseDate('43101'))).toEqual(utc('2018-01-01T00:00:00')); // Excel / Sheets serial day
    expect(value(parseDate('43157.75'))).toEqual(utc('2018-02-26T18:00:00'));
    expect(parseDate('2018').ok).toBe(false); // a year, not a serial day
    // A declared order is strict: a value that does not fit it is refused, not silently read the other way.
    expect(parseDate('12/25/2023', 'DMY')).toMatchObject({ ok: false, reason: expect.stringContaining('day-first') });
    expect(parseDate('31/04/2023', 'DMY').ok).toBe(false);
    expect(parseDate('29/02/2023 10:00', 'DMY').ok).toBe(false);
    expect(value(parseDate('29/02/2024', 'DMY'))).toEqual(utc('2024-02-29T00:00:00'));
    expect(parseDate('26/02/2018 25:10').ok).toBe(false);
    expect(parseDate('32 Foo 2018').ok).toBe(false);
  });

  it('tells which orders a numeric date fits, for the column-level decision', () => {
    expect(dateShape('20-10-2017')).toEqual({ kind: 'numeric', fits: ['DMY'] });
    expect(dateShape('10/20/2017')).toEqual({ kind: 'numeric', fits: ['MDY'] });
    expect(dateShape('01-02-2018 10:00')).toEqual({ kind: 'numeric', fits: ['DMY', 'MDY'] });
    expect(dateShape('2018-02-01').kind).toBe('iso');
    expect(dateShape('43159').kind).toBe('serial');
    expect(['DMY', 'DD/MM/YYYY', 'dd-MM-yyyy HH:mm', 'd.M.yy'].map(dateOrderOf)).toEqual(['DMY', 'DMY', 'DMY', 'DMY']);
    expect(['MM/DD/YYYY', 'M/d/yyyy h:mm a', 'yyyy/MM/dd', 'what'].map(dateOrderOf)).toEqual(['MDY', 'MDY', 'YMD', undefined]);
  });

  it('reads flags as exports write them, with the mapping\'s own words', () => {
    for (const t of ['1', '1.0', '1.00', 'yes', 'Y', 'TRUE', 't', ' Won ', 'x', 'X', '✓']) expect([t, value(parseFlag(t))]).toEqual([t, true]);
    for (const f of ['0', '0.0', '-0', 'No', 'n', 'false', 'F', 'LOST']) expect([f, value(parseFlag(f))]).toEqual([f, false]);
    for (const bad of ['2', '0.5', 'maybe', '1.0.0']) expect(parseFlag(bad).ok).toBe(false);
    const words = { true: new Set(['signed', 'customer']), false: new Set(['churned']), blank: null };
    expect(value(parseFlag('Signed', words))).toBe(true);
    expect(value(parseFlag('CHURNED', words))).toBe(false);
    expect(parseFlag('pending', words)).toMatchObject({ ok: false, reason: expect.stringContaining('"signed"') });
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

  it('reads locale, flags, stage dates and reps known by id', () => {
    const m = parseMapping({
      locale: 'de-DE',
      leads: { file: 'l.csv', columns: { converted: 'won', owner: 'sdr' }, flags: { converted: { true: ['Signed'], blank: false } }, createReps: { owner: 'sdr' } },
      deals: { ...deals, dateFormat: 'dd-MM-yyyy HH:mm', stageDates: { Qualification: 'Date entered Qualification' } },
    });
    expect(m.leads).toMatchObject({ locale: 'de-DE', numberStyle: { decimal: ',', group: '.' }, createReps: { owner: 'SDR' } });
    expect(m.leads!.flags.converted).toEqual({ true: new Set(['signed']), false: new Set(), blank: false });
    expect(m.deals).toMatchObject({ dateFormat: 'DMY', stageDates: { Qualification: 'Date entered Qualification' } });
  });

  it('names the JSON path at fault', () => {
    expect(field(() => parseMapping({ locale: 'klingon-xx', deals }))).toBe('mapping.locale');
    expect(field(() => parseMapping({ deals: { ...deals, dateFormat: 'whenever' } }))).toBe('mapping.deals.dateFormat');
    expect(field(() => parseMapping({ leads: { file: 'l.csv', columns: { source: 's' }, flags: { source: { true: ['a'] } } } }))).toBe('mapping.leads.flags.source');
    expect(field(() => parseMapping({ leads: { file: 'l.csv', columns: { converted: 'c' }, flags: { converted: { true: ['a'], false: ['A'] } } } }))).toBe('mapping.leads.flags.converted');
    expect(field(() => parseMapping({ deals: { ...deals, createReps: { owner: 'AE' } } }))).toBe('mapping.deals.createReps.owner');
    expect(field(() => parseMapping({ deals: { ...deals, columns: { ...deals.columns, owner: 'o' }, createReps: { owner: 'Boss' } } }))).toBe('mapping.deals.createReps.owner');
    expect(field(() => parseMapping({ leads: { file: 'l.csv', columns: {}, stageDates: {} } }))).toBe('mapping.leads.stageDates');
    expect(field(() => parseMapping({ deals: { ...deals, columns: { ...deals.columns, leadOwner: 'sdr' } } }))).toBe('mapping.deals.columns.leadOwner');
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
