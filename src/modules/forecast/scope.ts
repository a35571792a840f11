/**
 * Who a forecast is about and how it is broken down, as plain data (no functions, so a task for a worker thread can
 * carry them: forecast.task.ts), and the row predicates they stand for over a FactTable. Pure.
 */
import type { FactTable } from './facts';

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
