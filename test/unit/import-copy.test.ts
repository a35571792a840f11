/** COPY text of the import's rows (sql-writer.ts copyLines), and the Bloom filter that sends a first load's rows to it. */
import { WrittenKeys } from '../../src/modules/import/bulk';
import { copyLines } from '../../src/modules/import/sql-writer';

describe('copyLines', () => {
  it('writes rows as COPY text: tabs between fields, \\N for null, escapes, t/f, UTC ISO dates to the millisecond', () => {
    const day = new Date(Date.UTC(2024, 1, 29));
    const stamp = new Date(Date.UTC(2026, 11, 1, 17, 6, 58, 123));
    const text = copyLines([
      [day, stamp, 'Company 1, Inc.', 1250, null, true],
      [stamp, stamp, 'tab\there\nnew line \\ back\rslash', -3, 'x', false],
    ], [7, 8]);
    expect(text).toBe(
      '7\t2024-02-29T00:00:00.000Z\t2026-12-01T17:06:58.123Z\tCompany 1, Inc.\t1250\t\\N\tt\n' +
      '8\t2026-12-01T17:06:58.123Z\t2026-12-01T17:06:58.123Z\ttab\\there\\nnew line \\\\ back\\rslash\t-3\tx\tf\n',
    );
    expect(copyLines([[null]])).toBe('\\N\n');
    expect(copyLines([['\\N']])).toBe('\\\\N\n'); // the text \N is not a null
  });

  it('does not take a date changed in place for the one it formatted before', () => {
    const date = new Date(Date.UTC(2024, 0, 1));
    const first = copyLines([[date]]);
    date.setTime(Date.UTC(2024, 0, 2, 3));
    expect([first, copyLines([[date]])]).toEqual(['2024-01-01T00:00:00.000Z\n', '2024-01-02T03:00:00.000Z\n']);
  });
});

describe('WrittenKeys', () => {
  it('has every key added, and few of a million keys never added', () => {
    const keys = new WrittenKeys();
    for (let i = 0; i < 1_000_000; i++) keys.add(`D${String(i).padStart(8, '0')}`);
    let missing = 0;
    for (let i = 0; i < 1_000_000; i += 97) if (!keys.mayHave(`D${String(i).padStart(8, '0')}`)) missing++;
    expect(missing).toBe(0);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (keys.mayHave(`E${i}`)) falsePositives++;
    expect(falsePositives).toBeLessThan(100); // 4 MB, 4 hashes: about 2 in 10,000 at a million keys
  });
});
