import { KpiFamily, KpiUnit } from '../kpi.enums';
import { ratio } from '../kpi.math';
import { countKpi, HIGHER, healthyBelow, type KpiDef, LOWER, NEUTRAL, quotientKpi } from './kpi-def';

/** Activity: are we doing enough? */

/** A count of activities or records in the period, described by what is counted. */
const counted = (key: string, label: string, ref: string, what: string): KpiDef =>
  countKpi(KpiFamily.ACTIVITY, { key, label, ref, description: `${what} in the period.`, formula: `count(${what.toLowerCase()})`, direction: HIGHER });

export const ACTIVITY_KPIS: KpiDef[] = [
  counted('callsMade', 'Calls made', 'activities.calls', 'Activities of type CALL'),
  counted('emailsSent', 'Emails sent', 'activities.emails', 'Activities of type EMAIL'),
  counted('meetingsHeld', 'Meetings held', 'activities.meetings', 'Activities of type MEETING'),
  counted('demosHeld', 'Demos', 'activities.demos', 'Activities of type DEMO'),
  counted('meetingsBooked', 'Meetings booked', 'activities.booked', 'Activities with outcome MEETING_BOOKED'),
  counted('leadsContacted', 'Leads contacted', 'activities.leadsTouched', 'Distinct leads with at least one outbound activity (call, email, meeting, demo)'),
  counted('opportunitiesCreated', 'New opportunities', 'opened.created', 'Deals opened'),
  counted('newLeads', 'New leads', 'leadsCreated.leads', 'Leads created'),
  counted('qualifiedLeads', 'Qualified leads passed to sales', 'leadsSql.sqls', 'Leads sales-qualified (sqlAt)'),
  quotientKpi(KpiFamily.ACTIVITY, {
    key: 'speedToLead',
    label: 'Speed to lead',
    description: 'Mean time from lead creation to its first contact, over leads first contacted in the period.',
    formula: 'Σ hours(createdAt → firstContactedAt) / leads first contacted',
    unit: KpiUnit.HOURS,
    direction: LOWER,
    benchmark: 'target < 24 h',
    health: healthyBelow(24),
    of: ['leadsContacted.speedHours', 'leadsContacted.firstContacts'],
    reason: 'no lead was first contacted in the period',
  }),
  {
    key: 'repLoad',
    family: KpiFamily.ACTIVITY,
    label: 'Rep load',
    description: 'Qualified leads handled per rep per week: leads sales-qualified in the period / reps owning them / weeks.',
    formula: 'qualified leads / distinct owners / (days / 7)',
    unit: KpiUnit.COUNT,
    direction: NEUTRAL,
    benchmark: 'a rep handles 15–20 qualified leads a week well; quality drops beyond',
    health: healthyBelow(20),
    additive: false,
    financial: false,
    uses: ['leadsSql.sqls', 'leadsSql.sqlOwners'],
    compute: (v, ctx) => {
      const r = ratio(v('leadsSql.sqls'), v('leadsSql.sqlOwners'), 'no lead was qualified in the period');
      return { ...r, value: r.value == null ? null : r.value / (ctx.days / 7) };
    },
  },
];
