/**
 * The closed-deal part of the history models of several as-of dates (a track record, a backtest), in one pass over
 * the deals ordered by close time instead of one pass over every deal per date. A deal closed before asOf adds the
 * same durations to the model of every later date: hourly histograms and counts of them are integers, so their
 * running sums are exactly what each date's own pass would count. What depends on the date (open deals censored at
 * it, maturity cut-offs, segments and size bands, which the as-of view's owners and amounts change) stays in
 * buildHistoryModel. Pure.
 */
import { DAY_MS, type FactTable, Outcome, nextEntryAfter, reachedMax } from './facts';

/** Hourly bins, as closeCurve's (survival.ts). */
const BINS_PER_DAY = 24;
const HOUR_MS = 3_600_000;

/** Durations counted by hour: what closeCurve makes of a list of times (bins, how many, the largest). */
export interface HourCounts {
  bins: Int32Array;
  count: number;
  /** Largest time added, at least 0 (closeCurve's maxTime starts at 0). */
  maxTime: number;
}

/** The closed deals before one as-of date, counted (views: valid until the walk moves on). */
export interface ClosedPart {
  asOf: number;
  /** 1 for a deal whose durations, creation-to-close time and reached stages are in the counts below once it closed. */
  regular: Uint8Array;
  /** A regular deal's highest stage reached (reachedMax): the same for every date after its close. */
  top: Int16Array;
  /** Per stage: entry to close of won / lost deals (model.ts wonTimes, lostTimes). */
  wonFromEntry: HourCounts[];
  lostFromEntry: HourCounts[];
  /** Per stage: time in the stage until the next entry or the close (model.ts advanced, lostIn). */
  advanced: HourCounts[];
  lostIn: HourCounts[];
  /** Creation to close, won / lost. */
  wonFromCreation: HourCounts;
  lostFromCreation: HourCounts;
  /** Longest creation-to-win time (ms), -Infinity when none. */
  maxWonCycle: number;
  /** Every closed deal before asOf (regular or not): maturityCutoffs' per-stage counts of close - entry (ms, by hour). */
  maturity: { count: Float64Array; max: Float64Array; bins: Int32Array[] };
  /** buildApportioner's counts over regular deals: known-history deals reaching each stage, by outcome (won, lost). */
  reached: [Float64Array, Float64Array];
  /** Closed deals of unknown history before asOf (all of them). */
  unknown: number;
  /** Closed deals before asOf that are not regular (their reached stages are counted per date). */
  irregular: number[];
}

/**
 * A deal is regular when closed and every date it has (creation, stage entries) is at or before its close: then
 * everything the model reads from it is the same for every as-of date after the close.
 */
function isRegular(t: FactTable, i: number): boolean {
  const c = t.closed[i];
  if (Number.isNaN(c) || t.created[i] > c) return false;
  const k = t.stages.length;
  for (let s = 0; s < k; s++) if (t.entries[i * k + s] > c) return false;
  return true;
}

const hourCounts = (): HourCounts => ({ bins: new Int32Array(64), count: 0, maxTime: 0 });

function addTime(h: HourCounts, x: number): void {
  const b = Math.max(0, Math.round(x * BINS_PER_DAY));
  if (b >= h.bins.length) {
    const grown = new Int32Array(Math.max(b + 1, 2 * h.bins.length));
    grown.set(h.bins);
    h.bins = grown;
  }
  h.bins[b]++;
  h.count++;
  if (x > h.maxTime) h.maxTime = x;
}

/** The closed part as of one of the walk's dates (in any order; ascending is one pass, an earlier date starts over). */
export type ClosedWalk = (asOf: number) => ClosedPart;

export function closedWalk(t: FactTable, dates: number[]): ClosedWalk {
  const k = t.stages.length;
  const sorted = [...new Set(dates)].sort((a, b) => a - b);
  // counting sort of the closed deals by the first date they are closed before
  const bucket = new Int32Array(t.n).fill(-1);
  const starts = new Int32Array(sorted.length + 1);
  const regular = new Uint8Array(t.n);
  const top = new Int16Array(t.n);
  for (let i = 0; i < t.n; i++) {
    const c = t.closed[i];
    if (Number.isNaN(c)) continue;
    regular[i] = isRegular(t, i) ? 1 : 0;
    if (regular[i]) top[i] = reachedMax(t, i, Infinity);
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c < sorted[mid]) hi = mid;
      else lo = mid + 1;
    }
    if (lo === sorted.length) continue;
    bucket[i] = lo;
    starts[lo + 1]++;
  }
  for (let j = 0; j < sorted.length; j++) starts[j + 1] += starts[j];
  const order = new Int32Array(starts[sorted.length]);
  const fill = starts.slice(0, sorted.length);
  for (let i = 0; i < t.n; i++) if (bucket[i] >= 0) order[fill[bucket[i]]++] = i;

  let part: ClosedPart;
  let done = 0; // buckets added
  const reset = () => {
    const stageCounts = () => Array.from({ length: k }, hourCounts);
    part = {
      asOf: NaN,
      regular,
      top,
      wonFromEntry: stageCounts(),
      lostFromEntry: stageCounts(),
      advanced: stageCounts(),
      lostIn: stageCounts(),
      wonFromCreation: hourCounts(),
      lostFromCreation: hourCounts(),
      maxWonCycle: -Infinity,
      maturity: { count: new Float64Array(k), max: new Float64Array(k), bins: Array.from({ length: k }, () => new Int32Array(64)) },
      reached: [new Float64Array(k), new Float64Array(k)],
      unknown: 0,
      irregular: [],
    };
    done = 0;
  };
  reset();
  const entered = new Float64Array(k);
  const enteredStage = new Int32Array(k);
  const add = (i: number) => {
    const p = part;
    const closed = t.closed[i];
    const mat = p.maturity;
    for (let s = 0; s < k; s++) {
      const e = t.entries[i * k + s];
      if (Number.isNaN(e)) continue;
      const v = closed - e;
      mat.count[s]++;
      if (v > mat.max[s]) mat.max[s] = v;
      const b = Math.max(0, Math.floor(v / HOUR_MS));
      if (b >= mat.bins[s].length) {
        const grown = new Int32Array(Math.max(b + 1, 2 * mat.bins[s].length));
        grown.set(mat.bins[s]);
        mat.bins[s] = grown;
      }
      mat.bins[s][b]++;
    }
    if (!t.historyKnown[i]) p.unknown++;
    if (!regular[i]) {
      p.irregular.push(i);
      return;
    }
    const isWon = t.outcome[i] === Outcome.WON;
    if (t.historyKnown[i]) for (let s = 0; s <= top[i]; s++) p.reached[isWon ? 0 : 1][s]++;
    const created = t.created[i];
    if (created <= closed) addTime(isWon ? p.wonFromCreation : p.lostFromCreation, (closed - created) / DAY_MS);
    if (isWon && closed - created > p.maxWonCycle) p.maxWonCycle = closed - created;
    let m = 0;
    for (let s = 0; s < k; s++) {
      const e = t.entries[i * k + s];
      if (Number.isNaN(e)) continue;
      entered[m] = e;
      enteredStage[m++] = s;
    }
    for (let a = 0; a < m; a++) addTime((isWon ? p.wonFromEntry : p.lostFromEntry)[enteredStage[a]], (closed - entered[a]) / DAY_MS);
    for (let a = 0; a < m; a++) {
      const e = entered[a];
      const s = enteredStage[a];
      const next = nextEntryAfter(entered, m, a);
      if (next < Infinity) addTime(p.advanced[s], (next - e) / DAY_MS);
      else if (!t.historyKnown[i]) continue;
      else addTime((isWon ? p.advanced : p.lostIn)[s], (closed - e) / DAY_MS);
    }
  };
  return (asOf: number) => {
    const j = sorted.indexOf(asOf);
    if (j < 0) throw new Error(`closedWalk: ${asOf} is not one of its dates`);
    if (j + 1 < done) reset();
    for (; done <= j; done++) for (let x = starts[done]; x < starts[done + 1]; x++) add(order[x]);
    part.asOf = asOf;
    return part;
  };
}
