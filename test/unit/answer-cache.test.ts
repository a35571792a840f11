import { approximateBytes, decodeAnswer, encodeAnswer } from '../../src/shared/answer-cache/codec';
import { stableJson } from '../../src/shared/answer-cache/answer-cache';
import { TOUCHES_KEPT, bumpDataVersionsSql, readVersionsSql, touchRanges, touchedDeals, versionKey } from '../../src/shared/answer-cache/data-versions';

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

  it('tells what a reader of the deal tables must re-read, or that only a full read will do', () => {
    const held = 'db=42;deal_changes=3;deals=7;reps=2';
    expect(touchRanges(held, held)).toEqual([]);
    expect(touchRanges(held, 'db=42;deal_changes=5;deals=8;reps=2')).toEqual([
      { table: 'deal_changes', from: 3, to: 5 },
      { table: 'deals', from: 7, to: 8 },
    ]);
    expect(touchRanges(held, 'db=42;deal_changes=3;deals=8;reps=3')).toBeNull(); // reps moved: teams may have
    expect(touchRanges(held, 'db=43;deal_changes=3;deals=7;reps=2')).toBeNull(); // another database
    expect(touchRanges(held, 'db=42;deal_changes=3;deals=6;reps=2')).toBeNull(); // a version went back
    expect(touchRanges(held, `db=42;deal_changes=3;deals=${8 + TOUCHES_KEPT};reps=2`)).toBeNull(); // rows pruned
    const ranges = touchRanges(held, 'db=42;deal_changes=5;deals=8;reps=2')!;
    const rows = [
      { table_name: 'deals', version: 8, deal_ids: '9,12' },
      { table_name: 'deal_changes', version: '4', deal_ids: '12' },
      { table_name: 'deal_changes', version: 5, deal_ids: '3' },
    ];
    expect(touchedDeals(ranges, rows)).toEqual([3, 9, 12]);
    expect(touchedDeals(ranges, rows.slice(1))).toBeNull(); // a version without its row: a bulk write
    expect(touchedDeals(ranges, [...rows.slice(0, 2), { table_name: 'deal_changes', version: 5, deal_ids: '*' }])).toBeNull();
  });

  it('estimates sizes, and stops counting past the cap', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: i }));
    const size = approximateBytes(rows);
    expect(size).toBeGreaterThan(1000 * 40);
    expect(approximateBytes(rows, 1000)).toBeLessThan(size);
  });
});
