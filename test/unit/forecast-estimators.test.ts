import { DAY_MS, type DealFactRow, Outcome, Revised, buildFactTable, factsAsOf, isOpenAt, reachedMax, revisionsOf, stageAt } from '../../src/modules/forecast/facts';
import { closeCurve, conditionalCloseProbability, conditionalWinTiming, kaplanMeier, medianTime, survivalAt, wonIncidenceAt, wonIncidenceTotal } from '../../src/modules/forecast/survival';
import { learnStageWeights, shrink } from '../../src/modules/forecast/stage-weights';
import { advanceProbability, ageFactor, buildStageTiming, winTiming } from '../../src/modules/forecast/stage-timing';
import { buildHistoryModel, dealOutlook, pipelineAmount, staleDecay } from '../../src/modules/forecast/model';
import { estimateNewBusiness } from '../../src/modules/forecast/new-business';
import { customPeriod, monthPeriod } from '../../src/shared/period';
import { createRng, percentiles, simulate } from '../../src/modules/forecast/monte-carlo';
import { accuracy, categoryOf, categoryTotals } from '../../src/modules/forecast/metrics';
import { actualWon, fixedWeightForecast } from '../../src/modules/forecast/engine';
import { STAGES, day, factRow } from '../helpers/fact-rows';

const deal = factRow;

describe('Kaplan–Meier with censoring', () => {
  // events at 2, 3, 3, 5 and still-open deals observed for 3 and 4 days
  const curve = kaplanMeier([2, 3, 3, 5], [3, 4]);

  it('steps down at each event time with the number at risk (events before censorings at a tie)', () => {
    expect(Array.from(curve.times)).toEqual([2, 3, 5]);
    // 6 at risk at t=2: 5/6; 5 at risk at t=3 with 2 events: 5/6 * 3/5 = 1/2; 1 left at t=5: 0
    expect(curve.survival[0]).toBeCloseTo(5 / 6, 12);
    expect(curve.survival[1]).toBeCloseTo(0.5, 12);
    expect(curve.survival[2]).toBe(0);
    expect([curve.events, curve.censored, curve.maxTime]).toEqual([4, 2, 5]);
    expect(survivalAt(curve, 1.9)).toBe(1);
    expect(survivalAt(curve, 4.9)).toBeCloseTo(0.5, 12);
    expect(medianTime(curve)).toBe(3);
  });

  it('gives the probability of closing inside a window given the time already spent open', () => {
    // S(2.5)=5/6, S(4)=1/2: (5/6 - 1/2) / (5/6) = 0.4
    expect(conditionalCloseProbability(curve, 2.5, 2.5, 4)).toBeCloseTo(0.4, 12);
    expect(conditionalCloseProbability(curve, 0, 0, 10)).toBeCloseTo(1, 12);
    expect(conditionalCloseProbability(curve, 0, 6, 6)).toBe(0);
  });

  it('falls back to the tail hazard beyond the data instead of dividing by zero', () => {
    // times >= q75 (=3): events 3,3,5; exposure (0+0+2) + censored (0+1) = 3 -> hazard 1/day
    expect(curve.tailHazard).toBeCloseTo(1, 12);
    expect(conditionalCloseProbability(curve, 6, 6, 7)).toBeCloseTo(1 - Math.exp(-1), 12);
  });
});

describe('timing of wins (competing risks)', () => {
  // wins at 2 and 5, losses at 3 and 3, still open at 3 and 4
  const curve = closeCurve([2, 5], [3, 3], [3, 4]);

  it('accumulates the incidence of winning: S(t-) x wins / at risk', () => {
    // t=2: 1/6; t=3: losses only; t=5: S(5-) = 1/2, 1 at risk, 1 win -> 1/6 + 1/2
    expect(Array.from(curve.wonIncidence)).toEqual([1 / 6, 1 / 6, 1 / 6 + 1 / 2]);
    expect(wonIncidenceAt(curve, 4)).toBeCloseTo(1 / 6, 12);
    expect(wonIncidenceTotal(curve)).toBeCloseTo(2 / 3, 12);
  });

  it('times a future win by the wins, not by the (earlier) losses', () => {
    // open at 2.5: the only win still to come is at 5
    expect(conditionalWinTiming(curve, 2.5, 2.5, 4)).toBe(0);
    expect(conditionalWinTiming(curve, 2.5, 4, 6)).toBeCloseTo(1, 12);
    // while any close in [2.5, 4) has probability (5/6 - 1/2) / (5/6) = 0.4
    expect(conditionalCloseProbability(curve, 2.5, 2.5, 4)).toBeCloseTo(0.4, 12);
  });
});

describe('as-of views', () => {
  // entered Qualify day 0, Propose day 10, won day 20
  const t = buildFactTable(STAGES, [deal(1, [0, 10, null], Outcome.WON, 20)]);

  it('places a deal in the stage it had at the as-of date, whatever happened later', () => {
    expect(isOpenAt(t, 0, day(-1))).toBe(false); // not created yet
    expect(isOpenAt(t, 0, day(5))).toBe(true);
    expect(stageAt(t, 0, day(5))).toEqual({ stage: 0, enteredAt: day(0) });
    expect(stageAt(t, 0, day(15))).toEqual({ stage: 1, enteredAt: day(10) });
    expect(isOpenAt(t, 0, day(15))).toBe(true); // won on day 20: still open on day 15
    expect(isOpenAt(t, 0, day(25))).toBe(false);
  });

  it('takes a deal seen in a later stage to have passed the earlier ones (imports without full history)', () => {
    const partial = buildFactTable(STAGES, [deal(2, [null, null, 4], Outcome.LOST, 9, { openedAt: day(0) })]);
    expect(reachedMax(partial, 0, day(30))).toBe(2);
    expect(stageAt(partial, 0, day(2))).toEqual({ stage: 0, enteredAt: day(0) });
  });

  it('restores the amount and close date known at an earlier date from the field history', () => {
    // deal 1 (row 0): 1,000 -> 1,500 on day 8 -> 4,000 on day 30 (after it was won), close date day 40 -> day 20 on day 8;
    // deal 2 (row 1): never revised
    const table = buildFactTable(STAGES, [deal(1, [0, 10, null], Outcome.WON, 20, { amountCents: 4000, expectedCloseAt: day(20) }), deal(2, [0, null, null])]);
    table.revisions = revisionsOf([0, 0, 0], [day(8), day(8), day(30)], [Revised.AMOUNT, Revised.EXPECTED_CLOSE, Revised.AMOUNT], [1000, day(40), 1500]);
    const at = (d: number) => {
      const v = factsAsOf(table, day(d));
      return [v.amount[0], v.expectedClose[0], v.amount[1]];
    };
    expect(at(5)).toEqual([1000, day(40), 1000]);
    expect(at(8)).toEqual([1000, day(40), 1000]); // a change exactly at the as-of date is not known yet
    expect(at(9)).toEqual([1500, day(20), 1000]);
    expect(at(31)).toEqual([4000, day(20), 1000]);
    expect(factsAsOf(table, day(31))).toBe(table); // nothing changed since: no copy
    expect(table.amount[0]).toBe(4000); // views copy, the table is untouched
  });

  it('reads an amount that was not set before its first change as 0, as the as-of load does', () => {
    const table = buildFactTable(STAGES, [deal(1, [0, null, null], Outcome.OPEN, null, { amountCents: 2500 })]);
    table.revisions = revisionsOf([0], [day(10)], [Revised.AMOUNT], [null]);
    expect(factsAsOf(table, day(5)).amount[0]).toBe(0);
    expect(factsAsOf(table, day(11)).amount[0]).toBe(2500);
  });
});

describe('stage weights', () => {
  // 30 deals: 10 lost in Qualify, 10 lost in Propose, 10 won from Negotiate (entered day 20, won day 30+k)
  const rows: DealFactRow[] = [];
  for (let k = 0; k < 10; k++) rows.push(deal(100 + k, [0, null, null], Outcome.LOST, 5 + k));
  for (let k = 0; k < 10; k++) rows.push(deal(200 + k, [0, 10, null], Outcome.LOST, 20 + k));
  for (let k = 0; k < 10; k++) rows.push(deal(300 + k, [0, 10, 20], Outcome.WON, 30 + k, { teamId: 2 }));
  const t = buildFactTable(STAGES, rows);
  const asOf = day(100);

  it('estimates P(won | reached stage) and shrinks a stage below the minimum sample toward the stage before it', () => {
    const w = learnStageWeights(t, asOf, { minSample: 15, shrinkage: 10 });
    expect(w.map((x) => [x.reached, x.won])).toEqual([[30, 10], [20, 10], [10, 10]]);
    expect(w[0].weight).toBeCloseTo(1 / 3, 12);
    expect(w[1].weight).toBeCloseTo(0.5, 12);
    // 10 reached Negotiate, all won: (10 + 10 x 0.5) / (10 + 10), never the textbook 0.8
    expect(w[2]).toMatchObject({ status: 'SHRUNK', rawRate: 1 });
    expect(w[2].weight).toBeCloseTo(0.75, 12);
  });

  it('shrinks a small segment toward the company weight', () => {
    const overall = learnStageWeights(t, asOf, { minSample: 15, shrinkage: 10 });
    const team2 = learnStageWeights(t, asOf, { minSample: 15, shrinkage: 10 }, (i) => t.team[i] === 2, overall);
    // team 2: 10 reached Qualify, all won -> (10 + 10 * 1/3) / (10 + 10) = 2/3
    expect(team2[0]).toMatchObject({ reached: 10, won: 10, status: 'SHRUNK' });
    expect(team2[0].weight).toBeCloseTo(2 / 3, 12);
    expect(shrink(10, 10, 1 / 3, 10)).toBeCloseTo(2 / 3, 12);
    // Negotiate: 10 of 10 won, toward the company's 0.75 -> (10 + 7.5) / 20
    expect(team2[2].weight).toBeCloseTo(0.875, 12);
    // a team with no closed deal takes the company weights as they are
    expect(learnStageWeights(t, asOf, { minSample: 15, shrinkage: 10 }, (i) => t.team[i] === 9, overall).map((x) => [x.status, x.weight])).toEqual(
      overall.map((x) => ['POOLED', x.weight]),
    );
  });

  it('records the longest time a won deal spent in each stage', () => {
    const w = learnStageWeights(t, asOf, { minSample: 5, shrinkage: 0 });
    expect(w.map((x) => x.maxWonDaysInStage)).toEqual([10, 10, 10 + 9]);
  });
});

describe('age in stage (in-stage survival with never-closed deals at risk)', () => {
  // in-stage times: 2 deals lost after 5 days, 2 moved on after 10, 1 still there after 100 (stale)
  const inStage = closeCurve([10, 10], [5, 5], [100]);
  // next stage: every deal entering it wins after 4 days
  const next = closeCurve([4, 4, 4], [], []);
  const st = buildStageTiming(inStage, next, 120);

  it('gives P(moves on | still in the stage after a days), falling to 0 once only stale deals remain', () => {
    // KM: t=5 S=3/5; t=10 advance incidence 3/5 x 2/3 = 2/5, S=1/5
    expect(advanceProbability(st, 0)).toBeCloseTo(2 / 5, 12);
    expect(advanceProbability(st, 7)).toBeCloseTo(2 / 3, 12); // (2/5) / (3/5)
    expect(advanceProbability(st, 20)).toBe(0);
    expect(ageFactor(st, 7)).toBeCloseTo(5 / 3, 12);
    expect(ageFactor(st, 20)).toBe(0);
  });

  it('times the win as time left in the stage plus time from the next stage to a win', () => {
    // a deal 7 days in: moves on at day 10 (grid midpoint 9.5), wins 4 days later (~13.5)
    expect(winTiming(st, 7, 7, 13).inWindow).toBe(0);
    expect(winTiming(st, 7, 13, 15).inWindow).toBeCloseTo(1, 12);
    expect(winTiming(st, 7, 7, 40).medianDays).toBeCloseTo(9.5 + 4, 12);
  });
});

describe('deal outlook and stale deals', () => {
  it('halves P(win) per quarter of the longest win cycle beyond it (at least 30 days)', () => {
    expect(staleDecay(90, 100)).toBe(1);
    expect(staleDecay(130, 100)).toBeCloseTo(0.5, 12);
    expect(staleDecay(600, 400)).toBeCloseTo(0.25, 12);
  });

  it('multiplies the stage weight by the chance of closing inside the period', () => {
    // 40 closed deals in Qualify only: 20 won after 10 days, 20 lost after 20 days -> weight 1/2; one open deal
    const rows: DealFactRow[] = [];
    for (let k = 0; k < 20; k++) rows.push(deal(k + 1, [0, null, null], Outcome.WON, 10));
    for (let k = 0; k < 20; k++) rows.push(deal(k + 21, [0, null, null], Outcome.LOST, 20));
    rows.push(deal(99, [95, null, null]));
    const t = buildFactTable(STAGES, rows);
    const model = buildHistoryModel(t, day(100), { minSample: 30, shrinkage: 20 });
    expect(model.weights[0].weight).toBe(0.5);
    // open deal: 5 days in Qualify; every win came 10 days after entering it: day 105, inside [100, 110)
    const o = dealOutlook(t, model, 40, day(100), day(110));
    expect(o.ageInStageDays).toBe(5);
    expect(o.pTiming).toBeCloseTo(1, 12);
    expect(o.probability).toBeCloseTo(0.5, 12);
    expect(o.expectedCloseAt).toBe(day(95) + 9.5 * DAY_MS); // daily grid: the move on day 10 counts at 9.5
    // a window that ends before day 105 gets nothing, even though losses (day 115) are not in it either
    expect(dealOutlook(t, model, 40, day(100), day(104)).probability).toBe(0);
    expect(o.stale).toBe(false);
    // a stage nobody reached takes the pooled weight below it, not the default probability, and says so
    expect(model.weights.map((w) => [w.status, w.weight])).toEqual([['OK', 0.5], ['POOLED', 0.5], ['POOLED', 0.5]]);
    expect(model.warnings[0]).toBe('Stage "Propose": no closed deal reached it; it uses the pooled weight of "Qualify", 50 %.');
    expect(o.usedDefaultWeight).toBe(false);
  });
});

describe('new business', () => {
  it('averages past analogue periods: deals created and won inside a month', () => {
    const rows: DealFactRow[] = [];
    // every month of 2025: one deal opened on the 5th and won on the 20th (100.00), plus one opened the month
    // before and won this month (not new business)
    for (let m = 0; m < 12; m++) {
      const opened = Date.UTC(2025, m, 5);
      rows.push({ ...deal(m + 1, [0, null, null], Outcome.WON, 0), openedAt: opened, entries: [opened, null, null], closedAt: Date.UTC(2025, m, 20), amountCents: 10_000 });
      rows.push({ ...deal(m + 100, [0, null, null], Outcome.WON, 0), openedAt: Date.UTC(2025, m, 5) - 30 * DAY_MS, entries: [Date.UTC(2025, m, 5) - 30 * DAY_MS, null, null], closedAt: Date.UTC(2025, m, 21), amountCents: 55_500 });
    }
    const t = buildFactTable(STAGES, rows);
    const jan = monthPeriod(2026, 0);
    const nb = estimateNewBusiness(t, jan, jan.start);
    expect(nb.mean).toBeCloseTo(10_000, 6);
    expect(nb.sd).toBe(0);
    expect(nb.analogues).toBe(6);
    // as of Jan 10, only deals created after the 10th of their month count: none
    expect(estimateNewBusiness(t, jan, Date.UTC(2026, 0, 10)).mean).toBe(0);
  });
});

describe('Monte Carlo', () => {
  it('is reproducible with a seed and lands on the analytic mean', () => {
    const input = { probabilities: [0.5], amounts: [100], groups: [0], groupCount: 1, simulations: 10_000, seed: 7 };
    const a = simulate(input);
    expect(Array.from(a.total)).toEqual(Array.from(simulate(input).total));
    const mean = a.total.reduce((s, v) => s + v, 0) / a.total.length;
    expect(Math.abs(mean - 50)).toBeLessThan(1.5); // 3 standard errors: 3 * 50 / sqrt(10000)
    expect(percentiles(a.total)).toEqual({ p10: 0, p50: expect.any(Number), p90: 100 });
  });

  it('sums many deals: high and low probabilities, groups, certain revenue and new business', () => {
    const n = 1000;
    const probabilities = [...Array(n).fill(0.2), ...Array(n).fill(0.8), 1];
    const groups = [...Array(n).fill(0), ...Array(n).fill(1), 1];
    const r = simulate({ probabilities, amounts: Array(2 * n + 1).fill(1), groups, groupCount: 2, base: [5, 0], newBusinessMean: [0, 10], newBusinessSd: [0, 0], simulations: 4000, seed: 1 });
    const mean = (xs: Float64Array) => xs.reduce((s, v) => s + v, 0) / xs.length;
    // group 0: 5 + Bin(1000, .2): mean 205, sd 12.65; group 1: 1 + 10 + Bin(1000, .8): mean 811
    expect(Math.abs(mean(r.byGroup[0]) - 205)).toBeLessThan(1);
    expect(Math.abs(mean(r.byGroup[1]) - 811)).toBeLessThan(1);
    const { p10, p90 } = percentiles(r.byGroup[0]);
    expect(Math.abs(p10 - (205 - 1.2816 * 12.65))).toBeLessThan(1.5);
    expect(Math.abs(p90 - (205 + 1.2816 * 12.65))).toBeLessThan(1.5);
    expect(Math.abs(mean(r.total) - 1016)).toBeLessThan(1.5);
  });

  it('beyond the draw budget, sums the smallest deals through a normal with their exact mean and variance', () => {
    // 1,000 deals of 1 at p = 0.2 (variance 0.16 each) and one deal of 1,000 at p = 0.5 (variance 250,000)
    const probabilities = [...Array(1000).fill(0.2), 0.5];
    const amounts = [...Array(1000).fill(1), 1000];
    // budget: the big deal's 0.5 x 4,000 = 2,000 draws only
    const r = simulate({ probabilities, amounts, groups: Array(1001).fill(0), groupCount: 1, simulations: 4000, seed: 3, drawBudget: 2000 });
    expect(r.approximatedDeals).toBe(1000);
    const mean = r.total.reduce((s, v) => s + v, 0) / r.total.length;
    expect(Math.abs(mean - 700)).toBeLessThan(25); // 200 + 500; sd of the mean: sqrt(250,000 + 160) / sqrt(4,000) = 7.9
    // half the simulations miss the big deal, so P10 is the 20th percentile of the small deals: 200 - 0.8416 x 12.65
    expect(Math.abs(percentiles(r.total).p10 - 189.4)).toBeLessThan(2);
    const exact = simulate({ probabilities, amounts, groups: Array(1001).fill(0), groupCount: 1, simulations: 4000, seed: 3 });
    expect(exact.approximatedDeals).toBe(0);
    expect(Math.abs(percentiles(exact.total).p10 - 189.4)).toBeLessThan(2);
  });

  it('draws uniforms strictly inside (0, 1)', () => {
    const rng = createRng(3);
    let min = 1;
    let max = 0;
    for (let k = 0; k < 100_000; k++) {
      const u = rng();
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
    expect(min).toBeLessThan(0.001);
  });
});

describe('track-record metrics and categories', () => {
  it('computes MAPE, WAPE, bias and P10–P90 coverage', () => {
    const m = accuracy([
      { forecast: 110, actual: 100, p10: 90, p90: 120 },
      { forecast: 90, actual: 100, p10: 95, p90: 105 },
      { forecast: 100, actual: 50, p10: 60, p90: 80 },
    ]);
    expect(m.wape).toBeCloseTo(70 / 250, 12);
    expect(m.mape).toBeCloseTo((0.1 + 0.1 + 1) / 3, 12);
    expect(m.bias).toBeCloseTo(50 / 250, 12);
    expect(m.coverage).toBeCloseTo(2 / 3, 12);
    expect(accuracy([{ forecast: 1, actual: 0 }])).toMatchObject({ mape: null, wape: null, coverage: null });
  });

  it('puts deals in categories by probability, or by the rep override', () => {
    expect([0.7, 0.69, 0.4, 0.1, 0.09].map(categoryOf)).toEqual(['COMMIT', 'BEST_CASE', 'BEST_CASE', 'PIPELINE', 'OMITTED']);
    const rows = categoryTotals([{ probability: 0.8, amount: 100 }, { probability: 0.05, amount: 50, override: 'COMMIT' }], true);
    expect(rows[0]).toMatchObject({ category: 'COMMIT', deals: 2, amount: 150, expected: 80 + 2.5 });
  });

  it('baselines: won revenue in a period and the fixed-weight pipeline', () => {
    const t = buildFactTable(STAGES, [
      deal(1, [0, 10, null], Outcome.WON, 40, { amountCents: 300 }),
      deal(2, [0, null, null], Outcome.OPEN, null, { amountCents: 1000 }),
      deal(3, [0, 5, 8], Outcome.OPEN, null, { amountCents: 100, expectedCloseAt: day(200) }),
    ]);
    const period = customPeriod(day(30), day(60));
    expect(actualWon(t, period)).toBe(300);
    // as of day 30: deal 1 in Propose (0.5 x 300), deal 2 in Qualify (0.2 x 1000), deal 3 expected later: excluded
    expect(fixedWeightForecast(t, period, day(30))).toBeCloseTo(150 + 200, 9);
  });
});

describe('exponential draws (ziggurat)', () => {
  it('have mean 1, variance 1 and the exponential tail', async () => {
    const { exponentialDraws } = await import('../../src/modules/forecast/monte-carlo');
    const x = exponentialDraws(5, 200_000);
    const m = x.reduce((s, v) => s + v, 0) / x.length;
    const v = x.reduce((s, y) => s + (y - m) ** 2, 0) / x.length;
    const tail = x.filter((y) => y > 3).length / x.length;
    expect(Math.abs(m - 1)).toBeLessThan(0.01); // sd of the mean: 1/sqrt(200000) = 0.0022
    expect(Math.abs(v - 1)).toBeLessThan(0.03);
    expect(Math.abs(tail - Math.exp(-3))).toBeLessThan(0.0025); // sd: sqrt(.0498 * .95 / 200000) = 0.0005
  });
});

describe('deals whose stages reached are unknown (CRM exports without stage history)', () => {
  // Known: 20 lost in Qualify, 20 lost in Propose, 20 won through Negotiate. Unknown: 20 lost, recorded in Qualify only.
  const known: DealFactRow[] = [];
  for (let k = 0; k < 20; k++) known.push(deal(100 + k, [0, null, null], Outcome.LOST, 5 + k));
  for (let k = 0; k < 20; k++) known.push(deal(200 + k, [0, 10, null], Outcome.LOST, 20 + k));
  for (let k = 0; k < 20; k++) known.push(deal(300 + k, [0, 10, 20], Outcome.WON, 30 + k));
  const unknown = Array.from({ length: 20 }, (_, k) => deal(400 + k, [0, null, null], Outcome.LOST, 8 + k, { stageHistoryKnown: false }));
  const options = { minSample: 15, shrinkage: 10 };
  const asOf = day(100);

  it('counts them in the pooled rate and apportions them by the paths of known deals with the same outcome', () => {
    const t = buildFactTable(STAGES, [...known, ...unknown]);
    const w = learnStageWeights(t, asOf, options);
    // Qualify: all 80 closed deals, 20 won. Half the known losses got to Propose, so each unknown one adds 1/2 there:
    // 40 known + 10 apportioned = 50, 20 won -> 0.4. Counting them as lost in Qualify (or dropping them) gives 0.5.
    expect(w.map((x) => [x.reached, x.won, x.status])).toEqual([[80, 20, 'OK'], [50, 20, 'OK'], [20, 20, 'OK']]);
    expect(w[0].weight).toBeCloseTo(0.25, 12);
    expect(w[1].weight).toBeCloseTo(0.4, 12);
    expect(w[1].apportioned).toBeCloseTo(10 / 50, 12);
    const asFirstStageLosses = learnStageWeights(buildFactTable(STAGES, [...known, ...unknown.map((d) => ({ ...d, stageHistoryKnown: true }))]), asOf, options);
    expect(asFirstStageLosses[1].weight).toBeCloseTo(0.5, 12);
    const model = buildHistoryModel(t, asOf, options);
    expect(model.unknownHistoryDeals).toBe(20);
    expect(model.thin[0]).toMatchObject({ kind: 'STAGE_HISTORY', sample: 20 });
    expect(model.thin[0].message).toMatch(/apportioned across later stages by the paths of deals with a known history/);
    // how and when they left Qualify is unknown: they are not losses from it in the in-stage curve (60, not 80)
    expect(model.stageCurves[0].subjects).toBe(60);
  });

  it('with no known path to apportion by (a pure snapshot), the later stages take the pooled rate and say so', () => {
    const wins = known.slice(40);
    const t = buildFactTable(STAGES, [...wins, ...unknown, ...unknown.map((d) => ({ ...d, id: d.id + 100 }))]);
    const model = buildHistoryModel(t, asOf, options);
    // 20 won of 60 closed; nothing says how far the 40 losses got, so Propose and Negotiate are not 20 / 20 = 1
    expect(model.weights.map((x) => [x.status, x.weight])).toEqual([['OK', 1 / 3], ['POOLED', 1 / 3], ['POOLED', 1 / 3]]);
    expect(model.warnings).toEqual([
      '40 of 60 closed deal(s) have no known stage history: they count in the pooled win rate of the stages they are known to have reached, and too few deals with a known history exist to apportion them across later stages.',
      'Stage "Propose": its 20 closed deal(s) leave out deals of unknown history that may have reached it; it uses the pooled weight of "Qualify", 33 %.',
      'Stage "Negotiate": its 20 closed deal(s) leave out deals of unknown history that may have reached it; it uses the pooled weight of "Propose", 33 %.',
      "The stage history cannot tell the stages apart: open deals are weighted by the company's pooled win rate given their age since creation, whatever their stage.",
    ]);
    expect(model.stageless).toBe(true);
    // from creation: wins at days 30..49, losses at days 8..27; a deal open at day 28 has outlived every loss
    expect(model.creationCurve).toMatchObject({ subjects: 60, events: 60 });
    // an open deal in Negotiate gets the company's own 1/3, never the textbook 0.8
    const open = buildFactTable(STAGES, [...wins, ...unknown, ...unknown.map((d) => ({ ...d, id: d.id + 100 })), deal(999, [95, 97, 99])]);
    const m2 = buildHistoryModel(open, asOf, options);
    const o = dealOutlook(open, m2, open.n - 1, asOf, day(400));
    expect(o.usedDefaultWeight).toBe(false);
    // stageless: 5 days after creation no deal had closed yet, so its age tells nothing: the pooled 1/3
    expect(o.pWin).toBeCloseTo(1 / 3, 12);
    // a deal open 28 days after creation has outlived every loss (days 8..27). From creation (61 subjects, itself
    // censored at 28): won incidence 21/61 overall, P(won | open at 28) = 1, so 1/3 x 1 / (21/61) = 61/63
    const late = buildFactTable(STAGES, [...wins, ...unknown, ...unknown.map((d) => ({ ...d, id: d.id + 100 })), deal(998, [72, null, null])]);
    const m3 = buildHistoryModel(late, asOf, options);
    expect(dealOutlook(late, m3, late.n - 1, asOf, day(400)).pWin).toBeCloseTo(61 / 63, 12);
  });

  it('does not learn size bands from amounts that give the outcome away (lost deals exported at 0)', () => {
    const rows = [...known, ...unknown].map((d) => ({ ...d, amountCents: d.outcome === Outcome.LOST ? 0 : 5000 + d.id }));
    const zeroed = buildFactTable(STAGES, rows);
    const model = buildHistoryModel(zeroed, asOf, options);
    expect(model.sizeBandsUsed).toBe(false);
    // a lost deal was worth something while open: the mean won amount of its family (5000 + 300..319 -> 5309.5)
    expect(pipelineAmount(zeroed, model, 0)).toBeCloseTo(5309.5, 9);
    expect(pipelineAmount(zeroed, model, 40)).toBe(5300);
    expect(model.segmentShift.band.size).toBe(0);
    expect(model.thin.find((x) => x.kind === 'DEAL_SIZE')!.message).toBe(
      '60 of 60 lost deals carry amount 0 (won: 0 of 20): the amount says how a deal ended, not its size, so size bands do not adjust win rates.',
    );
    // real amounts: bands are learned
    const honest = buildHistoryModel(buildFactTable(STAGES, [...known, ...unknown].map((d) => ({ ...d, amountCents: 1000 + 37 * d.id }))), asOf, options);
    expect([honest.sizeBandsUsed, honest.segmentShift.band.size]).toEqual([true, 3]);
  });
});
