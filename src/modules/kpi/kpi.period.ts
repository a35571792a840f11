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
import { ComparisonMode, KpiDimension, type TimeGrain } from './kpi.enums';

/** Pure period arithmetic: time-zone aware bucket boundaries computed once in JS, then joined in SQL. */

export interface Period {
  from: Date;
  /** Exclusive. */
  to: Date;
  timeZone: string;
  /** The moment the period is looked at from (pace, snapshots, "to date" comparisons). */
  asOf: Date;
}

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

export function parsePeriod(spec: PeriodSpec, now: Date = new Date()): Period {
  const timeZone = spec.timeZone || 'UTC';
  assertTimeZone(timeZone);
  const from = parseInstant(spec.from, timeZone, 'period.from');
  const to = parseInstant(spec.to, timeZone, 'period.to');
  if (!(to > from)) throw new PeriodError('period.to', 'period.to must be after period.from');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) throw new PeriodError('period.to', 'A period is at most 10 years');
  return { from, to, timeZone, asOf: spec.asOf ?? now };
}

const START: Record<TimeGrain, (d: Date) => Date> = {
  [KpiDimension.DAY]: startOfDay,
  [KpiDimension.WEEK]: (d) => startOfWeek(d, { weekStartsOn: 1 }),
  [KpiDimension.MONTH]: startOfMonth,
  [KpiDimension.QUARTER]: startOfQuarter,
  [KpiDimension.YEAR]: startOfYear,
};
const ADD: Record<TimeGrain, (d: Date, n: number) => Date> = {
  [KpiDimension.DAY]: addDays,
  [KpiDimension.WEEK]: addWeeks,
  [KpiDimension.MONTH]: addMonths,
  [KpiDimension.QUARTER]: addQuarters,
  [KpiDimension.YEAR]: addYears,
};

export function bucketKey(start: Date, grain: TimeGrain, timeZone: string): string {
  const local = new TZDate(start.getTime(), timeZone);
  switch (grain) {
    case KpiDimension.YEAR:
      return format(local, 'yyyy');
    case KpiDimension.QUARTER:
      return format(local, "yyyy-'Q'Q");
    case KpiDimension.MONTH:
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
export function comparisonShift(period: Period, mode: ComparisonMode): (d: Date) => Date {
  const tz = period.timeZone;
  const local = (d: Date) => new TZDate(d.getTime(), tz);
  if (mode === ComparisonMode.SAME_PERIOD_LAST_YEAR) return (d) => new Date(addYears(local(d), -1).getTime());
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
export function comparisonBuckets(period: Period, current: Bucket[], mode: ComparisonMode): { period: Period; buckets: Bucket[] } {
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
    period: { from: shift(period.from), to: clip(shift(period.to)), timeZone: period.timeZone, asOf: period.asOf },
    buckets: shifted,
  };
}

export const bucketDays = (b: Pick<Bucket, 'start' | 'end'>) => (b.end.getTime() - b.start.getTime()) / 86_400_000;
