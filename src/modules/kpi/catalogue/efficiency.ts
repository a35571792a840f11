import { KpiFamily, KpiUnit } from '../kpi.enums';
import { type Computed, ratio } from '../kpi.math';
import { alarmAbove, alarmBelow, cents, HIGHER, healthyFrom, type KpiDef, LOWER, quotientKpi, type Values } from './kpi-def';
import { LTV_REFS, ltvOf } from './value';

/** Efficiency: do we use time and money well? */

/** Deals open at the snapshot: still open, plus those closed after it. */
const OPEN_REFS = ['openNow.openAmount', 'openNow.openCount', 'closedAfter.openAmount', 'closedAfter.openCount'];
const openAmount = (v: Values) => (v('openNow.openAmount') ?? 0) + (v('closedAfter.openAmount') ?? 0);
const openCount = (v: Values) => (v('openNow.openCount') ?? 0) + (v('closedAfter.openCount') ?? 0);

const CAC_REFS = ['spend.salesSpend', 'spend.marketingSpend', 'newCustomers.newCustomers'];
const cacOf = (v: Values): Computed =>
  ratio(cents((v('spend.salesSpend') ?? 0) + (v('spend.marketingSpend') ?? 0)), v('newCustomers.newCustomers'), 'no new customer in the period');

const CYCLE = {
  benchmark: 'B2B services 3–9 months, industry 12–18 months',
  health: alarmAbove(270, 548),
};

export const EFFICIENCY_KPIS: KpiDef[] = [
  quotientKpi(KpiFamily.EFFICIENCY, {
    key: 'salesCycleMean',
    label: 'Sales cycle (mean)',
    description: 'Mean days from first qualified contact (engagedAt, else openedAt) to signature, over deals won in the period.',
    formula: 'Σ days(engagedAt → closedAt) / won deals',
    unit: KpiUnit.DAYS,
    direction: LOWER,
    ...CYCLE,
    of: ['closed.cycleDays', 'closed.cycleCount'],
    reason: 'no dated deal was won in the period',
  }),
  {
    key: 'salesCycleMedian',
    family: KpiFamily.EFFICIENCY,
    label: 'Sales cycle (median)',
    description: 'Median days from first qualified contact to signature over deals won in the period (robust to a few very long deals).',
    formula: 'median days(engagedAt → closedAt) of won deals',
    unit: KpiUnit.DAYS,
    direction: LOWER,
    ...CYCLE,
    additive: false,
    financial: false,
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
    financial: true, // reads spend
    uses: CAC_REFS,
    compute: cacOf,
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
    health: alarmBelow(1, 3),
    additive: false,
    financial: true, // reads spend
    uses: [...LTV_REFS, ...CAC_REFS],
    compute: (v, ctx) => {
      const ltv = ltvOf(v, ctx);
      if (ltv.value == null) return { value: null, reason: ltv.reason };
      const cac = cacOf(v);
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
    financial: false,
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
    health: healthyFrom(3),
    additive: false,
    financial: true, // reads the quota
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
    financial: true, // reads the quota
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
    financial: false,
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
  quotientKpi(KpiFamily.EFFICIENCY, {
    key: 'timeInStage',
    label: 'Time in stage',
    description: 'Mean days deals spent in a stage, over stage exits in the period (group by STAGE); the funnel gives median and p75.',
    formula: 'Σ days(entered stage → left stage) / stage exits',
    unit: KpiUnit.DAYS,
    direction: LOWER,
    of: ['exits.stageDays', 'exits.exits'],
    reason: 'no deal left this stage in the period',
  }),
];
