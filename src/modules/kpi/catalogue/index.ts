import { RepRole } from '../../../shared/enums';
import { ACTIVITY_KPIS } from './activity';
import { CONVERSION_KPIS } from './conversion';
import { EFFICIENCY_KPIS } from './efficiency';
import type { KpiDef } from './kpi-def';
import { VALUE_KPIS } from './value';

/**
 * The KPI catalogue (docs/kpis.md; the domain reference groups it in four families, one file each here).
 */
export type { ComputeContext, KpiDef, Values } from './kpi-def';

export const KPI_DEFINITIONS: readonly KpiDef[] = [...ACTIVITY_KPIS, ...CONVERSION_KPIS, ...VALUE_KPIS, ...EFFICIENCY_KPIS];

export const KPI_BY_KEY: ReadonlyMap<string, KpiDef> = new Map(KPI_DEFINITIONS.map((def) => [def.key, def]));

/** Whether a key names a KPI of the catalogue (targets may only name those). Pure. */
export const isKpiKey = (key: string): boolean => KPI_BY_KEY.has(key);

/** KPIs flagged `financial` (cost, spend, margin, quota): MANAGER and above only. */
export const FINANCIAL_KPI_KEYS: ReadonlySet<string> = new Set(KPI_DEFINITIONS.filter((def) => def.financial).map((def) => def.key));

/** Each audience's dashboard (5–10 KPIs, per the catalogue): one per sales role. */
export const DASHBOARD_KPIS: Readonly<Record<RepRole, readonly string[]>> = {
  [RepRole.SDR]: ['callsMade', 'emailsSent', 'meetingsBooked', 'leadsContacted', 'speedToLead', 'responseRate', 'meetingBookingRate', 'leadToSql'],
  [RepRole.AE]: ['revenue', 'winRate', 'averageDealSize', 'opportunitiesCreated', 'salesCycleMedian', 'lossRate', 'demosHeld', 'quotaAttainment'],
  [RepRole.MANAGER]: ['revenue', 'quotaAttainment', 'pipelineValue', 'pipelineCoverage', 'winRate', 'salesVelocity', 'salesCycleMean', 'opportunitiesCreated'],
  [RepRole.EXEC]: ['revenue', 'grossMargin', 'cac', 'ltv', 'ltvCac', 'retentionRate', 'repurchaseRate', 'revenuePerRep'],
};
