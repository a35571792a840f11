import { TZDate } from '@date-fns/tz';
import {
  addDays,
  addMonths,
  addQuarters,
  addWeeks,
  addYears,
  differenceInCalendarDays,
  differenceInCalendarMonths,
  format,
  startOfDay,
  startOfMonth,
  startOfQuarter,
  startOfWeek,
  startOfYear,
} from 'date-fns';
import { BadInputError } from './errors';

/**
 * The API's one notion of a period, and its one parser. KPIs take any span in a time zone ({ from, to, timeZone }:
 * "2026-07-01" is local midnight); forecasts take calendar units spelled "2026-11", "2026-Q4" or "2026", in UTC. Both
 * come out as the same `Period`. Pure arithmetic: bucket boundaries are computed once in JS, then joined in SQL.
 */

export type PeriodKind = 'MONTH' | 'QUARTER' | 'YEAR' | 'CUSTOM';

export interface Period {
  from: Date;
  /** Exclusive. */
  to: Date;
  timeZone: string;
  /** The moment the period is looked at from (pace, snapshots, "to date" comparisons). */
  asOf: Date;
  /** "2026-11", "2026-Q4", "2026" for a calendar unit; "2026-07-01..2026-10-01" (local dates) otherwise. */
  label: string;
  kind: PeriodKind;
  /** `from` and `to` as epoch ms, for the loops over a million deals (the forecast's typed arrays hold numbers). */
  start: number;
  end: number;
}

/** The time grains buckets are cut in (KpiDimension's time members). */
export type TimeGrain = 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';
/** How a comparison period is found (ComparisonMode). */
export type ComparisonKind = 'PREVIOUS_PERIOD' | 'SAME_PERIOD_LAST_YEAR';

export interface Bucket {
  /** Stable key: "2026-Q3", "2026-07", "2026-07-06" (week = its Monday), "2026", or "period". */
  key: string;
  start: Date;
  end: Date;
}

export const MAX_BUCKETS = 1500;
const MAX_PERIOD_DAYS = 366 * 10;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export class PeriodError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const KNOWN_ZONES = new Set<string>(['UTC']);

export function assertTimeZone(timeZone: string, field = 'period.timeZone'): void {
  if (KNOWN_ZONES.has(timeZone)) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone }).format(0); // creating a formatter is slow: remember the good ones
    if (KNOWN_ZONES.size < 1000) KNOWN_ZONES.add(timeZone);
  } catch {
    throw new PeriodError(field, `Unknown time zone "${timeZone}" (use an IANA name such as Europe/Paris)`);
  }
}

/** "2026-07-01" is local midnight in the time zone; a full ISO date-time must carry its offset. */
export function parseInstant(value: string, timeZone: string, field: string): Date {
  const day = DAY_RE.exec(value.trim());
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const local = new TZDate(y, m - 1, d, timeZone);
    if (local.getMonth() !== m - 1 || local.getDate() !== d) throw new PeriodError(field, `${field} is not a valid date: "${value}"`);
    return new Date(local.getTime());
  }
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(value.trim())) {
    throw new PeriodError(field, `${field} must be a date (YYYY-MM-DD, midnight in the period's time zone) or an ISO date-time with offset`);
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new PeriodError(field, `${field} is not a valid date-time: "${value}"`);
  return new Date(ms);
}

export interface PeriodSpec {
  from: string;
  to: string;
  timeZone?: string | null;
  asOf?: Date | null;
}

/**
 * A period from either spelling: a span ({ from, to, timeZone?, asOf? }: the KPI input) or a calendar unit in UTC
 * ("2026-11", "2026-Q4" or "2026": the forecast input). Throws PeriodError (field, message) on anything else.
 */
export function parsePeriod(input: PeriodSpec | string, now: Date = new Date(), field = 'period'): Period {
  if (typeof input === 'string') {
    const unit = calendarPeriod(input, now);
    if (!unit) throw new PeriodError(field, `${field} must be a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026"); got "${input}"`);
    return unit;
  }
  const timeZone = input.timeZone || 'UTC';
  assertTimeZone(timeZone);
  const from = parseInstant(input.from, timeZone, 'period.from');
  const to = parseInstant(input.to, timeZone, 'period.to');
  if (!(to > from)) throw new PeriodError('period.to', 'period.to must be after period.from');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) throw new PeriodError('period.to', 'A period is at most 10 years');
  return spanPeriod(from, to, timeZone, input.asOf ?? now);
}

/** A forecast period ("2026-11", "2026-Q4", "2026") or BAD_USER_INPUT naming `field`. */
export function periodOrFail(text: string, field = 'period', now = new Date()): Period {
  try {
    return parsePeriod(text, now, field);
  } catch (error) {
    if (error instanceof PeriodError) throw new BadInputError(error.field, error.message);
    throw error;
  }
}

/** A span that is no calendar unit: labelled with its local dates. */
export function spanPeriod(from: Date, to: Date, timeZone: string, asOf: Date): Period {
  const local = (d: Date) => format(new TZDate(d.getTime(), timeZone), 'yyyy-MM-dd');
  return { from, to, timeZone, asOf, label: `${local(from)}..${local(to)}`, kind: 'CUSTOM', start: from.getTime(), end: to.getTime() };
}

// Calendar units in UTC: the forecast's periods (and its backtests', snapshots' and movement's).

const utc = (y: number, m: number) => Date.UTC(y, m, 1);

function unitPeriod(kind: PeriodKind, label: string, start: number, end: number, asOf: Date): Period {
  return { from: new Date(start), to: new Date(end), timeZone: 'UTC', asOf, label, kind, start, end };
}

/** "2026-11", "2026-Q4" (or "2026Q4") or "2026" in UTC; null when the text is none of these. */
export function calendarPeriod(text: string, asOf: Date = new Date()): Period | null {
  const s = text.trim().toUpperCase();
  let m = /^(\d{4})-(\d{2})$/.exec(s);
  if (m && +m[2] >= 1 && +m[2] <= 12) return monthPeriod(+m[1], +m[2] - 1, asOf);
  m = /^(\d{4})-?Q([1-4])$/.exec(s);
  if (m) return quarterPeriod(+m[1], +m[2] - 1, asOf);
  m = /^(\d{4})$/.exec(s);
  if (m) return yearPeriod(+m[1], asOf);
  return null;
}

export function monthPeriod(year: number, month0: number, asOf: Date = new Date()): Period {
  const start = utc(year, month0);
  return unitPeriod('MONTH', new Date(start).toISOString().slice(0, 7), start, utc(year, month0 + 1), asOf);
}

export function quarterPeriod(year: number, quarter0: number, asOf: Date = new Date()): Period {
  return unitPeriod('QUARTER', `${year}-Q${quarter0 + 1}`, utc(year, quarter0 * 3), utc(year, quarter0 * 3 + 3), asOf);
}

export function yearPeriod(year: number, asOf: Date = new Date()): Period {
  return unitPeriod('YEAR', String(year), utc(year, 0), utc(year + 1, 0), asOf);
}

export function customPeriod(start: number, end: number, asOf: Date = new Date()): Period {
  return spanPeriod(new Date(start), new Date(end), 'UTC', asOf);
}

/** The period `k` steps before (k > 0) or after (k < 0) this one, of the same kind (calendar units in UTC). */
export function shiftPeriod(p: Period, k: number): Period {
  const d = new Date(p.start);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  switch (p.kind) {
    case 'MONTH':
      return monthPeriod(y, mo - k, p.asOf);
    case 'QUARTER': {
      const q = y * 4 + Math.floor(mo / 3) - k;
      return quarterPeriod(Math.floor(q / 4), ((q % 4) + 4) % 4, p.asOf);
    }
    case 'YEAR':
      return yearPeriod(y - k, p.asOf);
    default: {
      const len = p.end - p.start;
      return customPeriod(p.start - k * len, p.end - k * len, p.asOf);
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
export function periodsBetween(from: number, to: number, kind: 'MONTH' | 'QUARTER', asOf: Date = new Date()): Period[] {
  const d = new Date(from);
  let p = kind === 'MONTH' ? monthPeriod(d.getUTCFullYear(), d.getUTCMonth(), asOf) : quarterPeriod(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3), asOf);
  const out: Period[] = [];
  while (p.start < to) {
    out.push(p);
    p = shiftPeriod(p, -1);
  }
  return out;
}

// Buckets and comparisons in the period's time zone: the KPIs'.

const START: Record<TimeGrain, (d: Date) => Date> = {
  DAY: startOfDay,
  WEEK: (d) => startOfWeek(d, { weekStartsOn: 1 }),
  MONTH: startOfMonth,
  QUARTER: startOfQuarter,
  YEAR: startOfYear,
};
const ADD: Record<TimeGrain, (d: Date, n: number) => Date> = {
  DAY: addDays,
  WEEK: addWeeks,
  MONTH: addMonths,
  QUARTER: addQuarters,
  YEAR: addYears,
};

export function bucketKey(start: Date, grain: TimeGrain, timeZone: string): string {
  const local = new TZDate(start.getTime(), timeZone);
  switch (grain) {
    case 'YEAR':
      return format(local, 'yyyy');
    case 'QUARTER':
      return format(local, "yyyy-'Q'Q");
    case 'MONTH':
      return format(local, 'yyyy-MM');
    default:
      return format(local, 'yyyy-MM-dd');
  }
}

const bucketCache = new Map<string, readonly Bucket[]>();

/**
 * Buckets covering [from, to): calendar units in the time zone, the first and last clipped to the period.
 * Time-zone arithmetic is slow, and dashboards ask for the same periods again and again: results are cached
 * (read-only; at most 500 periods).
 */
export function buckets(period: Period, grain: TimeGrain | null): Bucket[] {
  if (!grain) return [{ key: 'period', start: period.from, end: period.to }];
  const cacheKey = `${period.from.getTime()}|${period.to.getTime()}|${period.timeZone}|${grain}`;
  const hit = bucketCache.get(cacheKey);
  if (hit) return hit.map((b) => ({ ...b }));
  const out = computeBuckets(period, grain);
  if (bucketCache.size >= 500) bucketCache.clear();
  bucketCache.set(cacheKey, out);
  return out.map((b) => ({ ...b }));
}

function computeBuckets(period: Period, grain: TimeGrain): Bucket[] {
  const out: Bucket[] = [];
  let start: Date = START[grain](new TZDate(period.from.getTime(), period.timeZone));
  while (start < period.to) {
    const next = ADD[grain](start, 1);
    out.push({
      key: bucketKey(start, grain, period.timeZone),
      start: new Date(Math.max(start.getTime(), period.from.getTime())),
      end: new Date(Math.min(next.getTime(), period.to.getTime())),
    });
    if (out.length > MAX_BUCKETS) throw new PeriodError('groupBy', `More than ${MAX_BUCKETS} time buckets: choose a coarser grain or a shorter period`);
    start = next;
  }
  return out;
}

const isLocalMidnight = (d: Date, tz: string) => {
  const local = new TZDate(d.getTime(), tz);
  return local.getHours() === 0 && local.getMinutes() === 0 && local.getSeconds() === 0 && local.getMilliseconds() === 0;
};

/**
 * How the comparison period is obtained from the period: the previous period of the same calendar length
 * (whole months -> months, whole days -> days, else the same duration), or the same dates one year earlier.
 */
export function comparisonShift(period: Period, mode: ComparisonKind): (d: Date) => Date {
  const tz = period.timeZone;
  const local = (d: Date) => new TZDate(d.getTime(), tz);
  if (mode === 'SAME_PERIOD_LAST_YEAR') return (d) => new Date(addYears(local(d), -1).getTime());
  const [from, to] = [local(period.from), local(period.to)];
  if (isLocalMidnight(period.from, tz) && isLocalMidnight(period.to, tz)) {
    if (from.getDate() === 1 && to.getDate() === 1) {
      const months = differenceInCalendarMonths(to, from);
      return (d) => new Date(addMonths(local(d), -months).getTime());
    }
    const days = differenceInCalendarDays(to, from);
    return (d) => new Date(addDays(local(d), -days).getTime());
  }
  const ms = period.to.getTime() - period.from.getTime();
  return (d) => new Date(d.getTime() - ms);
}

/**
 * Comparison buckets, one per current bucket. When the period is still running (asOf < to) the comparison is
 * "to date": each comparison bucket stops at the shifted asOf, so a half-done quarter meets the same half of
 * the previous one.
 */
export function comparisonBuckets(period: Period, current: Bucket[], mode: ComparisonKind): { period: Period; buckets: Bucket[] } {
  const shift = comparisonShift(period, mode);
  const running = period.asOf < period.to && period.asOf > period.from;
  const cutoff = running ? shift(period.asOf) : null;
  const clip = (d: Date) => (cutoff && d > cutoff ? cutoff : d);
  const shifted = current.map((b) => {
    const start = shift(b.start);
    const end = clip(shift(b.end));
    return { key: b.key, start, end: end < start ? start : end };
  });
  return {
    period: spanPeriod(shift(period.from), clip(shift(period.to)), period.timeZone, period.asOf),
    buckets: shifted,
  };
}

export const bucketDays = (b: Pick<Bucket, 'start' | 'end'>) => (b.end.getTime() - b.start.getTime()) / 86_400_000;
