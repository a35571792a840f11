import { KpiDirection, KpiHealth, TargetStatus } from '../../src/modules/kpi/kpi.enums';
import { compare, healthOf, interpolatePercentile, ratio, targetFor, targetProgress } from '../../src/modules/kpi/kpi.math';
import { DASHBOARD_KPIS, KPI_DEFINITIONS } from '../../src/modules/kpi/catalogue';

const d = (s: string) => new Date(`${s}T00:00:00Z`);

describe('KPI math', () => {
  it('never divides by zero', () => {
    expect(ratio(3, 4, 'none')).toEqual({ value: 0.75, numerator: 3, denominator: 4 });
    expect(ratio(0, 0, 'no deal was closed')).toEqual({ value: null, numerator: 0, denominator: 0, reason: 'no deal was closed' });
  });

  it('interpolates percentiles between the two order statistics around (n - 1) p', () => {
    // Values 2, 5, 10, 14: median at rank 1.5 -> 7.5; p75 at rank 2.25 -> 10 + 0.25 x 4 = 11.
    const rows = [{ v: 5, rn: 2, n: 4 }, { v: 10, rn: 3, n: 4 }];
    expect(interpolatePercentile(rows, 0.5)).toBe(7.5);
    expect(interpolatePercentile([{ v: 10, rn: 3, n: 4 }, { v: 14, rn: 4, n: 4 }], 0.75)).toBe(11);
    expect(interpolatePercentile([{ v: 9, rn: 1, n: 1 }], 0.75)).toBe(9);
    expect(interpolatePercentile([], 0.5)).toBeNull();
  });

  it('flags health from the first matching range', () => {
    const rules = [{ status: KpiHealth.ALARM, max: 1 }, { status: KpiHealth.WARNING, min: 1, max: 3 }, { status: KpiHealth.HEALTHY, min: 3 }];
    expect([0.5, 1, 2.99, 3, 12].map((v) => healthOf(rules, v))).toEqual(['ALARM', 'WARNING', 'WARNING', 'HEALTHY', 'HEALTHY']);
    expect(healthOf(rules, null)).toBeNull();
    expect(healthOf(undefined, 2)).toBeNull();
  });

  it('compares with a previous value', () => {
    expect(compare(30, 12)).toEqual({ value: 12, delta: 18, pctChange: 1.5 });
    expect(compare(-5, -10)).toEqual({ value: -10, delta: 5, pctChange: 0.5 });
    expect(compare(5, 0)).toEqual({ value: 0, delta: 5, pctChange: null });
    expect(compare(null, 3)).toEqual({ value: 3, delta: null, pctChange: null });
  });

  it('prorates additive targets and averages the others over the overlap', () => {
    const quarters = [
      { start: d('2026-01-01'), end: d('2026-04-01'), value: 90 }, // 90 days
      { start: d('2026-04-01'), end: d('2026-07-01'), value: 91 }, // 91 days
    ];
    // March (31 days of Q1) + April (30 days of Q2): 90 x 31/90 + 91 x 30/91 = 61.
    expect(targetFor(quarters, d('2026-03-01'), d('2026-05-01'), true)).toBeCloseTo(61, 10);
    // A ratio target: (90 x 31 + 91 x 30) / 61 days.
    expect(targetFor(quarters, d('2026-03-01'), d('2026-05-01'), false)).toBeCloseTo((90 * 31 + 91 * 30) / 61, 10);
    expect(targetFor(quarters, d('2027-01-01'), d('2027-02-01'), true)).toBeNull();
  });

  it('projects pace at the run-rate and derives the status', () => {
    const [start, end] = [d('2026-01-01'), d('2026-04-01')]; // 90 days
    // 45 days in, 10,000 won against 40,000: pace 20,000 -> 50 % -> off track.
    expect(targetProgress(10_000, 40_000, KpiDirection.HIGHER_IS_BETTER, true, start, end, d('2026-02-15'))).toEqual({
      value: 40_000, attainment: 0.25, pace: 20_000, status: TargetStatus.OFF_TRACK, expectedToDate: 20_000,
    });
    // 19,000 by mid-period -> pace 38,000 = 95 % -> at risk; 20,000 -> on track.
    expect(targetProgress(19_000, 40_000, KpiDirection.HIGHER_IS_BETTER, true, start, end, d('2026-02-15')).status).toBe(TargetStatus.AT_RISK);
    expect(targetProgress(20_000, 40_000, KpiDirection.HIGHER_IS_BETTER, true, start, end, d('2026-02-15')).status).toBe(TargetStatus.ON_TRACK);
    // Lower is better (cycle 50 days vs target 45): 45/50 = 0.9 -> at risk.
    expect(targetProgress(50, 45, KpiDirection.LOWER_IS_BETTER, false, start, end, d('2026-02-15'))).toMatchObject({ attainment: 0.9, pace: 50, status: TargetStatus.AT_RISK });
    // Before the period starts there is no pace nor status.
    expect(targetProgress(0, 10, KpiDirection.HIGHER_IS_BETTER, true, start, end, d('2025-12-01'))).toMatchObject({ pace: null, status: null });
  });

  it('keeps the catalogue consistent: unique keys, 5-10 KPIs per dashboard, every dashboard KPI defined', () => {
    const keys = KPI_DEFINITIONS.map((k) => k.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const list of Object.values(DASHBOARD_KPIS)) {
      expect(list.length).toBeGreaterThanOrEqual(5);
      expect(list.length).toBeLessThanOrEqual(10);
      for (const key of list) expect(keys).toContain(key);
    }
  });
});
