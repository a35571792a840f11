/**
 * Turning records into scores: the trained model (calibrated probability + explanations), or a transparent
 * rule-based score when there is not enough history to train one. No database here.
 */
import { applyPlatt, logit, sigmoid } from './calibration';
import { canonical, describeValue, encode, parseNumber, type RawRecord } from './features';
import { tierOf } from './metrics';
import { contributions, predictRaw } from './network';
import type { tf } from './tf-backend';
import type { ModelKind, TrainedModelInfo } from './trainer';

export interface ModelMetadata extends Omit<TrainedModelInfo, 'leakage'> {
  /** Absent in models trained before the leakage guard acted (they carry leakageWarning only). */
  leakage?: TrainedModelInfo['leakage'];
  formatVersion: 1;
  version: string;
  createdAt: string;
  libraries: { tfjs: string; backend: string; node: string };
}

export interface Factor {
  feature: string;
  /** Readable, e.g. "Lead source: Referral". */
  label: string;
  /** Signed contribution to the log-odds against an average record (rules: the rule's points). */
  contribution: number;
}

export type ScoreMethod = 'MODEL' | 'RULES';

export interface ScoreResult {
  probability: number;
  /** round(100 × probability). */
  score: number;
  tier: 'A' | 'B' | 'C' | 'D';
  factors: Factor[];
}

export interface Scorer {
  kind: ModelKind;
  version: string;
  method: ScoreMethod;
  /** Why the rule-based score is served (null for a model). */
  note: string | null;
  score(records: RawRecord[], options?: { factors?: boolean }): ScoreResult[];
}

const TOP_FACTORS = 3;

/** The top positive and top negative factors, strongest first; negligible ones left out. */
export function topFactors(factors: Factor[], perSide = TOP_FACTORS): Factor[] {
  const significant = factors.filter((f) => Math.abs(f.contribution) >= 0.01);
  const positive = significant.filter((f) => f.contribution > 0).sort((a, b) => b.contribution - a.contribution).slice(0, perSide);
  const negative = significant.filter((f) => f.contribution < 0).sort((a, b) => a.contribution - b.contribution).slice(0, perSide);
  return [...positive, ...negative].map((f) => ({ ...f, contribution: Math.round(f.contribution * 1000) / 1000 }));
}

export class ModelScorer implements Scorer {
  readonly method = 'MODEL' as const;
  readonly note = null;
  private readonly groupOf: number[];

  constructor(
    readonly metadata: ModelMetadata,
    readonly network: tf.LayersModel,
  ) {
    this.groupOf = metadata.pipeline.columns.map((c) => c.group);
  }

  get kind() {
    return this.metadata.kind;
  }

  get version() {
    return this.metadata.version;
  }

  score(records: RawRecord[], options: { factors?: boolean } = {}): ScoreResult[] {
    if (records.length === 0) return [];
    const { pipeline, platt, cutoffs } = this.metadata;
    const m = { data: encode(pipeline, records), rows: records.length, width: pipeline.columns.length };
    const raw = predictRaw(this.network, m);
    const groups = pipeline.features.length;
    const contrib = options.factors === false ? null : contributions(this.network, m, pipeline.baseline, this.groupOf, groups);
    const guard = this.metadata.staleness;
    return records.map((record, r) => {
      let probability = applyPlatt(platt, raw[r]);
      let factors = contrib
        ? topFactors(
            pipeline.features.map((f, g) => ({
              feature: f.key,
              label: `${f.label}: ${describeValue(f, record[f.key])}`,
              contribution: platt.a * contrib[r * groups + g],
            })),
          )
        : [];
      const age = parseNumber(record['deal.ageDays']);
      if (guard && age !== null && age > guard.staleAfterDays && probability > guard.probability) {
        const stale = {
          feature: 'deal.ageDays',
          label: `Open ${age} days: longer than any won deal (${guard.staleAfterDays} days)`,
          contribution: Math.round((logit(guard.probability) - logit(probability)) * 1000) / 1000,
        };
        probability = guard.probability;
        factors = [...factors.filter((f) => f.contribution > 0 && f.feature !== 'deal.ageDays'), stale, ...factors.filter((f) => f.contribution < 0)];
      }
      return { probability, score: Math.round(probability * 100), tier: tierOf(probability, cutoffs), factors };
    });
  }
}

interface Rule {
  feature: string;
  label: (record: RawRecord) => string;
  points: (record: RawRecord) => number;
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';
const num = (v: unknown) => parseNumber(v as never);

/** Points in log-odds, documented so a person can check them: BANT and engagement for leads. */
const LEAD_RULES: Rule[] = [
  { feature: 'bant.hasNeed', label: () => 'Need confirmed', points: (r) => (truthy(r['bant.hasNeed']) ? 0.9 : 0) },
  { feature: 'bant.hasAuthority', label: () => 'Decision maker identified', points: (r) => (truthy(r['bant.hasAuthority']) ? 0.7 : 0) },
  { feature: 'bant.budget', label: () => 'Budget given', points: (r) => ((num(r['bant.budget']) ?? 0) > 0 ? 0.4 : 0) },
  { feature: 'bant.timelineMonths', label: (r) => `Decision within ${num(r['bant.timelineMonths'])} months`, points: (r) => ((num(r['bant.timelineMonths']) ?? 99) <= 3 ? 0.35 : 0) },
  { feature: 'act.replies', label: (r) => `Replies: ${num(r['act.replies'])}`, points: (r) => 0.3 * Math.min(3, num(r['act.replies']) ?? 0) },
  { feature: 'act.meetings', label: (r) => `Meetings: ${num(r['act.meetings'])}`, points: (r) => 0.5 * Math.min(2, num(r['act.meetings']) ?? 0) },
];

/** Deals: the stage's textbook probability, lowered for deals stuck far longer than usual in their stage. */
const DEAL_RULES: Rule[] = [
  {
    feature: 'stage.daysInStage',
    label: (r) => `${num(r['stage.daysInStage'])} days in ${r['stage.name'] ?? 'stage'}`,
    points: (r) => ((num(r['stage.daysInStage']) ?? 0) > 90 ? -1 : (num(r['stage.daysInStage']) ?? 0) > 45 ? -0.5 : 0),
  },
];

/** Each kind's rules and the log-odds they start from. */
const RULE_SETS: Record<ModelKind, { rules: Rule[]; base: (record: RawRecord, baseRate: number | null) => number }> = {
  // The lead points sum to about +2 for a strong lead.
  LEAD: { rules: LEAD_RULES, base: (_record, baseRate) => logit(Math.min(0.9, Math.max(0.02, baseRate ?? 0.1))) - 1 },
  DEAL: { rules: DEAL_RULES, base: (record) => logit(Math.min(0.95, Math.max(0.05, num(record['stage.defaultProbability']) ?? 0.3))) },
};

const RULE_CUTOFFS = { A: 0.5, B: 0.3, C: 0.15 };

export class RuleScorer implements Scorer {
  readonly method = 'RULES' as const;
  readonly version: string;

  constructor(
    readonly kind: ModelKind,
    readonly note: string,
    /** Observed positive rate of the closed history when there is some; a neutral prior otherwise. */
    private readonly baseRate: number | null,
  ) {
    this.version = `rules-${kind.toLowerCase()}-v1`;
  }

  score(records: RawRecord[]): ScoreResult[] {
    const { rules, base: baseOf } = RULE_SETS[this.kind];
    return records.map((record) => {
      const base = baseOf(record, this.baseRate);
      const fired = rules.map((rule) => ({ feature: rule.feature, label: rule.label(record), contribution: rule.points(record) })).filter((f) => f.contribution !== 0);
      const probability = sigmoid(base + fired.reduce((s, f) => s + f.contribution, 0));
      return { probability, score: Math.round(probability * 100), tier: tierOf(probability, RULE_CUTOFFS), factors: topFactors(fired) };
    });
  }
}

/**
 * Whether a model trained on another database (the committed demo model) describes this one: its custom fields
 * are present and most values of its key categorical columns are in its vocabularies. Never serve a model
 * trained on someone else's categories as if it were yours.
 */
export function modelFits(metadata: ModelMetadata, records: RawRecord[], keyColumns: string[]): { fits: boolean; reason: string } {
  if (records.length < 50) return { fits: false, reason: `only ${records.length} records to compare with` };
  for (const f of metadata.pipeline.features) {
    if (f.key.startsWith('attr.')) {
      const present = records.filter((r) => r[f.key] !== undefined).length / records.length;
      if (present < 0.5) return { fits: false, reason: `custom field "${f.label}" is in ${(present * 100).toFixed(0)} % of the records` };
    }
    if (f.kind === 'categorical' && keyColumns.includes(f.key)) {
      const values = records.map((r) => canonical(r[f.key])).filter((v): v is string => v !== null);
      const known = values.length ? values.filter((v) => f.categories.includes(v)).length / values.length : 0;
      if (known < 0.8) return { fits: false, reason: `${(known * 100).toFixed(0)} % of "${f.label}" values are known to the model` };
    }
  }
  return { fits: true, reason: 'fits' };
}
