import type { Knex } from '@mikro-orm/knex';
import { Cursor } from '@mikro-orm/core';
import { dateValue, dialectOf, knexOf, readEpochMs } from '../../db/dialect';
import type { Em } from '../../db/orm';
import { BadInputError, NotFoundError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import { Lead } from '../lead/lead.entity';
import { OPEN_LEAD_STATUSES } from './dataset';
import { storedView, type ScoreView } from './score-store';
import { ModelKind, ModelVersion } from './scoring.entity';
import type { ScoringRuntime } from './scoring.runtime';
import type { TrainOptions } from './background-training';

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
export async function leadQueue(em: Em, scoring: ScoringRuntime, scope: QueueScope, first: number, after: string | undefined, maxPageSize: number): Promise<QueuePage> {
  if (first < 1 || first > maxPageSize) throw new BadInputError('first', `first must be between 1 and ${maxPageSize}`);
  const { registry, store } = scoring;
  await store.ensureQueue(ModelKind.LEAD);
  const knex = knexOf(em);
  const q = knex('lead_scores as s')
    .select('s.lead_id', 's.probability', 's.record_created_at', 's.score', 's.tier', 's.factors', 's.model_version', 's.method', 's.scored_at')
    .orderBy([{ column: 's.probability', order: 'desc' }, { column: 's.record_created_at', order: 'desc' }, { column: 's.lead_id', order: 'desc' }])
    .limit(first + 1);
  scopeWhere(q, scope);
  if (after) {
    const [p, createdAt, id] = decodeQueueCursor(after);
    q.whereRaw('(s.probability, s.record_created_at, s.lead_id) < (?, ?, ?)', [p, dateValue(dialectOf(em), createdAt), id]);
  }
  const rows: Array<Record<string, unknown>> = await q;
  const page = rows.slice(0, first);
  const leads = page.length ? await em.find(Lead, { id: { $in: page.map((r) => Number(r.lead_id)) } }) : [];
  const byId = new Map(leads.map((l) => [l.id, l]));
  const scorer = await registry.scorer(ModelKind.LEAD);
  const unexplained = page.filter((r) => storedView(r, null).factors.length === 0).map((r) => Number(r.lead_id));
  const explained = await store.explain(em, ModelKind.LEAD, unexplained);
  const edges: QueueEdge[] = [];
  for (const r of page) {
    const node = byId.get(Number(r.lead_id));
    if (!node) continue; // deleted since scored; the sweep drops the row
    const createdAt = readEpochMs(r.record_created_at)!;
    const probability = Number(r.probability);
    edges.push({
      cursor: Cursor.encode([probability, createdAt, node.id]),
      node,
      score: { ...storedView(r, scorer.note), ...(explained.has(node.id) && { factors: explained.get(node.id)! }), percentile: await store.percentile(ModelKind.LEAD, probability) },
    });
  }
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: Boolean(after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/**
 * Scores of a batch of leads or deals for field resolvers: stored scores when current (same model, scored
 * after the record last changed), otherwise computed now (and stored when the record is open).
 */
export async function scoresFor(em: Em, scoring: ScoringRuntime, kind: ModelKind, records: Array<{ id: number; updatedAt: Date }>): Promise<Map<number, ScoreView & { percentile: number | null }>> {
  const { registry, store } = scoring;
  await store.ensureQueue(kind); // percentiles need the open queue scored
  const scorer = await registry.scorer(kind);
  const result = await store.stored(em, kind, records.map((r) => r.id), scorer.note);
  const missing = records.filter((r) => {
    const s = result.get(r.id);
    return !s || s.modelVersion !== scorer.version || s.scoredAt.getTime() < r.updatedAt.getTime();
  });
  if (missing.length) for (const [id, view] of await store.score(em, kind, missing.map((r) => r.id))) result.set(id, view);
  const explained = await store.explain(em, kind, [...result].filter(([, v]) => v.factors.length === 0).map(([id]) => id));
  for (const [id, factors] of explained) result.set(id, { ...result.get(id)!, factors });
  const out = new Map<number, ScoreView & { percentile: number | null }>();
  for (const [id, view] of result) out.set(id, { ...view, percentile: await store.percentile(kind, view.probability) });
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

export async function findModelById(em: Em, id: string): Promise<ModelVersion> {
  const row = await em.findOne(ModelVersion, { id: parseId(id, 'id') });
  if (!row) throw new NotFoundError('ModelVersion', id);
  return row;
}

// ---- training -----------------------------------------------------------------------------------------

export { createTrainingJob, type TrainOptions } from './background-training';

/** Trains a job's model now (the CLI and tests; trainModel runs it in the background). */
export function runTrainingJob(scoring: ScoringRuntime, jobId: number, options?: TrainOptions): Promise<ModelVersion> {
  return scoring.training.run(jobId, options);
}
