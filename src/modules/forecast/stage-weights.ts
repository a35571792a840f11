/**
 * Stage weights learned from history: P(won | deal reached stage s), from closed deals, with shrinkage toward a
 * prior where samples are small, and by segment (team, product family, size band). Age in stage is handled by
 * the in-stage survival curves (stage-timing.ts), which also see the deals that never close.
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

export interface StageWeight {
  stage: number;
  /** Closed deals (before asOf) that reached the stage, and how many of them were won. */
  reached: number;
  won: number;
  rawRate: number | null;
  /** The weight to use; null with INSUFFICIENT_HISTORY. */
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
 * Stage weights over the closed deals before asOf accepted by `include`. With `prior` (the company-wide weights) a
 * segment's small samples lean toward it (status SHRUNK); without, a stage below minSample is INSUFFICIENT_HISTORY.
 */
export function learnStageWeights(
  t: FactTable,
  asOf: number,
  options: WeightOptions = DEFAULT_WEIGHT_OPTIONS,
  include: (i: number) => boolean = () => true,
  prior?: StageWeight[],
  cutoff: Float64Array = maturityCutoffs(t, asOf),
): StageWeight[] {
  const k = t.stages.length;
  const reached = new Float64Array(k);
  const won = new Float64Array(k);
  const maxWon = new Float64Array(k).fill(NaN);
  for (let i = 0; i < t.n; i++) {
    if (!closedBefore(t, i, asOf) || !include(i)) continue;
    const isWon = t.outcome[i] === Outcome.WON ? 1 : 0;
    const top = reachedMax(t, i, asOf);
    for (let s = 0; s <= top; s++) {
      if (!(reachedAt(t, i, s) < cutoff[s])) continue;
      reached[s]++;
      won[s] += isWon;
      if (isWon) {
        const d = daysInStage(t, i, s, t.closed[i]);
        if (!(d <= maxWon[s])) maxWon[s] = d;
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
  const amounts = buffer.subarray(0, n).sort() as unknown as number[]; // typed: native numeric sort
  return [quantileSorted(amounts, 1 / 3), quantileSorted(amounts, 2 / 3)];
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
export function maturityCutoffs(t: FactTable, asOf: number): Float64Array {
  const k = t.stages.length;
  const times: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < t.n; i++) {
    if (!closedBefore(t, i, asOf)) continue;
    for (let s = 0; s < k; s++) {
      const e = t.entries[i * k + s];
      if (!Number.isNaN(e)) times[s].push(t.closed[i] - e);
    }
  }
  // 95th percentile by an hourly histogram (linear time; a few million durations per call in a backtest)
  return Float64Array.from(times, (x) => {
    if (!x.length) return asOf;
    let max = 0;
    for (const v of x) if (v > max) max = v;
    const bins = new Float64Array(Math.ceil(max / 3_600_000) + 1);
    for (const v of x) bins[Math.max(0, Math.floor(v / 3_600_000))]++;
    const rank = Math.min(x.length - 1, Math.floor(0.95 * x.length));
    let seen = 0;
    for (let b = 0; b < bins.length; b++) {
      seen += bins[b];
      if (seen > rank) return asOf - (b + 1) * 3_600_000;
    }
    return asOf - max;
  });
}
