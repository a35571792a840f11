import { registerEnumType } from 'type-graphql';

export enum RepRole { SDR = 'SDR', AE = 'AE', MANAGER = 'MANAGER', EXEC = 'EXEC' }
export enum AccountSegment { A = 'A', B = 'B', C = 'C' }
export enum LeadStatus {
  NEW = 'NEW',
  CONTACTED = 'CONTACTED',
  QUALIFIED = 'QUALIFIED',
  DISQUALIFIED = 'DISQUALIFIED',
  CONVERTED = 'CONVERTED',
}
export enum DealStatus { OPEN = 'OPEN', WON = 'WON', LOST = 'LOST' }
export enum ForecastCategory { COMMIT = 'COMMIT', BEST_CASE = 'BEST_CASE', PIPELINE = 'PIPELINE', OMITTED = 'OMITTED' }
export enum ActivityType { CALL = 'CALL', EMAIL = 'EMAIL', MEETING = 'MEETING', DEMO = 'DEMO', NOTE = 'NOTE' }
export enum ActivityOutcome {
  NONE = 'NONE',
  NO_ANSWER = 'NO_ANSWER',
  CONNECTED = 'CONNECTED',
  REPLIED = 'REPLIED',
  MEETING_BOOKED = 'MEETING_BOOKED',
  COMPLETED = 'COMPLETED',
}
export enum SpendCategory { SALES = 'SALES', MARKETING = 'MARKETING' }
export enum TargetScope { COMPANY = 'COMPANY', TEAM = 'TEAM', REP = 'REP' }
export enum SortDirection { ASC = 'ASC', DESC = 'DESC' }

registerEnumType(RepRole, { name: 'RepRole', description: 'What a person on the sales team does.' });
registerEnumType(AccountSegment, { name: 'AccountSegment', description: 'Customer value segment: A = highest potential.' });
registerEnumType(LeadStatus, {
  name: 'LeadStatus',
  description: 'Lifecycle of a lead: QUALIFIED means sales-qualified (SQL).',
});
registerEnumType(DealStatus, { name: 'DealStatus' });
registerEnumType(ForecastCategory, { name: 'ForecastCategory' });
registerEnumType(ActivityType, { name: 'ActivityType' });
registerEnumType(ActivityOutcome, { name: 'ActivityOutcome' });
registerEnumType(SpendCategory, { name: 'SpendCategory' });
registerEnumType(TargetScope, { name: 'TargetScope' });
registerEnumType(SortDirection, { name: 'SortDirection' });

/** Activity types that reach out to a prospect (a NOTE does not). */
export const OUTBOUND_ACTIVITY_TYPES = [ActivityType.CALL, ActivityType.EMAIL, ActivityType.MEETING, ActivityType.DEMO];
