/** Forecast periods: calendar months, quarters and years in UTC, or a custom [start, end). Pure. */

export type PeriodKind = 'MONTH' | 'QUARTER' | 'YEAR' | 'CUSTOM';

export interface Period {
  label: string;
  kind: PeriodKind;
  start: number;
  end: number;
}

const utc = (y: number, m: number) => Date.UTC(y, m, 1);

/** "2026-11", "2026-Q4" or "2026"; null when the text is none of these. */
export function parsePeriod(text: string): Period | null {
  const s = text.trim().toUpperCase();
  let m = /^(\d{4})-(\d{2})$/.exec(s);
  if (m && +m[2] >= 1 && +m[2] <= 12) return monthPeriod(+m[1], +m[2] - 1);
  m = /^(\d{4})-?Q([1-4])$/.exec(s);
  if (m) return quarterPeriod(+m[1], +m[2] - 1);
  m = /^(\d{4})$/.exec(s);
  if (m) return { label: m[1], kind: 'YEAR', start: utc(+m[1], 0), end: utc(+m[1] + 1, 0) };
  return null;
}

export function monthPeriod(year: number, month0: number): Period {
  const d = new Date(utc(year, month0));
  return { label: d.toISOString().slice(0, 7), kind: 'MONTH', start: d.getTime(), end: utc(year, month0 + 1) };
}

export function quarterPeriod(year: number, quarter0: number): Period {
  return { label: `${year}-Q${quarter0 + 1}`, kind: 'QUARTER', start: utc(year, quarter0 * 3), end: utc(year, quarter0 * 3 + 3) };
}

export function customPeriod(start: number, end: number): Period {
  return { label: `${new Date(start).toISOString().slice(0, 10)}..${new Date(end).toISOString().slice(0, 10)}`, kind: 'CUSTOM', start, end };
}

/** The period `k` steps before (k > 0) or after (k < 0) this one, of the same kind. */
export function shiftPeriod(p: Period, k: number): Period {
  const d = new Date(p.start);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  switch (p.kind) {
    case 'MONTH':
      return monthPeriod(y, mo - k);
    case 'QUARTER': {
      const q = y * 4 + Math.floor(mo / 3) - k;
      return quarterPeriod(Math.floor(q / 4), ((q % 4) + 4) % 4);
    }
    case 'YEAR':
      return { label: String(y - k), kind: 'YEAR', start: utc(y - k, 0), end: utc(y - k + 1, 0) };
    default: {
      const len = p.end - p.start;
      return customPeriod(p.start - k * len, p.end - k * len);
    }
  }
}

/** Seasonal position: month within the quarter (quarter-end pushes) for months, quarter of the year for quarters. */
export function seasonKey(p: Period): number | null {
  const mo = new Date(p.start).getUTCMonth();
  if (p.kind === 'MONTH') return mo % 3;
  if (p.kind === 'QUARTER') return Math.floor(mo / 3);
  return null;
}

/** Consecutive periods of `kind` starting with the one containing `from`, up to the one containing `to - 1ms`. */
export function periodsBetween(from: number, to: number, kind: 'MONTH' | 'QUARTER'): Period[] {
  const d = new Date(from);
  let p = kind === 'MONTH' ? monthPeriod(d.getUTCFullYear(), d.getUTCMonth()) : quarterPeriod(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3));
  const out: Period[] = [];
  while (p.start < to) {
    out.push(p);
    p = shiftPeriod(p, -1);
  }
  return out;
}
