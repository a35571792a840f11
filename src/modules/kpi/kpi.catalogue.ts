import { DashboardRole, KpiDimension, KpiDirection, KpiFamily, KpiHealth, KpiUnit } from './kpi.enums';
import { type Computed, type HealthRule, ratio } from './kpi.math';

/**
 * The KPI catalogue (../shared/domain/kpi-catalogue.md) as data: each KPI names the fact aggregates it
 * needs ("fact.aggregate", see kpi.sql.ts FACTS) and computes its value from them. Money aggregates are in
 * cents; `compute` returns KPI units (money in major units, ratios 0..1, days, hours).
 */

export interface ComputeContext {
  /** Length of the bucket in days. */
  days: number;
  /** The revenue quota of the row's scope over the bucket (major units), when the KPI needs it. */
  revenueTarget: number | null;
}

export type Values = (ref: string) => number | null;

export interface KpiDef {
  key: string;
  family: KpiFamily;
  label: string;
  description: string;
  formula: string;
  unit: KpiUnit;
  direction: KpiDirection;
  /** Benchmark text from the catalogue, when it gives one. */
  benchmark?: string;
  health?: HealthRule[];
  /** Sums over time (counts, money): targets are prorated and pace extrapolated. */
  additive: boolean;
  uses: string[];
  /** Dimensions a measure is NOT split by (e.g. the total of lost deals behind a loss-reason share). */
  ignoreDims?: Record<string, KpiDimension[]>;
  needsRevenueTarget?: boolean;
  compute(v: Values, ctx: ComputeContext): Computed;
}

const cents = (v: number | null) => (v == null ? null : v / 100);
/** Deals open at the snapshot: still open, plus those closed after it. */
const OPEN_REFS = ['openNow.openAmount', 'openNow.openCount', 'closedAfter.openAmount', 'closedAfter.openCount'];
const openAmount = (v: Values) => (v('openNow.openAmount') ?? 0) + (v('closedAfter.openAmount') ?? 0);
const openCount = (v: Values) => (v('openNow.openCount') ?? 0) + (v('closedAfter.openCount') ?? 0);
const count = (ref: string) => (v: Values): Computed => ({ value: v(ref) ?? 0 });
const rate = (num: string, den: string, reason: string) => (v: Values) => ratio(v(num), v(den), reason);

const LOWER = KpiDirection.LOWER_IS_BETTER;
const HIGHER = KpiDirection.HIGHER_IS_BETTER;
const { HEALTHY, WARNING, ALARM } = KpiHealth;

function activityCount(key: string, label: string, ref: string, what: string): KpiDef {
  return {
    key,
    family: KpiFamily.ACTIVITY,
    label,
    description: `${what} in the period.`,
    formula: `count(${what.toLowerCase()})`,
    unit: KpiUnit.COUNT,
    direction: HIGHER,
    additive: true,
    uses: [ref],
    compute: count(ref),
  };
}

export const KPI_DEFINITIONS: KpiDef[] = [
  // ---- Activity: are we doing enough?
  activityCount('callsMade', 'Calls made', 'activities.calls', 'Activities of type CALL'),
  activityCount('emailsSent', 'Emails sent', 'activities.emails', 'Activities of type EMAIL'),
  activityCount('meetingsHeld', 'Meetings held', 'activities.meetings', 'Activities of type MEETING'),
  activityCount('demosHeld', 'Demos', 'activities.demos', 'Activities of type DEMO'),
  activityCount('meetingsBooked', 'Meetings booked', 'activities.booked', 'Activities with outcome MEETING_BOOKED'),
  activityCount('leadsContacted', 'Leads contacted', 'activities.leadsTouched', 'Distinct leads with at least one outbound activity (call, email, meeting, demo)'),
  activityCount('opportunitiesCreated', 'New opportunities', 'opened.created', 'Deals opened'),
  activityCount('newLeads', 'New leads', 'leadsCreated.leads', 'Leads created'),
  activityCount('qualifiedLeads', 'Qualified leads passed to sales', 'leadsSql.sqls', 'Leads sales-qualified (sqlAt)'),
  {
    key: 'speedToLead',
    family: KpiFamily.ACTIVITY,
    label: 'Speed to lead',
    description: 'Mean time from lead creation to its first contact, over leads first contacted in the period.',
    formula: 'Σ hours(createdAt → firstContactedAt) / leads first contacted',
    unit: KpiUnit.HOURS,
    direction: LOWER,
    benchmark: 'target < 24 h',
    health: [{ status: HEALTHY, max: 24 }, { status: WARNING, min: 24 }],
    additive: false,
    uses: ['leadsContacted.speedHours', 'leadsContacted.firstContacts'],
    compute: rate('leadsContacted.speedHours', 'leadsContacted.firstContacts', 'no lead was first contacted in the period'),
  },
  {
    key: 'repLoad',
    family: KpiFamily.ACTIVITY,
    label: 'Rep load',
    description: 'Qualified leads handled per rep per week: leads sales-qualified in the period / reps owning them / weeks.',
    formula: 'qualified leads / distinct owners / (days / 7)',
    unit: KpiUnit.COUNT,
    direction: KpiDirection.NEUTRAL,
    benchmark: 'a rep handles 15–20 qualified leads a week well; quality drops beyond',
    health: [{ status: HEALTHY, max: 20 }, { status: WARNING, min: 20 }],
    additive: false,
    uses: ['leadsSql.sqls', 'leadsSql.sqlOwners'],
    compute: (v, ctx) => {
      const r = ratio(v('leadsSql.sqls'), v('leadsSql.sqlOwners'), 'no lead was qualified in the period');
      return { ...r, value: r.value == null ? null : r.value / (ctx.days / 7) };
    },
  },

  // ---- Conversion: is our work effective?
  {
    key: 'responseRate',
    family: KpiFamily.CONVERSION,
    label: 'Response rate',
    description: 'Leads who responded (outcome REPLIED, CONNECTED or MEETING_BOOKED) / leads contacted, by activities in the period.',
    formula: 'distinct leads responding / distinct leads contacted',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    additive: false,
    uses: ['activities.leadsResponded', 'activities.leadsTouched'],
    compute: rate('activities.leadsResponded', 'activities.leadsTouched', 'no lead was contacted in the period'),
  },
  {
    key: 'meetingBookingRate',
    family: KpiFamily.CONVERSION,
    label: 'Meeting-booking rate',
    description: 'Meetings booked / contacts (calls + emails) in the period.',
    formula: 'activities with outcome MEETING_BOOKED / (calls + emails)',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: '10–25 % in structured B2B prospecting',
    health: [{ status: WARNING, max: 0.1 }, { status: HEALTHY, min: 0.1 }],
    additive: false,
    uses: ['activities.booked', 'activities.touches'],
    compute: rate('activities.booked', 'activities.touches', 'no call or email in the period'),
  },
  {
    key: 'qualificationRate',
    family: KpiFamily.CONVERSION,
    label: 'Qualification rate',
    description: 'Of the leads created in the period, the share sales-qualified so far (incoming-lead targeting quality).',
    formula: 'leads created with sqlAt / leads created',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: '< 20 % signals a targeting problem',
    health: [{ status: WARNING, max: 0.2 }, { status: HEALTHY, min: 0.2 }],
    additive: false,
    uses: ['leadsCreated.qualified', 'leadsCreated.leads'],
    compute: rate('leadsCreated.qualified', 'leadsCreated.leads', 'no lead was created in the period'),
  },
  {
    key: 'leadToOpportunity',
    family: KpiFamily.CONVERSION,
    label: 'Lead → opportunity',
    description: 'Of the leads created in the period, the share converted into a deal.',
    formula: 'leads created with a converted deal / leads created',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    additive: false,
    uses: ['leadsCreated.converted', 'leadsCreated.leads'],
    compute: rate('leadsCreated.converted', 'leadsCreated.leads', 'no lead was created in the period'),
  },
  {
    key: 'mqlToSql',
    family: KpiFamily.CONVERSION,
    label: 'MQL → SQL',
    description: 'Of the leads marketing-qualified in the period, the share later sales-qualified.',
    formula: 'leads with mqlAt in period and sqlAt / leads with mqlAt in period',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    additive: false,
    uses: ['leadsMql.mqlToSql', 'leadsMql.mqls'],
    compute: rate('leadsMql.mqlToSql', 'leadsMql.mqls', 'no lead was marketing-qualified in the period'),
  },
  {
    key: 'leadToSql',
    family: KpiFamily.CONVERSION,
    label: 'Lead → SQL (per SDR)',
    description: 'Of the leads created in the period that were contacted, the share sales-qualified: the SDR effectiveness figure (group by REP).',
    formula: 'contacted leads with sqlAt / contacted leads (cohort: created in the period)',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    additive: false,
    uses: ['leadsCreated.contactedQualified', 'leadsCreated.contacted'],
    compute: rate('leadsCreated.contactedQualified', 'leadsCreated.contacted', 'no lead created in the period was contacted'),
  },
  {
    key: 'stageConversion',
    family: KpiFamily.CONVERSION,
    label: 'Stage-to-stage conversion',
    description:
      'For deals opened in the period: those that reached a later stage / those that reached the stage, per open stage (group by STAGE to find the bottleneck). A deal reached every stage up to the furthest one in its history.',
    formula: 'deals reaching stage N+1 / deals reaching stage N',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: 'find the bottleneck',
    additive: false,
    uses: ['reach.advanced', 'reach.reached'],
    compute: rate('reach.advanced', 'reach.reached', 'no deal opened in the period reached this stage'),
  },
  {
    key: 'winRate',
    family: KpiFamily.CONVERSION,
    label: 'Win rate',
    description: 'Won / (won + lost) over deals closed in the period.',
    formula: 'won / (won + lost)',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: '20–30 % typical B2B; 15–25 % for well-run teams vs 2–5 % poorly organised',
    health: [{ status: ALARM, max: 0.05 }, { status: WARNING, min: 0.05, max: 0.15 }, { status: HEALTHY, min: 0.15 }],
    additive: false,
    uses: ['closed.won', 'closed.closed'],
    compute: rate('closed.won', 'closed.closed', 'no deal was closed in the period'),
  },
  {
    key: 'lossRate',
    family: KpiFamily.CONVERSION,
    label: 'Loss rate',
    description: 'Lost / (won + lost) over deals closed in the period; read with loss reasons (lossReasonShare).',
    formula: 'lost / (won + lost)',
    unit: KpiUnit.RATIO,
    direction: LOWER,
    benchmark: '> 70 % = major dysfunction; good teams < 40 %',
    health: [{ status: HEALTHY, max: 0.4 }, { status: WARNING, min: 0.4, max: 0.7 }, { status: ALARM, min: 0.7 }],
    additive: false,
    uses: ['closed.lost', 'closed.closed'],
    compute: rate('closed.lost', 'closed.closed', 'no deal was closed in the period'),
  },
  {
    key: 'lostDeals',
    family: KpiFamily.CONVERSION,
    label: 'Lost deals',
    description: 'Deals lost in the period (group by LOSS_REASON for the reasons).',
    formula: 'count(lost deals)',
    unit: KpiUnit.COUNT,
    direction: LOWER,
    additive: true,
    uses: ['lost.lost'],
    compute: count('lost.lost'),
  },
  {
    key: 'lossReasonShare',
    family: KpiFamily.CONVERSION,
    label: 'Loss reasons',
    description: 'Share of the deals lost in the period per loss reason (group by LOSS_REASON; the denominator is all lost deals of the row).',
    formula: 'lost with reason / lost',
    unit: KpiUnit.RATIO,
    direction: KpiDirection.NEUTRAL,
    benchmark: 'analyse loss reasons (price, timing, competitor, positioning)',
    additive: false,
    uses: ['lost.lost', 'lost.lost!total'],
    ignoreDims: { 'lost.lost!total': [KpiDimension.LOSS_REASON] },
    compute: rate('lost.lost', 'lost.lost!total', 'no deal was lost in the period'),
  },
  {
    key: 'leadActivationRate',
    family: KpiFamily.CONVERSION,
    label: 'Lead activation rate',
    description: 'Of the leads first contacted in the period, the share that engaged (replied, connected or booked a meeting) after that contact.',
    formula: 'leads engaging after first contact / leads first contacted',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    additive: false,
    uses: ['leadsContacted.activated', 'leadsContacted.firstContacts'],
    compute: rate('leadsContacted.activated', 'leadsContacted.firstContacts', 'no lead was first contacted in the period'),
  },
  {
    key: 'conversionBySource',
    family: KpiFamily.CONVERSION,
    label: 'Lead → customer (by source)',
    description: 'Of the leads created in the period, the share whose deal was won; group by SOURCE to compare channels.',
    formula: 'leads created whose converted deal is won / leads created',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: 'referrals convert far better than broad ad campaigns',
    additive: false,
    uses: ['leadsCreated.customers', 'leadsCreated.leads'],
    compute: rate('leadsCreated.customers', 'leadsCreated.leads', 'no lead was created in the period'),
  },

  // ---- Value: do our wins pay enough?
  {
    key: 'revenue',
    family: KpiFamily.VALUE,
    label: 'Revenue (bookings)',
    description: 'Sum of the amounts of deals won in the period (booked, not invoiced).',
    formula: 'Σ amount of won deals',
    unit: KpiUnit.MONEY,
    direction: HIGHER,
    additive: true,
    uses: ['closed.wonAmount'],
    compute: (v) => ({ value: cents(v('closed.wonAmount') ?? 0) }),
  },
  {
    key: 'revenuePerRep',
    family: KpiFamily.VALUE,
    label: 'Revenue per rep',
    description: 'Revenue / reps who closed at least one deal (won or lost) in the period.',
    formula: 'Σ won amount / distinct owners of closed deals',
    unit: KpiUnit.MONEY,
    direction: HIGHER,
    benchmark: 'top-vs-bottom gap > 300 % in 70 % of companies',
    additive: false,
    uses: ['closed.wonAmount', 'closed.closers'],
    compute: (v) => ratio(cents(v('closed.wonAmount')), v('closed.closers'), 'no deal was closed in the period'),
  },
  {
    key: 'averageDealSize',
    family: KpiFamily.VALUE,
    label: 'Average deal size',
    description: 'Won revenue / won deals in the period. Read with volume and margin.',
    formula: 'Σ won amount / won deals',
    unit: KpiUnit.MONEY,
    direction: HIGHER,
    additive: false,
    uses: ['closed.wonAmount', 'closed.won'],
    compute: (v) => ratio(cents(v('closed.wonAmount')), v('closed.won'), 'no deal was won in the period'),
  },
  {
    key: 'grossMargin',
    family: KpiFamily.VALUE,
    label: 'Gross margin rate',
    description: '(Order amount − cost) / order amount over orders in the period.',
    formula: '(Σ price − Σ cost) / Σ price',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: 'revenue growth can hide margin erosion (uncontrolled discounts)',
    additive: false,
    uses: ['orders.orderAmount', 'orders.orderCost'],
    compute: (v) => {
      const amount = v('orders.orderAmount');
      const margin = amount == null ? null : amount - (v('orders.orderCost') ?? 0);
      return ratio(cents(margin), cents(amount), 'no order in the period');
    },
  },
  {
    key: 'ltv',
    family: KpiFamily.VALUE,
    label: 'Customer lifetime value',
    description:
      'Average purchase × purchases per customer per year × relationship years. Purchases from orders in the period (annualised); relationship years = 1 / annual churn (12-month activity), capped at 10.',
    formula: '(Σ order amount / orders) × (orders / buyers × 365 / days) × min(10, 1 / churn)',
    unit: KpiUnit.MONEY,
    direction: HIGHER,
    benchmark: 'e.g. 2,000 €/yr for 5 years = 10,000 €',
    additive: false,
    uses: ['orders.orderAmount', 'orders.buyers', 'retention.activeAtStart', 'retention.retained'],
    compute: (v, ctx) => ltvOf(v, ctx),
  },
  {
    key: 'repurchaseRate',
    family: KpiFamily.VALUE,
    label: 'Repurchase rate',
    description: 'Of the customers who ordered in the period, the share with at least two orders to date.',
    formula: 'customers with ≥ 2 purchases / unique customers',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: '20–30 % industrial equipment, 40–50 % recurring B2B services, up to 60–65 % maintenance / tech',
    health: [{ status: WARNING, max: 0.2 }, { status: HEALTHY, min: 0.2 }],
    additive: false,
    uses: ['buyers.repeatCustomers', 'buyers.customers'],
    compute: rate('buyers.repeatCustomers', 'buyers.customers', 'no customer ordered in the period'),
  },
  {
    key: 'retentionRate',
    family: KpiFamily.VALUE,
    label: 'Retention rate',
    description:
      'Customers active at the period end who were active at its start / customers active at the start; active = at least one order in the preceding 365 days.',
    formula: 'retained customers / customers at start',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    benchmark: 'high acquisition cannot compensate high churn',
    additive: false,
    uses: ['retention.retained', 'retention.activeAtStart'],
    compute: rate('retention.retained', 'retention.activeAtStart', 'no customer was active at the start of the period'),
  },
  {
    key: 'churnRate',
    family: KpiFamily.VALUE,
    label: 'Churn rate',
    description: '1 − retention rate: customers active at the start but no longer at the end / customers active at the start.',
    formula: '(customers at start − retained) / customers at start',
    unit: KpiUnit.RATIO,
    direction: LOWER,
    additive: false,
    uses: ['retention.retained', 'retention.activeAtStart'],
    compute: (v) => {
      const start = v('retention.activeAtStart');
      return ratio(start == null ? null : start - (v('retention.retained') ?? 0), start, 'no customer was active at the start of the period');
    },
  },

  // ---- Efficiency: do we use time and money well?
  {
    key: 'salesCycleMean',
    family: KpiFamily.EFFICIENCY,
    label: 'Sales cycle (mean)',
    description: 'Mean days from first qualified contact (engagedAt, else openedAt) to signature, over deals won in the period.',
    formula: 'Σ days(engagedAt → closedAt) / won deals',
    unit: KpiUnit.DAYS,
    direction: LOWER,
    benchmark: 'B2B services 3–9 months, industry 12–18 months',
    health: [{ status: HEALTHY, max: 270 }, { status: WARNING, min: 270, max: 548 }, { status: ALARM, min: 548 }],
    additive: false,
    uses: ['closed.cycleDays', 'closed.cycleCount'],
    compute: rate('closed.cycleDays', 'closed.cycleCount', 'no dated deal was won in the period'),
  },
  {
    key: 'salesCycleMedian',
    family: KpiFamily.EFFICIENCY,
    label: 'Sales cycle (median)',
    description: 'Median days from first qualified contact to signature over deals won in the period (robust to a few very long deals).',
    formula: 'median days(engagedAt → closedAt) of won deals',
    unit: KpiUnit.DAYS,
    direction: LOWER,
    benchmark: 'B2B services 3–9 months, industry 12–18 months',
    health: [{ status: HEALTHY, max: 270 }, { status: WARNING, min: 270, max: 548 }, { status: ALARM, min: 548 }],
    additive: false,
    uses: ['closed.cycleMedian', 'closed.cycleCount'],
    compute: (v) => {
      const median = v('closed.cycleMedian');
      return median == null
        ? { value: null, denominator: v('closed.cycleCount'), reason: 'no dated deal was won in the period' }
        : { value: median, denominator: v('closed.cycleCount') };
    },
  },
  {
    key: 'cac',
    family: KpiFamily.EFFICIENCY,
    label: 'Customer acquisition cost',
    description: '(Sales + marketing spend in the period, prorated by days) / new customers (accounts whose first won deal closed in the period).',
    formula: '(sales costs + marketing costs) / new customers',
    unit: KpiUnit.MONEY,
    direction: LOWER,
    additive: false,
    uses: ['spend.salesSpend', 'spend.marketingSpend', 'newCustomers.newCustomers'],
    compute: (v) => ratio(cents((v('spend.salesSpend') ?? 0) + (v('spend.marketingSpend') ?? 0)), v('newCustomers.newCustomers'), 'no new customer in the period'),
  },
  {
    key: 'ltvCac',
    family: KpiFamily.EFFICIENCY,
    label: 'LTV / CAC',
    description: 'Customer lifetime value / customer acquisition cost (see ltv and cac).',
    formula: 'LTV / CAC',
    unit: KpiUnit.MULTIPLE,
    direction: HIGHER,
    benchmark: '< 1 red (each customer loses money), = 1 break-even, > 3 healthy; very high = under-investing',
    health: [{ status: ALARM, max: 1 }, { status: WARNING, min: 1, max: 3 }, { status: HEALTHY, min: 3 }],
    additive: false,
    uses: [
      'orders.orderAmount',
      'orders.buyers',
      'retention.activeAtStart',
      'retention.retained',
      'spend.salesSpend',
      'spend.marketingSpend',
      'newCustomers.newCustomers',
    ],
    compute: (v, ctx) => {
      const ltv = ltvOf(v, ctx);
      if (ltv.value == null) return { value: null, reason: ltv.reason };
      const cac = ratio(cents((v('spend.salesSpend') ?? 0) + (v('spend.marketingSpend') ?? 0)), v('newCustomers.newCustomers'), 'no new customer in the period');
      if (cac.value == null) return { value: null, reason: cac.reason };
      return ratio(ltv.value, cac.value, 'no acquisition cost recorded in the period');
    },
  },
  {
    key: 'pipelineValue',
    family: KpiFamily.EFFICIENCY,
    label: 'Pipeline value',
    description:
      'Sum of open deal amounts at the end of the period (or now, for a running period); group by STAGE for the value per stage (current stage of each deal). Open deals without an opened date (imported undated) count in the present pipeline only.',
    formula: 'Σ amount of deals open at the snapshot',
    unit: KpiUnit.MONEY,
    direction: HIGHER,
    additive: false,
    uses: OPEN_REFS,
    compute: (v) => ({ value: cents(openAmount(v)), denominator: openCount(v) }),
  },
  {
    key: 'pipelineCoverage',
    family: KpiFamily.EFFICIENCY,
    label: 'Pipeline coverage',
    description: 'Open pipeline at the snapshot / remaining revenue quota of the period (quota − revenue won so far). Needs a `revenue` target for the row’s scope.',
    formula: 'open pipeline / (revenue quota − won revenue)',
    unit: KpiUnit.MULTIPLE,
    direction: HIGHER,
    benchmark: 'commonly quoted target 3x',
    health: [{ status: WARNING, max: 3 }, { status: HEALTHY, min: 3 }],
    additive: false,
    needsRevenueTarget: true,
    uses: [...OPEN_REFS, 'closed.wonAmount'],
    compute: (v, ctx) => {
      if (ctx.revenueTarget == null) return { value: null, reason: 'no revenue target for this scope and period' };
      const remaining = ctx.revenueTarget - (cents(v('closed.wonAmount')) ?? 0);
      if (remaining <= 0) return { value: null, numerator: cents(openAmount(v)), denominator: remaining, reason: 'the revenue quota is already reached' };
      return ratio(cents(openAmount(v)), remaining, 'no remaining quota');
    },
  },
  {
    key: 'quotaAttainment',
    family: KpiFamily.EFFICIENCY,
    label: 'Quota attainment',
    description: 'Revenue won in the period / revenue quota (the `revenue` target of the row’s rep, team or company, prorated to the period).',
    formula: 'revenue / quota',
    unit: KpiUnit.RATIO,
    direction: HIGHER,
    additive: false,
    needsRevenueTarget: true,
    uses: ['closed.wonAmount'],
    compute: (v, ctx) =>
      ctx.revenueTarget == null
        ? { value: null, numerator: cents(v('closed.wonAmount') ?? 0), reason: 'no revenue target for this scope and period' }
        : ratio(cents(v('closed.wonAmount') ?? 0), ctx.revenueTarget, 'the revenue target is zero'),
  },
  {
    key: 'salesVelocity',
    family: KpiFamily.EFFICIENCY,
    label: 'Sales velocity',
    description:
      'Open opportunities at the snapshot × average deal size × win rate / mean sales cycle in days (deals closed in the period): revenue the pipeline produces per day.',
    formula: '(open deals × average deal size × win rate) / cycle days',
    unit: KpiUnit.MONEY_PER_DAY,
    direction: HIGHER,
    additive: false,
    uses: [...OPEN_REFS, 'closed.wonAmount', 'closed.won', 'closed.closed', 'closed.cycleDays', 'closed.cycleCount'],
    compute: (v) => {
      const won = v('closed.won') ?? 0;
      if (!won) return { value: null, reason: 'no deal was won in the period' };
      const cycle = ratio(v('closed.cycleDays'), v('closed.cycleCount'), 'no dated deal was won in the period');
      if (!cycle.value) return { value: null, reason: cycle.reason ?? 'the mean sales cycle is zero days' };
      const avgSize = (cents(v('closed.wonAmount')) ?? 0) / won;
      const winRate = won / (v('closed.closed') ?? won);
      const numerator = openCount(v) * avgSize * winRate;
      return { value: numerator / cycle.value, numerator, denominator: cycle.value };
    },
  },
  {
    key: 'timeInStage',
    family: KpiFamily.EFFICIENCY,
    label: 'Time in stage',
    description: 'Mean days deals spent in a stage, over stage exits in the period (group by STAGE); the funnel gives median and p75.',
    formula: 'Σ days(entered stage → left stage) / stage exits',
    unit: KpiUnit.DAYS,
    direction: LOWER,
    additive: false,
    uses: ['exits.stageDays', 'exits.exits'],
    compute: rate('exits.stageDays', 'exits.exits', 'no deal left this stage in the period'),
  },
];

function ltvOf(v: Values, ctx: ComputeContext): Computed {
  const buyers = v('orders.buyers');
  if (!buyers) return { value: null, reason: 'no customer ordered in the period' };
  const start = v('retention.activeAtStart');
  if (!start) return { value: null, reason: 'no customer was active at the start of the period: churn unknown' };
  const churn = (start - (v('retention.retained') ?? 0)) / start;
  const years = churn > 0 ? Math.min(10, 1 / churn) : 10;
  const annualValuePerCustomer = (cents(v('orders.orderAmount')) ?? 0) / buyers / (ctx.days / 365);
  return { value: annualValuePerCustomer * years, numerator: annualValuePerCustomer, denominator: churn };
}

export const KPI_BY_KEY = new Map(KPI_DEFINITIONS.map((def) => [def.key, def]));

export const isKnownKpiKey = (key: string) => KPI_BY_KEY.has(key);

/** Each audience's dashboard (5–10 KPIs, per the catalogue). */
export const DASHBOARD_KPIS: Record<DashboardRole, string[]> = {
  [DashboardRole.SDR]: ['callsMade', 'emailsSent', 'meetingsBooked', 'leadsContacted', 'speedToLead', 'responseRate', 'meetingBookingRate', 'leadToSql'],
  [DashboardRole.AE]: ['revenue', 'winRate', 'averageDealSize', 'opportunitiesCreated', 'salesCycleMedian', 'lossRate', 'demosHeld', 'quotaAttainment'],
  [DashboardRole.MANAGER]: ['revenue', 'quotaAttainment', 'pipelineValue', 'pipelineCoverage', 'winRate', 'salesVelocity', 'salesCycleMean', 'opportunitiesCreated'],
  [DashboardRole.EXEC]: ['revenue', 'grossMargin', 'cac', 'ltv', 'ltvCac', 'retentionRate', 'repurchaseRate', 'revenuePerRep'],
};
