/**
 * The CPU-heavy part of a forecast, a backtest and the stage statistics as plain-data tasks for a worker thread
 * (src/shared/workers/): a fact source (fact-source.ts, in shared memory: handed over, not copied), the date to read
 * it as of, a period and a scope (scope.ts) in, numbers out; and the load of a fact source through the worker's own
 * connection.
 */
import type { DatabaseConfig } from '../../config';
import type { Em, Orm } from '../../db/orm';
import type { Period } from '../../shared/period';
import { type FactSource, factsAt } from './fact-source';
import type { FactTable } from './facts';
import type { SourceLoad } from './facts.sql';
import type { CycleDuration, StageWeights } from './forecast.types';
import { type SegmentFilter, cycleDurationsOf, stageWeightsOf } from './history.service';
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

/** A task on the facts as of `factsAsOf` (epoch ms), derived from a shared source on the worker. */
export interface SourceTask {
  source: FactSource;
  factsAsOf: number;
}

export function forecastFromSourceTask({ source, factsAsOf, ...task }: SourceTask & Omit<ForecastTask, 'facts'>): ServedForecastResult {
  return forecastTask({ ...task, options: { ...task.options, lineage: source.lineage }, facts: factsAt(source, factsAsOf) });
}

export function backtestFromSourceTask({ source, factsAsOf, ...task }: SourceTask & Omit<BacktestTask, 'facts'>): BacktestResult {
  return backtestTask({ ...task, options: { ...task.options, lineage: source.lineage }, facts: factsAt(source, factsAsOf) });
}

export interface StageStatsTask extends SourceTask {
  segment?: SegmentFilter;
  scope: ForecastScope;
}

export function stageWeightsFromSourceTask({ source, factsAsOf, segment, scope }: StageStatsTask): StageWeights {
  return stageWeightsOf(factsAt(source, factsAsOf), factsAsOf, segment, scope);
}

export function cycleDurationsFromSourceTask({ source, factsAsOf, segment, scope }: StageStatsTask): CycleDuration[] {
  return cycleDurationsOf(factsAt(source, factsAsOf), factsAsOf, segment, scope);
}

let workerOrm: Promise<Orm> | undefined;
async function workerEm(database: DatabaseConfig): Promise<Em> {
  // One small connection pool per worker thread, opened on its first task and kept while the thread lives.
  workerOrm ??= import('../../db/orm').then(({ createOrm }) => createOrm({ ...database, poolSize: Math.min(2, database.poolSize) }));
  return (await workerOrm).em.fork() as Em;
}

/**
 * The fact source read on a worker thread through its own connection (a 20k-deal SQLite load takes ~0.4 s of
 * synchronous better-sqlite3 work; a million deals, seconds), with the data versions of `versionTables` read in
 * the same snapshot. Its columns are shared memory: returning them shares them with the caller.
 */
export async function loadFactSourceTask({ database, versionTables, previous }: { database: DatabaseConfig; versionTables: readonly string[]; previous?: SourceLoad }): Promise<SourceLoad> {
  const { loadFactSource } = await import('./facts.sql');
  return loadFactSource(await workerEm(database), { versionTables, previous });
}
