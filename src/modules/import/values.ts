/**
 * Parsing of the loose values CRM exports contain: numbers with thousands separators or decimal commas,
 * dates in several notations, yes/no flags, activity types. Pure: no database, no GraphQL.
 */
import { isExists } from 'date-fns';
import { ActivityOutcome, ActivityType } from '../../shared/enums';

/** Reference key: case- and whitespace-insensitive ("  Acme  Corp " and "acme corp" are the same). */
export const normKey = (value: string): string => value.trim().replace(/\s+/g, ' ').toLowerCase();

const normKeys = new Map<string, string>();

/**
 * normKey of the values an export repeats on every row (stages, owners, accounts, products): remembered, since a
 * million rows made it several million trims, replaces and lower-casings. Bounded: cleared when full.
 */
export function repeatedKey(value: string): string {
  let key = normKeys.get(value);
  if (key === undefined) {
    if (normKeys.size >= 50_000) normKeys.clear();
    key = normKey(value);
    normKeys.set(value, key);
  }
  return key;
}

export type Parsed<T> = { ok: true; value: T; normalised?: string } | { ok: false; reason: string };

/** How a mapping says numbers are written: the separators of a BCP 47 locale ("de-DE": 1.234,5). */
export interface NumberStyle {
  decimal: string;
  group: string;
}

/** The separators of a locale, from the platform's Intl data; undefined for a locale Intl does not know. */
export function numberStyle(locale: string): NumberStyle | undefined {
  try {
    if (!Intl.NumberFormat.supportedLocalesOf([locale]).length) return undefined;
  } catch {
    return undefined; // not a well-formed BCP 47 tag
  }
  const parts = new Intl.NumberFormat(locale).formatToParts(1234567.5);
  return { decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.', group: parts.find((p) => p.type === 'group')?.value ?? ',' };
}

// Currency symbols (any Unicode currency sign, with the letters some countries prefix: R$, US$, CHF) and ISO codes.
const CURRENCY = /^(?:[A-Z]{1,3}\s?)?\p{Sc}\s?|\s?\p{Sc}$|^[A-Z]{3}\s+|\s+[A-Z]{3}$|^[A-Z]{3}(?=[\d(+-])|(?<=\d)[A-Z]{3}$/u;
const SPACES = /[\s\u00a0\u202f]/g;

/**
 * "1,234.50", "1.234,50", "1 234,5", "€1,200", "R$ 1.200,00", "12,5" (decimal comma), "-3", "(250)", "45%"
 * (0.45). With a `style` (mapping `locale`) the separators are the locale's and nothing is guessed; without one,
 * the later of "," and "." is the decimal separator and a lone "," is thousands only before groups of three.
 * `normalised` is set when the text was not already a plain number, so the report can say it was read leniently.
 */
export function parseNumber(raw: string, style?: NumberStyle): Parsed<number> {
  const text = raw.trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(text) && (!style || style.decimal === '.' || !text.includes('.'))) return { ok: true, value: Number(text) };
  let s = text.replace(CURRENCY, '').trim();
  const percent = s.endsWith('%');
  if (percent) s = s.slice(0, -1).trim();
  const negative = /^\(.*\)$/.test(s) || s.startsWith('-');
  s = s.replace(/^[(+-]\s*|\)$/g, '').replace(CURRENCY, '');
  if (style) {
    // The locale's separators, strictly: groups of three before the one decimal separator.
    const groups = style.group.replace(SPACES, ' ') === ' ' ? /[\s\u00a0\u202f]/ : style.group === "'" || style.group === '’' ? /['’]/ : style.group;
    const parts = s.split(style.decimal);
    const whole = parts[0].split(groups);
    const grouped = whole.length === 1 || (/^\d{1,3}$/.test(whole[0]) && whole.slice(1).every((g) => /^\d{3}$/.test(g)));
    if (parts.length > 2 || !grouped || (parts.length === 2 && !/^\d+$/.test(parts[1]))) {
      return { ok: false, reason: `"${raw}" is not a number in the mapping's locale (thousands "${style.group}", decimal "${style.decimal}")` };
    }
    s = whole.join('') + (parts.length === 2 ? `.${parts[1]}` : '');
  } else {
    s = s.replace(SPACES, '').replace(/'/g, '');
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
  }
  if (!/^\d+(\.\d+)?$/.test(s)) return { ok: false, reason: `"${raw}" is not a number` };
  const magnitude = percent ? Number(s) / 100 : Number(s);
  const value = (negative ? -1 : 1) * magnitude;
  return { ok: true, value, normalised: String(value) };
}

/** Money in major units to integer minor units (cents). A percentage is not an amount. */
export function parseMoneyCents(raw: string, style?: NumberStyle): Parsed<number> {
  if (raw.trim().endsWith('%')) return { ok: false, reason: `"${raw}" is a percentage, not an amount` };
  const n = parseNumber(raw, style);
  if (!n.ok) return n;
  if (n.value < 0) return { ok: false, reason: `"${raw}" is negative` };
  return { ...n, value: Math.round(n.value * 100) };
}

/** Order of day, month and year in dates that are not ISO. */
export type DateOrder = 'DMY' | 'MDY' | 'YMD';

/**
 * A mapping's `dateFormat`: "DMY" / "MDY" / "YMD", or a pattern such as "DD/MM/YYYY" or "dd-MM-yyyy HH:mm"
 * (only the order of day, month and year matters: separators and times are recognised in any case).
 */
export function dateOrderOf(format: string): DateOrder | undefined {
  const upper = format.trim().toUpperCase();
  if (upper === 'DMY' || upper === 'MDY' || upper === 'YMD') return upper;
  const order = [...new Set(upper.replace(/[^DMY]/g, ''))].join(''); // order of first appearance: "dd-MM-yyyy HH:mm" -> DMY
  return order === 'DMY' || order === 'MDY' || order === 'YMD' ? order : undefined;
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
const TIME = '(?:[ T]+(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.\\d+)?)?\\s*([AaPp][Mm])?)?';
const NUMERIC = new RegExp(`^(\\d{1,4})([/.-])(\\d{1,2})\\2(\\d{1,4})${TIME}$`);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const NAMED_DMY = new RegExp(`^(\\d{1,2})[ -]([A-Za-z]{3,9})\\.?[ ,-]+(\\d{4})${TIME}$`);
const NAMED_MDY = new RegExp(`^([A-Za-z]{3,9})\\.? (\\d{1,2}),? (\\d{4})${TIME}$`);
/** Spreadsheet serial numbers (days since 1899-12-30, fraction = time of day) accepted as dates: 1927-2173. */
const SERIAL = /^\d{5}(\.\d+)?$/;
const SERIAL_EPOCH = Date.UTC(1899, 11, 30);
const DAY = 86_400_000;

/** What a non-ISO numeric date says about the column's order: which orders it fits. */
export type DateShape = { kind: 'iso' | 'serial' | 'named' | 'other' } | { kind: 'numeric'; fits: DateOrder[] };

/** The orders a numeric date like "03/04/2023" fits (both DMY and MDY), for the column-level decision. */
export function dateShape(raw: string): DateShape {
  const text = raw.trim();
  if (ISO.test(text)) return { kind: 'iso' };
  if (SERIAL.test(text)) return { kind: 'serial' };
  const m = NUMERIC.exec(text);
  if (!m) return NAMED_DMY.test(text) || NAMED_MDY.test(text) ? { kind: 'named' } : { kind: 'other' };
  const fits = (['DMY', 'MDY', 'YMD'] as const).filter((order) => numericParts(m, order) !== null);
  return { kind: 'numeric', fits };
}

function numericParts(m: RegExpExecArray, order: DateOrder): [number, number, number] | null {
  const [a, b, c] = [m[1], m[3], m[4]];
  const year = (t: string) => (t.length === 4 ? +t : t.length === 2 ? 2000 + +t : NaN);
  const [y, mo, d] = order === 'YMD' ? [a.length === 4 ? +a : NaN, +b, c.length <= 2 ? +c : NaN]
    : order === 'DMY' ? [a.length <= 2 ? year(c) : NaN, +b, +a] : [a.length <= 2 ? year(c) : NaN, +a, +b];
  return Number.isFinite(y) && isExists(y, mo - 1, d) ? [y, mo, d] : null;
}

function withTime(raw: string, y: number, mo: number, d: number, m: RegExpExecArray, at: number): Parsed<Date> {
  let h = Number(m[at] ?? 0);
  const mi = Number(m[at + 1] ?? 0);
  const s = Number(m[at + 2] ?? 0);
  const meridiem = m[at + 3]?.toLowerCase();
  if (meridiem) {
    if (h < 1 || h > 12) return { ok: false, reason: `"${raw}" has an invalid time` };
    h = (h % 12) + (meridiem === 'pm' ? 12 : 0);
  }
  if (h > 23 || mi > 59 || s > 59) return { ok: false, reason: `"${raw}" has an invalid time` };
  return { ok: true, value: new Date(Date.UTC(y, mo - 1, d, h, mi, s)) };
}

/**
 * ISO dates and datetimes ("2024-03-01", "2024-03-01T10:00:00Z", "2024-03-01 10:00"), numeric dates with
 * "/", "." or "-" and an optional time (24 h or AM/PM) in the given order, "5 Mar 2024" / "Mar 5, 2024", and
 * spreadsheet serial numbers. Without an order a numeric date must fit exactly one of day-first and
 * month-first ("25/12/2023"); the column-level check (section.ts) decides the order for a whole column before
 * any row loads. Dates without a zone are read as UTC. Hand-rolled on purpose: date-fns `parse` in a UTC
 * context measured 94 µs per value here, which a million-row import cannot afford; validity is date-fns's.
 */
export function parseDate(raw: string, order?: DateOrder): Parsed<Date> {
  const text = raw.trim();
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', ms = '0', zone] = iso;
    if (!isExists(+y, +mo - 1, +d) || +h > 23 || +mi > 59 || +s > 59) return { ok: false, reason: `"${raw}" is not a valid date` };
    const offset = zone && zone.toUpperCase() !== 'Z' ? (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +zone.slice(-2)) : 0;
    return { ok: true, value: new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, +ms.padEnd(3, '0')) - offset * 60_000) };
  }
  if (SERIAL.test(text)) {
    const days = Number(text);
    if (days < 10_000) return { ok: false, reason: `"${raw}" is not a date` };
    return { ok: true, value: new Date(SERIAL_EPOCH + Math.round(days * DAY / 1000) * 1000) };
  }
  const numeric = NUMERIC.exec(text);
  if (numeric) {
    const fits = (['DMY', 'MDY', 'YMD'] as const).filter((o) => numericParts(numeric, o) !== null);
    let chosen: DateOrder | undefined;
    if (order) {
      if (!fits.includes(order)) return { ok: false, reason: `"${raw}" is not a valid ${ORDER_TEXT[order]} date (the mapping's dateFormat)` };
      chosen = order;
    } else if (fits.length === 1) chosen = fits[0];
    else if (fits.length > 1) {
      const [y, mo, d] = numericParts(numeric, fits[0])!;
      if (fits.every((o) => numericParts(numeric, o)!.join() === [y, mo, d].join())) chosen = fits[0]; // 05/05/2023
      else return { ok: false, reason: `"${raw}" is ambiguous (day/month or month/day): set "dateFormat": "DMY" or "MDY" in the mapping` };
    }
    if (!chosen) return { ok: false, reason: `"${raw}" is not a valid date` };
    const [y, mo, d] = numericParts(numeric, chosen)!;
    return withTime(raw, y, mo, d, numeric, 5);
  }
  const named = NAMED_DMY.exec(text) ?? NAMED_MDY.exec(text);
  if (named) {
    const dayFirst = /^\d/.test(named[1]);
    const month = MONTHS.indexOf((dayFirst ? named[2] : named[1]).slice(0, 3).toLowerCase()) + 1;
    const [d, y] = [Number(dayFirst ? named[1] : named[2]), Number(named[3])];
    if (month === 0 || !isExists(y, month - 1, d)) return { ok: false, reason: `"${raw}" is not a valid date` };
    return withTime(raw, y, month, d, named, 4);
  }
  return { ok: false, reason: `"${raw}" is not a date (expected YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY, with or without a time)` };
}

const ORDER_TEXT: Record<DateOrder, string> = { DMY: 'day-first (DD/MM/YYYY)', MDY: 'month-first (MM/DD/YYYY)', YMD: 'year-first (YYYY/MM/DD)' };

/** Values a mapping adds to the built-in yes/no words for one flag column, and what a blank cell means there. */
export interface FlagWords {
  true: Set<string>;
  false: Set<string>;
  /** A blank cell: null = no value (the default), or a value (checkmark columns: blank = no). */
  blank: boolean | null;
}

const TRUTHY = new Set(['1', 'yes', 'y', 'true', 't', 'won', 'converted', 'x', '✓', '✔', 'on', 'oui', 'ja', 'si', 'sí', 'sim']);
const FALSY = new Set(['0', 'no', 'n', 'false', 'f', 'lost', 'off', 'non', 'nein', 'não', 'nao']);
/** Marks of a checkmark column ("x" where true, blank where false). */
export const CHECKMARKS = new Set(['x', '✓', '✔']);

/**
 * A yes/no value: 1/0 (also 1.0/0.0), yes/no, y/n, true/false, x (checkmark), won/lost, any case, plus the
 * mapping's own words. Blank is handled by the caller (FlagWords.blank).
 */
export function parseFlag(raw: string, words?: FlagWords): Parsed<boolean> {
  const key = normKey(raw);
  if (words?.true.has(key)) return { ok: true, value: true };
  if (words?.false.has(key)) return { ok: true, value: false };
  if (TRUTHY.has(key)) return { ok: true, value: true };
  if (FALSY.has(key)) return { ok: true, value: false };
  if (/^[-+]?\d+(\.0+)?$/.test(key) && (Number(key) === 0 || Number(key) === 1)) return { ok: true, value: Number(key) === 1 };
  const extra = words ? [...words.true].map((w) => `"${w}"`).join(', ') : '';
  return { ok: false, reason: `"${raw}" is not a yes/no value (expected 1, 1.0, yes, y, true, x, won${extra ? `, ${extra}` : ''} or 0, 0.0, no, n, false, lost)` };
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
