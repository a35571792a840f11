/** Plain enums of the KPI engine (registered as GraphQL enums in kpi.types.ts). */

export enum KpiFamily { ACTIVITY = 'ACTIVITY', CONVERSION = 'CONVERSION', VALUE = 'VALUE', EFFICIENCY = 'EFFICIENCY' }

export enum KpiUnit {
  COUNT = 'COUNT',
  RATIO = 'RATIO',
  MONEY = 'MONEY',
  DAYS = 'DAYS',
  HOURS = 'HOURS',
  MULTIPLE = 'MULTIPLE',
  MONEY_PER_DAY = 'MONEY_PER_DAY',
}

export enum KpiDirection { HIGHER_IS_BETTER = 'HIGHER_IS_BETTER', LOWER_IS_BETTER = 'LOWER_IS_BETTER', NEUTRAL = 'NEUTRAL' }

export enum KpiDimension {
  REP = 'REP',
  TEAM = 'TEAM',
  REGION = 'REGION',
  PRODUCT = 'PRODUCT',
  PRODUCT_FAMILY = 'PRODUCT_FAMILY',
  SOURCE = 'SOURCE',
  SEGMENT = 'SEGMENT',
  SECTOR = 'SECTOR',
  STAGE = 'STAGE',
  LOSS_REASON = 'LOSS_REASON',
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
  QUARTER = 'QUARTER',
  YEAR = 'YEAR',
}

export const TIME_DIMENSIONS = [KpiDimension.DAY, KpiDimension.WEEK, KpiDimension.MONTH, KpiDimension.QUARTER, KpiDimension.YEAR] as const;
export type TimeGrain = (typeof TIME_DIMENSIONS)[number];
export const isTimeDimension = (d: KpiDimension): d is TimeGrain => (TIME_DIMENSIONS as readonly KpiDimension[]).includes(d);

export enum KpiHealth { HEALTHY = 'HEALTHY', WARNING = 'WARNING', ALARM = 'ALARM' }

export enum TargetStatus { ON_TRACK = 'ON_TRACK', AT_RISK = 'AT_RISK', OFF_TRACK = 'OFF_TRACK' }

export enum ComparisonMode { PREVIOUS_PERIOD = 'PREVIOUS_PERIOD', SAME_PERIOD_LAST_YEAR = 'SAME_PERIOD_LAST_YEAR' }

export enum FunnelCohort { LEADS = 'LEADS', DEALS = 'DEALS' }

export enum SignalKind { STALLED_DEAL = 'STALLED_DEAL', CHURN_RISK = 'CHURN_RISK', KPI_OFF_TRACK = 'KPI_OFF_TRACK' }

export enum SignalSeverity { INFO = 'INFO', WARNING = 'WARNING', CRITICAL = 'CRITICAL' }
