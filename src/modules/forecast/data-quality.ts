/**
 * What the history cannot tell, in words and counts: where stage weights backed off, deals of unknown stage history,
 * amounts that give the outcome away (lost deals exported at 0) and the pipeline value such deals had while open.
 * Pure.
 */
import { type FactTable, Outcome, closedBefore } from './facts';
import type { HistoryModel } from './model';
import type { StageWeight, WeightOptions } from './stage-weights';

export type ThinKind = 'STAGE_WEIGHT' | 'STAGE_HISTORY' | 'DEAL_SIZE' | 'DEAL_DATES' | 'NEW_BUSINESS' | 'TRACK_RECORD' | 'RANGE' | 'SIMULATION' | 'STALE_DEALS';

/** One place the forecast rests on little data, with the sample it had and what it did instead. */
export interface ThinSpot {
  kind: ThinKind;
  /** What is thin: a stage name, a method, "company". */
  subject: string;
  sample: number;
  message: string;
}

const pct = (x: number) => `${Math.round(100 * x)} %`;

/** What the stage weights backed off to, in words a sales manager can check against the stageWeights query. */
export function thinWeights(t: FactTable, weights: StageWeight[], options: WeightOptions, unknown: number, closedDeals: number): ThinSpot[] {
  const out: ThinSpot[] = [];
  const name = (s: number) => `"${t.stages[s].name}"`;
  if (unknown > 0) {
    const apportioned = weights.some((w) => w.apportioned > 0);
    out.push({
      kind: 'STAGE_HISTORY',
      subject: 'company',
      sample: unknown,
      message: `${unknown} of ${closedDeals} closed deal(s) have no known stage history: they count in the pooled win rate of the stages they are known to have reached${apportioned ? ' and are apportioned across later stages by the paths of deals with a known history' : ', and too few deals with a known history exist to apportion them across later stages'}.`,
    });
  }
  for (const w of weights) {
    const s = w.stage;
    const sample = Math.round(w.reached);
    if (w.status === 'INSUFFICIENT_HISTORY') {
      out.push({ kind: 'STAGE_WEIGHT', subject: t.stages[s].name, sample, message: `Stage ${name(s)}: no closed deal to learn from; using its default probability ${t.stages[s].defaultProbability}.` });
    } else if (w.status === 'POOLED') {
      const why = sample > 0 ? `its ${sample} closed deal(s) leave out deals of unknown history that may have reached it` : 'no closed deal reached it';
      out.push({ kind: 'STAGE_WEIGHT', subject: t.stages[s].name, sample, message: `Stage ${name(s)}: ${why}; it uses the pooled weight of ${name(s - 1)}, ${pct(w.weight!)}.` });
    } else if (w.status === 'SHRUNK') {
      const toward = s === 0 ? 'even odds (the pooled win rate itself is thin)' : `the weight of ${name(s - 1)}`;
      out.push({ kind: 'STAGE_WEIGHT', subject: t.stages[s].name, sample, message: `Stage ${name(s)}: only ${sample} closed deal(s) reached it (minimum ${options.minSample}); its weight ${pct(w.weight!)} leans on ${toward}.` });
    }
  }
  return out;
}

/**
 * Lost deals exported with amount 0 (CRMs often zero a lost deal's value): then deal size tells the outcome, and a
 * size band learned from it would call every open deal with an amount a near-certain win.
 */
export function zeroAmountSignal(t: FactTable, asOf: number): { leaks: boolean; lost: number; zeroLost: number; won: number; zeroWon: number } {
  let lost = 0;
  let zeroLost = 0;
  let won = 0;
  let zeroWon = 0;
  for (let i = 0; i < t.n; i++) {
    if (!closedBefore(t, i, asOf)) continue;
    const zero = t.amount[i] === 0 ? 1 : 0;
    if (t.outcome[i] === Outcome.WON) [won, zeroWon] = [won + 1, zeroWon + zero];
    else [lost, zeroLost] = [lost + 1, zeroLost + zero];
  }
  const leaks = lost > 0 && won > 0 && zeroLost / lost - zeroWon / won >= 0.5;
  return { leaks, lost, zeroLost, won, zeroWon };
}

/** Deal i's amount as the pipeline saw it at the model's as-of date (see HistoryModel.zeroedLostAmount). */
export function pipelineAmount(t: FactTable, model: HistoryModel, i: number): number {
  const a = t.amount[i];
  if (a !== 0 || !model.zeroedLostAmount || t.outcome[i] !== Outcome.LOST) return a;
  return model.zeroedLostAmount.get(t.family[i]) ?? model.zeroedLostAmount.get(-2) ?? 0;
}

export function meanWonAmounts(t: FactTable, asOf: number): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  const add = (key: number, a: number) => {
    const s = sums.get(key) ?? [0, 0];
    sums.set(key, [s[0] + a, s[1] + 1]);
  };
  for (let i = 0; i < t.n; i++) {
    if (t.outcome[i] !== Outcome.WON || !closedBefore(t, i, asOf) || !(t.amount[i] > 0)) continue;
    add(t.family[i], t.amount[i]);
    add(-2, t.amount[i]);
  }
  return new Map([...sums].map(([k, [sum, n]]) => [k, sum / n]));
}

