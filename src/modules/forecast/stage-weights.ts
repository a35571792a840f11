/**
 * Stage weights learned from history: P(won | deal reached stage s), from closed deals. Where a stage's sample is
 * small the weight backs off to the company's own data, never to a textbook default: stage 0 is the pooled win rate
 * of every closed deal, and each later stage shrinks toward the weight of the stage before it, so a stage nobody
 * reached carries the last rate the data supports. Segments (team, product family, size band) shrink toward the
 * company weight. Age in stage is handled by the in-stage survival curves (stage-timing.ts).
 *
 * Deals whose stages reached are unknown (historyKnown 0, typically losses from a CRM export with no stage at loss)
 * reach at least their recorded stages. Counting them as "lost at the first stage" would drag every later stage's
 * denominator down and inflate its weight; dropping them would do the same. Instead each one is apportioned across
 * the later stages by how far known-history deals with the same outcome got from the same stage: it adds
 * P(reached s | reached b, outcome) to stage s's sample. With too few known-history deals to say (a pure
 * snapshot: no loss has a known path) the later stages are not identifiable and take the pooled weight below them
 * (status POOLED). Every unknown deal counts in full toward the pooled rate of the stages it is known to have reached.
 * Pure: works on a FactTable.
 */
import { quickselect } from 'simple-statistics';
import { type FactTable, Outcome, closedBefore, daysInStage, reachedMax } from './facts';
import type { ClosedPart } from './closed-walk';

/**
 * OK: enough closed deals reached the stage; SHRUNK: a small sample leaning on the stage below (or, for a segment,
 * on the company weight); POOLED: no usable sample, the pooled weight of the stage below is used;
 * INSUFFICIENT_HISTORY: no closed deal at all to learn from.
 */
export type WeightStatus = 'OK' | 'SHRUNK' | 'POOLED' | 'INSUFFICIENT_HISTORY';

export interface WeightOptions {
  /** Closed deals a stage needs before its own rate is trusted (also: known-history deals needed to apportion). */
  minSample: number;
  /** Pseudo-count of the prior in (won + k * prior) / (n + k). */
  shrinkage: number;
}
export const DEFAULT_WEIGHT_OPTIONS: WeightOptions = { minSample: 30, shrinkage: 20 };

export interface StageWeight {
  stage: number;
  /** Closed deals (before asOf) that reached the stage, and how many of them were won (apportioned: fractional). */
  reached: number;
  won: number;
  /** Of `reached`, the share contributed by apportioned deals of unknown history (0 when all are known). */
  apportioned: number;
  rawRate: number | null;
  /** The weight to use; null only with INSUFFICIENT_HISTORY. */
  weight: number | null;
  status: WeightStatus;
  /** Longest time in this stage of a deal that was eventually won (days): older deals are stale. */
  maxWonDaysInStage: number | null;
}

export const shrink = (won: number, n: number, prior: number, k: number) => (won + k * prior) / (n + k);

export const logit = (p: number) => {
  const q = Math.min(0.999, Math.max(0.001, p));
  return Math.log(q / (1 - q));
};
export const invLogit = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * How deals of unknown history are spread over stages: per outcome (won, lost) and lower-bound stage b, the share
 * of known-history closed deals of that outcome reaching b that went on to reach each stage; null where fewer than
 * minSample known deals reached b (not identifiable).
 */
export interface Apportioner {
  /** [outcome 0 = won, 1 = lost][b][s]: P(reached s | reached b); null rows are not identifiable. */
  share: Array<Array<Float64Array | null>>;
  /** Closed deals of unknown history before asOf (all, before any segment filter). */
  unknown: number;
}

export function buildApportioner(t: FactTable, asOf: number, minSample: number, part?: ClosedPart): Apportioner {
  const k = t.stages.length;
  // with the walk's counts, only the deals it could not count for every date are read here
  const reached = part ? [part.reached[0].slice(), part.reached[1].slice()] : [new Float64Array(k), new Float64Array(k)];
  let unknown = part ? part.unknown : 0;
  const rows = part ? part.irregular : null;
  for (let j = 0; j < (rows ? rows.length : t.n); j++) {
    const i = rows ? rows[j] : j;
    if (!closedBefore(t, i, asOf)) continue;
    if (rows && !t.historyKnown[i]) continue; // already in part.unknown
    if (!t.historyKnown[i]) {
      unknown++;
      continue;
    }
    const o = t.outcome[i] === Outcome.WON ? 0 : 1;
    const top = reachedMax(t, i, asOf);
    for (let s = 0; s <= top; s++) reached[o][s]++;
  }
  const share = reached.map((r) =>
    Array.from({ length: k }, (_, b) => (r[b] >= minSample ? Float64Array.from(r, (v, s) => (s <= b ? 1 : v / r[b])) : null)),
  );
  return { share, unknown };
}

/**
 * Adds closed deal i's contribution to per-stage (reached, won) counts: 1 for each stage it is known to have reached
 * (entered before the stage's maturity cut-off), and for a deal of unknown history its apportioned share of the later
 * ones. Stages it may have reached but that cannot be apportioned are counted in `unidentified`.
 */
export function addStageCounts(
  t: FactTable,
  i: number,
  asOf: number,
  cutoff: Float64Array,
  ap: Apportioner,
  reached: Float64Array,
  won: Float64Array,
  unidentified?: Float64Array,
  apportioned?: Float64Array,
): void {
  const k = t.stages.length;
  const isWon = t.outcome[i] === Outcome.WON ? 1 : 0;
  const top = reachedMax(t, i, asOf);
  for (let s = 0; s <= top; s++) {
    if (!(reachedAt(t, i, s) < cutoff[s])) continue;
    reached[s]++;
    won[s] += isWon;
  }
  if (t.historyKnown[i] || top === k - 1) return;
  const share = ap.share[isWon ? 0 : 1][top];
  for (let s = top + 1; s < k; s++) {
    if (!share) {
      if (unidentified) unidentified[s]++;
      continue;
    }
    // entry time unknown: its creation, as reachedAt does for any stage without a recorded entry
    if (!(t.created[i] < cutoff[s]) || !(share[s] > 0)) continue;
    reached[s] += share[s];
    won[s] += isWon * share[s];
    if (apportioned) apportioned[s] += share[s];
  }
}

/** Per-stage sums over closed deals (addStageCounts, wonDaysInStage) that weightsFromCounts turns into weights. */
export interface StageCounts {
  reached: Float64Array;
  won: Float64Array;
  unidentified: Float64Array;
  apportioned: Float64Array;
  /** Longest days in stage of a won deal, per stage; NaN where none. */
  maxWon: Float64Array;
}

export const emptyStageCounts = (k: number): StageCounts => ({
  reached: new Float64Array(k),
  won: new Float64Array(k),
  unidentified: new Float64Array(k),
  apportioned: new Float64Array(k),
  maxWon: new Float64Array(k).fill(NaN),
});

/** Keeps in `maxWon` the longest time won deal i spent in each stage it is counted in (entered before the cut-off). */
export function addWonDaysInStage(t: FactTable, i: number, asOf: number, cutoff: Float64Array, maxWon: Float64Array): void {
  const top = reachedMax(t, i, asOf);
  for (let s = 0; s <= top; s++) {
    if (!(reachedAt(t, i, s) < cutoff[s])) continue;
    const d = daysInStage(t, i, s, t.closed[i]);
    if (!(d <= maxWon[s])) maxWon[s] = d;
  }
}

/**
 * Stage weights over the closed deals before asOf accepted by `include`. Without `prior` these are the company
 * weights (back-off chain described above); with `prior` (the company weights) a segment's stages shrink toward it.
 */
export function learnStageWeights(
  t: FactTable,
  asOf: number,
  options: WeightOptions = DEFAULT_WEIGHT_OPTIONS,
  include: (i: number) => boolean = () => true,
  prior?: StageWeight[],
  cutoff: Float64Array = maturityCutoffs(t, asOf),
  ap: Apportioner = buildApportioner(t, asOf, options.minSample),
): StageWeight[] {
  const c = emptyStageCounts(t.stages.length);
  for (let i = 0; i < t.n; i++) {
    if (!closedBefore(t, i, asOf) || !include(i)) continue;
    addStageCounts(t, i, asOf, cutoff, ap, c.reached, c.won, c.unidentified, c.apportioned);
    if (t.outcome[i] === Outcome.WON) addWonDaysInStage(t, i, asOf, cutoff, c.maxWon);
  }
  return weightsFromCounts(c, options, prior);
}

/** The weights from a pass's counts (learnStageWeights; buildHistoryModel counts in its own pass over the deals). */
export function weightsFromCounts({ reached, won, unidentified, apportioned, maxWon }: StageCounts, options: WeightOptions, prior?: StageWeight[]): StageWeight[] {
  const k = reached.length;
  const result: StageWeight[] = [];
  for (let s = 0; s < k; s++) {
    const n = reached[s];
    const rawRate = n > 0 ? won[s] / n : null;
    let weight: number | null;
    let status: WeightStatus;
    if (prior) {
      const p = prior[s]?.weight ?? null;
      if (p == null) [weight, status] = [null, 'INSUFFICIENT_HISTORY'];
      else if (unidentified[s] > 0 || n === 0) [weight, status] = [p, 'POOLED'];
      else [weight, status] = [shrink(won[s], n, p, options.shrinkage), n < options.minSample ? 'SHRUNK' : 'OK'];
    } else {
      const below = s > 0 ? result[s - 1].weight : null;
      if (unidentified[s] > 0 || n === 0) {
        // not identifiable, or nobody reached it: the stage below's weight (stage 0 with no closed deal: none)
        [weight, status] = below == null ? [null, 'INSUFFICIENT_HISTORY'] : [below, 'POOLED'];
      } else if (n >= options.minSample) [weight, status] = [rawRate, 'OK'];
      // a thin stage 0 is still the company's own pooled rate: Laplace-smoothed, not a default
      else [weight, status] = [shrink(won[s], n, below ?? 0.5, below == null ? 2 : options.shrinkage), 'SHRUNK'];
    }
    result.push({
      stage: s,
      reached: n,
      won: won[s],
      apportioned: n > 0 ? apportioned[s] / n : 0,
      rawRate,
      weight,
      status,
      maxWonDaysInStage: Number.isNaN(maxWon[s]) ? null : maxWon[s],
    });
  }
  return result;
}

/** Size bands: terciles of closed-deal amounts, so they fit any currency scale. */
export function sizeBandBounds(t: FactTable, asOf: number): [number, number] {
  let n = 0;
  const buffer = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) if (closedBefore(t, i, asOf)) buffer[n++] = t.amount[i];
  if (!n) return [Infinity, Infinity];
  const amounts = buffer.subarray(0, n);
  return [sortedQuantile(amounts, 1 / 3), sortedQuantile(amounts, 2 / 3)];
}

/**
 * quantileSorted(values sorted ascending, p) (simple-statistics, type 7) without sorting: the one or two order
 * statistics it reads, by selection (linear time instead of n log n; `values` is reordered). NaN sorts last.
 */
export function sortedQuantile(values: Float64Array, p: number): number {
  let m = 0; // non-NaN values first
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    values[i] = values[m];
    values[m++] = v;
  }
  const idx = (values.length - 1) * p;
  const lower = Math.floor(idx);
  const upper = Math.ceil(idx);
  // the j-th smallest among the first `end` values (the values before a selected one are all <= it)
  const select = (j: number, end: number) => {
    if (j >= m) return NaN;
    if (end - 1 > 0) quickselect(values as unknown as number[], j, 0, end - 1);
    return values[j];
  };
  const hi = select(upper, m);
  if (lower === upper) return hi;
  const lo = select(lower, Math.min(m, upper));
  return lo + (idx - lower) * (hi - lo);
}

export const SIZE_BANDS = ['SMALL', 'MEDIUM', 'LARGE'] as const;
export type SizeBandName = (typeof SIZE_BANDS)[number];
export const sizeBandOf = (amount: number, bounds: [number, number]) => (amount < bounds[0] ? 0 : amount < bounds[1] ? 1 : 2);

/** When deal i reached stage s: its entry time, or its creation when the history does not say. */
export function reachedAt(t: FactTable, i: number, s: number): number {
  const e = t.entries[i * t.stages.length + s];
  return Number.isNaN(e) ? t.created[i] : e;
}

/**
 * Only deals that reached a stage long enough before asOf to have had time to close count toward its weight:
 * among recent deals, those already closed are mostly quick losses, so counting them would bias the weight down
 * (wins take longer). The cut-off per stage is asOf minus the 95th percentile of observed stage-to-close times.
 */
export function maturityCutoffs(t: FactTable, asOf: number, part?: ClosedPart): Float64Array {
  const k = t.stages.length;
  if (part) return cutoffsFromCounts(asOf, part.maturity.count, part.maturity.max, part.maturity.bins);
  const count = new Float64Array(k);
  const max = new Float64Array(k);
  const each = (fn: (s: number, v: number) => void) => {
    for (let i = 0; i < t.n; i++) {
      if (!closedBefore(t, i, asOf)) continue;
      for (let s = 0; s < k; s++) {
        const e = t.entries[i * k + s];
        if (!Number.isNaN(e)) fn(s, t.closed[i] - e);
      }
    }
  };
  each((s, v) => {
    count[s]++;
    if (v > max[s]) max[s] = v;
  });
  // 95th percentile by an hourly histogram (linear time; a few million durations per call in a backtest)
  const bins = Array.from(max, (m) => new Float64Array(Math.ceil(m / 3_600_000) + 1));
  each((s, v) => bins[s][Math.max(0, Math.floor(v / 3_600_000))]++);
  return cutoffsFromCounts(asOf, count, max, bins);
}

/** The cut-offs from per-stage counts of close - entry by hour (longer `bins` end in empty hours, which change nothing). */
function cutoffsFromCounts(asOf: number, count: Float64Array, max: Float64Array, bins: ArrayLike<number>[]): Float64Array {
  return Float64Array.from(bins, (h, s) => {
    if (!count[s]) return asOf;
    const rank = Math.min(count[s] - 1, Math.floor(0.95 * count[s]));
    let seen = 0;
    for (let b = 0; b < h.length; b++) {
      seen += h[b];
      if (seen > rank) return asOf - (b + 1) * 3_600_000;
    }
    return asOf - max[s];
  });
}
