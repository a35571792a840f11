/**
 * Stage weights learned from history: P(won | deal reached stage s), from closed deals, with shrinkage toward a
 * prior where samples are small, conditioned on age in stage, and by segment (team, product family, size band).
 * Pure: works on a FactTable.
 */
import { quantileSorted } from 'simple-statistics';
import { type FactTable, Outcome, closedBefore, daysInStage, reachedMax } from './facts';

export type WeightStatus = 'OK' | 'SHRUNK' | 'INSUFFICIENT_HISTORY';

export interface WeightOptions {
  /** Closed deals a stage needs before its own rate is trusted. */
  minSample: number;
  /** Pseudo-count of the prior in (won + k * prior) / (n + k). */
  shrinkage: number;
}
export const DEFAULT_WEIGHT_OPTIONS: WeightOptions = { minSample: 30, shrinkage: 20 };

export interface AgeBucket {
  /** Deals that stayed in the stage at least this many days. */
  minDays: number;
  reached: number;
  won: number;
  /** Shrunk toward the stage weight; null when the bucket is below the minimum sample. */
  weight: number | null;
}

export interface StageWeight {
  stage: number;
  /** Closed deals (before asOf) that reached the stage, and how many of them were won. */
  reached: number;
  won: number;
  rawRate: number | null;
  /** The weight to use; null with INSUFFICIENT_HISTORY. */
  weight: number | null;
  status: WeightStatus;
  ageBuckets: AgeBucket[];
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
 * Stage weights over the closed deals before asOf accepted by `include`. With `prior` (the company-wide weights) a
 * segment's small samples lean toward it (status SHRUNK); without, a stage below minSample is INSUFFICIENT_HISTORY.
 */
export function learnStageWeights(
  t: FactTable,
  asOf: number,
  options: WeightOptions = DEFAULT_WEIGHT_OPTIONS,
  include: (i: number) => boolean = () => true,
  prior?: StageWeight[],
): StageWeight[] {
  const k = t.stages.length;
  const reached = new Float64Array(k);
  const won = new Float64Array(k);
  const days: number[][] = Array.from({ length: k }, () => []);
  const wonFlags: number[][] = Array.from({ length: k }, () => []);
  const maxWon = new Float64Array(k).fill(NaN);
  for (let i = 0; i < t.n; i++) {
    if (!closedBefore(t, i, asOf) || !include(i)) continue;
    const isWon = t.outcome[i] === Outcome.WON ? 1 : 0;
    const top = reachedMax(t, i, asOf);
    for (let s = 0; s <= top; s++) {
      reached[s]++;
      won[s] += isWon;
      const d = daysInStage(t, i, s, t.closed[i]);
      if (!Number.isNaN(d)) {
        days[s].push(d);
        wonFlags[s].push(isWon);
        if (isWon && !(d <= maxWon[s])) maxWon[s] = d;
      }
    }
  }
  const result: StageWeight[] = [];
  for (let s = 0; s < k; s++) {
    const n = reached[s];
    const rawRate = n > 0 ? won[s] / n : null;
    const priorWeight = prior?.[s]?.weight ?? null;
    let weight: number | null;
    let status: WeightStatus;
    if (prior) {
      if (priorWeight == null) [weight, status] = [null, 'INSUFFICIENT_HISTORY'];
      else [weight, status] = [shrink(won[s], n, priorWeight, options.shrinkage), n < options.minSample ? 'SHRUNK' : 'OK'];
    } else if (n < options.minSample) [weight, status] = [null, 'INSUFFICIENT_HISTORY'];
    else [weight, status] = [rawRate, 'OK'];
    result.push({
      stage: s,
      reached: n,
      won: won[s],
      rawRate,
      weight,
      status,
      ageBuckets: weight == null ? [] : ageBuckets(days[s], wonFlags[s], weight, options),
      maxWonDaysInStage: Number.isNaN(maxWon[s]) ? null : maxWon[s],
    });
  }
  return result;
}

/**
 * P(won | stayed in the stage at least d days) for d = 0, the median and the 90th percentile of time in stage:
 * a deal that has sat in a stage longer than most wins did is less likely to close. Each bucket shrinks toward
 * the stage weight, so where age does not matter in the data the buckets stay close to it.
 */
function ageBuckets(days: number[], wonFlags: number[], stageWeight: number, options: WeightOptions): AgeBucket[] {
  if (days.length < options.minSample) return [];
  const sorted = Float64Array.from(days).sort();
  const cuts = [0, quantileSorted(Array.from(sorted), 0.5), quantileSorted(Array.from(sorted), 0.9)];
  return cuts.map((minDays) => {
    let n = 0;
    let w = 0;
    for (let j = 0; j < days.length; j++) {
      if (days[j] >= minDays) {
        n++;
        w += wonFlags[j];
      }
    }
    return { minDays, reached: n, won: w, weight: n >= options.minSample ? shrink(w, n, stageWeight, options.shrinkage) : null };
  });
}

/** The weight for a deal `ageDays` into its stage: the oldest age bucket it has passed that has enough data. */
export function weightForAge(w: StageWeight, ageDays: number): number | null {
  let chosen = w.weight;
  for (const b of w.ageBuckets) if (ageDays >= b.minDays && b.weight != null) chosen = b.weight;
  return chosen;
}

/** Size bands: terciles of closed-deal amounts, so they fit any currency scale. */
export function sizeBandBounds(t: FactTable, asOf: number): [number, number] {
  const amounts: number[] = [];
  for (let i = 0; i < t.n; i++) if (closedBefore(t, i, asOf)) amounts.push(t.amount[i]);
  if (!amounts.length) return [Infinity, Infinity];
  amounts.sort((a, b) => a - b);
  return [quantileSorted(amounts, 1 / 3), quantileSorted(amounts, 2 / 3)];
}
export const SIZE_BANDS = ['SMALL', 'MEDIUM', 'LARGE'] as const;
export type SizeBandName = (typeof SIZE_BANDS)[number];
export const sizeBandOf = (amount: number, bounds: [number, number]) => (amount < bounds[0] ? 0 : amount < bounds[1] ? 1 : 2);
