/**
 * Training recipe shared by both models: check there is enough history, split by time (or stratified),
 * fit the feature pipeline on the training part, train a logistic model and a small MLP, keep the better
 * by calibrated validation log loss, calibrate (Platt), and evaluate honestly on the newest holdout
 * against simple baselines. No database here: callers pass examples.
 */
import seedrandom from 'seedrandom';
import { applyPlatt, fitPlatt, type Platt } from './calibration';
import { canonical, describePipeline, encode, fitPipeline, parseNumber, type FeaturePipeline, type RawRecord } from './features';
import { evaluate, logLoss, rocAuc, tierCutoffs, type BinaryMetrics } from './metrics';
import { contributions, predictRaw, trainNetwork, type Matrix, type NetworkType, type TrainedNetwork } from './network';
import { tf } from './tf-backend';

export type ModelKind = 'LEAD' | 'DEAL';

export interface Example {
  id: number;
  record: RawRecord;
  label: 0 | 1;
  /** When the example happened (ms): the holdout is the newest part. Null when the data has no dates. */
  at: number | null;
  /** Closed deals: days from opening to closing (never a feature; used for the staleness guard). */
  lifeDays?: number;
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
  onProgress?: (fraction: number, message: string) => void;
}

export interface Candidate {
  type: NetworkType;
  epochs: number;
  bestEpoch: number;
  valLogLossRaw: number;
  valLogLossCalibrated: number;
  valAuc: number;
}

export interface FeatureEffect {
  feature: string;
  label: string;
  /** A category, or "higher" for a numeric feature. */
  value: string;
  /** Mean contribution (log-odds) of rows holding that category; for numbers, the slope sign times the mean |contribution|. */
  effect: number;
  count: number;
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
  baselines: Record<string, Omit<BinaryMetrics, 'calibration'>>;
  candidates: Candidate[];
  importance: Array<{ feature: string; label: string; meanAbsContribution: number }>;
  effects: FeatureEffect[];
  split: { method: 'time' | 'stratified'; train: number; validation: number; holdout: number; holdoutFrom: string | null };
  dataWindow: { from: string | null; to: string | null };
  counts: { examples: number; positives: number; negatives: number; rows: number };
  positiveWeight: number;
  leakageWarning: string | null;
  staleness: StalenessGuard | null;
}

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

function splitExamples(examples: Example[], seed: number): { train: Example[]; val: Example[]; test: Example[]; method: 'time' | 'stratified' } {
  const dated = examples.filter((e) => e.at != null).length;
  if (dated >= examples.length * 0.9) {
    const sorted = [...examples].sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || a.id - b.id);
    const n = sorted.length;
    const a = Math.floor(n * 0.7);
    const b = Math.floor(n * 0.85);
    return { train: sorted.slice(0, a), val: sorted.slice(a, b), test: sorted.slice(b), method: 'time' };
  }
  // Stratified by label over records (ids): all rows of one record land in the same part.
  const rng = seedrandom(`split-${seed}`);
  const rowsOf = new Map<number, Example[]>();
  for (const e of examples) rowsOf.set(e.id, [...(rowsOf.get(e.id) ?? []), e]);
  const parts = { train: [] as Example[], val: [] as Example[], test: [] as Example[] };
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
  return { ...parts, method: 'stratified' };
}

const matrixOf = (pipeline: FeaturePipeline, examples: Example[]): Matrix => ({
  data: encode(pipeline, examples.map((e) => e.record)),
  rows: examples.length,
  width: pipeline.columns.length,
});
const labelsOf = (examples: Example[]) => Float32Array.from(examples, (e) => e.label);

/** Conversion rate per value of one column on the training rows (Laplace-smoothed toward the overall rate). */
function rateTableBaseline(train: Example[], test: Example[], key: string): Float64Array {
  const overall = train.reduce((s, e) => s + e.label, 0) / train.length;
  const stats = new Map<string, { n: number; pos: number }>();
  for (const e of train) {
    const k = canonical(e.record[key]) ?? '(missing)';
    const s = stats.get(k) ?? { n: 0, pos: 0 };
    s.n++;
    s.pos += e.label;
    stats.set(k, s);
  }
  return Float64Array.from(test, (e) => {
    const s = stats.get(canonical(e.record[key]) ?? '(missing)');
    return s ? (s.pos + 2 * overall) / (s.n + 2) : overall;
  });
}

const withoutCalibration = ({ calibration: _ignored, ...rest }: BinaryMetrics) => rest;

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
  const counts = { examples: labelOf.size, positives, negatives: labelOf.size - positives, rows: examples.length };
  if (counts.examples < minimums.examples || counts.positives < minimums.positives || counts.negatives < minimums.negatives) {
    throw new InsufficientDataError(settings.kind, counts, minimums);
  }
  const progress = settings.onProgress ?? (() => undefined);
  const { train, val, test, method } = splitExamples(examples, seed);
  progress(0.05, `split ${method}: ${train.length} train / ${val.length} validation / ${test.length} holdout`);

  const pipeline = fitPipeline(train.map((e) => e.record), settings.keys, { labels: settings.labels, forceCategorical: settings.forceCategorical });
  const [xTrain, xVal, xTest] = [matrixOf(pipeline, train), matrixOf(pipeline, val), matrixOf(pipeline, test)];
  const [yTrain, yVal, yTest] = [labelsOf(train), labelsOf(val), labelsOf(test)];
  const trainPositives = yTrain.reduce((s, v) => s + v, 0);
  // Balance the classes during training (capped); Platt calibration maps the outputs back to real rates.
  const positiveWeight = Math.min(10, Math.max(1, (train.length - trainPositives) / Math.max(1, trainPositives)));
  const maxEpochs = settings.maxEpochs ?? 30;
  // Per-step overhead dominates on the wasm backend: big data gets big batches.
  const batchSize = train.length > 50_000 ? 4096 : train.length > 20_000 ? 1024 : train.length > 5_000 ? 256 : 64;
  progress(0.1, `${pipeline.features.length} features (${pipeline.columns.length} encoded columns), ${pipeline.dropped.length} dropped`);

  const candidates: Candidate[] = [];
  const trained: Array<{ net: TrainedNetwork; platt: Platt; calibratedVal: number }> = [];
  const types: NetworkType[] = ['logistic', 'mlp'];
  for (const [i, type] of types.entries()) {
    const net = await trainNetwork(type, xTrain, yTrain, xVal, yVal, {
      seed,
      maxEpochs,
      batchSize,
      // The MLP's validation loss is noisy from epoch to epoch: it gets more patience than the convex logistic model.
      patience: type === 'mlp' ? 5 : 3,
      positiveWeight,
      onEpoch: (epoch, trainLoss, valLoss) =>
        progress(0.1 + (0.75 * (i + epoch / maxEpochs)) / types.length, `${type} epoch ${epoch}: loss ${trainLoss.toFixed(4)}, val ${valLoss.toFixed(4)}`),
    });
    const rawVal = predictRaw(net.model, xVal);
    const platt = fitPlatt(rawVal, yVal);
    const calibratedVal = logLoss(Array.from(rawVal, (p) => applyPlatt(platt, p)), yVal);
    candidates.push({ type, epochs: net.epochs, bestEpoch: net.bestEpoch, valLogLossRaw: logLoss(rawVal, yVal), valLogLossCalibrated: calibratedVal, valAuc: rocAuc(rawVal, yVal) });
    trained.push({ net, platt, calibratedVal });
  }
  const best = trained.reduce((a, b) => (b.calibratedVal < a.calibratedVal ? b : a));
  progress(0.9, `kept ${best.net.type} (calibrated validation log loss ${best.calibratedVal.toFixed(4)})`);

  const rawTest = predictRaw(best.net.model, xTest);
  const pTest = Array.from(rawTest, (p) => applyPlatt(best.platt, p));
  const metrics = evaluate(pTest, yTest);
  const baselines: TrainedModelInfo['baselines'] = {};
  const logistic = trained.find((t) => t.net.type === 'logistic')!;
  if (logistic === best) baselines.logistic = withoutCalibration(metrics);
  else baselines.logistic = withoutCalibration(evaluate(Array.from(predictRaw(logistic.net.model, xTest), (p) => applyPlatt(logistic.platt, p)), yTest));
  for (const t of trained) if (t !== best) t.net.model.dispose();
  if (settings.baselineKey) baselines[`rateBy:${settings.baselineKey}`] = withoutCalibration(evaluate(rateTableBaseline(train, test, settings.baselineKey), yTest));
  // Explanations over the holdout: global importance and per-value direction of each feature.
  const groups = pipeline.features.length;
  const groupOf = pipeline.columns.map((c) => c.group);
  const contrib = contributions(best.net.model, xTest, pipeline.baseline, groupOf, groups);
  const importance = pipeline.features
    .map((f, g) => {
      let s = 0;
      for (let r = 0; r < test.length; r++) s += Math.abs(contrib[r * groups + g]);
      return { feature: f.key, label: f.label, meanAbsContribution: (best.platt.a * s) / test.length };
    })
    .sort((a, b) => b.meanAbsContribution - a.meanAbsContribution);
  const effects = featureEffects(pipeline, test, contrib, best.platt.a);
  progress(0.95, 'evaluation, baselines and explanations');

  const auc = metrics.auc;
  const times = examples.map((e) => e.at).filter((t): t is number => t != null);
  const info: TrainedModelInfo = {
    kind: settings.kind,
    algorithm: best.net.type,
    seed,
    pipeline,
    featureDescription: describePipeline(pipeline),
    platt: best.platt,
    cutoffs: tierCutoffs(pTest),
    metrics,
    baselines,
    candidates,
    importance,
    effects,
    split: { method, train: train.length, validation: val.length, holdout: test.length, holdoutFrom: method === 'time' ? iso(test[0]?.at ?? null) : null },
    dataWindow: { from: iso(times.length ? Math.min(...times) : null), to: iso(times.length ? Math.max(...times) : null) },
    counts,
    positiveWeight,
    staleness: settings.kind === 'DEAL' ? stalenessGuard(examples, settings.openAgesDays) : null,
    leakageWarning: auc > 0.97 ? `Holdout AUC ${auc.toFixed(3)} is suspiciously high: check for features only known after the outcome (leakage)` : null,
  };
  progress(1, 'done');
  return { info, network: best.net.model };
}

function featureEffects(pipeline: FeaturePipeline, rows: Example[], contrib: Float32Array, scale: number): FeatureEffect[] {
  const groups = pipeline.features.length;
  const effects: FeatureEffect[] = [];
  pipeline.features.forEach((f, g) => {
    if (f.kind === 'categorical') {
      const sums = new Map<string, { s: number; n: number }>();
      rows.forEach((e, r) => {
        const c = canonical(e.record[f.key]);
        const i = c === null ? -1 : f.categories.indexOf(c);
        const name = c === null ? '(missing)' : i >= 0 ? f.display[i] : '(other)';
        const acc = sums.get(name) ?? { s: 0, n: 0 };
        acc.s += contrib[r * groups + g];
        acc.n++;
        sums.set(name, acc);
      });
      for (const [value, { s, n }] of sums) effects.push({ feature: f.key, label: f.label, value, effect: (scale * s) / n, count: n });
    } else {
      // Direction of a numeric feature: sign of the covariance between its value and its contribution over the
      // rows that have a value; rows without one are reported as "(missing)".
      let n = 0, mx = 0, mc = 0, absSum = 0, missingSum = 0, missingCount = 0;
      const xs = rows.map((e) => parseNumber(e.record[f.key]));
      const value = (x: number) => (f.transform === 'log1p' ? Math.log1p(Math.max(0, x)) : x);
      rows.forEach((_, r) => {
        const c = contrib[r * groups + g];
        if (xs[r] === null) {
          missingSum += c;
          missingCount++;
          return;
        }
        n++;
        mx += value(xs[r]!);
        mc += c;
        absSum += Math.abs(c);
      });
      if (n > 0) {
        mx /= n;
        mc /= n;
        let cov = 0;
        rows.forEach((_, r) => {
          if (xs[r] !== null) cov += (value(xs[r]!) - mx) * (contrib[r * groups + g] - mc);
        });
        effects.push({ feature: f.key, label: f.label, value: 'higher', effect: Math.sign(cov) * ((scale * absSum) / n), count: n });
      }
      if (missingCount > 0) effects.push({ feature: f.key, label: f.label, value: '(missing)', effect: (scale * missingSum) / missingCount, count: missingCount });
    }
  });
  return effects;
}
