/**
 * Which model version is active per kind, and its loaded scorer. The registry row is re-read every few seconds,
 * so several servers over one database follow `activateModel`. A model folder is read from MODELS_DIR when it
 * was trained here, else from the committed demo models; without an active model the newest committed one is
 * registered when it fits this database. Otherwise the rule-based scorer serves, and says why: too little
 * history, or a model the leakage guard held back for review (never activated automatically).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import { knexOf, readNumber } from '../../db/dialect';
import type { Em, Orm } from '../../db/orm';
import { ConflictError, NotFoundError } from '../../shared/errors';
import { KINDS } from './model-kinds';
import { loadNetwork } from './network';
import { ModelScorer, RuleScorer, modelFits, type ModelMetadata, type Scorer } from './scorer';
import { ModelKind, ModelStatus, ModelVersion } from './scoring.entity';
import { initTensorflow } from './tf-backend';
import { MINIMUMS } from './trainer';

export interface RegistryOptions {
  /** How often the active model version is re-read from the database (ms). */
  checkMs?: number;
  /** A model became active through this registry: stored scores should follow it. */
  onActivated?: (kind: ModelKind) => void;
  /** No model fits and there is enough history to train one (not while one waits for review). */
  onUntrained?: (kind: ModelKind) => void;
}

interface Cached {
  scorer: Scorer;
  checkedAt: number;
  version: string | null;
}

type RuleScorerWithData = RuleScorer & { enoughData: boolean };

export class ModelRegistry {
  private readonly cache = new Map<ModelKind, Cached>();
  private readonly refreshing = new Map<ModelKind, Promise<Scorer>>();
  /** Where each loaded model lives, so a worker thread can load the same one for bulk scoring. */
  private readonly dirs = new WeakMap<Scorer, string>();
  readonly checkMs: number;

  constructor(
    private readonly orm: Orm,
    private readonly config: Pick<Readonly<AppConfig>, 'modelsDir' | 'demoModelsDir'>,
    private readonly logger: Logger,
    private readonly options: RegistryOptions = {},
  ) {
    this.checkMs = options.checkMs ?? 5000;
  }

  get modelsDir(): string {
    return this.config.modelsDir;
  }

  /** The scorer to use now: the active model (reloaded when another server activated a new one) or rules. */
  async scorer(kind: ModelKind): Promise<Scorer> {
    const cached = this.cache.get(kind);
    if (cached && Date.now() - cached.checkedAt < this.checkMs) return cached.scorer;
    let refresh = this.refreshing.get(kind);
    if (!refresh) {
      refresh = this.refresh(kind).finally(() => this.refreshing.delete(kind));
      this.refreshing.set(kind, refresh);
    }
    return refresh;
  }

  /** Forget the cached model so the next request re-reads the registry. */
  invalidate(kind: ModelKind): void {
    this.cache.delete(kind);
  }

  /** The folder a model scorer was loaded from (undefined for rules). */
  dirOf(scorer: Scorer): string | undefined {
    return this.dirs.get(scorer);
  }

  /** A registered model's folder: trained here (modelsDir), else one of the committed demo models. */
  modelDir(relativePath: string): string {
    const trained = path.resolve(this.modelsDir, relativePath);
    const demo = this.config.demoModelsDir && path.resolve(this.config.demoModelsDir, relativePath);
    return demo && !fs.existsSync(trained) && fs.existsSync(demo) ? demo : trained;
  }

  async loadModel(relativePath: string): Promise<ModelScorer> {
    const dir = this.modelDir(relativePath);
    await initTensorflow((m) => this.logger.info(m));
    const scorer = new ModelScorer(readMetadata(dir), await loadNetwork(dir));
    this.dirs.set(scorer, dir);
    return scorer;
  }

  /** Makes a READY model the one every server serves (after checking it loads here); stored scores follow. */
  async activate(em: Em, version: string): Promise<ModelVersion> {
    const row = await em.transactional(async (tx) => {
      const target = await tx.findOne(ModelVersion, { version });
      if (!target) throw new NotFoundError('ModelVersion', version);
      if (target.status !== ModelStatus.READY) throw new ConflictError(`Model ${version} is ${target.status}; only a READY model can be activated`);
      // Loading it first: a model whose files are missing on this server must not become active.
      await this.loadModel(target.path!).catch((error: Error) => {
        throw new ConflictError(`Model ${version} cannot be loaded from ${target.path}: ${error.message}`);
      });
      await tx.nativeUpdate(ModelVersion, { kind: target.kind, active: true }, { active: false });
      target.active = true;
      return target;
    });
    this.invalidate(row.kind);
    this.options.onActivated?.(row.kind);
    return row;
  }

  private async refresh(kind: ModelKind): Promise<Scorer> {
    const em = this.orm.em.fork() as Em;
    const previous = this.cache.get(kind);
    let row = await em.findOne(ModelVersion, { kind, active: true });
    row ??= await this.registerCommittedModel(em, kind);
    if (row && previous && previous.version === row.version) {
      previous.checkedAt = Date.now();
      return previous.scorer;
    }
    let scorer: Scorer | null = null;
    if (row?.path) {
      try {
        scorer = await this.loadModel(row.path);
        this.logger.info({ kind, version: row.version }, `scoring: serving ${kind} model ${row.version}`);
      } catch (error) {
        this.logger.error({ err: error, kind, version: row.version }, 'scoring: the active model cannot be loaded; keeping the previous scorer');
        if (previous) scorer = previous.scorer;
      }
    }
    if (!scorer) {
      const held = await heldModel(em, kind);
      const rules = await ruleScorer(em, kind, held);
      // A model held back by the leakage guard waits for a person: training again would only hold another.
      if (rules.enoughData && !held) this.options.onUntrained?.(kind);
      scorer = rules;
    }
    this.cache.set(kind, { scorer, checkedAt: Date.now(), version: scorer.method === 'MODEL' ? scorer.version : null });
    return scorer;
  }

  /** Without an active model: register and activate the newest model committed under models/<kind>/ (the demo model). */
  private async registerCommittedModel(em: Em, kind: ModelKind): Promise<ModelVersion | null> {
    if (!this.config.demoModelsDir) return null;
    const kindDir = path.join(this.config.demoModelsDir, kind.toLowerCase());
    if (!fs.existsSync(kindDir)) return null;
    const candidates = fs
      .readdirSync(kindDir)
      .filter((v) => fs.existsSync(path.join(kindDir, v, 'metadata.json')) && fs.existsSync(path.join(kindDir, v, 'model.json')))
      .map((v) => ({ version: v, metadata: readMetadata(path.join(kindDir, v)) }))
      // A committed model the leakage guard held back is never activated automatically either.
      .filter((c) => c.metadata.kind === kind && !heldForReview(c.metadata))
      .sort((a, b) => (a.metadata.createdAt < b.metadata.createdAt ? 1 : -1));
    if (candidates.length === 0) return null;
    const { version, metadata } = candidates[0];
    const d = KINDS[kind];
    const sample = await d.reader(em)({ statuses: [...d.openStatuses, d.positive, d.negative] }, 0, 500, true);
    const fit = modelFits(metadata, sample.map((r) => r.record), d.fitKeys);
    if (!fit.fits) {
      this.logger.debug({ kind, version, reason: fit.reason }, 'scoring: the committed model does not fit this database');
      return null;
    }
    try {
      await em.transactional(async (tx) => {
        const existing = await tx.findOne(ModelVersion, { version });
        if (existing) {
          if (existing.status !== ModelStatus.READY) return;
          existing.active = true;
        } else tx.create(ModelVersion, { ...registryFields(metadata, `${kind.toLowerCase()}/${version}`), kind, version, status: ModelStatus.READY, active: true });
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error; // another server registered it first
    }
    return (this.orm.em.fork() as Em).findOne(ModelVersion, { kind, active: true });
  }
}

const readMetadata = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as ModelMetadata;

/** The rule-based scorer of a kind, with a note saying why no model serves, and whether there is enough history to train. */
async function ruleScorer(em: Em, kind: ModelKind, held: ModelVersion | null): Promise<RuleScorerWithData> {
  const knex = knexOf(em);
  const { table, noun, positive: pos, negative: neg } = KINDS[kind];
  const rows: Array<{ status: string; n: unknown }> = await knex(table).whereIn('status', [pos, neg]).groupBy('status').select('status', knex.raw('count(*) as n'));
  const count = (s: string) => readNumber(rows.find((r) => r.status === s)?.n);
  const positives = count(pos);
  const negatives = count(neg);
  const min = MINIMUMS[kind];
  const enough = positives + negatives >= min.examples && positives >= min.positives && negatives >= min.negatives;
  const note = held
    ? `Model ${held.version} is held back by the leakage guard (${String((held.report?.leakage as { message?: string } | undefined)?.message ?? '')}): rule-based score until it is reviewed.`
    : enough
    ? `No trained ${noun} model is active yet (run trainModel(${kind})): rule-based score.`
    : `Insufficient data for a model: ${positives} ${pos.toLowerCase()} and ${negatives} ${neg.toLowerCase()} ${noun}; ` +
      `needs at least ${min.examples} closed with ${min.positives} ${pos.toLowerCase()} and ${min.negatives} ${neg.toLowerCase()}. Rule-based score.`;
  return Object.assign(new RuleScorer(kind, note, positives + negatives > 0 ? positives / (positives + negatives) : null), { enoughData: enough });
}

/** The newest READY, inactive model of a kind that the leakage guard held back from automatic activation. */
async function heldModel(em: Em, kind: ModelKind): Promise<ModelVersion | null> {
  const rows = await em.find(ModelVersion, { kind, status: ModelStatus.READY, active: false }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 5 });
  return rows.find((r) => heldForReview(r.report ?? {})) ?? null;
}

/** The leakage guard acted on this model (its metadata, or its registry report): a person activates it, never a process. */
export const heldForReview = (metadata: { leakage?: unknown }): boolean => Boolean((metadata.leakage as { holdActivation?: boolean } | undefined)?.holdActivation);

/** Registry columns from a model's metadata. */
export function registryFields(metadata: ModelMetadata, relativePath: string) {
  const { pipeline: _pipeline, ...report } = metadata;
  return {
    path: relativePath,
    algorithm: metadata.algorithm,
    report: report as unknown as Record<string, unknown>,
    dataFrom: metadata.dataWindow.from ? new Date(metadata.dataWindow.from) : null,
    dataTo: metadata.dataWindow.to ? new Date(metadata.dataWindow.to) : null,
    trainedAt: new Date(metadata.createdAt),
    progress: 1,
  };
}
