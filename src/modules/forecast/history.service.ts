/**
 * What the deal history says, for a segment and as of a date: learned stage weights (P(won | reached stage) with
 * their samples) and time-to-close curves per stage. Counts cover only the caller's slice (src/modules/auth/).
 * Computed on a worker thread from the app's shared fact source (fact-cache.ts), as forecasts and backtests are.
 */
import type { Em } from '../../db/orm';
import { toMajor } from '../../graphql/money.scalar';
import { parseId } from '../../shared/ids';
import { DAY_MS, type FactTable, closedBefore, isOpenAt } from './facts';
import { factSource } from './fact-cache';
import type { ForecastSegmentInput } from './forecast.inputs';
import { type HeavyJob, heavyWorkOf } from '../../shared/workers/pool';
import { type CycleDuration, type StageWeights, WeightStatus } from './forecast.types';
import { ageBuckets, buildHistoryModel } from './model';
import { type ForecastScope, scopeFilter } from './scope';
import { DEFAULT_WEIGHT_OPTIONS, SIZE_BANDS, learnStageWeights, sizeBandBounds, sizeBandOf } from './stage-weights';
import { kaplanMeier, quantileTime } from './survival';

/** A segment with its team id parsed (a bad id is refused before any work is queued). */
export interface SegmentFilter {
  teamId?: number;
  productFamily?: string;
  sizeBand?: ForecastSegmentInput['sizeBand'];
}

function parseSegment(segment: ForecastSegmentInput | undefined): SegmentFilter | undefined {
  if (!segment) return undefined;
  const { teamId, productFamily, sizeBand } = segment;
  return { ...(teamId != null && { teamId: parseId(teamId, 'segment.teamId') }), ...(productFamily != null && { productFamily }), ...(sizeBand != null && { sizeBand }) };
}

function segmentFilter(t: FactTable, segment: SegmentFilter | undefined, asOf: number): (i: number) => boolean {
  if (!segment) return () => true;
  const teamId = segment.teamId ?? null;
  const family = segment.productFamily != null ? t.families.indexOf(segment.productFamily) : null;
  const band = segment.sizeBand != null ? SIZE_BANDS.indexOf(segment.sizeBand) : null;
  const bounds = sizeBandBounds(t, asOf);
  return (i) =>
    (teamId == null || t.team[i] === teamId) && (family == null || t.family[i] === family) && (band == null || sizeBandOf(t.amount[i], bounds) === band);
}

/** `scope` is the caller's slice (src/modules/auth/aggregate.policy.ts): counts never cover more than it. */
function inScopeAndSegment(t: FactTable, scope: ForecastScope, segment: SegmentFilter | undefined, asOf: number): (i: number) => boolean {
  const inScope = scopeFilter(t, scope);
  const inSegment = segmentFilter(t, segment, asOf);
  return (i) => inScope(i) && inSegment(i);
}

/** `scope` is the caller's slice (src/modules/auth/aggregate.policy.ts): counts never cover more than it. */
export async function getStageWeights(em: Em, segment: ForecastSegmentInput | undefined, asOfArg?: Date, scope: ForecastScope = {}, job?: HeavyJob): Promise<StageWeights> {
  const asOf = asOfArg ?? new Date();
  const parsed = parseSegment(segment);
  const withFacts = async () => ({ source: await factSource(em, job), factsAsOf: asOf.getTime(), segment: parsed, scope });
  const weights = await heavyWorkOf(em).run('stageWeightsFromSource', withFacts, job);
  return { ...weights, asOf }; // the caller's own Date (the schema's scalar serialises it)
}

/** Stage weights of the table as of `at` (pure; the worker runs it). */
export function stageWeightsOf(t: FactTable, at: number, segment: SegmentFilter | undefined, scope: ForecastScope): StageWeights {
  const asOf = new Date(at);
  const model = buildHistoryModel(t, at, DEFAULT_WEIGHT_OPTIONS);
  const overall = model.weights;
  const isSegment = !!(segment && (segment.teamId != null || segment.productFamily != null || segment.sizeBand != null)) || scope.teamId != null || scope.repId != null;
  const weights = isSegment ? learnStageWeights(t, at, DEFAULT_WEIGHT_OPTIONS, inScopeAndSegment(t, scope, segment, at), overall) : overall;
  return {
    asOf,
    stages: weights.map((w) => ({
      stageId: String(t.stages[w.stage].id),
      stage: t.stages[w.stage].name,
      reached: w.reached,
      won: w.won,
      apportionedShare: w.apportioned,
      rawRate: w.rawRate,
      weight: w.weight,
      status: w.status as WeightStatus,
      defaultProbability: t.stages[w.stage].defaultProbability,
      ageBuckets: ageBuckets(model, w.stage, w.weight),
      maxWonDaysInStage: w.maxWonDaysInStage,
    })),
    sizeBandBounds: sizeBandBounds(t, at).map((b) => (Number.isFinite(b) ? toMajor(Math.round(b)) : 0)),
    minSample: DEFAULT_WEIGHT_OPTIONS.minSample,
  };
}

export async function getCycleDurations(em: Em, segment: ForecastSegmentInput | undefined, asOfArg?: Date, scope: ForecastScope = {}, job?: HeavyJob): Promise<CycleDuration[]> {
  const asOf = asOfArg ?? new Date();
  const parsed = parseSegment(segment);
  const withFacts = async () => ({ source: await factSource(em, job), factsAsOf: asOf.getTime(), segment: parsed, scope });
  return heavyWorkOf(em).run('cycleDurationsFromSource', withFacts, job);
}

/** Time-to-close curves of the table as of `at` (pure; the worker runs it). */
export function cycleDurationsOf(t: FactTable, at: number, segment: SegmentFilter | undefined, scope: ForecastScope): CycleDuration[] {
  const include = inScopeAndSegment(t, scope, segment, at);
  const k = t.stages.length;
  const events: number[][] = Array.from({ length: k }, () => []);
  const censored: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < t.n; i++) {
    if (!include(i)) continue;
    const closed = closedBefore(t, i, at);
    if (!closed && !isOpenAt(t, i, at)) continue;
    for (let s = 0; s < k; s++) {
      const e = t.entries[i * k + s];
      if (!(e < at)) continue;
      (closed ? events : censored)[s].push(((closed ? t.closed[i] : at) - e) / DAY_MS);
    }
  }
  return t.stages.map((stage, s) => {
    const curve = kaplanMeier(events[s], censored[s]);
    const step = Math.max(1, Math.ceil(curve.times.length / 40));
    const curvePoints = [];
    for (let j = 0; j < curve.times.length; j += step) curvePoints.push({ days: curve.times[j], survival: curve.survival[j] });
    return {
      stageId: String(stage.id),
      stage: stage.name,
      deals: curve.subjects,
      closed: curve.events,
      stillOpen: curve.censored,
      p25Days: quantileTime(curve, 0.25),
      medianDays: quantileTime(curve, 0.5),
      p75Days: quantileTime(curve, 0.75),
      p90Days: quantileTime(curve, 0.9),
      curve: curvePoints,
    };
  });
}
