/**
 * The CPU-heavy part of a forecast and a backtest as plain-data tasks for a worker thread (src/shared/workers/): a
 * FactTable (typed arrays), a period and a scope (scope.ts) in, numbers out (or the database settings, and the
 * worker loads the facts itself).
 */
import type { DatabaseConfig } from '../../config';
import type { Em, Orm } from '../../db/orm';
import type { FactTable } from './facts';
import type { Period } from '../../shared/period';
import { type ForecastScope, type GroupDimension, groupFunction, scopeFilter } from './scope';
import { type BacktestResult, type DealModelCandidate, type ServeOptions, type ServedForecastResult, computeServedForecast, runBacktest } from './track-record';

export interface ForecastTask {
  facts: FactTable;
  period: Period;
  asOf: number;
  groupBy: GroupDimension;
  scope: ForecastScope;
  options: Omit<ServeOptions, 'dealModel'>;
}

/** A deal model (its win-probability function) cannot cross to a worker: with one, the caller runs this inline. */
export function forecastTask({ facts, period, asOf, groupBy, scope, options }: ForecastTask, dealModel?: DealModelCandidate): ServedForecastResult {
  return computeServedForecast(facts, period, asOf, groupFunction(facts, groupBy), scopeFilter(facts, scope), { ...options, dealModel, scope });
}

export interface BacktestTask {
  facts: FactTable;
  periods: Period[];
  scope: ForecastScope;
  options: Omit<ServeOptions, 'dealModel'>;
}

export function backtestTask({ facts, periods, scope, options }: BacktestTask): BacktestResult {
  return runBacktest(facts, periods, { ...options, scope }, scopeFilter(facts, scope));
}

/** The buffers of a FactTable, to move to a worker instead of copying them (the caller no longer reads them). */
export function factBuffers(t: FactTable): ArrayBuffer[] {
  const r = t.revisions;
  const arrays = [t.id, t.created, t.closed, t.outcome, t.amount, t.team, t.rep, t.product, t.family, t.category, t.expectedClose, t.entries, ...(r ? [r.row, r.at, r.field, r.old] : [])];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/**
 * The same, with the facts loaded on the worker thread through its own connection (a 20k-deal SQLite load takes
 * ~0.4 s of synchronous better-sqlite3 work; a million deals, many seconds): for an SQLite file or PostgreSQL.
 */
export interface DatabaseTask {
  database: DatabaseConfig;
  /** The facts as known at this instant (epoch ms). */
  factsAsOf: number;
}

let workerOrm: Promise<Orm> | undefined;
async function workerEm(database: DatabaseConfig): Promise<Em> {
  // One small connection pool per worker thread, opened on its first task and kept while the thread lives.
  workerOrm ??= import('../../db/orm').then(({ createOrm }) => createOrm({ ...database, poolSize: Math.min(2, database.poolSize) }));
  return (await workerOrm).em.fork() as Em;
}

async function loadOnWorker(task: DatabaseTask): Promise<FactTable> {
  const { loadFacts } = await import('./facts.sql');
  return loadFacts(await workerEm(task.database), new Date(task.factsAsOf));
}

export async function forecastFromDatabaseTask(task: DatabaseTask & Omit<ForecastTask, 'facts'>): Promise<ServedForecastResult & { stages: FactTable['stages'] }> {
  const facts = await loadOnWorker(task);
  return { ...forecastTask({ ...task, facts }), stages: facts.stages };
}

export async function backtestFromDatabaseTask(task: DatabaseTask & Omit<BacktestTask, 'facts'>): Promise<BacktestResult> {
  return backtestTask({ ...task, facts: await loadOnWorker(task) });
}
