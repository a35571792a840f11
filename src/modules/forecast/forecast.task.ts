/**
 * The CPU-heavy part of a forecast and a backtest as plain-data functions, so they can run on a worker thread
 * (src/shared/workers/): a FactTable (typed arrays), a period and a scope in, numbers out (or the database settings,
 * and the worker loads the facts itself). The closures the engine
 * takes (who is included, which group a deal counts in) are rebuilt here from their plain descriptions.
 */
import { type BacktestRow, type ForecastOptions, type GroupForecast, computeForecast, runBacktest } from './engine';
import type { FactTable } from './facts';
import type { WinProbabilityFn } from './model';
import type { Period } from './period';
import type { DatabaseConfig } from '../../config';
import type { Em, Orm } from '../../db/orm';

/** Who the forecast is about. Access control (who may see which team or rep) decides it before it gets here. */
export interface ForecastScope {
  teamId?: number;
  repId?: number;
}

export type ForecastGrouping = 'COMPANY' | 'TEAM' | 'REP' | 'PRODUCT';

export function scopeFilter(t: FactTable, scope: ForecastScope): (i: number) => boolean {
  const { teamId, repId } = scope;
  if (repId != null) return (i) => t.rep[i] === repId;
  if (teamId != null) return (i) => t.team[i] === teamId;
  return () => true;
}

export function groupFunction(t: FactTable, groupBy: ForecastGrouping): (i: number) => number {
  switch (groupBy) {
    case 'TEAM':
      return (i) => t.team[i];
    case 'REP':
      return (i) => t.rep[i];
    case 'PRODUCT':
      return (i) => t.product[i];
    default:
      return () => 0;
  }
}

export interface ForecastTask {
  facts: FactTable;
  period: Period;
  asOf: number;
  groupBy: ForecastGrouping;
  scope: ForecastScope;
  options: Pick<ForecastOptions, 'simulations' | 'seed' | 'topDeals'>;
}

export interface ForecastTaskResult {
  total: GroupForecast;
  groups: GroupForecast[];
  closedDeals: number;
  newBusinessAnalogues: number;
  warnings: string[];
}

/** `winFn` (the deal-win model's seam) cannot cross to a worker: with one, the caller runs this inline. */
export function forecastTask({ facts, period, asOf, groupBy, scope, options }: ForecastTask, winFn?: WinProbabilityFn): ForecastTaskResult {
  const result = computeForecast(facts, period, asOf, groupFunction(facts, groupBy), scopeFilter(facts, scope), { ...options, winFn });
  return { total: result.total, groups: result.groups, closedDeals: result.model.closedDeals, newBusinessAnalogues: result.newBusinessAnalogues, warnings: result.warnings };
}

export interface BacktestTask {
  facts: FactTable;
  periods: Period[];
  scope: ForecastScope;
  options: Pick<ForecastOptions, 'simulations' | 'seed'>;
}

export function backtestTask({ facts, periods, scope, options }: BacktestTask): BacktestRow[] {
  return runBacktest(facts, periods, { ...options, topDeals: 0 }, scopeFilter(facts, scope));
}

/** The buffers of a FactTable, to move to a worker instead of copying them (the caller no longer reads them). */
export function factBuffers(t: FactTable): ArrayBuffer[] {
  const arrays = [t.id, t.created, t.closed, t.outcome, t.amount, t.team, t.rep, t.product, t.family, t.category, t.expectedClose, t.entries];
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
  const { loadFacts } = await import('./forecast.loader');
  return loadFacts(await workerEm(task.database), task.database.kind, new Date(task.factsAsOf));
}

export async function forecastFromDatabaseTask(task: DatabaseTask & Omit<ForecastTask, 'facts'>): Promise<ForecastTaskResult & { stages: FactTable['stages'] }> {
  const facts = await loadOnWorker(task);
  return { ...forecastTask({ ...task, facts }), stages: facts.stages };
}

export async function backtestFromDatabaseTask(task: DatabaseTask & Omit<BacktestTask, 'facts'>): Promise<BacktestRow[]> {
  return backtestTask({ ...task, facts: await loadOnWorker(task) });
}
