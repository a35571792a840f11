import { boolLiteral, type Dialect } from '../../db/dialect';
import { ActivityOutcome, ActivityType } from '../../shared/enums';
import { KpiDimension } from './kpi.enums';
import { ACCOUNTS, ACTIVITIES, days, DEALS, type DimExpr, greatest, hours, LEADS, least, LOST, OPEN, ORDERS, OUTBOUND, RESPONSES, type SourceDef, SPEND, STAGE_EXITS, WON } from './kpi.sql';

/**
 * The facts of the KPI engine: sets of rows (deals closed, leads created, orders, spend...) placed in time
 * buckets, each with the SQL aggregates KPIs read from it ("closed.wonAmount"; see catalogue/). Pure data:
 * kpi.query.ts turns a fact into SQL, the engine runs it. (Not the forecast's FactTable, which is an in-memory
 * column table of deals: a KPI fact is an SQL row set.)
 */
export interface PercentileDef {
  expr: (d: Dialect) => string;
  where?: (d: Dialect) => string;
  /** p as a fraction num/den, so the rank arithmetic stays integer in both dialects. */
  p: [number, number];
}

/** A set of rows (a source, a bucket rule, fixed conditions) and the aggregates KPIs take from it. */
export interface FactDef {
  id: string;
  source: SourceDef;
  /** Condition placing a row in bucket `kb`. */
  inBucket: (d: Dialect) => string;
  /** The date column of a range fact: also bounded by the whole request's span, so the planner can use its index. */
  range?: string;
  where?: (d: Dialect) => string[];
  /** Extra joins (after the dimension joins), e.g. the stage list of the reach fact. */
  extraJoins?: (d: Dialect) => string;
  dims?: Partial<Record<KpiDimension, DimExpr>>;
  aggregates: Record<string, (d: Dialect) => string>;
  /**
   * Aggregates that only read rows matching a condition (e.g. won deals). When every aggregate a statement
   * needs shares the same condition, it moves to WHERE so the database reads fewer rows.
   */
  onlyWhen?: Record<string, string>;
  percentiles?: Record<string, PercentileDef>;
  /**
   * SQLite: the owner-first covering index to read when the rows are narrowed to some owners (a team, a rep, an
   * access scope). Its planner otherwise picks the (status, closed_at) index and reads every owner's deals of the
   * span: a team's quarter on the 1M world was 213,000 index rows read for 16,000 kept.
   */
  sqliteOwnerIndex?: string;
}

const cycleStart = 'coalesce(d.engaged_at, d.opened_at)';
const reachedMax = (d: Dialect) =>
  `(select max(ps.position) from deal_stage_changes sc join pipeline_stages ps on ps.id = sc.to_stage_id where sc.deal_id = d.id and ps.is_lost = ${boolLiteral(d, false)})`;
const wonCycle = `d.status = ${WON} and ${cycleStart} is not null`;

export const FACTS = {
  closed: {
    id: 'closed',
    range: 'd.closed_at',
    source: DEALS,
    inBucket: () => 'd.closed_at >= kb.bs and d.closed_at < kb.be',
    where: () => [`d.status in (${WON}, ${LOST})`],
    aggregates: {
      won: () => `sum(case when d.status = ${WON} then 1 else 0 end)`,
      lost: () => `sum(case when d.status = ${LOST} then 1 else 0 end)`,
      closed: () => 'count(*)',
      wonAmount: () => `sum(case when d.status = ${WON} then d.amount_cents else 0 end)`,
      cycleDays: (d) => `sum(case when ${wonCycle} then ${days(d, cycleStart, 'd.closed_at')} else 0 end)`,
      cycleCount: () => `sum(case when ${wonCycle} then 1 else 0 end)`,
      closers: () => 'count(distinct d.owner_id)',
    },
    onlyWhen: { won: `d.status = ${WON}`, wonAmount: `d.status = ${WON}`, lost: `d.status = ${LOST}` },
    sqliteOwnerIndex: 'deals_kpi_owner_closed_index',
    percentiles: {
      cycleMedian: { expr: (d) => days(d, cycleStart, 'd.closed_at'), where: () => wonCycle, p: [1, 2] },
    },
  },
  lost: {
    id: 'lost',
    range: 'd.closed_at',
    source: DEALS,
    inBucket: () => 'd.closed_at >= kb.bs and d.closed_at < kb.be',
    where: () => [`d.status = ${LOST}`],
    aggregates: { lost: () => 'count(*)' },
  },
  opened: {
    id: 'opened',
    range: 'd.opened_at',
    source: DEALS,
    inBucket: () => 'd.opened_at >= kb.bs and d.opened_at < kb.be',
    aggregates: {
      created: () => 'count(*)',
      createdAmount: () => 'sum(d.amount_cents)',
      wonFromCohort: () => `sum(case when d.status = ${WON} then 1 else 0 end)`,
    },
  },
  // Open at the snapshot moment ae = min(bucket end, asOf): still open now, or closed after ae. Two facts
  // (summed by the KPIs) rather than an OR, so each uses an index, per owner or company-wide. A deal open now
  // with no opened date (imported undated) is part of the present pipeline (kb.live), not of a past one.
  openNow: {
    id: 'openNow',
    source: DEALS,
    // SQLite: the unary + keeps the planner off the (owner, opened_at) index, which would read every deal the
    // owners ever opened; (owner, status, ...) finds the open ones directly.
    inBucket: (d) => `(${d === 'sqlite' ? '+d.opened_at' : 'd.opened_at'} < kb.ae or (d.opened_at is null and kb.live = 1))`,
    where: () => [`d.status = ${OPEN}`],
    aggregates: { openCount: () => 'count(*)', openAmount: () => 'sum(d.amount_cents)' },
  },
  closedAfter: {
    id: 'closedAfter',
    source: DEALS,
    inBucket: () => 'd.closed_at >= kb.ae and d.opened_at < kb.ae',
    where: () => [`d.status in (${WON}, ${LOST})`],
    aggregates: { openCount: () => 'count(*)', openAmount: () => 'sum(d.amount_cents)' },
  },
  reach: {
    id: 'reach',
    range: 'd.opened_at',
    source: DEALS,
    inBucket: () => 'd.opened_at >= kb.bs and d.opened_at < kb.be',
    extraJoins: (d) =>
      `join pipeline_stages st on st.is_won = ${boolLiteral(d, false)} and st.is_lost = ${boolLiteral(d, false)} and st.position <= ${reachedMax(d)}`,
    dims: { [KpiDimension.STAGE]: { expr: 'st.id', joins: [] } },
    aggregates: {
      reached: () => 'count(*)',
      advanced: (d) => `sum(case when ${reachedMax(d)} > st.position then 1 else 0 end)`,
    },
  },
  exits: {
    id: 'exits',
    range: 'sx.at',
    source: STAGE_EXITS,
    inBucket: () => 'sx.at >= kb.bs and sx.at < kb.be',
    aggregates: { exits: () => 'count(*)', stageDays: (d) => `sum(${days(d, 'se.at', 'sx.at')})` },
    percentiles: {
      stageMedian: { expr: (d) => days(d, 'se.at', 'sx.at'), p: [1, 2] },
      stageP75: { expr: (d) => days(d, 'se.at', 'sx.at'), p: [3, 4] },
    },
  },
  cohortExits: {
    id: 'cohortExits',
    range: 'd.opened_at',
    source: STAGE_EXITS,
    // Stage exits of the deals opened in the bucket (funnel cohorts).
    inBucket: () => 'd.opened_at >= kb.bs and d.opened_at < kb.be',
    aggregates: { exits: () => 'count(*)' },
    percentiles: {
      stageMedian: { expr: (d) => days(d, 'se.at', 'sx.at'), p: [1, 2] },
      stageP75: { expr: (d) => days(d, 'se.at', 'sx.at'), p: [3, 4] },
    },
  },
  activities: {
    id: 'activities',
    range: 'x.at',
    source: ACTIVITIES,
    inBucket: () => 'x.at >= kb.bs and x.at < kb.be',
    aggregates: {
      calls: () => `sum(case when x.type = '${ActivityType.CALL}' then 1 else 0 end)`,
      emails: () => `sum(case when x.type = '${ActivityType.EMAIL}' then 1 else 0 end)`,
      meetings: () => `sum(case when x.type = '${ActivityType.MEETING}' then 1 else 0 end)`,
      demos: () => `sum(case when x.type = '${ActivityType.DEMO}' then 1 else 0 end)`,
      booked: () => `sum(case when x.outcome = '${ActivityOutcome.MEETING_BOOKED}' then 1 else 0 end)`,
      touches: () => `sum(case when x.type in ('${ActivityType.CALL}', '${ActivityType.EMAIL}') then 1 else 0 end)`,
      leadsTouched: () => `count(distinct case when x.type in (${OUTBOUND}) then x.lead_id end)`,
      leadsResponded: () => `count(distinct case when x.outcome in (${RESPONSES}) then x.lead_id end)`,
    },
  },
  leadsCreated: {
    id: 'leadsCreated',
    range: 'l.created_at',
    source: LEADS,
    inBucket: () => 'l.created_at >= kb.bs and l.created_at < kb.be',
    aggregates: {
      leads: () => 'count(*)',
      mqls: () => 'sum(case when l.mql_at is not null then 1 else 0 end)',
      qualified: () => 'sum(case when l.sql_at is not null then 1 else 0 end)',
      converted: () => 'sum(case when l.converted_deal_id is not null then 1 else 0 end)',
      contacted: () => 'sum(case when l.first_contacted_at is not null then 1 else 0 end)',
      contactedQualified: () => 'sum(case when l.first_contacted_at is not null and l.sql_at is not null then 1 else 0 end)',
      customers: () =>
        `sum(case when exists (select 1 from deals dw where dw.id = l.converted_deal_id and dw.status = ${WON}) then 1 else 0 end)`,
    },
    percentiles: leadStepPercentiles(),
  },
  leadsMql: {
    id: 'leadsMql',
    range: 'l.mql_at',
    source: LEADS,
    inBucket: () => 'l.mql_at >= kb.bs and l.mql_at < kb.be',
    aggregates: { mqls: () => 'count(*)', mqlToSql: () => 'sum(case when l.sql_at is not null then 1 else 0 end)' },
  },
  leadsSql: {
    id: 'leadsSql',
    range: 'l.sql_at',
    source: LEADS,
    inBucket: () => 'l.sql_at >= kb.bs and l.sql_at < kb.be',
    aggregates: { sqls: () => 'count(*)', sqlOwners: () => 'count(distinct l.owner_id)' },
  },
  leadsContacted: {
    id: 'leadsContacted',
    range: 'l.first_contacted_at',
    source: LEADS,
    inBucket: () => 'l.first_contacted_at >= kb.bs and l.first_contacted_at < kb.be',
    aggregates: {
      firstContacts: () => 'count(*)',
      speedHours: (d) => `sum(${hours(d, 'l.created_at', 'l.first_contacted_at')})`,
      activated: () =>
        `sum(case when exists (select 1 from activities xa where xa.lead_id = l.id and xa.outcome in (${RESPONSES}) and xa.at >= l.first_contacted_at) then 1 else 0 end)`,
    },
  },
  orders: {
    id: 'orders',
    range: 'o.ordered_at',
    source: ORDERS,
    inBucket: () => 'o.ordered_at >= kb.bs and o.ordered_at < kb.be',
    aggregates: {
      orderAmount: () => 'sum(o.amount_cents)',
      orderCost: () => 'sum(o.cost_cents)',
      orderCount: () => 'count(*)',
      buyers: () => 'count(distinct o.account_id)',
    },
  },
  retention: {
    id: 'retention',
    source: ACCOUNTS,
    // Active = at least one order in the 365 days before the moment.
    inBucket: () => 'exists (select 1 from orders o where o.account_id = a.id and o.ordered_at >= kb.bsy and o.ordered_at < kb.bs)',
    aggregates: {
      activeAtStart: () => 'count(*)',
      retained: () =>
        'sum(case when exists (select 1 from orders o where o.account_id = a.id and o.ordered_at >= kb.aey and o.ordered_at < kb.ae) then 1 else 0 end)',
    },
  },
  buyers: {
    id: 'buyers',
    source: ACCOUNTS,
    inBucket: () => 'exists (select 1 from orders o where o.account_id = a.id and o.ordered_at >= kb.bs and o.ordered_at < kb.be)',
    aggregates: {
      customers: () => 'count(*)',
      repeatCustomers: () =>
        'sum(case when (select count(*) from orders o2 where o2.account_id = a.id and o2.ordered_at < kb.be) >= 2 then 1 else 0 end)',
    },
  },
  newCustomers: {
    id: 'newCustomers',
    source: ACCOUNTS,
    inBucket: () =>
      `exists (select 1 from deals dw where dw.account_id = a.id and dw.status = ${WON} and dw.closed_at >= kb.bs and dw.closed_at < kb.be)` +
      ` and not exists (select 1 from deals dp where dp.account_id = a.id and dp.status = ${WON} and dp.closed_at < kb.bs)`,
    aggregates: { newCustomers: () => 'count(*)' },
  },
  spend: {
    id: 'spend',
    source: SPEND,
    // Spend rows cover [period_start, period_end); a bucket takes the share of each row it overlaps.
    inBucket: () => 's.period_start < kb.be and s.period_end > kb.bs',
    aggregates: {
      salesSpend: (d) => `sum(case when s.category = 'SALES' then ${prorated(d)} else 0 end)`,
      marketingSpend: (d) => `sum(case when s.category = 'MARKETING' then ${prorated(d)} else 0 end)`,
    },
  },
} satisfies Record<string, FactDef>;

/** Days from lead creation to each funnel step, median and p75. */
function leadStepPercentiles(): Record<string, PercentileDef> {
  const steps: Record<string, string> = { CONTACTED: 'l.first_contacted_at', MQL: 'l.mql_at', SQL: 'l.sql_at' };
  const out: Record<string, PercentileDef> = {};
  for (const [step, column] of Object.entries(steps)) {
    out[`${step}:median`] = { expr: (d) => days(d, 'l.created_at', column), p: [1, 2] };
    out[`${step}:p75`] = { expr: (d) => days(d, 'l.created_at', column), p: [3, 4] };
  }
  const converted = { expr: (d: Dialect) => days(d, 'l.created_at', 'l.closed_at'), where: () => 'l.converted_deal_id is not null' };
  out['OPPORTUNITY:median'] = { ...converted, p: [1, 2] };
  out['OPPORTUNITY:p75'] = { ...converted, p: [3, 4] };
  return out;
}

function prorated(d: Dialect): string {
  const overlap = days(d, greatest(d, 's.period_start', 'kb.bs'), least(d, 's.period_end', 'kb.be'));
  return `s.amount_cents * ${overlap} / ${days(d, 's.period_start', 's.period_end')}`;
}

export type FactId = keyof typeof FACTS;

/** The fact of that id, if any. */
export function factById(id: string): FactDef | undefined {
  return Object.prototype.hasOwnProperty.call(FACTS, id) ? (FACTS as Record<string, FactDef>)[id] : undefined;
}

/** Dimensions a fact can be grouped or filtered by. */
export function factDimensions(fact: FactDef): Set<KpiDimension> {
  const dims = new Set(Object.keys({ ...fact.source.dims, ...(fact.dims ?? {}) }) as KpiDimension[]);
  if (fact.source.repColumn) {
    dims.add(KpiDimension.TEAM);
    dims.add(KpiDimension.REGION);
  }
  return dims;
}

export function dimExpr(fact: FactDef, dim: KpiDimension): DimExpr | undefined {
  return fact.dims?.[dim] ?? fact.source.dims[dim];
}
