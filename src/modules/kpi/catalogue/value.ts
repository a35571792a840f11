import { KpiFamily, KpiUnit } from '../kpi.enums';
import { type Computed, ratio } from '../kpi.math';
import { cents, type ComputeContext, HIGHER, healthyFrom, type KpiDef, LOWER, quotientKpi, type Values } from './kpi-def';

/** Value: do our wins pay enough? */

/** Won revenue (major units) per something counted in the period. */
const wonRevenuePer = (spec: Omit<KpiDef, 'family' | 'unit' | 'direction' | 'additive' | 'financial' | 'uses' | 'compute'> & { per: string; reason: string }): KpiDef => {
  const { per, reason, ...described } = spec;
  return {
    ...described,
    family: KpiFamily.VALUE,
    unit: KpiUnit.MONEY,
    direction: HIGHER,
    additive: false,
    financial: false,
    uses: ['closed.wonAmount', per],
    compute: (v) => ratio(cents(v('closed.wonAmount')), v(per), reason),
  };
};

export const RETENTION_REFS = ['retention.activeAtStart', 'retention.retained'];

/**
 * Average purchase × purchases per customer per year × relationship years, from orders in the bucket
 * (annualised) and the 12-month churn (relationship years = 1 / churn, capped at 10).
 */
export function ltvOf(v: Values, ctx: ComputeContext): Computed {
  const buyers = v('orders.buyers');
  if (!buyers) return { value: null, reason: 'no customer ordered in the period' };
  const start = v('retention.activeAtStart');
  if (!start) return { value: null, reason: 'no customer was active at the start of the period: churn unknown' };
  const churn = (start - (v('retention.retained') ?? 0)) / start;
  const years = churn > 0 ? Math.min(10, 1 / churn) : 10;
  const annualValuePerCustomer = (cents(v('orders.orderAmount')) ?? 0) / buyers / (ctx.days / 365);
  return { value: annualValuePerCustomer * years, numerator: annualValuePerCustomer, denominator: churn };
}
export const LTV_REFS = ['orders.orderAmount', 'orders.buyers', ...RETENTION_REFS];

export const VALUE_KPIS: KpiDef[] = [
  {
    key: 'revenue',
    family: KpiFamily.VALUE,
    label: 'Revenue (bookings)',
    description: 'Sum of the amounts of deals won in the period (booked, not invoiced).',
    formula: 'Σ amount of won deals',
    unit: KpiUnit.MONEY,
    direction: HIGHER,
    additive: true,
    financial: false,
    uses: ['closed.wonAmount'],
    compute: (v) => ({ value: cents(v('closed.wonAmount') ?? 0) }),
  },
  wonRevenuePer({
    key: 'revenuePerRep',
    label: 'Revenue per rep',
    description: 'Revenue / reps who closed at least one deal (won or lost) in the period.',
    formula: 'Σ won amount / distinct owners of closed deals',
    benchmark: 'top-vs-bottom gap > 300 % in 70 % of companies',
    per: 'closed.closers',
    reason: 'no deal was closed in the period',
  }),
  wonRevenuePer({
    key: 'averageDealSize',
    label: 'Average deal size',
    description: 'Won revenue / won deals in the period. Read with volume and margin.',
    formula: 'Σ won amount / won deals',
    per: 'closed.won',
    reason: 'no deal was won in the period',
  }),
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
    financial: true, // reads order costs
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
    financial: false,
    uses: LTV_REFS,
    compute: ltvOf,
  },
  quotientKpi(KpiFamily.VALUE, {
    key: 'repurchaseRate',
    label: 'Repurchase rate',
    description: 'Of the customers who ordered in the period, the share with at least two orders to date.',
    formula: 'customers with ≥ 2 purchases / unique customers',
    direction: HIGHER,
    benchmark: '20–30 % industrial equipment, 40–50 % recurring B2B services, up to 60–65 % maintenance / tech',
    health: healthyFrom(0.2),
    of: ['buyers.repeatCustomers', 'buyers.customers'],
    reason: 'no customer ordered in the period',
  }),
  quotientKpi(KpiFamily.VALUE, {
    key: 'retentionRate',
    label: 'Retention rate',
    description:
      'Customers active at the period end who were active at its start / customers active at the start; active = at least one order in the preceding 365 days.',
    formula: 'retained customers / customers at start',
    direction: HIGHER,
    benchmark: 'high acquisition cannot compensate high churn',
    of: ['retention.retained', 'retention.activeAtStart'],
    reason: 'no customer was active at the start of the period',
  }),
  {
    key: 'churnRate',
    family: KpiFamily.VALUE,
    label: 'Churn rate',
    description: '1 − retention rate: customers active at the start but no longer at the end / customers active at the start.',
    formula: '(customers at start − retained) / customers at start',
    unit: KpiUnit.RATIO,
    direction: LOWER,
    additive: false,
    financial: false,
    uses: ['retention.retained', 'retention.activeAtStart'],
    compute: (v) => {
      const start = v('retention.activeAtStart');
      return ratio(start == null ? null : start - (v('retention.retained') ?? 0), start, 'no customer was active at the start of the period');
    },
  },
];
