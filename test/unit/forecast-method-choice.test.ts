import {
  type PastForecast,
  CONFORMAL_MIN_PERIODS,
  conformalRange,
  fitBlendWeight,
  rankQuantile,
  replayServed,
  serveForecast,
  servedAccuracy,
} from '../../src/modules/forecast/method-choice';
import { createRng } from '../../src/modules/forecast/monte-carlo';

const MONTH = 30 * 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

/** Period j runs [T0 + j months, T0 + (j + 1) months) and is forecast as of its start. */
function period(j: number, actual: number, pipeline: number | null, runRate: number | null, dealModel: number | null = null): PastForecast {
  return { label: `P${j}`, asOf: T0 + j * MONTH, end: T0 + (j + 1) * MONTH, actual, pipeline, runRate, dealModel };
}

describe('blend weight', () => {
  it('minimises the summed absolute error on a 0.1 grid, and needs minPeriods periods', () => {
    // actual 100, pipeline 120, run-rate 90: |90 + 30 w - 100| is least at w = 1/3 -> grid 0.3 (error 1; 0.4: 2)
    const points = [0, 1, 2].map((j) => period(j, 100, 120, 90));
    expect(fitBlendWeight(points, 3)).toBe(0.3);
    expect(fitBlendWeight(points.slice(0, 2), 3)).toBeNull();
    // both exact: every weight ties, the one nearest 1/2 wins
    expect(fitBlendWeight([0, 1, 2].map((j) => period(j, 100, 100, 100)), 3)).toBe(0.5);
  });
});

describe('method choice', () => {
  // 12 closed periods: the pipeline model is off by 10 %, the run-rate by 40 %
  const history = Array.from({ length: 12 }, (_, j) => period(j, 1000, j % 2 ? 1100 : 900, j % 2 ? 1400 : 600));
  const now = T0 + 12 * MONTH;

  it('serves the method with the lowest out-of-sample WAPE, with every candidate judged on the same periods', () => {
    const s = serveForecast(history, { pipeline: 2000, runRate: 1000, dealModel: null }, now, { window: 12, minPeriods: 3, rangeWindow: 9 });
    expect(s.method).toBe('PIPELINE');
    expect(s.expected).toBe(2000);
    const byMethod = Object.fromEntries(s.records.map((r) => [r.method, r]));
    // the blend is only out of sample from the 4th period on (its weight is fitted on the 3 before): 9 common periods
    expect(s.judgedPeriods).toBe(9);
    expect(byMethod.PIPELINE).toMatchObject({ periods: 9 });
    expect(byMethod.PIPELINE.wape).toBeCloseTo(0.1, 12);
    expect(byMethod.RUN_RATE.wape).toBeCloseTo(0.4, 12);
    // the pipeline model alone fits best (w = 1): the blend equals it, and ties go to the pipeline model
    expect(s.blendWeight).toBe(1);
    expect(byMethod.BLEND.wape).toBeCloseTo(0.1, 12);
  });

  it('serves the run-rate where it has been the better forecast', () => {
    const flipped = history.map((h) => ({ ...h, pipeline: h.runRate, runRate: h.pipeline }));
    const s = serveForecast(flipped, { pipeline: 2000, runRate: 1000, dealModel: null }, now);
    expect(s.method).toBe('RUN_RATE');
    expect(s.expected).toBe(1000);
  });

  it('uses only periods closed by the as-of date: a later period, however it turned out, changes nothing', () => {
    const asOf = T0 + 8 * MONTH; // periods 0..7 have closed
    const current = { pipeline: 2000, runRate: 1000, dealModel: null };
    const base = serveForecast(history.slice(0, 8), current, asOf);
    // period 8 is still running at asOf, and later ones are in the future: make the pipeline model look awful there
    const spoiled = history.map((h, j) => (j >= 8 ? { ...h, actual: 10 * h.actual } : h));
    expect(serveForecast(spoiled, current, asOf)).toEqual(base);
    // the replayed backtest: each period's served forecast is the same whatever the later ones did
    const replay = replayServed(history);
    const replaySpoiled = replayServed(spoiled);
    for (let j = 0; j <= 8; j++) expect(replaySpoiled[j].served).toEqual(replay[j].served);
  });

  it('judges the deal-win model only on periods it could forecast without look-ahead', () => {
    // the deal-win model is perfect, but only exists (trained before) for the last 2 periods: too few to be judged
    const withDeal = history.map((h, j) => ({ ...h, dealModel: j >= 10 ? h.actual : null }));
    const s = serveForecast(withDeal, { pipeline: 2000, runRate: 1000, dealModel: 1500 }, now);
    expect(s.records.map((r) => r.method)).not.toContain('DEAL_MODEL');
    // with 6 such periods it is judged, on the periods all candidates share, and wins
    const longer = history.map((h, j) => ({ ...h, dealModel: j >= 6 ? h.actual : null }));
    const t = serveForecast(longer, { pipeline: 2000, runRate: 1000, dealModel: 1500 }, now);
    expect([t.method, t.expected, t.judgedPeriods]).toEqual(['DEAL_MODEL', 1500, 6]);
  });

  it('with too little history serves the pipeline model and says so', () => {
    const s = serveForecast(history.slice(0, 2), { pipeline: 2000, runRate: 1000, dealModel: null }, now);
    expect([s.method, s.judgedPeriods]).toEqual(['PIPELINE', 0]);
    expect(s.notes[0]).toMatch(/^Only 0 closed period\(s\) to judge the methods by \(minimum 3\)/);
  });
});

describe('conformal range', () => {
  it('takes the ratios actual / forecast at ranks 0.1 (n + 1) and 0.9 (n + 1), interpolated', () => {
    const nine = [1.4, 0.6, 1.0, 0.7, 1.3, 0.8, 1.2, 0.9, 1.1];
    expect(CONFORMAL_MIN_PERIODS).toBe(9);
    const r = conformalRange(1000, nine, {});
    expect(r.source).toBe('CONFORMAL');
    expect(r.values.p10).toBeCloseTo(600, 9);
    expect(r.values.p50).toBeCloseTo(1000, 9);
    expect(r.values.p90).toBeCloseTo(1400, 9);
    // 12 ratios 0.5 .. 1.6: ranks 1.3 and 11.7 -> 0.53 and 1.57
    const twelve = Array.from({ length: 12 }, (_, j) => 0.5 + j / 10);
    expect(rankQuantile(twelve, 0.1)).toBeCloseTo(0.53, 12);
    expect(rankQuantile(twelve, 0.9)).toBeCloseTo(1.57, 12);
  });

  it('widens with few errors (Student-t on log ratios, joined with the simulation) and says so', () => {
    // log ratios +-0.1: mean 0, sd 0.1155 (n = 4): half-width 1.638 x 0.1155 x sqrt(1.25) = 0.2115
    const r = conformalRange(1000, [Math.exp(0.1), Math.exp(-0.1), Math.exp(0.1), Math.exp(-0.1)], { simulatedP10: 950, simulatedP90: 1050 });
    expect(r.source).toBe('SMALL_SAMPLE');
    expect(r.values.p10).toBeCloseTo(1000 * Math.exp(-0.21155), 0);
    expect(r.values.p90).toBeCloseTo(1000 * Math.exp(0.21155), 0);
    expect(r.note).toMatch(/rests on 4 past error/);
    // nothing to measure by: the simulation, flagged as too narrow
    const none = conformalRange(1000, [], { simulatedP10: 950, simulatedP90: 1050 });
    expect([none.source, none.values.p10, none.values.p90]).toEqual(['SIMULATION', 950, 1050]);
    expect(none.note).toMatch(/too narrow/);
  });

  it('covers about 80 % of exchangeable outcomes when replayed period by period', () => {
    // 1,000 periods whose actual is the forecast x a log-normal error (sd 0.2); the run-rate is useless
    const rng = createRng(5);
    const normal = () => Math.sqrt(-2 * Math.log(rng())) * Math.cos(2 * Math.PI * rng());
    const history = Array.from({ length: 1000 }, (_, j) => period(j, 1000 * Math.exp(0.2 * normal()), 1000, 3000));
    const replay = replayServed(history).slice(20);
    expect(replay.every((p) => p.served.rangeSource === 'CONFORMAL')).toBe(true);
    // (a blend leaning 0.1 on the run-rate wins a window now and then by chance)
    expect(replay.filter((p) => p.served.method === 'PIPELINE').length).toBeGreaterThan(0.95 * replay.length);
    const coverage = servedAccuracy(replay).coverage!;
    // 980 periods: binomial sd 1.3 points. Whole ranks (the min and max of 12) would cover 11 / 13 = 84.6 %.
    expect(coverage).toBeGreaterThan(0.76);
    expect(coverage).toBeLessThan(0.84);
  });
});
