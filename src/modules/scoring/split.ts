/**
 * Train / validation / holdout split that fits the data: time-ordered (the newest part held out) when the
 * examples carry real dates, otherwise a seeded split stratified by label. "Real dates" is read from the data:
 * an export without dates gives every record the import time (one day, or a few import runs), and a holdout
 * ordered by that is file order, not time. Pure: no database, no TensorFlow.
 */
import seedrandom from 'seedrandom';

export interface Dated {
  id: number;
  label: 0 | 1;
  /** When the example happened (ms), null when unknown. */
  at: number | null;
}

export type SplitMethod = 'time' | 'stratified';

export interface SplitChoice {
  method: SplitMethod;
  /** Why, in words a person can check: share dated, distinct days, span, busiest day. */
  reason: string;
}

const DAY_MS = 86_400_000;
const day = (ms: number) => Math.floor(ms / DAY_MS);
const isoDay = (d: number) => new Date(d * DAY_MS).toISOString().slice(0, 10);

/** Minimums for a time-ordered holdout: dated examples, distinct days, span, and no day holding too many. */
export const REAL_DATES = { datedShare: 0.9, minDistinctDays: 20, minSpanDays: 28, maxBusiestDayShare: 0.2 };

/**
 * Time-ordered when ≥ 90 % of the examples are dated, on ≥ 20 distinct days spanning ≥ 4 weeks, and no single
 * day holds more than 20 % of them (a bulk import stamps one instant on everything); stratified otherwise.
 * Counted per record (a closed deal contributes several rows but has one date).
 */
export function chooseSplit(examples: Dated[]): SplitChoice {
  const dateOf = new Map<number, number | null>();
  for (const e of examples) if (!dateOf.has(e.id)) dateOf.set(e.id, e.at);
  const records = dateOf.size;
  const days = new Map<number, number>();
  let dated = 0;
  for (const at of dateOf.values()) {
    if (at == null || !Number.isFinite(at)) continue;
    dated++;
    days.set(day(at), (days.get(day(at)) ?? 0) + 1);
  }
  if (records === 0 || dated < records * REAL_DATES.datedShare) {
    return { method: 'stratified', reason: `stratified: only ${pct(dated, records)} of the examples carry a date` };
  }
  const sortedDays = [...days.keys()].sort((a, b) => a - b);
  const span = sortedDays.at(-1)! - sortedDays[0];
  const [busiestDay, busiestCount] = [...days.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
  const facts = `${days.size} distinct days over ${span} days, busiest day ${isoDay(busiestDay)} with ${pct(busiestCount, dated)}`;
  if (days.size < REAL_DATES.minDistinctDays || span < REAL_DATES.minSpanDays || busiestCount > dated * REAL_DATES.maxBusiestDayShare) {
    return { method: 'stratified', reason: `stratified: the dates do not look real (${facts}; an import without dates stamps its own time)` };
  }
  return { method: 'time', reason: `time-ordered: ${pct(dated, records)} dated, ${facts}` };
}

function pct(part: number, whole: number): string {
  return `${whole ? Number(((100 * part) / whole).toFixed(1)) : 0} %`;
}

export interface Split<T> {
  train: T[];
  val: T[];
  test: T[];
  method: SplitMethod;
  reason: string;
}

/** 70 / 15 / 15: by time (oldest first, ties by id) or stratified by label with a seeded shuffle per class. */
export function splitExamples<T extends Dated>(examples: T[], seed: number, choice: SplitChoice = chooseSplit(examples)): Split<T> {
  if (choice.method === 'time') {
    const sorted = [...examples].sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || a.id - b.id);
    // Cut on record boundaries: all rows of one record land in the same part.
    const cut = (fraction: number) => {
      let i = Math.floor(sorted.length * fraction);
      while (i > 0 && i < sorted.length && sorted[i].id === sorted[i - 1].id) i++;
      return i;
    };
    const a = cut(0.7);
    const b = Math.max(a, cut(0.85));
    return { train: sorted.slice(0, a), val: sorted.slice(a, b), test: sorted.slice(b), ...choice };
  }
  const rng = seedrandom(`split-${seed}`);
  const rowsOf = new Map<number, T[]>();
  for (const e of examples) {
    const rows = rowsOf.get(e.id);
    if (rows) rows.push(e);
    else rowsOf.set(e.id, [e]);
  }
  const parts = { train: [] as T[], val: [] as T[], test: [] as T[] };
  for (const label of [0, 1]) {
    const ids = [...rowsOf.keys()].filter((id) => rowsOf.get(id)![0].label === label).sort((x, y) => x - y);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const a = Math.floor(ids.length * 0.7);
    const b = Math.floor(ids.length * 0.85);
    parts.train.push(...ids.slice(0, a).flatMap((id) => rowsOf.get(id)!));
    parts.val.push(...ids.slice(a, b).flatMap((id) => rowsOf.get(id)!));
    parts.test.push(...ids.slice(b).flatMap((id) => rowsOf.get(id)!));
  }
  return { ...parts, ...choice };
}
