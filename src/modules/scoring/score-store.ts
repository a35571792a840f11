/**
 * Stored scores of open leads and deals, which the queue reads: scoring records and storing the open ones,
 * rescoring every open record, refreshing stale ones, reading stored scores back, and percentiles within the
 * open queue. The writes of one call are one transaction, so a reader sees the queue as it was before a
 * rescore or after it, never part of it.
 */
import { dateValue, dialectOf, knexOf, readEpochMs, readJson, readNumber, type Dialect } from '../../db/dialect';
import type { Em, Orm } from '../../db/orm';
import type { HeavyWork } from '../../shared/workers/pool';
import { KINDS, type KindDescriptor, type ScoredRow } from './model-kinds';
import type { ModelRegistry } from './model-registry';
import { percentileIn } from './metrics';
import type { Factor, ScoreMethod, Scorer } from './scorer';
import type { ModelKind } from './scoring.entity';

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

export interface RescoreSummary {
  scored: number;
  seconds: number;
  modelVersion: string;
  method: ScoreMethod;
}

/** Explanations cost a gradient pass per row: computed for few records, left empty by bulk scoring. */
const EXPLAIN_BELOW = 2_000;
/** A model over this many records runs on a worker thread; fewer are cheaper here. */
const OFF_THREAD_FROM = 500;
const ROWS_PER_INSERT = 500;
const IDS_PER_DELETE = 5_000;
/** Percentiles come from a sample of at most this many stored scores, reloaded at most once a minute. */
const SAMPLE = 20_000;
const SAMPLE_TTL_MS = 60_000;

/** What one call writes, in one transaction: stored scores of open records, deletions of closed ones. */
interface Batch {
  upserts: Array<Record<string, unknown>>;
  closed: number[];
  /** Also drop stored scores of every record that is no longer open (a full rescore, the sweep). */
  dropAllClosed: boolean;
}

export class ScoreStore {
  private readonly distributions = new Map<ModelKind, { sorted: Float64Array; loadedAt: number }>();
  private readonly queueReady = new Map<ModelKind, Promise<void>>();

  constructor(
    private readonly orm: Orm,
    private readonly registry: ModelRegistry,
    private readonly work: HeavyWork,
    /** Records read and scored at a time. */
    private readonly chunkSize = 10_000,
  ) {}

  /** Scores the given records now; stores the open ones (drops stored scores of closed ones). */
  async score(em: Em, kind: ModelKind, ids: number[], dropAllClosed = false): Promise<Map<number, ScoreView>> {
    const d = KINDS[kind];
    const scorer = await this.registry.scorer(kind);
    const read = d.reader(em);
    const batch: Batch = { upserts: [], closed: [], dropAllClosed };
    const result = new Map<number, ScoreView>();
    for (let i = 0; i < ids.length; i += this.chunkSize) {
      const rows = await read({ ids: ids.slice(i, i + this.chunkSize) }, 0, this.chunkSize);
      const views = await this.prepare(dialectOf(em), d, scorer, rows, false, batch);
      rows.forEach((r, j) => result.set(r.id, views[j]));
    }
    await this.write(em, d, batch);
    return result;
  }

  /**
   * Scores every open record with the current scorer and replaces the stored scores in one transaction
   * (scored chunk by chunk first; only the compact rows to write are kept meanwhile).
   */
  async rescoreAll(kind: ModelKind, onProgress?: (scored: number) => void | Promise<void>): Promise<RescoreSummary> {
    const started = performance.now();
    const em = this.orm.em.fork() as Em;
    const d = KINDS[kind];
    const scorer = await this.registry.scorer(kind);
    const read = d.reader(em);
    const batch: Batch = { upserts: [], closed: [], dropAllClosed: true };
    let scored = 0;
    for (let afterId = 0; ; ) {
      const rows = await read({ statuses: [...d.openStatuses] }, afterId, this.chunkSize);
      if (rows.length === 0) break;
      await this.prepare(dialectOf(em), d, scorer, rows, true, batch);
      scored += rows.length;
      afterId = rows.at(-1)!.id;
      await onProgress?.(scored);
    }
    await this.write(em, d, batch);
    this.distributions.delete(kind);
    return { scored, seconds: (performance.now() - started) / 1000, modelVersion: scorer.version, method: scorer.method };
  }

  /** Open records without a stored score, changed since scored, or scored by another model: score them. */
  async refreshStale(kind: ModelKind, limit = 50_000): Promise<number> {
    const em = this.orm.em.fork() as Em;
    const knex = knexOf(em);
    const d = KINDS[kind];
    const scorer = await this.registry.scorer(kind);
    const stale: Array<{ id: unknown }> = await knex(`${d.table} as x`)
      .leftJoin(`${d.scoreTable} as s`, `s.${d.scoreKey}`, 'x.id')
      .whereIn('x.status', d.openStatuses)
      .where((b) => b.whereNull(`s.${d.scoreKey}`).orWhere('s.scored_at', '<', knex.ref('x.updated_at')).orWhereNot('s.model_version', scorer.version))
      .select('x.id')
      .limit(limit);
    const ids = stale.map((r) => Number(r.id));
    await this.score(em, kind, ids, true);
    if (ids.length) this.distributions.delete(kind);
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

  /** Stored scores of the given records (those that have one). */
  async stored(em: Em, kind: ModelKind, ids: number[], note: string | null): Promise<Map<number, ScoreView>> {
    const d = KINDS[kind];
    const rows: Array<Record<string, unknown>> = await knexOf(em)(d.scoreTable).whereIn(d.scoreKey, ids).select('*');
    return new Map(rows.map((row) => [Number(row[d.scoreKey]), storedView(row, note)]));
  }

  /** Factors of records whose stored score has none (bulk-scored): computed now with the current scorer. */
  async explain(em: Em, kind: ModelKind, ids: number[]): Promise<Map<number, Factor[]>> {
    if (ids.length === 0) return new Map();
    const scorer = await this.registry.scorer(kind);
    const rows = await KINDS[kind].reader(em)({ ids }, 0, ids.length);
    const scores = scorer.score(rows.map((r) => r.record));
    return new Map(rows.map((r, i) => [r.id, scores[i].factors]));
  }

  /** Stored scores changed: the next percentile reloads its sample. */
  changed(kind: ModelKind): void {
    this.distributions.delete(kind);
  }

  /** Percentile (0..100) of a probability within the open queue, from a sample of stored scores. */
  async percentile(kind: ModelKind, probability: number): Promise<number | null> {
    let d = this.distributions.get(kind);
    if (!d || Date.now() - d.loadedAt > SAMPLE_TTL_MS) {
      const { scoreTable, scoreKey } = KINDS[kind];
      const knex = knexOf(this.orm.em.fork() as Em);
      const [{ n }] = await knex(scoreTable).count({ n: '*' });
      const step = Math.max(1, Math.ceil(readNumber(n) / SAMPLE));
      const rows: Array<{ probability: unknown }> = await knex(scoreTable).whereRaw(`${scoreKey} % ? = 0`, [step]).select('probability');
      d = { sorted: Float64Array.from(rows, (r) => Number(r.probability)).sort(), loadedAt: Date.now() };
      this.distributions.set(kind, d);
    }
    return percentileIn(d.sorted, probability);
  }

  private async prepare(dialect: Dialect, d: KindDescriptor, scorer: Scorer, rows: ScoredRow[], bulk: boolean, batch: Batch): Promise<ScoreView[]> {
    const views = await this.views(scorer, rows, new Date(), bulk);
    rows.forEach((r, i) => {
      if (!d.openStatuses.includes(r.status)) batch.closed.push(r.id);
      else {
        batch.upserts.push({
          [d.scoreKey]: r.id, owner_id: r.ownerId, team_id: r.teamId, record_created_at: dateValue(dialect, r.createdAt), ...d.storedColumns(r), ...scoreColumns(dialect, views[i]),
        });
      }
    });
    return views;
  }

  private async views(scorer: Scorer, rows: ScoredRow[], scoredAt: Date, bulk: boolean): Promise<ScoreView[]> {
    const factors = rows.length <= EXPLAIN_BELOW;
    const records = rows.map((r) => r.record);
    // A model over many records (rescoring, the sweep, the first queue) runs on a worker thread.
    const dir = this.registry.dirOf(scorer);
    const scores = dir && (bulk || rows.length >= OFF_THREAD_FROM) ? await this.work.run('score', { dir, records, factors }) : scorer.score(records, { factors });
    return scores.map((s) => ({ ...s, modelVersion: scorer.version, method: scorer.method, note: scorer.note, scoredAt }));
  }

  /** One transaction. A stored score newer than the one written (a change scored meanwhile) is kept. */
  private async write(em: Em, d: KindDescriptor, batch: Batch): Promise<void> {
    if (batch.upserts.length === 0 && batch.closed.length === 0 && !batch.dropAllClosed) return;
    await knexOf(em).transaction(async (trx) => {
      for (let i = 0; i < batch.upserts.length; i += ROWS_PER_INSERT) {
        // knex drops merge().where() from a multi-row SQLite upsert (compiled as `select ... union all`): appended here.
        const upsert = trx(d.scoreTable).insert(batch.upserts.slice(i, i + ROWS_PER_INSERT)).onConflict(d.scoreKey).merge().toSQL();
        await trx.raw(`${upsert.sql} where ${d.scoreTable}.scored_at <= excluded.scored_at`, upsert.bindings);
      }
      for (let i = 0; i < batch.closed.length; i += IDS_PER_DELETE) await trx(d.scoreTable).whereIn(d.scoreKey, batch.closed.slice(i, i + IDS_PER_DELETE)).delete();
      if (batch.dropAllClosed) {
        const open = trx(`${d.table} as x`).select(trx.raw('1')).whereRaw(`x.id = ${d.scoreTable}.${d.scoreKey}`).whereIn('x.status', d.openStatuses);
        await trx(d.scoreTable).whereNotExists(open).delete();
      }
    });
  }
}

function scoreColumns(dialect: Dialect, v: ScoreView) {
  return {
    probability: v.probability,
    score: v.score,
    tier: v.tier,
    factors: JSON.stringify(v.factors),
    model_version: v.modelVersion,
    method: v.method,
    scored_at: dateValue(dialect, v.scoredAt),
  };
}

/** A stored score row as read by a raw query; `note` is the current rule-based scorer's, for rule scores. */
export function storedView(r: Record<string, unknown>, note: string | null): ScoreView {
  return {
    probability: Number(r.probability),
    score: Number(r.score),
    tier: String(r.tier),
    factors: readJson<Factor[]>(r.factors, []),
    modelVersion: String(r.model_version),
    method: r.method === 'RULES' ? 'RULES' : 'MODEL',
    note: r.method === 'RULES' ? note : null,
    scoredAt: new Date(readEpochMs(r.scored_at)!),
  };
}
