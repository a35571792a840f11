/**
 * The forecast's fast paths return exactly what the plain computations they replace return: each reference below is
 * the code as it was before the fast path (day-by-day win timing, sort-based terciles, array-based cut-offs), run
 * on seeded random inputs and compared bit for bit.
 */
import { quantileSorted } from 'simple-statistics';
import { DAY_MS, type DealFactRow, type OpenStage, Outcome, buildFactTable, closedBefore } from '../../src/modules/forecast/facts';
import { closeCurve } from '../../src/modules/forecast/survival';
import { KeyedMemo, type StageTiming, buildStageTiming, winTiming } from '../../src/modules/forecast/stage-timing';
import { maturityCutoffs, sizeBandBounds, sortedQuantile } from '../../src/modules/forecast/stage-weights';
import { createRng } from '../../src/modules/forecast/monte-carlo';
import { computeServedForecast, runBacktest } from '../../src/modules/forecast/track-record';
import { parsePeriod, periodsBetween } from '../../src/shared/period';
import { syntheticDeals } from '../../bench/synthetic-deals';

const rng = createRng(12345);
const lognormal = (median: number, sd: number) => median * Math.exp(sd * Math.sqrt(-2 * Math.log(rng())) * Math.cos(2 * Math.PI * rng()));

/** The win timing as computed before it was kept per whole-day key: one pass over the days of the window. */
function referenceWinTiming(st: StageTiming, a: number, t1: number, t2: number): { inWindow: number; medianDays: number | null } {
  const at = (grid: Float64Array, d: number) => grid[Math.max(0, Math.min(grid.length - 1, Math.floor(d)))];
  const gridValue = (grid: Float64Array, x: number) => (x <= 0 ? 0 : at(grid, x));
  const start = Math.floor(a);
  const remaining = st.advance[st.days] - at(st.advance, a);
  if (!(remaining > 1e-12)) return { inWindow: 0, medianDays: null };
  const eventual = remaining * st.nextWinTotal;
  let window = 0;
  let prev = at(st.advance, a);
  let advMedian: number | null = null;
  const end = Math.min(st.days, Math.ceil(t2));
  for (let u = start; u < st.days; u++) {
    const next = st.advance[u + 1];
    const dA = next - prev;
    prev = next;
    if (advMedian == null && next - at(st.advance, a) >= remaining / 2) advMedian = u + 0.5;
    if (u >= end) {
      if (advMedian != null) break;
      continue;
    }
    if (dA <= 0) continue;
    const mid = u + 0.5;
    if (st.nextWin) window += dA * (gridValue(st.nextWin, t2 - mid) - gridValue(st.nextWin, t1 - mid));
    else if (mid >= t1 && mid < t2) window += dA;
  }
  let nextMedian = 0;
  if (st.nextWin) {
    nextMedian = NaN;
    for (let d = 0; d <= st.days; d++) if (st.nextWin[d] >= st.nextWinTotal / 2) { nextMedian = d; break; }
  }
  const medianDays = advMedian == null || Number.isNaN(nextMedian) ? null : Math.max(a, advMedian) + nextMedian;
  return { inWindow: eventual > 0 ? Math.max(0, Math.min(1, window / eventual)) : 0, medianDays };
}

describe('win timing kept per whole-day key', () => {
  const times = (n: number, median: number) => Array.from({ length: n }, () => lognormal(median, 0.7));
  const inStage = closeCurve(times(300, 12), times(200, 9), times(80, 30));
  const next = closeCurve(times(250, 20), times(150, 15), times(40, 25));
  const timings = [buildStageTiming(inStage, next, 200), buildStageTiming(inStage, null, 200)];

  it('equals the day-by-day sum for ages, windows and offsets of every kind (whole days, half days, beyond the grid)', () => {
    let compared = 0;
    for (const st of timings) {
      for (let j = 0; j < 4000; j++) {
        // a third of the ages on whole or half days, where floor and ceil of t - 1/2 meet
        const a = j % 3 === 0 ? Math.floor(rng() * 80) / 2 : rng() * 260;
        const lead = j % 5 === 0 ? 0 : j % 5 === 1 ? Math.round(rng() * 20) / 2 : rng() * 30;
        const t1 = a + lead;
        const t2 = t1 + (j % 4 === 0 ? Math.round(rng() * 62) / 2 : rng() * 120);
        // the same key asked twice: the second answer comes from what the first one kept
        for (let twice = 0; twice < 2; twice++) expect(winTiming(st, a, t1, t2)).toEqual(referenceWinTiming(st, a, t1, t2));
        compared++;
      }
    }
    expect(compared).toBe(8000);
    // the inputs reach both branches: wins inside the window and none
    expect(Array.from({ length: 50 }, (_, d) => winTiming(timings[0], d, d, d + 30).inWindow).some((p) => p > 0.1)).toBe(true);
  });
});

describe('window sums kept by key', () => {
  it('returns what was set under each key, through collisions and growth, and nothing for others', () => {
    const memo = new KeyedMemo<number>();
    // keys above 2^32 that share their low 32 bits, and 5000 more than the first table holds
    const keys = [2 ** 40 + 7, 2 ** 41 + 7, 2 ** 52 + 7, 7, 0, ...Array.from({ length: 5000 }, (_, j) => j * 4096 * 4096 + 3)];
    keys.forEach((key, j) => memo.set(key, j));
    memo.set(7, -1); // overwritten, not added twice
    expect(keys.map((key) => memo.get(key))).toEqual(keys.map((key, j) => (key === 7 ? -1 : j)));
    expect([8, 2 ** 40 + 8, 2 ** 42 + 7].map((key) => memo.get(key))).toEqual([undefined, undefined, undefined]);
  });
});

describe('terciles by selection', () => {
  it('equal the sorted quantiles, NaN (an amount restored to "none") sorting last', () => {
    for (const n of [1, 2, 3, 4, 7, 10, 601, 5000]) {
      for (const nanShare of [0, 0.2, 0.9]) {
        const values = Float64Array.from({ length: n }, (_, i) => (rng() < nanShare ? NaN : i % 11 === 0 ? 5000 : Math.round(lognormal(5000, 1))));
        const sorted = values.slice().sort() as unknown as number[];
        for (const p of [1 / 3, 2 / 3, 0.5, 0.1]) expect(sortedQuantile(values.slice(), p)).toBe(quantileSorted(sorted, p));
      }
    }
  });
});

describe('the as-of statistics of a deal table', () => {
  const stages: OpenStage[] = [0.2, 0.5, 0.8].map((p, s) => ({ id: s + 1, name: `S${s}`, defaultProbability: p }));
  const T0 = Date.UTC(2025, 0, 1);
  const rows: DealFactRow[] = Array.from({ length: 3000 }, (_, id) => {
    const created = T0 + rng() * 400 * DAY_MS;
    const entries: Array<number | null> = [created, null, null];
    let at = created;
    for (let s = 1; s < 3 && rng() < 0.6; s++) entries[s] = at += lognormal(10, 0.8) * DAY_MS;
    const outcome = rng() < 0.2 ? Outcome.OPEN : rng() < 0.4 ? Outcome.WON : Outcome.LOST;
    return {
      id: id + 1, openedAt: created, closedAt: outcome === Outcome.OPEN ? null : at + lognormal(8, 0.8) * DAY_MS, outcome,
      amountCents: Math.round(lognormal(1e6, 0.9)), teamId: 1, repId: 1, productId: 1, family: 'Core', forecastCategory: null,
      expectedCloseAt: null, currentStage: outcome === Outcome.OPEN ? 0 : -1, stageEnteredAt: null, entries,
    };
  });
  const t = buildFactTable(stages, rows);

  it('maturity cut-offs equal the 95th percentile of stage-to-close times by hourly histogram', () => {
    const reference = (asOf: number) => {
      const times: number[][] = stages.map(() => []);
      for (let i = 0; i < t.n; i++) {
        if (!closedBefore(t, i, asOf)) continue;
        for (let s = 0; s < 3; s++) if (!Number.isNaN(t.entries[i * 3 + s])) times[s].push(t.closed[i] - t.entries[i * 3 + s]);
      }
      return Float64Array.from(times, (x) => {
        if (!x.length) return asOf;
        const max = Math.max(0, ...x);
        const bins = new Float64Array(Math.ceil(max / 3_600_000) + 1);
        for (const v of x) bins[Math.max(0, Math.floor(v / 3_600_000))]++;
        const rank = Math.min(x.length - 1, Math.floor(0.95 * x.length));
        let seen = 0;
        for (let b = 0; b < bins.length; b++) if ((seen += bins[b]) > rank) return asOf - (b + 1) * 3_600_000;
        return asOf - max;
      });
    };
    for (const day of [5, 60, 200, 420]) expect(maturityCutoffs(t, T0 + day * DAY_MS)).toEqual(reference(T0 + day * DAY_MS));
  });

  it('size bands equal the terciles of the sorted closed amounts', () => {
    for (const day of [30, 200, 420]) {
      const asOf = T0 + day * DAY_MS;
      const amounts = Array.from({ length: t.n }, (_, i) => i).filter((i) => closedBefore(t, i, asOf)).map((i) => t.amount[i]).sort((x, y) => x - y);
      expect(sizeBandBounds(t, asOf)).toEqual([quantileSorted(amounts, 1 / 3), quantileSorted(amounts, 2 / 3)]);
    }
  });
});

/*
 * The whole served forecast and a backtest on a seeded synthetic world (deals walking five stages), against the
 * figures the code before the fast paths printed for the same call (commit 819a071, run on its dist/): every fast
 * path above, plus the column-wise computeForecast, changes no number.
 */
describe('served forecast and backtest, before and after the fast paths', () => {
  const STAGES: OpenStage[] = [0.1, 0.25, 0.5, 0.75, 0.9].map((p, i) => ({ id: i + 1, name: `S${i}`, defaultProbability: p }));
  const period = parsePeriod('2026-Q4')!;
  const t = buildFactTable(STAGES, syntheticDeals(6000, 3000, period.start));

  it('serves the same forecast, group ranges, track record and top deals', () => {
    const s = computeServedForecast(t, period, period.start + 10 * DAY_MS, (i) => t.team[i], () => true, { simulations: 1000, seed: 7, topDeals: 3 });
    expect([s.total.expected, s.total.p10, s.total.p90, s.served.method]).toEqual([1147142107.0484152, 778997483.4589432, 2188725098.1970906, "PIPELINE"]);
    expect(s.groups.map((g) => [g.key, g.expected, g.p10, g.p90])).toEqual([[5, 217495086.3391167, 147695846.81953162, 414976445.6208534], [3, 234177599.94170275, 159024553.20589364, 446806361.02422327], [1, 234024878.5580995, 158920843.67176852, 446514971.55881184], [4, 216203314.2251111, 146818634.46734804, 412511769.2484118], [2, 245241227.98438582, 166537605.2944019, 467915550.7447917]]);
    expect(s.history.map((h) => [h.label, h.pipeline, h.runRate, h.actual])).toEqual([["2024-Q2", 44906438.442956895, null, 92614217], ["2024-Q3", 107464247.57953367, null, 96368972], ["2024-Q4", 91300305.94608644, null, 85010151], ["2025-Q1", 85794637.99022323, 91899058.85185178, 79131817], ["2025-Q2", 91309338.18598987, 82628991.72527465, 108756659], ["2025-Q3", 102902294.45959426, 90764238.58695658, 103700911], ["2025-Q4", 89389055.9151102, 91305602.47101456, 90824306], ["2026-Q1", 98974598.08515154, 96824653.59259267, 123301916], ["2026-Q2", 119361267.98517883, 101902428.14285718, 94121952], ["2026-Q3", 147614993.5802654, 105403736.2318842, 330730991]]);
    expect(s.forecast.total.topDeals.map((d) => [d.dealId, d.probability])).toEqual([[8404, 0.8059827942729586], [7448, 0.47086627451776863], [3737, 0.6208707861481031]]);
  });

  it('backtests the same six months', () => {
    const b = runBacktest(t, periodsBetween(Date.UTC(2026, 3, 1), period.start, 'MONTH'), { simulations: 500, seed: 7, topDeals: 0 });
    expect(b.rows.map((r) => [r.period.label, r.model.expected, r.model.p10, r.model.p90, r.fixedWeight, r.served.expected])).toEqual([["2026-04", 34426491.37083332, 24789345.5, 44090020.20000001, 121795817.4, 34426491.37083332], ["2026-05", 37715689.600685254, 28091242.208729547, 46189329.209035456, 117578308.74999993, 37715689.600685254], ["2026-06", 27778248.35329258, 21197184.7, 33892057.7, 109206336.74999996, 27778248.35329258], ["2026-07", 27319464.65997431, 20466656.3, 34411037.2, 110429647.39999998, 27319464.65997431], ["2026-08", 85270405.85899305, 66170181.84651424, 105937405.84496844, 340484897.7999995, 85270405.85899305], ["2026-09", 260692522.57989138, 230026545.7, 288673722.7, 734022305.1499999, 260692522.57989138]]);
  });
});
