import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { Knex } from '@mikro-orm/knex';
import { Cursor } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { BadInputError, ConflictError, NotFoundError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import { Lead } from '../lead/lead.entity';
import {
  DAY_MS, DEAL_LABELS, FORCE_CATEGORICAL, LEAD_LABELS, OPEN_LEAD_STATUSES, labelsFor, leadKeys, loadDealRows, loadLeadRows, loadStages,
  toMs, type DealRow, type LeadRow,
} from './dataset';
import type { Factor } from './scorer';
import { ModelKind, ModelStatus, ModelVersion } from './scoring.entity';
import { registryFields, scoringOf, type ScoreView, type ScoringRuntime } from './scoring.runtime';
import { heavyWorkOf } from '../../shared/workers/pool';
import { InsufficientDataError, type Example } from './trainer';

// ---- leadQueue ----------------------------------------------------------------------------------------

export interface QueueScope {
  /** Owners whose leads the caller sees (null: everyone). */
  visibleOwnerIds?: number[] | null;
  ownerId?: string | null;
  teamId?: string | null;
  statuses?: string[] | null;
  sources?: string[] | null;
  tiers?: string[] | null;
}

export interface QueueEdge {
  cursor: string;
  node: Lead;
  score: ScoreView & { percentile: number | null };
}

export interface QueuePage {
  edges: QueueEdge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * Who may see which queue is decided here, in one place: the queue is narrowed to the owners the caller sees
 * (`visibleOwnerIds` from src/modules/auth/access.policy.ts: an SDR itself, a MANAGER its team; null = all).
 */
function scopeWhere(q: Knex.QueryBuilder, scope: QueueScope): void {
  if (scope.visibleOwnerIds) q.whereIn('s.owner_id', scope.visibleOwnerIds);
  if (scope.ownerId) q.where('s.owner_id', parseId(scope.ownerId, 'ownerId'));
  if (scope.teamId) q.where('s.team_id', parseId(scope.teamId, 'teamId'));
  if (scope.statuses?.length) {
    const bad = scope.statuses.find((s) => !OPEN_LEAD_STATUSES.includes(s));
    if (bad) throw new BadInputError('filter.statuses', `The queue holds open leads only (${OPEN_LEAD_STATUSES.join(', ')}), not ${bad}`);
    q.whereIn('s.status', scope.statuses);
  }
  if (scope.sources?.length) q.whereIn('s.source', scope.sources);
  if (scope.tiers?.length) q.whereIn('s.tier', scope.tiers);
}

function decodeQueueCursor(after: string): [number, number, number] {
  try {
    const value = Cursor.decode(after) as unknown;
    if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number' && Number.isFinite(v))) return value as [number, number, number];
  } catch {
    // fall through
  }
  throw new BadInputError('after', 'after is not a cursor returned by leadQueue');
}

/** Open leads ranked by score, ties by recency: keyset pagination over the stored scores (an index per scope). */
export async function leadQueue(em: Em, scope: QueueScope, first: number, after: string | undefined, maxPageSize: number): Promise<QueuePage> {
  if (first < 1 || first > maxPageSize) throw new BadInputError('first', `first must be between 1 and ${maxPageSize}`);
  const runtime = scoringOf(em);
  await runtime.ensureQueue(ModelKind.LEAD);
  const knex = em.getKnex() as unknown as Knex;
  const q = knex('lead_scores as s')
    .select('s.lead_id', 's.probability', 's.record_created_at', 's.score', 's.tier', 's.factors', 's.model_version', 's.method', 's.scored_at')
    .orderBy([{ column: 's.probability', order: 'desc' }, { column: 's.record_created_at', order: 'desc' }, { column: 's.lead_id', order: 'desc' }])
    .limit(first + 1);
  scopeWhere(q, scope);
  if (after) {
    const [p, createdAt, id] = decodeQueueCursor(after);
    q.whereRaw('(s.probability, s.record_created_at, s.lead_id) < (?, ?, ?)', [p, runtime.date(createdAt), id]);
  }
  const rows: Array<Record<string, unknown>> = await q;
  const page = rows.slice(0, first);
  const leads = page.length ? await em.find(Lead, { id: { $in: page.map((r) => Number(r.lead_id)) } }) : [];
  const byId = new Map(leads.map((l) => [l.id, l]));
  const scorer = await runtime.scorer(ModelKind.LEAD);
  const unexplained = page.filter((r) => storedView(r, null).factors.length === 0).map((r) => Number(r.lead_id));
  const explained = await runtime.explain(em, ModelKind.LEAD, unexplained);
  const edges: QueueEdge[] = [];
  for (const r of page) {
    const node = byId.get(Number(r.lead_id));
    if (!node) continue; // deleted since scored; the sweep drops the row
    const createdAt = toMs(r.record_created_at)!;
    const probability = Number(r.probability);
    edges.push({
      cursor: Cursor.encode([probability, createdAt, node.id]),
      node,
      score: { ...storedView(r, scorer.note), ...(explained.has(node.id) && { factors: explained.get(node.id)! }), percentile: await runtime.percentile(ModelKind.LEAD, probability) },
    });
  }
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: Boolean(after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

export function storedView(r: Record<string, unknown>, note: string | null): ScoreView {
  const scoredAt = new Date(toMs(r.scored_at)!);
  return {
    probability: Number(r.probability),
    score: Number(r.score),
    tier: String(r.tier),
    factors: (typeof r.factors === 'string' ? JSON.parse(r.factors) : r.factors) as Factor[],
    modelVersion: String(r.model_version),
    method: r.method === 'RULES' ? 'RULES' : 'MODEL',
    note: r.method === 'RULES' ? note : null,
    scoredAt,
  };
}

/**
 * Scores of a batch of leads or deals for field resolvers: stored scores when current (same model, scored
 * after the record last changed), otherwise computed now (and stored when the record is open).
 */
export async function scoresFor(em: Em, kind: ModelKind, records: Array<{ id: number; updatedAt: Date }>): Promise<Map<number, ScoreView & { percentile: number | null }>> {
  const runtime = scoringOf(em);
  await runtime.ensureQueue(kind); // percentiles need the open queue scored
  const scorer = await runtime.scorer(kind);
  const knex = em.getKnex() as unknown as Knex;
  const [table, key] = kind === ModelKind.LEAD ? ['lead_scores', 'lead_id'] : ['deal_scores', 'deal_id'];
  const stored: Array<Record<string, unknown>> = await knex(table).whereIn(key, records.map((r) => r.id)).select('*');
  const result = new Map<number, ScoreView>();
  for (const row of stored) result.set(Number(row[key]), storedView(row, scorer.note));
  const missing = records.filter((r) => {
    const s = result.get(r.id);
    return !s || s.modelVersion !== scorer.version || s.scoredAt.getTime() < r.updatedAt.getTime();
  });
  if (missing.length) {
    const ids = missing.map((r) => r.id);
    const fresh = kind === ModelKind.LEAD ? await runtime.scoreLeads(em, ids) : await runtime.scoreDeals(em, ids);
    for (const [id, view] of fresh) result.set(id, view);
  }
  const explained = await runtime.explain(em, kind, [...result].filter(([, v]) => v.factors.length === 0).map(([id]) => id));
  for (const [id, factors] of explained) result.set(id, { ...result.get(id)!, factors });
  const out = new Map<number, ScoreView & { percentile: number | null }>();
  for (const [id, view] of result) out.set(id, { ...view, percentile: await runtime.percentile(kind, view.probability) });
  return out;
}

// ---- the registry -------------------------------------------------------------------------------------

export function listModels(em: Em, kind?: ModelKind | null): Promise<ModelVersion[]> {
  return em.find(ModelVersion, kind ? { kind } : {}, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

export async function findModel(em: Em, version: string): Promise<ModelVersion> {
  const row = await em.findOne(ModelVersion, { version });
  if (!row) throw new NotFoundError('ModelVersion', version);
  return row;
}

export async function activateModel(em: Em, version: string): Promise<ModelVersion> {
  const runtime = scoringOf(em);
  const row = await em.transactional(async (tx) => {
    const target = await tx.findOne(ModelVersion, { version });
    if (!target) throw new NotFoundError('ModelVersion', version);
    if (target.status !== ModelStatus.READY) throw new ConflictError(`Model ${version} is ${target.status}; only a READY model can be activated`);
    // Loading it first: a model whose files are missing on this server must not become active.
    await runtime.loadModel(target.path!).catch((error: Error) => {
      throw new ConflictError(`Model ${version} cannot be loaded from ${target.path}: ${error.message}`);
    });
    await tx.nativeUpdate(ModelVersion, { kind: target.kind, active: true }, { active: false });
    target.active = true;
    return target;
  });
  runtime.invalidate(row.kind);
  // Stored scores follow the new model in the background (the sweep would get there too).
  runtime.track(runtime.rescoreAll(row.kind)).catch((error) => runtime.logger.warn({ err: error }, 'scoring: rescore after activation failed'));
  return row;
}

// ---- training -----------------------------------------------------------------------------------------

export interface TrainOptions {
  seed?: number;
  maxEpochs?: number;
  /** Use at most this many closed examples, the newest (default 200,000). */
  maxExamples?: number;
  /**
   * Activate when READY: true even over an active model, false never; by default only when no model of the
   * kind is active. A model the leakage guard acted on is never activated here, whatever this says: a person
   * reviews its report and calls activateModel.
   */
  activate?: boolean;
  onProgress?: (fraction: number, message: string) => void;
}

/** Closed examples with labels: converted (1) vs disqualified (0) leads, won (1) vs lost (0) deals. */
export async function loadExamples(em: Em, kind: ModelKind, maxExamples = 200_000): Promise<Example[]> {
  const examples: Example[] = [];
  const conversions: Array<{ at: number; closedAt: number }> = [];
  let afterId = 0;
  if (kind === ModelKind.LEAD) {
    while (examples.length < maxExamples) {
      const rows: LeadRow[] = await loadLeadRows(em, { statuses: ['CONVERTED', 'DISQUALIFIED'] }, afterId, Math.min(10_000, maxExamples - examples.length), true);
      if (rows.length === 0) break;
      // Ordered by arrival, the moment a lead is first scored (closing dates would order converted leads after
      // the others when an export dates only conversions).
      for (const r of rows) examples.push({ id: r.id, record: r.record, label: r.status === 'CONVERTED' ? 1 : 0, at: r.arrivedAt });
      for (const r of rows) if (r.status === 'CONVERTED' && r.closedAt != null) conversions.push({ at: r.arrivedAt, closedAt: r.closedAt });
      afterId = rows.at(-1)!.id;
    }
    const aged = await agedOutLeads(em, conversions, examples, maxExamples - examples.length);
    if (aged.examples.length) {
      // Leads that arrived after the cut-off are left out whatever their status: their converted ones are known
      // and their unconverted ones are not yet, so keeping them would inflate the newest conversion rate.
      return [...examples.filter((e) => e.at! < aged.cutoff), ...aged.examples];
    }
  } else {
    const stages = await loadStages(em);
    while (examples.length < maxExamples) {
      const rows: DealRow[] = await loadDealRows(em, { statuses: ['WON', 'LOST'] }, stages, Date.now(), afterId, Math.min(5_000, maxExamples - examples.length), true);
      if (rows.length === 0) break;
      for (const r of rows) {
        const lifeDays = r.closedAt == null ? undefined : Math.round((r.closedAt - r.openedAt) / DAY_MS);
        for (const record of r.snapshots ?? [r.record]) examples.push({ id: r.id, record, label: r.status === 'WON' ? 1 : 0, at: r.closedAt, lifeDays });
      }
      afterId = rows.at(-1)!.id;
    }
  }
  return examples;
}

/**
 * Open leads far older than conversions take count as not converted: exports often close only the converted
 * leads (the Olist funnel lists its 842 signed sellers; the other 7,158 leads stay open for ever). "Far older":
 * past the 95th percentile of the days converted leads took, measured to the end of the data (its newest
 * date, not today: an export may be years old). Needs 30 conversions to say how long conversions take.
 */
async function agedOutLeads(em: Em, conversions: Array<{ at: number; closedAt: number }>, closed: Example[], limit: number): Promise<{ examples: Example[]; cutoff: number }> {
  if (conversions.length < 30 || limit <= 0) return { examples: [], cutoff: Infinity };
  const days = conversions.map((c) => Math.max(0, (c.closedAt - c.at) / DAY_MS)).sort((a, b) => a - b);
  const afterDays = Math.max(30, Math.ceil(days[Math.min(days.length - 1, Math.floor(days.length * 0.95))]));
  const knex = em.getKnex() as unknown as Knex;
  const [{ newest }] = await knex('leads').max({ newest: 'closed_at' });
  const end = Math.max(toMs(newest) ?? 0, ...closed.map((e) => e.at ?? 0));
  const cutoff = end - afterDays * DAY_MS;
  const sqlite = String(knex.client.config.client).includes('sqlite');
  const value = sqlite ? cutoff : new Date(cutoff);
  const ids: Array<{ id: unknown }> = await knex('leads')
    .whereIn('status', OPEN_LEAD_STATUSES)
    .where((b) => b.where('created_at', '<', value).orWhere('first_contacted_at', '<', value).orWhere('mql_at', '<', value))
    .orderBy('id', 'desc')
    .limit(limit)
    .select('id');
  const out: Example[] = [];
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await loadLeadRows(em, { ids: ids.slice(i, i + 5000).map((r) => Number(r.id)) }, 0, 5000);
    for (const r of rows) if (r.arrivedAt < cutoff) out.push({ id: r.id, record: r.record, label: 0, at: r.arrivedAt, agedOutAfterDays: afterDays });
  }
  return { examples: out, cutoff };
}

/** Days each open deal has been open (for the staleness guard). */
export async function openDealAges(em: Em): Promise<number[]> {
  const rows: Array<{ opened_at: unknown; created_at: unknown }> = await (em.getKnex() as unknown as Knex)('deals').where('status', 'OPEN').select('opened_at', 'created_at');
  const now = Date.now();
  return rows.map((r) => Math.round((now - (toMs(r.opened_at) ?? toMs(r.created_at)!)) / DAY_MS));
}

export function trainSettings(kind: ModelKind, examples: Example[]) {
  const keys = kind === ModelKind.LEAD ? leadKeys(examples) : Object.keys(DEAL_LABELS);
  return {
    kind,
    keys,
    labels: labelsFor(keys, kind === ModelKind.LEAD ? LEAD_LABELS : DEAL_LABELS),
    forceCategorical: FORCE_CATEGORICAL,
    baselineKey: kind === ModelKind.LEAD ? 'source' : 'stage.name',
  } as const;
}

const versionName = (kind: ModelKind, at: Date) => `${kind.toLowerCase()}-${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;

/** Creates the registry row (TRAINING) and returns it; `run` trains, saves and marks it READY or FAILED. */
export async function createTrainingJob(em: Em, kind: ModelKind): Promise<ModelVersion> {
  const now = new Date();
  let version = versionName(kind, now);
  for (let n = 2; await em.findOne(ModelVersion, { version }); n++) version = `${versionName(kind, now)}-${n}`;
  const row = em.create(ModelVersion, { kind, version, status: ModelStatus.TRAINING, message: 'queued' });
  await em.flush();
  return row;
}

export async function runTrainingJob(runtime: ScoringRuntime, jobId: number, options: TrainOptions = {}): Promise<ModelVersion> {
  const em = runtime.em();
  const job = await em.findOneOrFail(ModelVersion, jobId);
  // Progress goes straight to the row (at most once a second), outside the unit of work that writes the result.
  let lastSaved = 0;
  let saving: Promise<unknown> = Promise.resolve();
  const progress = (fraction: number, message: string) => {
    options.onProgress?.(fraction, message);
    if (Date.now() - lastSaved < 1000) return;
    lastSaved = Date.now();
    const values = { progress: Math.round(fraction * 1000) / 1000, message, updatedAt: new Date() };
    saving = saving.then(() => runtime.em().nativeUpdate(ModelVersion, { id: jobId }, values)).catch(() => undefined);
  };
  const finish = async (values: Partial<ModelVersion>) => {
    await saving;
    const fresh = runtime.em();
    const row = await fresh.findOneOrFail(ModelVersion, jobId);
    fresh.assign(row, values);
    await fresh.flush();
    return row;
  };
  try {
    progress(0.01, 'loading closed examples');
    const examples = await loadExamples(em, job.kind, options.maxExamples);
    const openAgesDays = job.kind === ModelKind.DEAL ? await openDealAges(em) : undefined;
    const relative = path.posix.join(job.kind.toLowerCase(), job.version);
    // Training runs on a worker thread (src/shared/workers/); its progress comes back over a message port.
    const channel = new MessageChannel();
    channel.port1.on('message', ({ fraction, message }: { fraction: number; message: string }) => progress(fraction, message));
    const settings = { ...trainSettings(job.kind, examples), openAgesDays, seed: options.seed ?? 42, maxEpochs: options.maxEpochs };
    const trained = await heavyWorkOf(em)
      .run('train', { examples, settings, dir: path.join(runtime.modelsDir, relative), version: job.version, progress: channel.port2 }, {}, [channel.port2])
      .finally(() => channel.port1.close());
    if ('insufficient' in trained) throw new InsufficientDataError(trained.insufficient.kind, trained.insufficient.counts, trained.insufficient.minimums);
    const { metadata } = trained;
    const activeExists = (await em.count(ModelVersion, { kind: job.kind, active: true })) > 0;
    const { leakage } = metadata;
    const held = leakage.holdActivation;
    const message = held ? `ready, not activated: ${leakage.message}` : 'ready';
    const row = await finish({ ...registryFields(metadata, relative), status: ModelStatus.READY, message });
    if (held) runtime.logger.warn({ version: job.version, leakage: leakage.message }, 'scoring: the leakage guard acted; the model is not activated automatically');
    else if (options.activate ?? !activeExists) return await activateModel(runtime.em(), job.version);
    return row;
  } catch (error) {
    if (!(error instanceof InsufficientDataError)) runtime.logger.error({ err: error, version: job.version }, 'scoring: training failed');
    return finish({ status: ModelStatus.FAILED, message: error instanceof InsufficientDataError ? error.message : `Training failed: ${(error as Error).message}` });
  }
}

/** trainModel mutation: the job row now, the training in the background. */
export async function startTraining(em: Em, kind: ModelKind): Promise<ModelVersion> {
  const runtime = scoringOf(em);
  const running = await em.count(ModelVersion, { kind, status: ModelStatus.TRAINING, updatedAt: { $gt: new Date(Date.now() - 30 * 60_000) } });
  if (running) throw new ConflictError(`A ${kind} model is already training; query models(kind: ${kind}) for its progress`);
  const row = await createTrainingJob(em, kind);
  runtime.logger.info({ kind, version: row.version, jobId: row.id }, `scoring: training a ${kind} model (${row.version}) in the background`);
  const started = Date.now();
  runtime.track(
    runTrainingJob(runtime, row.id).then((done) => {
      const fields = { kind, version: done.version, status: done.status, seconds: Math.round((Date.now() - started) / 100) / 10 };
      if (done.status === ModelStatus.READY) runtime.logger.info(fields, `scoring: ${kind} model ${done.version} trained${done.active ? ' and active' : ''}`);
      else runtime.logger.warn({ ...fields, message: done.message }, `scoring: ${kind} model ${done.version} not trained: ${done.message}`);
      return done;
    }),
  );
  return row;
}

export async function rescore(em: Em, kind: ModelKind) {
  return scoringOf(em).rescoreAll(kind);
}

export async function findModelById(em: Em, id: string): Promise<ModelVersion> {
  const row = await em.findOne(ModelVersion, { id: parseId(id, 'id') });
  if (!row) throw new NotFoundError('ModelVersion', id);
  return row;
}
