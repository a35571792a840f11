/** Track-record metrics and forecast categories. Pure. */

export interface BacktestPoint {
  forecast: number;
  actual: number;
  p10?: number | null;
  p90?: number | null;
}

export interface AccuracyMetrics {
  periods: number;
  /** Mean of |error| / actual over periods with a non-zero actual; null when there is none. */
  mape: number | null;
  /** sum |error| / sum actual. */
  wape: number | null;
  /** sum (forecast - actual) / sum actual: > 0 means over-forecasting. */
  bias: number | null;
  /** Share of periods whose actual fell inside [P10, P90]; null when the method gives no range. */
  coverage: number | null;
}

export function accuracy(points: BacktestPoint[]): AccuracyMetrics {
  let absErr = 0;
  let err = 0;
  let actual = 0;
  let apeSum = 0;
  let apeN = 0;
  let covered = 0;
  let ranged = 0;
  for (const p of points) {
    const e = p.forecast - p.actual;
    absErr += Math.abs(e);
    err += e;
    actual += p.actual;
    if (p.actual !== 0) {
      apeSum += Math.abs(e) / Math.abs(p.actual);
      apeN++;
    }
    if (p.p10 != null && p.p90 != null) {
      ranged++;
      if (p.actual >= p.p10 && p.actual <= p.p90) covered++;
    }
  }
  return {
    periods: points.length,
    mape: apeN ? apeSum / apeN : null,
    wape: actual ? absErr / actual : null,
    bias: actual ? err / actual : null,
    coverage: ranged ? covered / ranged : null,
  };
}

export type CategoryName = 'COMMIT' | 'BEST_CASE' | 'PIPELINE' | 'OMITTED';
export const CATEGORY_ORDER: CategoryName[] = ['COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED'];

/** Probability thresholds (chance the deal lands in the period) for the model's category. */
export const CATEGORY_THRESHOLDS = { COMMIT: 0.7, BEST_CASE: 0.4, PIPELINE: 0.1 } as const;

export function categoryOf(probability: number): CategoryName {
  return CATEGORY_ORDER[categoryIndex(probability)];
}

/** categoryOf as its index in CATEGORY_ORDER (a forecast sorts 10^5 deals into categories: no string search). */
export function categoryIndex(probability: number): number {
  if (probability >= CATEGORY_THRESHOLDS.COMMIT) return 0;
  if (probability >= CATEGORY_THRESHOLDS.BEST_CASE) return 1;
  if (probability >= CATEGORY_THRESHOLDS.PIPELINE) return 2;
  return 3;
}

export interface CategoryTotals {
  category: CategoryName;
  deals: number;
  amount: number;
  expected: number;
}

/** Deals per category: by the model's probability, or by the rep's override when one is set. */
export function categoryTotals(
  deals: Array<{ probability: number; amount: number; override?: CategoryName | null }>,
  useOverrides: boolean,
): CategoryTotals[] {
  const rows = CATEGORY_ORDER.map((category) => ({ category, deals: 0, amount: 0, expected: 0 }));
  for (const d of deals) {
    const row = rows[CATEGORY_ORDER.indexOf((useOverrides && d.override) || categoryOf(d.probability))];
    row.deals++;
    row.amount += d.amount;
    row.expected += d.amount * d.probability;
  }
  return rows;
}
