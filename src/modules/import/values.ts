/**
 * Parsing of the loose values CRM exports contain: numbers with thousands separators or decimal commas,
 * dates in several notations, yes/no flags, activity types. Pure: no database, no GraphQL.
 */
import { ActivityOutcome, ActivityType } from '../../shared/enums';

/** Reference key: case- and whitespace-insensitive ("  Acme  Corp " and "acme corp" are the same). */
export const normKey = (value: string): string => value.trim().replace(/\s+/g, ' ').toLowerCase();

export type Parsed<T> = { ok: true; value: T; normalised?: string } | { ok: false; reason: string };

const CURRENCY_NOISE = /[\s\u00a0\u202f$€£¥']|(?:EUR|USD|GBP|CHF)/gi;

/**
 * "1,234.50", "1.234,50", "1 234,5", "€1,200", "12,5" (decimal comma), "-3". `normalised` is set when the
 * text was not already a plain number, so the report can say the value was read leniently.
 */
export function parseNumber(raw: string): Parsed<number> {
  const text = raw.trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(text)) return { ok: true, value: Number(text) };
  let s = text.replace(CURRENCY_NOISE, '');
  const negative = /^\(.*\)$/.test(s) || s.startsWith('-');
  s = s.replace(/^[(+-]|\)$/g, '');
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  if (lastComma >= 0 && lastDot >= 0) {
    // Both present: the later one is the decimal separator.
    s = lastComma > lastDot ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  } else if (lastComma >= 0) {
    s = /^\d{1,3}(,\d{3})+$/.test(s) ? s.replace(/,/g, '') : /^\d+,\d+$/.test(s) ? s.replace(',', '.') : s;
  } else if (lastDot >= 0 && /^\d{1,3}(\.\d{3}){2,}$/.test(s)) {
    s = s.replace(/\./g, ''); // 1.234.567: dots as thousands separators
  }
  if (!/^\d+(\.\d+)?$/.test(s)) return { ok: false, reason: `"${raw}" is not a number` };
  const value = (negative ? -1 : 1) * Number(s);
  return { ok: true, value, normalised: String(value) };
}

/** Money in major units to integer minor units (cents). */
export function parseMoneyCents(raw: string): Parsed<number> {
  const n = parseNumber(raw);
  if (!n.ok) return n;
  if (n.value < 0) return { ok: false, reason: `"${raw}" is negative` };
  return { ...n, value: Math.round(n.value * 100) };
}

export type DateOrder = 'DMY' | 'MDY';

/**
 * ISO dates and datetimes ("2024-03-01", "2024-03-01T10:00:00Z", "2024-03-01 10:00"), and day/month/year
 * with `/`, `.` or `-` ("01/03/2024"). A slash date where both parts could be the month is ambiguous unless
 * the mapping sets `dateFormat`. Dates without a zone are read as UTC.
 */
export function parseDate(raw: string, order?: DateOrder): Parsed<Date> {
  const text = raw.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = iso;
    const local = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
    const offset = zone && zone !== 'Z' ? (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +zone.slice(-2)) : 0;
    return checkDate(raw, new Date(local - offset * 60_000), +y, +mo, +d);
  }
  const dmy = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (dmy) {
    const [, a, b, yy, h = '0', mi = '0', s = '0'] = dmy;
    const y = yy.length === 2 ? 2000 + +yy : +yy;
    let dayFirst: boolean;
    if (+a > 12 && +b <= 12) dayFirst = true;
    else if (+b > 12 && +a <= 12) dayFirst = false;
    else if (order) dayFirst = order === 'DMY';
    else if (+a === +b) dayFirst = true;
    else return { ok: false, reason: `"${raw}" is ambiguous (day/month or month/day): set "dateFormat": "DMY" or "MDY" in the mapping` };
    const [d, mo] = dayFirst ? [+a, +b] : [+b, +a];
    return checkDate(raw, new Date(Date.UTC(y, mo - 1, d, +h, +mi, +s)), y, mo, d);
  }
  return { ok: false, reason: `"${raw}" is not a date (expected YYYY-MM-DD or DD/MM/YYYY)` };
}

function checkDate(raw: string, date: Date, y: number, mo: number, d: number): Parsed<Date> {
  const valid = !Number.isNaN(date.getTime()) && mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return valid ? { ok: true, value: date } : { ok: false, reason: `"${raw}" is not a valid date` };
}

const TRUTHY = new Set(['1', 'yes', 'y', 'true', 't', 'won', 'converted']);
const FALSY = new Set(['0', 'no', 'n', 'false', 'f', 'lost']);

/** Lead conversion flag: true, false, or an error for anything else. Blank is handled by the caller. */
export function parseFlag(raw: string): Parsed<boolean> {
  const key = normKey(raw);
  if (TRUTHY.has(key)) return { ok: true, value: true };
  if (FALSY.has(key)) return { ok: true, value: false };
  return { ok: false, reason: `"${raw}" is not a yes/no value (expected 1, yes, true, won or 0, no, false)` };
}

const ACTIVITY_TYPES: Record<string, ActivityType> = {
  call: ActivityType.CALL, 'phone call': ActivityType.CALL, phone: ActivityType.CALL, 'cold call': ActivityType.CALL,
  email: ActivityType.EMAIL, 'e-mail': ActivityType.EMAIL, mail: ActivityType.EMAIL,
  meeting: ActivityType.MEETING, visit: ActivityType.MEETING, 'video call': ActivityType.MEETING,
  demo: ActivityType.DEMO, demonstration: ActivityType.DEMO,
  note: ActivityType.NOTE, task: ActivityType.NOTE,
};

export function parseActivityType(raw: string): Parsed<ActivityType> {
  const type = ACTIVITY_TYPES[normKey(raw)];
  return type ? { ok: true, value: type } : { ok: false, reason: `"${raw}" is not an activity type (call, email, meeting, demo, note; map others with aliases)` };
}

const OUTCOMES: Record<string, ActivityOutcome> = {
  none: ActivityOutcome.NONE,
  'no answer': ActivityOutcome.NO_ANSWER, 'no_answer': ActivityOutcome.NO_ANSWER, voicemail: ActivityOutcome.NO_ANSWER,
  connected: ActivityOutcome.CONNECTED, reached: ActivityOutcome.CONNECTED,
  replied: ActivityOutcome.REPLIED, reply: ActivityOutcome.REPLIED,
  'meeting booked': ActivityOutcome.MEETING_BOOKED, 'meeting_booked': ActivityOutcome.MEETING_BOOKED, booked: ActivityOutcome.MEETING_BOOKED,
  completed: ActivityOutcome.COMPLETED, done: ActivityOutcome.COMPLETED, held: ActivityOutcome.COMPLETED,
};

export function parseOutcome(raw: string): Parsed<ActivityOutcome> {
  const outcome = OUTCOMES[normKey(raw)];
  return outcome ? { ok: true, value: outcome } : { ok: false, reason: `"${raw}" is not an activity outcome (no answer, connected, replied, meeting booked, completed)` };
}

/** Deterministic placeholder address for a rep the export gives no email for. */
export function placeholderEmail(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '.').replace(/^\.|\.$/g, '');
  return `${slug || 'rep'}@import.invalid`;
}
