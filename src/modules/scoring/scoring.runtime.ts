/**
 * Per-process scoring runtime: serves the active model of each kind (re-checking the registry every few
 * seconds, so several servers over one database follow `activateModel`), stores scores of open leads and
 * deals, and keeps them fresh without a manual step: a MikroORM subscriber scores records changed through
 * the API right after their transaction commits, and a background sweep scores rows written behind the ORM's
 * back (imports, the seed) or scored by an older model.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import type { Em, Orm } from '../../db/orm';
import { Activity } from '../activity/activity.entity';
import { Deal } from '../deal/deal.entity';
import { DealStageChange } from '../deal/stage-change.entity';
import { Lead } from '../lead/lead.entity';
import { loadDealRows, loadLeadRows, loadStages, OPEN_LEAD_STATUSES, type DealRow, type LeadRow } from './dataset';
import { loadNetwork } from './network';
import { ModelScorer, RuleScorer, modelFits, type Factor, type ModelMetadata, type ScoreMethod, type Scorer } from './scorer';
import { ModelKind, ModelStatus, ModelVersion } from './scoring.entity';
import { initTensorflow } from './tf-backend';
import { heavyWorkOf } from '../../shared/workers/pool';
import { MINIMUMS } from './trainer';

export interface ScoreView {
  probability: number;
  score: number;
  tier: string;
  factors: Factor[];
  modelVersion: string;
  method: ScoreMethod;
  note: string | null;
  scoredAt: Date;
}

export interface RuntimeOptions {
  /** How often the active model version is re-read from the database (ms). */
  registryCheckMs?: number;
  /** Background sweep for unscored / stale open records (ms); 0 disables it. */
  sweepMs?: number;
  /** Train in the background when no model fits and there is enough history (default: outside tests). */
  autoTrain?: boolean;
}

interface Cached {
  scorer: Scorer;
  checkedAt: number;
  version: string | null;
}

const TABLE = { LEAD: 'lead_scores', DEAL: 'deal_scores' } as const;
const KEY = { LEAD: 'lead_id', DEAL: 'deal_id' } as const;
const CHUNK = 10_000;
const EXPLAIN_BELOW = 2_000;
const OFF_THREAD_FROM = 500;

export class ScoringRuntime implements EventSubscriber {
  private readonly cache = new Map<ModelKind, Cached>();
  private readonly refreshing = new Map<ModelKind, Promise<Scorer>>();
  private readonly distributions = new Map<ModelKind, { sorted: Float64Array; loadedAt: number }>();
  private readonly queueReady = new Map<ModelKind, Promise<void>>();
  private readonly pending = { LEAD: new Set<number>(), DEAL: new Set<number>() };
  private readonly inflight = new Set<Promise<unknown>>();
  /** Where each loaded model lives, so a worker thread can load the same one for bulk scoring. */
  private readonly modelDirs = new WeakMap<Scorer, string>();
  private pendingTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly registryCheckMs: number;
  private readonly autoTrain: boolean;

  constructor(
    private readonly orm: Orm,
    private readonly config: Readonly<AppConfig>,
    readonly logger: Logger,
    options: RuntimeOptions = {},
  ) {
    this.registryCheckMs = options.registryCheckMs ?? 5000;
    this.autoTrain = options.autoTrain ?? config.env !== 'test';
    // No background sweep in tests (other features' test apps should not pay for it); the first queue read sweeps.
    const sweepMs = options.sweepMs ?? (config.env === 'test' ? 0 : 60_000);
    if (sweepMs > 0) {
      this.sweepTimer = setInterval(() => this.track(this.sweep()), sweepMs);
      this.sweepTimer.unref();
    }
  }

  get modelsDir() {
    return this.config.modelsDir;
  }

  get sqlite() {
    return this.config.database.kind === 'sqlite';
  }

  /** A fresh entity manager for work outside a request. */
  em(): Em {
    return this.orm.em.fork() as Em;
  }

  // ---- the active model -------------------------------------------------------------------------------

  /** The scorer to use now: the active model (reloaded when another server activated a new one) or rules. */
  async scorer(kind: ModelKind): Promise<Scorer> {
    const cached = this.cache.get(kind);
    if (cached && Date.now() - cached.checkedAt < this.registryCheckMs) return cached.scorer;
    let refresh = this.refreshing.get(kind);
    if (!refresh) {
      refresh = this.refreshScorer(kind).finally(() => this.refreshing.delete(kind));
      this.refreshing.set(kind, refresh);
    }
    return refresh;
  }

  /** Forget the cached model so the next request re-reads the registry (after activation). */
  invalidate(kind: ModelKind): void {
    this.cache.delete(kind);
  }

  private async refreshScorer(kind: ModelKind): Promise<Scorer> {
    const em = this.em();
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
      const rules = await this.ruleScorer(em, kind, held);
      // A model held back by the leakage guard waits for a person: training again would only hold another.
      if (rules.enoughData && !held) this.trainInBackground(kind);
      scorer = rules;
    }
    this.cache.set(kind, { scorer, checkedAt: Date.now(), version: scorer.method === 'MODEL' ? scorer.version : null });
    return scorer;
  }

  private trainingStarted = new Set<ModelKind>();

  /** Enough history but no model that fits: train one in the background, once per process (not in tests by default). */
  private trainInBackground(kind: ModelKind): void {
    if (!this.autoTrain || this.trainingStarted.has(kind) || this.stopped) return;
    this.trainingStarted.add(kind);
    this.logger.info({ kind }, 'scoring: no model fits this database and there is enough history: training one in the background');
    this.track(
      import('./scoring.service').then(({ startTraining }) => startTraining(this.em(), kind)).catch((error: Error) => {
        this.logger.warn({ err: error, kind }, 'scoring: background training could not start');
      }),
    );
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
    const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as ModelMetadata;
    const scorer = new ModelScorer(metadata, await loadNetwork(dir));
    this.modelDirs.set(scorer, dir);
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
      .map((v) => ({ version: v, metadata: JSON.parse(fs.readFileSync(path.join(kindDir, v, 'metadata.json'), 'utf8')) as ModelMetadata }))
      // A committed model the leakage guard held back is never activated automatically either.
      .filter((c) => c.metadata.kind === kind && !c.metadata.leakage?.holdActivation)
      .sort((a, b) => (a.metadata.createdAt < b.metadata.createdAt ? 1 : -1));
    if (candidates.length === 0) return null;
    const { version, metadata } = candidates[0];
    const sample =
      kind === ModelKind.LEAD
        ? await loadLeadRows(em, { statuses: [...OPEN_LEAD_STATUSES, 'CONVERTED', 'DISQUALIFIED'] }, 0, 500, true)
        : await loadDealRows(em, { statuses: ['OPEN', 'WON', 'LOST'] }, await loadStages(em), Date.now(), 0, 500, true);
    const fit = modelFits(metadata, sample.map((r) => r.record), kind === ModelKind.LEAD ? ['source'] : ['product.name', 'stage.name']);
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
    return this.em().findOne(ModelVersion, { kind, active: true });
  }

  private async ruleScorer(em: Em, kind: ModelKind, held: ModelVersion | null = null): Promise<RuleScorer & { enoughData: boolean }> {
    const knex = em.getKnex() as unknown as Knex;
    const table = kind === ModelKind.LEAD ? 'leads' : 'deals';
    const [pos, neg] = kind === ModelKind.LEAD ? ['CONVERTED', 'DISQUALIFIED'] : ['WON', 'LOST'];
    const rows: Array<{ status: string; n: unknown }> = await knex(table).whereIn('status', [pos, neg]).groupBy('status').select('status', knex.raw('count(*) as n'));
    const count = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    const positives = count(pos);
    const negatives = count(neg);
    const min = MINIMUMS[kind];
    const what = kind === ModelKind.LEAD ? 'leads' : 'deals';
    const enough = positives + negatives >= min.examples && positives >= min.positives && negatives >= min.negatives;
    const note = held
      ? `Model ${held.version} is held back by the leakage guard (${String((held.report?.leakage as { message?: string } | undefined)?.message ?? '')}): rule-based score until it is reviewed.`
      : enough
      ? `No trained ${what} model is active yet (run trainModel(${kind})): rule-based score.`
      : `Insufficient data for a model: ${positives} ${pos.toLowerCase()} and ${negatives} ${neg.toLowerCase()} ${what}; ` +
        `needs at least ${min.examples} closed with ${min.positives} ${pos.toLowerCase()} and ${min.negatives} ${neg.toLowerCase()}. Rule-based score.`;
    return Object.assign(new RuleScorer(kind, note, positives + negatives > 0 ? positives / (positives + negatives) : null), { enoughData: enough });
  }

  // ---- scoring and storing ----------------------------------------------------------------------------

  /** Scores the given leads now; stores the open ones (drops stored scores of closed ones). */
  async scoreLeads(em: Em, ids: number[]): Promise<Map<number, ScoreView>> {
    const result = new Map<number, ScoreView>();
    const scorer = await this.scorer(ModelKind.LEAD);
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await loadLeadRows(em, { ids: ids.slice(i, i + CHUNK) }, 0, CHUNK);
      for (const [id, view] of await this.storeLeadScores(em, scorer, rows)) result.set(id, view);
    }
    return result;
  }

  async scoreDeals(em: Em, ids: number[]): Promise<Map<number, ScoreView>> {
    const result = new Map<number, ScoreView>();
    const scorer = await this.scorer(ModelKind.DEAL);
    const stages = await loadStages(em);
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await loadDealRows(em, { ids: ids.slice(i, i + CHUNK) }, stages, Date.now(), 0, CHUNK);
      for (const [id, view] of await this.storeDealScores(em, scorer, rows)) result.set(id, view);
    }
    return result;
  }

  /**
   * Explanations cost a gradient pass per row: computed when few records are scored (changes, a page, a
   * field), left empty by bulk rescoring and filled in when a page or a field shows them.
   */
  private async views(scorer: Scorer, records: Array<{ record: LeadRow['record'] }>, scoredAt: Date, bulk = false): Promise<ScoreView[]> {
    const factors = records.length <= EXPLAIN_BELOW;
    const raw = records.map((r) => r.record);
    // A model over many records (rescoring, the sweep, the first queue) runs on a worker thread; a few are cheaper here.
    const dir = this.modelDirs.get(scorer);
    const scores = dir && (bulk || records.length >= OFF_THREAD_FROM) ? await heavyWorkOf(this.em()).run('score', { dir, records: raw, factors }) : scorer.score(raw, { factors });
    return scores.map((s) => ({ ...s, modelVersion: scorer.version, method: scorer.method, note: scorer.note, scoredAt }));
  }

  /** Factors of records whose stored score has none (bulk-scored): computed now with the current scorer. */
  async explain(em: Em, kind: ModelKind, ids: number[]): Promise<Map<number, Factor[]>> {
    if (ids.length === 0) return new Map();
    const scorer = await this.scorer(kind);
    const rows =
      kind === ModelKind.LEAD
        ? await loadLeadRows(em, { ids }, 0, ids.length)
        : await loadDealRows(em, { ids }, await loadStages(em), Date.now(), 0, ids.length);
    const scores = scorer.score(rows.map((r) => r.record));
    return new Map(rows.map((r, i) => [r.id, scores[i].factors]));
  }

  private async storeLeadScores(em: Em, scorer: Scorer, rows: LeadRow[], bulk = false): Promise<Map<number, ScoreView>> {
    const scoredAt = new Date();
    const views = await this.views(scorer, rows, scoredAt, bulk);
    const open = rows.map((r, i) => ({ r, v: views[i] })).filter(({ r }) => OPEN_LEAD_STATUSES.includes(r.status));
    await this.upsert(em, ModelKind.LEAD, open.map(({ r, v }) => ({
      lead_id: r.id, status: r.status, source: r.source, owner_id: r.ownerId, team_id: r.teamId, record_created_at: this.date(r.createdAt), ...this.scoreColumns(v),
    })));
    await this.removeClosed(em, ModelKind.LEAD, rows.filter((r) => !OPEN_LEAD_STATUSES.includes(r.status)).map((r) => r.id));
    return new Map(rows.map((r, i) => [r.id, views[i]]));
  }

  private async storeDealScores(em: Em, scorer: Scorer, rows: DealRow[], bulk = false): Promise<Map<number, ScoreView>> {
    const scoredAt = new Date();
    const views = await this.views(scorer, rows, scoredAt, bulk);
    const open = rows.map((r, i) => ({ r, v: views[i] })).filter(({ r }) => r.status === 'OPEN');
    await this.upsert(em, ModelKind.DEAL, open.map(({ r, v }) => ({
      deal_id: r.id, stage_id: r.stageId, owner_id: r.ownerId, team_id: r.teamId, record_created_at: this.date(r.createdAt), ...this.scoreColumns(v),
    })));
    await this.removeClosed(em, ModelKind.DEAL, rows.filter((r) => r.status !== 'OPEN').map((r) => r.id));
    return new Map(rows.map((r, i) => [r.id, views[i]]));
  }

  private scoreColumns(v: ScoreView) {
    return {
      probability: v.probability,
      score: v.score,
      tier: v.tier,
      factors: JSON.stringify(v.factors),
      model_version: v.modelVersion,
      method: v.method,
      scored_at: this.date(v.scoredAt.getTime()),
    };
  }

  /** SQLite keeps MikroORM datetimes as epoch milliseconds; PostgreSQL as timestamptz. */
  date(ms: number): number | Date {
    return this.sqlite ? ms : new Date(ms);
  }

  private async upsert(em: Em, kind: ModelKind, rows: Array<Record<string, unknown>>): Promise<void> {
    if (rows.length === 0) return;
    const knex = em.getKnex() as unknown as Knex;
    // One transaction per chunk: one commit (and fsync) instead of one per statement.
    await knex.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) await trx(TABLE[kind]).insert(rows.slice(i, i + 500)).onConflict(KEY[kind]).merge();
    });
  }

  private async removeClosed(em: Em, kind: ModelKind, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const knex = em.getKnex() as unknown as Knex;
    for (let i = 0; i < ids.length; i += 5000) await knex(TABLE[kind]).whereIn(KEY[kind], ids.slice(i, i + 5000)).delete();
  }

  /** Scores every open lead or deal with the current scorer; drops stored scores of records that closed. */
  async rescoreAll(kind: ModelKind, onProgress?: (done: number) => void): Promise<{ scored: number; seconds: number; modelVersion: string; method: ScoreMethod }> {
    const started = performance.now();
    const em = this.em();
    const scorer = await this.scorer(kind);
    let scored = 0;
    let afterId = 0;
    const stages = kind === ModelKind.DEAL ? await loadStages(em) : null;
    for (;;) {
      const rows =
        kind === ModelKind.LEAD
          ? await loadLeadRows(em, { statuses: OPEN_LEAD_STATUSES }, afterId, CHUNK)
          : await loadDealRows(em, { statuses: ['OPEN'] }, stages!, Date.now(), afterId, CHUNK);
      if (rows.length === 0) break;
      if (kind === ModelKind.LEAD) await this.storeLeadScores(em, scorer, rows as LeadRow[], true);
      else await this.storeDealScores(em, scorer, rows as DealRow[], true);
      scored += rows.length;
      afterId = rows.at(-1)!.id;
      onProgress?.(scored);
    }
    await this.dropClosedScores(em, kind);
    this.distributions.delete(kind);
    return { scored, seconds: (performance.now() - started) / 1000, modelVersion: scorer.version, method: scorer.method };
  }

  private async dropClosedScores(em: Em, kind: ModelKind): Promise<void> {
    const knex = em.getKnex() as unknown as Knex;
    const [table, key, source, open] =
      kind === ModelKind.LEAD ? [TABLE.LEAD, KEY.LEAD, 'leads', OPEN_LEAD_STATUSES] : [TABLE.DEAL, KEY.DEAL, 'deals', ['OPEN']];
    await knex(table)
      .whereNotExists(knex(`${source} as x`).select(knex.raw('1')).whereRaw(`x.id = ${table}.${key}`).whereIn('x.status', open))
      .delete();
  }

  /** Open records without a stored score, changed since scored, or scored by another model: score them. */
  async refreshStale(kind: ModelKind, limit = 50_000): Promise<number> {
    const em = this.em();
    const knex = em.getKnex() as unknown as Knex;
    const scorer = await this.scorer(kind);
    const [source, open] = kind === ModelKind.LEAD ? ['leads', OPEN_LEAD_STATUSES] : ['deals', ['OPEN']];
    const stale: Array<{ id: unknown }> = await knex(`${source} as x`)
      .leftJoin(`${TABLE[kind]} as s`, `s.${KEY[kind]}`, 'x.id')
      .whereIn('x.status', open)
      .where((b) => b.whereNull(`s.${KEY[kind]}`).orWhere('s.scored_at', '<', knex.ref('x.updated_at')).orWhereNot('s.model_version', scorer.version))
      .select('x.id')
      .limit(limit);
    const ids = stale.map((r) => Number(r.id));
    if (ids.length) {
      if (kind === ModelKind.LEAD) await this.scoreLeads(em, ids);
      else await this.scoreDeals(em, ids);
      this.distributions.delete(kind);
    }
    await this.dropClosedScores(em, kind);
    return ids.length;
  }

  /** The queue is read from stored scores: make sure they exist once per process (first request after start). */
  ensureQueue(kind: ModelKind): Promise<void> {
    let ready = this.queueReady.get(kind);
    if (!ready) {
      ready = this.refreshStale(kind, 1_000_000).then(() => undefined);
      ready.catch(() => this.queueReady.delete(kind));
      this.queueReady.set(kind, ready);
    }
    return ready;
  }

  private async sweep(): Promise<void> {
    if (this.stopped) return;
    for (const kind of [ModelKind.LEAD, ModelKind.DEAL]) {
      try {
        const n = await this.refreshStale(kind);
        if (n) this.logger.info({ kind, scored: n }, 'scoring: background sweep scored new or changed records');
      } catch (error) {
        if (!this.stopped) this.logger.warn({ err: error, kind }, 'scoring: background sweep failed');
      }
    }
  }

  /** Percentile (0..100) of a probability within the open queue, from a sample of ≤ 20,000 stored scores. */
  async percentile(kind: ModelKind, probability: number): Promise<number | null> {
    let d = this.distributions.get(kind);
    if (!d || Date.now() - d.loadedAt > 60_000) {
      const knex = this.em().getKnex() as unknown as Knex;
      const [{ n }] = await knex(TABLE[kind]).count({ n: '*' });
      const step = Math.max(1, Math.ceil(Number(n) / 20_000));
      const rows: Array<{ probability: unknown }> = await knex(TABLE[kind]).whereRaw(`${KEY[kind]} % ? = 0`, [step]).select('probability');
      d = { sorted: Float64Array.from(rows, (r) => Number(r.probability)).sort(), loadedAt: Date.now() };
      this.distributions.set(kind, d);
    }
    const { sorted } = d;
    if (sorted.length === 0) return null;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < probability) lo = mid + 1;
      else hi = mid;
    }
    return Math.round((1000 * lo) / sorted.length) / 10;
  }

  // ---- automatic scoring of changed records (MikroORM subscriber) -------------------------------------

  getSubscribedEntities() {
    return [Lead, Deal, Activity, DealStageChange];
  }

  afterFlush(args: FlushEventArgs): void {
    if (this.stopped) return;
    for (const cs of args.uow.getChangeSets()) {
      const e = cs.entity as Record<string, unknown>;
      if (e instanceof Lead && e.id) this.pending.LEAD.add(e.id);
      else if (e instanceof Deal && e.id) this.pending.DEAL.add(e.id);
      else if (e instanceof Activity) {
        if (e.lead?.id) this.pending.LEAD.add(e.lead.id);
        if (e.deal?.id) this.pending.DEAL.add(e.deal.id);
      } else if (e instanceof DealStageChange && e.deal?.id) this.pending.DEAL.add(e.deal.id);
    }
    this.schedulePending();
  }

  afterTransactionCommit(): void {
    if (this.pending.LEAD.size || this.pending.DEAL.size) this.schedulePending();
  }

  private schedulePending(): void {
    if (this.stopped || (!this.pending.LEAD.size && !this.pending.DEAL.size)) return;
    clearTimeout(this.pendingTimer);
    // Debounced: runs after the transaction that produced the changes has committed.
    this.pendingTimer = setTimeout(() => this.track(this.processPending()), 30);
  }

  private async processPending(): Promise<void> {
    const leads = [...this.pending.LEAD];
    const deals = [...this.pending.DEAL];
    this.pending.LEAD.clear();
    this.pending.DEAL.clear();
    try {
      const em = this.em();
      if (leads.length) await this.scoreLeads(em, leads);
      if (deals.length) await this.scoreDeals(em, deals);
      if (leads.length) this.distributions.delete(ModelKind.LEAD);
      if (deals.length) this.distributions.delete(ModelKind.DEAL);
    } catch (error) {
      if (!this.stopped) this.logger.warn({ err: error }, 'scoring: automatic scoring of changed records failed (the sweep retries)');
    }
  }

  /** Waits for automatic scoring already scheduled (tests and the CLI use it before reading stored scores). */
  async idle(): Promise<void> {
    if (this.pendingTimer && (this.pending.LEAD.size || this.pending.DEAL.size)) {
      clearTimeout(this.pendingTimer);
      this.track(this.processPending());
    }
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    void promise.catch(() => undefined).finally(() => this.inflight.delete(promise));
    return promise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pendingTimer);
    clearInterval(this.sweepTimer);
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }
}

/** The newest READY, inactive model of a kind that the leakage guard held back from automatic activation. */
async function heldModel(em: Em, kind: ModelKind): Promise<ModelVersion | null> {
  const rows = await em.find(ModelVersion, { kind, status: ModelStatus.READY, active: false }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 5 });
  return rows.find((r) => (r.report?.leakage as { holdActivation?: boolean } | undefined)?.holdActivation) ?? null;
}

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

const runtimes = new WeakMap<object, ScoringRuntime>();

/** Starts scoring for an app: registers the subscriber on the ORM's event manager. */
export function startScoring(orm: Orm, config: Readonly<AppConfig>, logger: Logger, options?: RuntimeOptions): ScoringRuntime {
  const runtime = new ScoringRuntime(orm, config, logger, options);
  orm.em.getEventManager().registerSubscriber(runtime);
  runtimes.set(orm.em.getEventManager(), runtime);
  return runtime;
}

/** The runtime of the app an entity manager belongs to (forks share the event manager). */
export function scoringOf(em: Em): ScoringRuntime {
  const runtime = runtimes.get(em.getEventManager());
  if (!runtime) throw new Error('Scoring is not started for this ORM (createApp starts it)');
  return runtime;
}
