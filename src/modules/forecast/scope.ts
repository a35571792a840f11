/**
 * Who a forecast is about and how it is broken down, as plain data (no functions), so the pure entry points below can
 * run where the inputs had to be serialised (a worker thread): a FactTable, periods, options and this. Pure.
 */
import type { FactTable } from './facts';
import type { Period } from '../../shared/period';
import { type BacktestResult, type ServeOptions, type ServedForecastResult, computeServedForecast, runBacktest } from './track-record';

/** Deals of one rep, or of one team; the whole company when neither is set. */
export interface ForecastScope {
  teamId?: number;
  repId?: number;
}

export type GroupDimension = 'COMPANY' | 'TEAM' | 'REP' | 'PRODUCT';

export function scopeFilter(t: FactTable, scope: ForecastScope): (i: number) => boolean {
  const { teamId, repId } = scope;
  if (repId != null) return (i) => t.rep[i] === repId;
  if (teamId != null) return (i) => t.team[i] === teamId;
  return () => true;
}

export function groupFunction(t: FactTable, groupBy: GroupDimension): (i: number) => number {
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

/** The served forecast of a period as of a date, for a scope, by group (plain inputs: see the file comment). */
export function servedForecastFor(t: FactTable, period: Period, asOf: number, groupBy: GroupDimension, scope: ForecastScope, options: ServeOptions): ServedForecastResult {
  return computeServedForecast(t, period, asOf, groupFunction(t, groupBy), scopeFilter(t, scope), options);
}

/** The backtest of past periods for a scope (plain inputs). */
export function backtestFor(t: FactTable, periods: Period[], scope: ForecastScope, options: ServeOptions): BacktestResult {
  return runBacktest(t, periods, options, scopeFilter(t, scope));
}
