/**
 * Training recipe shared by both models: check there is enough history, split the way the data allows (by
 * time when it has real dates, stratified otherwise), screen out columns that alone give the outcome away,
 * train and calibrate the candidates (candidates.ts), and when the holdout still looks too good, drop the
 * strongest column and retrain. A model the guard touched is never activated automatically. No database
 * here: callers pass examples.
 */
import type { Platt } from './calibration';
import { trainPass, type Baseline, type Candidate, type Pass } from './candidates';
import type { FeatureEffect } from './explain';
import { describePipeline, type FeaturePipeline, type RawRecord } from './features';
import { LEAK_AUC, screenLeaks, type LeakyFeature } from './leakage';
import { tierCutoffs, type BinaryMetrics } from './metrics';
import type { NetworkType } from './network';
import { splitExamples, type SplitMethod } from './split';
import type { tf } from './tf-backend';

export type { Candidate } from './candidates';
export type { FeatureEffect } from './explain';

export type ModelKind = 'LEAD' | 'DEAL';

export interface Example {
  id: number;
  record: RawRecord;
  label: 0 | 1;
  /** When the example happened (ms): the holdout is the newest part. Null when the data has no dates. */
  at: number | null;
  /** Closed deals: days from opening to closing (never a feature; used for the staleness guard). */
  lifeDays?: number;
  /** An open lead counted as not converted: older than this many days, past what conversions take. */
  agedOutAfterDays?: number;
}

export interface StalenessGuard {
  /** The longest cycle of any won deal in the training history. */
  staleAfterDays: number;
  /**
   * Rule of succession: of the deals that stayed open longer than that (lost ones, and open ones at training
   * time: censored, still not won), none was won, so P(win) ≤ (0 + 1) / (n + 2).
   */
  probability: number;
  olderLost: number;
  olderOpen: number;
}

/** Deals open longer than any deal ever won are outside what the model has seen: bound their probability. */
export function stalenessGuard(examples: Example[], openAgesDays: number[] = []): StalenessGuard | null {
  const lives = new Map<number, { won: boolean; life: number }>();
  for (const e of examples) if (e.lifeDays != null) lives.set(e.id, { won: e.label === 1, life: e.lifeDays });
  const won = [...lives.values()].filter((l) => l.won).map((l) => l.life);
  if (won.length === 0) return null;
  const staleAfterDays = Math.max(...won);
  const olderLost = [...lives.values()].filter((l) => !l.won && l.life > staleAfterDays).length;
  const olderOpen = openAgesDays.filter((age) => age > staleAfterDays).length;
  return { staleAfterDays, probability: 1 / (olderLost + olderOpen + 2), olderLost, olderOpen };
}

export interface Minimums {
  examples: number;
  positives: number;
  negatives: number;
}

/** Published minimums: Salesforce asks 1,000 leads with 120 conversions; 200 won and 200 lost deals. */
export const MINIMUMS: Record<ModelKind, Minimums> = {
  LEAD: { examples: 1000, positives: 120, negatives: 120 },
  DEAL: { examples: 400, positives: 200, negatives: 200 },
};

export class InsufficientDataError extends Error {
  constructor(
    readonly kind: ModelKind,
    readonly counts: { examples: number; positives: number; negatives: number },
    readonly minimums: Minimums,
  ) {
    super(
      `Insufficient data for the ${kind.toLowerCase()} model: ${counts.examples} closed examples (${counts.positives} positive, ${counts.negatives} negative); ` +
        `needs at least ${minimums.examples} with ${minimums.positives} positive and ${minimums.negatives} negative`,
    );
  }
}

export interface TrainSettings {
  kind: ModelKind;
  keys: string[];
  labels: Record<string, string>;
  forceCategorical?: string[];
  /** Raw key of the one-column baseline (conversion rate per value), e.g. the lead source. */
  baselineKey?: string;
  /** Deals: ages (days) of the deals open now, for the staleness guard. */
  openAgesDays?: number[];
  seed?: number;
  maxEpochs?: number;
  minimums?: Minimums;
  /** False only to measure what the guard prevents (bench): no screening, no retraining. */
  leakageGuard?: boolean;
  onProgress?: (fraction: number, message: string) => void;
}

export interface LeakageReport {
  /** Columns the guard dropped, with the evidence. */
  dropped: LeakyFeature[];
  /** Each training pass: its columns and holdout AUC, and the column dropped after it when the holdout was too good. */
  passes: Array<{ features: number; holdoutAuc: number; dropped: string | null }>;
  /** The holdout is still too good after the guard's retraining: leakage it could not pin on one column. */
  suspect: boolean;
  /** Never activated automatically: the guard dropped a column or the holdout is still too good (a person reviews). */
  holdActivation: boolean;
  message: string | null;
}

export interface TrainedModelInfo {
  kind: ModelKind;
  algorithm: NetworkType;
  seed: number;
  pipeline: FeaturePipeline;
  featureDescription: ReturnType<typeof describePipeline>;
  platt: Platt;
  cutoffs: { A: number; B: number; C: number };
  metrics: BinaryMetrics;
  baselines: Record<string, Baseline>;
  candidates: Candidate[];
  importance: Array<{ feature: string; label: string; meanAbsContribution: number }>;
  effects: FeatureEffect[];
  split: { method: SplitMethod; reason: string; train: number; validation: number; holdout: number; holdoutFrom: string | null };
  dataWindow: { from: string | null; to: string | null };
  /** Negatives that are open leads counted as not converted (agedOut of them, older than afterDays). */
  counts: { examples: number; positives: number; negatives: number; rows: number; agedOut?: number; agedOutAfterDays?: number };
  positiveWeight: number;
  leakage: LeakageReport;
  /** leakage.message, kept for readers of the first metadata format. */
  leakageWarning: string | null;
  staleness: StalenessGuard | null;
}

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
/** Retraining passes after a too-good holdout, at most (each drops the strongest remaining column). */
const MAX_GUARD_RETRAINS = 2;

export interface TrainResult {
  info: TrainedModelInfo;
  network: tf.LayersModel;
}

export async function trainScoringModel(examples: Example[], settings: TrainSettings): Promise<TrainResult> {
  const seed = settings.seed ?? 42;
  const minimums = settings.minimums ?? MINIMUMS[settings.kind];
  // Counted per record (a closed deal contributes several snapshots but is one example of the minimums).
  const labelOf = new Map(examples.map((e) => [e.id, e.label]));
  const positives = [...labelOf.values()].reduce<number>((s, l) => s + l, 0);
  const aged = examples.filter((e) => e.agedOutAfterDays != null);
  const counts = {
    examples: labelOf.size,
    positives,
    negatives: labelOf.size - positives,
    rows: examples.length,
    ...(aged.length > 0 && { agedOut: aged.length, agedOutAfterDays: aged[0].agedOutAfterDays }),
  };
  if (counts.examples < minimums.examples || counts.positives < minimums.positives || counts.negatives < minimums.negatives) {
    throw new InsufficientDataError(settings.kind, counts, minimums);
  }
  const progress = settings.onProgress ?? (() => undefined);
  const split = splitExamples(examples, seed);
  const { train, val, test } = split;
  progress(0.05, `split ${split.reason}: ${train.length} train / ${val.length} validation / ${test.length} holdout`);

  const guard = settings.leakageGuard ?? true;
  const classNames: [string, string] = settings.kind === 'LEAD' ? ['not converted', 'converted'] : ['lost', 'won'];
  const dropped = guard ? screenLeaks(train, val, settings.keys, settings.labels, classNames) : [];
  let keys = settings.keys.filter((k) => !dropped.some((d) => d.feature === k));
  if (dropped.length) progress(0.08, `leakage guard dropped ${dropped.map((d) => d.label).join(', ')}`);
  const passes: LeakageReport['passes'] = [];
  let pass: Pass;
  for (let round = 0; ; round++) {
    const from = 0.1 + (0.8 * round) / (MAX_GUARD_RETRAINS + 1);
    pass = await trainPass(split, {
      ...settings,
      keys,
      seed,
      maxEpochs: settings.maxEpochs ?? 30,
      progress: (f, message) => progress(from + (f * 0.8) / (MAX_GUARD_RETRAINS + 1), message),
    });
    const auc = pass.metrics.auc;
    const tooGood = guard && auc >= LEAK_AUC && round < MAX_GUARD_RETRAINS && pass.importance.length > 1;
    const top = pass.importance[0];
    passes.push({ features: pass.pipeline.features.length, holdoutAuc: auc, dropped: tooGood ? top.feature : null });
    if (!tooGood) break;
    // The candidate is discarded, never saved: its strongest column is named, dropped, and the model retrained.
    dropped.push({ feature: top.feature, label: top.label, reason: 'holdout-too-good', auc, detail: `holdout AUC ${auc.toFixed(3)} with ${top.label}, its strongest feature (mean |contribution| ${top.meanAbsContribution.toFixed(2)})` });
    keys = keys.filter((k) => k !== top.feature);
    pass.network.dispose();
    progress(from + 0.8 / (MAX_GUARD_RETRAINS + 1), `holdout AUC ${auc.toFixed(3)} is too good: retraining without ${top.label}`);
  }
  progress(0.9, `kept ${pass.algorithm} (holdout AUC ${pass.metrics.auc.toFixed(3)}, logistic baseline ${pass.baselines.logistic.auc.toFixed(3)})`);

  const suspect = guard && pass.metrics.auc >= LEAK_AUC;
  const leakage: LeakageReport = { dropped, passes, suspect, holdActivation: dropped.length > 0 || suspect, message: leakageMessage(dropped, suspect, pass.metrics.auc) };
  const times = examples.map((e) => e.at).filter((t): t is number => t != null);
  const info: TrainedModelInfo = {
    kind: settings.kind,
    algorithm: pass.algorithm,
    seed,
    pipeline: pass.pipeline,
    featureDescription: [
      ...describePipeline(pass.pipeline),
      ...dropped.map((d) => ({ key: d.feature, label: d.label, type: 'dropped', detail: `leakage (${d.reason}): ${d.detail}` })),
    ],
    platt: pass.platt,
    cutoffs: tierCutoffs(pass.holdoutPredictions),
    metrics: pass.metrics,
    baselines: pass.baselines,
    candidates: pass.candidates,
    importance: pass.importance,
    effects: pass.effects,
    split: { method: split.method, reason: split.reason, train: train.length, validation: val.length, holdout: test.length, holdoutFrom: split.method === 'time' ? iso(test[0]?.at ?? null) : null },
    dataWindow: { from: iso(times.length ? Math.min(...times) : null), to: iso(times.length ? Math.max(...times) : null) },
    counts,
    positiveWeight: pass.positiveWeight,
    staleness: settings.kind === 'DEAL' ? stalenessGuard(examples, settings.openAgesDays) : null,
    leakage,
    leakageWarning: leakage.message,
  };
  progress(1, 'done');
  return { info, network: pass.network };
}

function leakageMessage(dropped: LeakyFeature[], suspect: boolean, auc: number): string | null {
  const parts: string[] = [];
  if (dropped.length) parts.push(`Leakage guard dropped ${dropped.map((d) => `${d.label} (${d.detail})`).join('; ')} and retrained without ${dropped.length > 1 ? 'them' : 'it'}`);
  if (suspect) parts.push(`Holdout AUC ${auc.toFixed(3)} is still suspiciously high: check for features only known after the outcome`);
  if (!parts.length) return null;
  return `${parts.join('. ')}. Not activated automatically: review, then activateModel.`;
}
