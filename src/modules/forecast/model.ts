/**
 * The pipeline model as of a date: stage weights (by age in stage, adjusted by segment), time-to-close curves per
 * stage, and the stale-deal decay; then, for each open deal, P(win) x P(closes inside the period). Pure.
 */
import { DAY_MS, type FactTable, Outcome, closedBefore, isOpenAt, nextEntryAfter, openRowsAt, stageAt } from './facts';
import { type SurvivalCurve, closeCurve, conditionalMedianWinTime, conditionalWinTiming, ageFactor as winAgeFactor } from './survival';
import { type StageTiming, ageFactor, buildStageTiming, winTiming } from './stage-timing';
import { quantileTime, survivalAt as survivalAtDays } from './survival';
import {
  DEFAULT_WEIGHT_OPTIONS,
  type StageWeight,
  type WeightOptions,
  buildApportioner,
  emptyStageCounts,
  invLogit,
  logit,
  maturityCutoffs,
  shrink,
  sizeBandBounds,
  sizeBandOf,
  weightsFromCounts,
} from './stage-weights';
import type { ClosedPart } from './closed-walk';
import { Slots, type StageTally, tallyClosedDeal } from './stage-tally';
import { type ThinSpot, meanWonAmounts, thinWeights, zeroAmountSignal } from './data-quality';

export { type ThinKind, type ThinSpot, pipelineAmount } from './data-quality';

/** Segment dimensions whose effect on winning is learned per stage: team, product family, size band. */
const DIMENSIONS = ['team', 'family', 'band'] as const;

export interface HistoryModel {
  asOf: number;
  weights: StageWeight[];
  /** Per dimension, per key: logit shift of the shrunk segment weight from the company weight, per stage. */
  segmentShift: Record<(typeof DIMENSIONS)[number], Map<number, Float64Array>>;
  bandBounds: [number, number];
  /** Time from entering each stage to closing, with the incidence of wins. */
  curves: SurvivalCurve[];
  /** Time spent in each stage (advance vs loss; deals still in it censored). */
  stageCurves: SurvivalCurve[];
  timing: StageTiming[];
  /** Time from creation to closing (wins and losses, open deals censored): what is known without stage history. */
  creationCurve: SurvivalCurve;
  /**
   * True when the stages carry no usable information: most closed deals have an unknown stage history and no later
   * stage could be learned (every one POOLED). Open deals are then weighted by the pooled win rate given their age
   * since creation (creationCurve), not by stage curves built from inferred stage entries.
   */
  stageless: boolean;
  /** Longest creation-to-win cycle seen (days); open deals much older than this are decayed. */
  maxWonCycleDays: number | null;
  closedDeals: number;
  /** Closed deals before asOf whose stages reached are unknown (apportioned, see stage-weights.ts). */
  unknownHistoryDeals: number;
  /** False when deal amounts give the outcome away (lost deals at 0): size bands are then not learned. */
  sizeBandsUsed: boolean;
  /**
   * When lost deals were exported at 0, a deal open at asOf that was later lost shows amount 0 although it was worth
   * something while open: its pipeline value is the mean amount of deals of its product family won before asOf
   * (overall mean under key -2). Null when amounts are real.
   */
  zeroedLostAmount: Map<number, number> | null;
  /** Where the history is thin and what the model did about it. */
  thin: ThinSpot[];
  warnings: string[];
}

/** The seam for the deal-win model (scoring issue): return P(win) for an open deal, or null to use the stage model. */
export type WinProbabilityFn = (dealId: number, t: FactTable, i: number) => number | null;

/**
 * `part` (closed-walk.ts, same deals and asOf): the closed deals' durations already counted, so that a track record's
 * models share one pass over them; the model is the same bit for bit.
 */
export function buildHistoryModel(t: FactTable, asOf: number, options: WeightOptions = DEFAULT_WEIGHT_OPTIONS, part?: ClosedPart): HistoryModel {
  if (part && part.asOf !== asOf) throw new Error('buildHistoryModel: the closed part is of another date');
  const k = t.stages.length;
  const cutoff = maturityCutoffs(t, asOf, part);
  const ap = buildApportioner(t, asOf, options.minSample, part);
  const bandBounds = sizeBandBounds(t, asOf);
  const amounts = zeroAmountSignal(t, asOf);
  const dimensions = DIMENSIONS.filter((d) => d !== 'band' || !amounts.leaks);
  // segment counts by dense slot (first-seen order, as the maps they become): no map lookup or closure per deal
  const teamSlots = new Slots();
  const familySlots = new Slots();
  const bandSlots = new Slots();
  const useBand = dimensions.includes('band');
  const company = emptyStageCounts(k);
  const wonTimes: number[][] = Array.from({ length: k }, () => []);
  const lostTimes: number[][] = Array.from({ length: k }, () => []);
  const censored: number[][] = Array.from({ length: k }, () => []);
  const advanced: number[][] = Array.from({ length: k }, () => []);
  const lostIn: number[][] = Array.from({ length: k }, () => []);
  const stillIn: number[][] = Array.from({ length: k }, () => []);
  // the stages deal i entered before asOf (entry times and stage indexes, ascending by stage), read once per deal
  const entered = new Float64Array(k);
  const enteredStage = new Int32Array(k);
  let m = 0;
  const readEntries = (i: number) => {
    m = 0;
    for (let s = 0; s < k; s++) {
      const e = t.entries[i * k + s];
      if (!(e < asOf)) continue;
      entered[m] = e;
      enteredStage[m++] = s;
    }
  };
  const inStage = (i: number, closed: boolean, isWon: number) => {
    for (let a = 0; a < m; a++) {
      const e = entered[a];
      const s = enteredStage[a];
      const next = nextEntryAfter(entered, m, a);
      if (next < Infinity) advanced[s].push((next - e) / DAY_MS);
      // unknown history: how and when it left its last recorded stage is not known, so it says nothing about it
      else if (closed && !t.historyKnown[i]) continue;
      else if (closed) (isWon ? advanced : lostIn)[s].push((t.closed[i] - e) / DAY_MS);
      else stillIn[s].push((asOf - e) / DAY_MS);
    }
  };
  const tally: StageTally = { k, asOf, cutoff, ap, company, team: teamSlots, family: familySlots, band: useBand ? bandSlots : null, bandBounds, regular: part?.regular, top: part?.top };
  let maxWonCycle = part ? part.maxWonCycle : -Infinity;
  let closedDeals = 0;
  const fromCreation: number[][] = [[], [], []]; // won, lost, still open (days since creation)
  for (let i = 0; i < t.n; i++) {
    if (closedBefore(t, i, asOf)) {
      closedDeals++;
      const isWon = t.outcome[i] === Outcome.WON ? 1 : 0;
      // its durations, creation-to-close time and win cycle are in `part`; the segment counts depend on this date
      const counted = part != null && part.regular[i] === 1;
      if (!counted && t.created[i] < asOf) fromCreation[isWon ? 0 : 1].push((t.closed[i] - t.created[i]) / DAY_MS);
      if (!counted && isWon && t.closed[i] - t.created[i] > maxWonCycle) maxWonCycle = t.closed[i] - t.created[i];
      tallyClosedDeal(t, i, isWon, tally);
      if (counted) continue;
      readEntries(i);
      for (let a = 0; a < m; a++) (isWon ? wonTimes : lostTimes)[enteredStage[a]].push((t.closed[i] - entered[a]) / DAY_MS);
      inStage(i, true, isWon);
    } else if (isOpenAt(t, i, asOf)) {
      fromCreation[2].push((asOf - t.created[i]) / DAY_MS);
      readEntries(i);
      for (let a = 0; a < m; a++) censored[enteredStage[a]].push((asOf - entered[a]) / DAY_MS);
      inStage(i, false, 0);
    }
  }
  const weights = weightsFromCounts(company, options);
  const segmentShift = { team: new Map<number, Float64Array>(), family: new Map<number, Float64Array>(), band: new Map<number, Float64Array>() };
  const slotsOf = { team: teamSlots, family: familySlots, band: bandSlots };
  for (const dim of dimensions) {
    const { keys, reached, won } = slotsOf[dim];
    for (let slot = 0; slot < keys.length; slot++) {
      const shift = new Float64Array(k);
      for (let s = 0; s < k; s++) {
        const w = weights[s].weight;
        // a POOLED stage has no sample of its own: segments follow the company there
        if (w != null && weights[s].status !== 'POOLED') shift[s] = logit(shrink(won[slot * k + s], reached[slot * k + s], w, options.shrinkage)) - logit(w);
      }
      segmentShift[dim].set(keys[slot], shift);
    }
  }
  const stageless = k > 1 && ap.unknown >= 0.2 * closedDeals && weights.slice(1).every((w) => w.status === 'POOLED');
  const thin = thinWeights(t, weights, options, ap.unknown, closedDeals);
  if (stageless) {
    thin.push({
      kind: 'STAGE_HISTORY',
      subject: 'company',
      sample: ap.unknown,
      message: "The stage history cannot tell the stages apart: open deals are weighted by the company's pooled win rate given their age since creation, whatever their stage.",
    });
  }
  if (amounts.won >= options.minSample && amounts.lost === 0) {
    thin.push({
      kind: 'STAGE_WEIGHT',
      subject: 'company',
      sample: amounts.won,
      message: `No lost deal among the ${amounts.won} closed before the as-of date: the win rates of 100 % cannot be checked (exports often leave lost deals out).`,
    });
  }
  if (amounts.won > 0 && amounts.zeroWon === amounts.won) {
    thin.push({ kind: 'DEAL_SIZE', subject: 'company', sample: amounts.won, message: `All ${amounts.won} won deals have amount 0: there is no revenue to forecast from (import amounts or product prices).` });
  }
  if (amounts.leaks) {
    thin.push({
      kind: 'DEAL_SIZE',
      subject: 'company',
      sample: amounts.lost,
      message: `${amounts.zeroLost} of ${amounts.lost} lost deals carry amount 0 (won: ${amounts.zeroWon} of ${amounts.won}): the amount says how a deal ended, not its size, so size bands do not adjust win rates.`,
    });
  }
  const curves = wonTimes.map((won, s) => closeCurve(won, lostTimes[s], censored[s], part?.wonFromEntry[s], part?.lostFromEntry[s]));
  const stageCurves = advanced.map((adv, s) => closeCurve(adv, lostIn[s], stillIn[s], part?.advanced[s], part?.lostIn[s]));
  const horizon = Math.min(3660, Math.ceil(Math.max(1, ...curves.map((c) => c.maxTime), ...stageCurves.map((c) => c.maxTime))) + 1);
  return {
    asOf,
    weights,
    segmentShift,
    bandBounds,
    curves,
    stageCurves,
    timing: stageCurves.map((c, s) => buildStageTiming(c, s + 1 < k ? curves[s + 1] : null, horizon)),
    creationCurve: closeCurve(fromCreation[0], fromCreation[1], fromCreation[2], part?.wonFromCreation, part?.lostFromCreation),
    stageless,
    maxWonCycleDays: maxWonCycle > 0 ? maxWonCycle / DAY_MS : null,
    closedDeals,
    unknownHistoryDeals: ap.unknown,
    sizeBandsUsed: !amounts.leaks,
    zeroedLostAmount: amounts.leaks ? meanWonAmounts(t, asOf) : null,
    thin,
    warnings: thin.map((x) => x.message),
  };
}

export interface DealOutlook {
  index: number;
  stage: number;
  ageInStageDays: number;
  /** P(won eventually), after segment adjustment and stale decay. */
  pWin: number;
  /** P(the win lands inside the window | it will be won), from the historical timing of wins. */
  pTiming: number;
  /** pWin x pTiming: the chance its amount lands in the period. */
  probability: number;
  /** Median expected close time (epoch ms), or null when the history cannot say. */
  expectedCloseAt: number | null;
  usedDefaultWeight: boolean;
  stale: boolean;
}

/**
 * Outlook of deal i (open at model.asOf) for the window [from, to). `winFn` lets a per-deal model replace the
 * stage-based P(win) (timing and staleness still apply).
 */
export function dealOutlook(
  t: FactTable,
  model: HistoryModel,
  i: number,
  from: number,
  to: number,
  winFn?: WinProbabilityFn,
  asOf: number = model.asOf,
): DealOutlook {
  const { stage, enteredAt } = stageAt(t, i, asOf);
  return outlookInStage(t, model, i, stage, enteredAt, from, to, winFn, asOf);
}

/** dealOutlook of a deal whose stage and entry time at asOf are known (openRowsAt keeps them per date); written to `out` when given. */
export function outlookInStage(
  t: FactTable,
  model: HistoryModel,
  i: number,
  stage: number,
  enteredAt: number,
  from: number,
  to: number,
  winFn: WinProbabilityFn | undefined,
  asOf: number,
  out?: DealOutlook,
): DealOutlook {
  const age = (asOf - enteredAt) / DAY_MS;
  const w = model.weights[stage];
  let pWin: number;
  let usedDefaultWeight = false;
  const external = winFn?.(t.id[i], t, i);
  if (external != null) pWin = external;
  else if (model.stageless && model.weights[0].weight != null) {
    const x = logit(model.weights[0].weight) + segmentLogit(t, model, i, 0);
    pWin = Math.min(1, invLogit(x) * winAgeFactor(model.creationCurve, (asOf - t.created[i]) / DAY_MS));
  } else {
    const base = w.weight;
    if (base == null) {
      pWin = t.stages[stage].defaultProbability;
      usedDefaultWeight = true;
    } else {
      const x = logit(base) + segmentLogit(t, model, i, stage);
      // age in stage from the in-stage curve (which keeps never-closed deals at risk), not from closed deals only
      pWin = Math.min(1, invLogit(x) * ageFactor(model.timing[stage], age));
    }
  }
  const totalAge = (asOf - t.created[i]) / DAY_MS;
  const maxCycle = model.maxWonCycleDays;
  const stale = maxCycle != null && totalAge > maxCycle;
  if (stale) pWin *= staleDecay(totalAge, maxCycle!);
  const start = Math.max(from, asOf);
  let pTiming = 0;
  let expectedCloseAt: number | null = null;
  if (to > start && model.stageless && external == null) {
    // no usable stage timing: the timing of wins since creation, given the deal's age
    const created = t.created[i];
    const ageSinceCreation = (asOf - created) / DAY_MS;
    pTiming = conditionalWinTiming(model.creationCurve, ageSinceCreation, (start - created) / DAY_MS, (to - created) / DAY_MS);
    const median = conditionalMedianWinTime(model.creationCurve, ageSinceCreation);
    expectedCloseAt = Number.isFinite(median) ? created + median * DAY_MS : null;
  } else if (to > start) {
    const t1 = (start - enteredAt) / DAY_MS;
    const t2 = (to - enteredAt) / DAY_MS;
    if (model.stageCurves[stage].events > 0) {
      const timing = winTiming(model.timing[stage], age, t1, t2);
      pTiming = timing.inWindow;
      expectedCloseAt = timing.medianDays == null ? null : enteredAt + timing.medianDays * DAY_MS;
    } else if (model.curves[stage].subjects > 0) {
      // no stage history at all (imports with only current stages): time from entry to win, conditioned on age
      pTiming = conditionalWinTiming(model.curves[stage], age, t1, t2);
      const median = conditionalMedianWinTime(model.curves[stage], age);
      expectedCloseAt = Number.isFinite(median) ? enteredAt + median * DAY_MS : null;
    }
  }
  if (!out) return { index: i, stage, ageInStageDays: age, pWin, pTiming, probability: pWin * pTiming, expectedCloseAt, usedDefaultWeight, stale };
  out.index = i;
  out.stage = stage;
  out.ageInStageDays = age;
  out.pWin = pWin;
  out.pTiming = pTiming;
  out.probability = pWin * pTiming;
  out.expectedCloseAt = expectedCloseAt;
  out.usedDefaultWeight = usedDefaultWeight;
  out.stale = stale;
  return out;
}

/**
 * An outlook to fill (outlookInStage's `out`): a forecast reads each deal's outlook into its columns at once, and an
 * object per open deal and date (10^5 per forecast, five dates each in a track record) kept the collector busy.
 */
export const emptyOutlook = (): DealOutlook => ({ index: -1, stage: 0, ageInStageDays: 0, pWin: 0, pTiming: 0, probability: 0, expectedCloseAt: null, usedDefaultWeight: false, stale: false });

/** Logit shift of deal i's team, product family and size band at a stage (0 where not learned). */
function segmentLogit(t: FactTable, model: HistoryModel, i: number, stage: number): number {
  if (model !== shiftsModel) [shiftsModel, shifts] = [model, [denseShift(model.segmentShift.team), denseShift(model.segmentShift.family), denseShift(model.segmentShift.band)]];
  const [team, family, band] = shifts;
  return shiftAt(team, t.team[i], stage) + shiftAt(family, t.family[i], stage) + shiftAt(band, sizeBandOf(t.amount[i], model.bandBounds), stage);
}

/**
 * A segment-shift map as a table indexed by (key + 1) x stages (keys from -1 up to a bound), the map kept for any
 * other key: the same values without three map lookups per deal. Kept for the last model asked (a forecast asks
 * one model for every open deal).
 */
interface DenseShift {
  k: number;
  keys: number;
  table: Float64Array;
  map: Map<number, Float64Array>;
}
let shiftsModel: HistoryModel | null = null;
let shifts: DenseShift[] = [];

function denseShift(map: Map<number, Float64Array>): DenseShift {
  let max = -1;
  let k = 0;
  for (const [key, shift] of map) {
    k = shift.length;
    if (key >= -1 && key < 1 << 16 && key > max) max = key;
  }
  const keys = max + 2;
  const table = new Float64Array(keys * k);
  for (const [key, shift] of map) if (key >= -1 && key <= max) table.set(shift, (key + 1) * k);
  return { k, keys, table, map };
}

function shiftAt(d: DenseShift, key: number, stage: number): number {
  const row = key + 1;
  if (row >= 0 && row < d.keys) return d.table[row * d.k + stage];
  return d.map.get(key)?.[stage] ?? 0;
}

/** Halves P(win) for every quarter of the longest historical win cycle (at least 30 days) beyond it. */
export function staleDecay(ageDays: number, maxWonCycleDays: number): number {
  if (ageDays <= maxWonCycleDays) return 1;
  const halfLife = Math.max(30, 0.25 * maxWonCycleDays);
  return Math.pow(0.5, (ageDays - maxWonCycleDays) / halfLife);
}

/** Every deal open at asOf accepted by `include`. */
export function openDeals(t: FactTable, asOf: number, include: (i: number) => boolean = () => true): number[] {
  const out: number[] = [];
  for (const i of openRowsAt(t, asOf).rows) if (include(i)) out.push(i);
  return out;
}

export interface AgeBucket {
  /** Deals that have been in the stage at least this many days. */
  minDays: number;
  /** Deals observed in the stage that long (closed or still open). */
  atRisk: number;
  weight: number | null;
}

/**
 * The stage weight for deals already `minDays` in the stage, at 0, the median and the 90th percentile of time in
 * stage: weight x P(moves on | still in the stage after minDays) / P(moves on | just entered).
 */
export function ageBuckets(model: HistoryModel, stage: number, weight: number | null): AgeBucket[] {
  const curve = model.stageCurves[stage];
  if (!curve.events) return [];
  const days = [0, quantileTime(curve, 0.5), quantileTime(curve, 0.9)].filter((d): d is number => d != null);
  return days.map((minDays) => ({
    minDays,
    atRisk: Math.round(curve.subjects * survivalAtDays(curve, minDays)),
    weight: weight == null ? null : Math.min(1, weight * ageFactor(model.timing[stage], minDays)),
  }));
}
