import { parse } from 'csv-parse/sync';
import { csvLine, isoOrBlank, money, pickShare } from '../../src/modules/export/csv-format';

describe('snapshot export values', () => {
  it('quotes what CSV needs quoted and reads back as written', () => {
    const line = csvLine(['Acme, Inc.', 'say "hi"', 'two\nlines', ' padded ', null, 42, 'plain']);
    expect(line).toBe('"Acme, Inc.","say ""hi""","two\nlines"," padded ",,42,plain\n');
    expect(parse(line, { trim: false })).toEqual([['Acme, Inc.', 'say "hi"', 'two\nlines', ' padded ', '', '42', 'plain']]);
  });

  it('writes cents as major units and database datetimes of either dialect as ISO UTC', () => {
    expect([money(123456), money(5), money(0), money(-250), money(null)]).toEqual(['1234.56', '0.05', '0.00', '-2.50', null]);
    const iso = '2024-03-01T10:30:00.250Z';
    expect([isoOrBlank(new Date(iso)), isoOrBlank(Date.parse(iso)), isoOrBlank(String(Date.parse(iso))), isoOrBlank('2024-03-01 10:30:00.25+00'), isoOrBlank(null)])
      .toEqual([iso, iso, iso, iso, null]);
    expect(() => isoOrBlank('soon')).toThrow('unreadable datetime');
  });

  it('picks the requested share of ids, the same ones for the same seed', () => {
    const picked = (seed: number) => Array.from({ length: 20000 }, (_, i) => i + 1).filter((id) => pickShare(seed, id, 0.1));
    expect(picked(1).length / 20000).toBeCloseTo(0.1, 2);
    expect(picked(1)).toEqual(picked(1));
    expect(picked(2)).not.toEqual(picked(1));
    expect([pickShare(1, 5, 0), pickShare(1, 5, 1)]).toEqual([false, true]);
  });
});
