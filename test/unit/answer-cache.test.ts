import { approximateBytes, decodeAnswer, encodeAnswer } from '../../src/shared/answer-cache/codec';
import { stableJson } from '../../src/shared/answer-cache/answer-cache';
import { bumpDataVersionsSql, readVersionsSql, versionKey } from '../../src/shared/answer-cache/data-versions';

describe('answer cache, pure parts', () => {
  it('keeps dates as dates through Redis text', () => {
    const answer = { asOf: new Date('2026-03-25T00:00:00Z'), rows: [{ start: new Date(0), value: 1.5, label: null }] };
    const back = decodeAnswer<typeof answer>(encodeAnswer(answer), () => undefined);
    expect(back).toEqual(answer);
    expect(back.asOf).toBeInstanceOf(Date);
  });

  it('names the same question the same way whatever the key order, and different questions differently', () => {
    expect(stableJson({ b: 1, a: { d: [1, 2], c: undefined } })).toBe(stableJson({ a: { d: [1, 2] }, b: 1 }));
    expect(stableJson({ hidden: new Set(['x', 'y']) })).toBe(stableJson({ hidden: new Set(['y', 'x']) }));
    expect(stableJson({ hidden: new Set(['x']) })).not.toBe(stableJson({ hidden: new Set() }));
    expect(stableJson({ a: [1, 2] })).not.toBe(stableJson({ a: [2, 1] }));
  });

  it('bumps the watched tables in name order and keys answers by every version read', () => {
    expect(bumpDataVersionsSql(['targets', 'deals', 'lead_scores', 'deals'])).toBe(
      "insert into data_versions (table_name, version) values ('deals', 1), ('targets', 1) on conflict (table_name) do update set version = data_versions.version + 1",
    );
    expect(bumpDataVersionsSql(['lead_scores'])).toBe(''); // no cached answer reads scores
    expect(readVersionsSql(['deals', 'targets'])).toBe("select table_name, version from data_versions where table_name in ('*database', 'deals', 'targets')");
    expect(versionKey(['targets', 'deals'], [{ table_name: '*database', version: 42 }, { table_name: 'deals', version: '7' }])).toBe('db=42;deals=7;targets=0');
  });

  it('estimates sizes, and stops counting past the cap', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: i }));
    const size = approximateBytes(rows);
    expect(size).toBeGreaterThan(1000 * 40);
    expect(approximateBytes(rows, 1000)).toBeLessThan(size);
  });
});
