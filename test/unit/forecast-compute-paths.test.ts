/**
 * The compute paths of a 1M-deal forecast: open deals kept per date, categories by index, the history model's
 * one-loop stage counts (against the per-deal sums and learnStageWeights' pass they replace), segment keys of any
 * size, and the Monte Carlo's default draw budget. Small hand-made worlds; every expected value worked out below.
 */
import { type DealFactRow, Outcome, buildFactTable, closedBefore, factsAsOf, OPEN_ROWS_DATES_KEPT, openRowsAt, revisionsOf, Revised } from '../../src/modules/forecast/facts';
import { addStageCounts, buildApportioner, learnStageWeights, logit, maturityCutoffs, shrink, sizeBandBounds, sizeBandOf } from '../../src/modules/forecast/stage-weights';
import { buildHistoryModel, dealOutlook } from '../../src/modules/forecast/model';
import { CATEGORY_ORDER, categoryIndex, categoryOf } from '../../src/modules/forecast/metrics';
import { DEFAULT_DRAW_BUDGET, createRng, simulate } from '../../src/modules/forecast/monte-carlo';
import { STAGES, day, factRow } from '../helpers/fact-rows';

const row = factRow;

describe('openRowsAt', () => {
  const t = buildFactTable(STAGES, [
    row(1, [0, null, null], Outcome.OPEN, null), // open from day 0, stage 0
    row(2, [10, null, null], Outcome.WON, 20), // open on days 10..20
    row(3, [30, null, null], Outcome.OPEN, null), // created after day 25
    row(4, [1, null, null], Outcome.LOST, null), // closed, nobody knows when: never open
    row(5, [2, 5, 15], Outcome.OPEN, null), // stage 1 from day 5, stage 2 from day 15
  ]);

  it('lists the deals open at a date with the stage they had then', () => {
    const at12 = openRowsAt(t, day(12));
    expect([Array.from(at12.rows), Array.from(at12.stage), Array.from(at12.enteredAt)]).toEqual([
      [0, 1, 4],
      [0, 0, 1],
      [day(0), day(10), day(5)],
    ]);
    const at25 = openRowsAt(t, day(25));
    expect([Array.from(at25.rows), Array.from(at25.stage), Array.from(at25.enteredAt)]).toEqual([
      [0, 4],
      [0, 2],
      [day(0), day(15)],
    ]);
    // strictly before: a deal created at the date is not yet there, one closed at it is still open
    expect(Array.from(openRowsAt(t, day(10)).rows)).toEqual([0, 4]);
    expect(Array.from(openRowsAt(t, day(20)).rows)).toEqual([0, 1, 4]);
    // a stage entered at the date is not yet entered
    const at15 = openRowsAt(t, day(15));
    expect([at15.stage[2], at15.enteredAt[2]]).toEqual([1, day(5)]);
  });

  it('keeps a bounded number of dates per table, dropping the one asked longest ago', () => {
    const first = openRowsAt(t, day(12));
    const later = Array.from({ length: OPEN_ROWS_DATES_KEPT - 1 }, (_, d) => openRowsAt(t, day(100) + d)); // now full
    expect(openRowsAt(t, day(12))).toBe(first); // kept, and now the most recently used
    openRowsAt(t, day(1000)); // one date too many: day(100), asked longest ago, is dropped
    expect(openRowsAt(t, day(12))).toBe(first);
    expect(openRowsAt(t, day(100) + 1)).toBe(later[1]);
    const again = openRowsAt(t, day(100));
    expect(again).not.toBe(later[0]); // computed again, with the same answer
    expect([Array.from(again.rows), Array.from(again.stage)]).toEqual([[0, 2, 4], [0, 0, 2]]);
  });

  it('keeps the list per date, shared with the as-of views of the same table', () => {
    const kept = openRowsAt(t, day(12));
    expect(openRowsAt(t, day(12))).toBe(kept);
    const r = revisionsOf([0], [day(20)], [Revised.AMOUNT], [500]);
    const view = factsAsOf({ ...t, revisions: r }, day(12));
    expect(view.amount).not.toBe(t.amount); // the view restored an amount...
    expect(openRowsAt(view, day(12))).toBe(kept); // ...and shares the open deals
    // another table with the same dates is not confused with it
    const other = buildFactTable(STAGES, [row(1, [0, null, null], Outcome.WON, 3)]);
    expect(Array.from(openRowsAt(other, day(12)).rows)).toEqual([]);
  });
});

describe('categoryIndex', () => {
  it('places probabilities at the thresholds (0.7, 0.4, 0.1: each one inclusive) as categoryOf names them', () => {
    const cases: Array<[number, number]> = [
      [1, 0],
      [0.7, 0],
      [0.6999, 1],
      [0.4, 1],
      [0.3999, 2],
      [0.1, 2],
      [0.0999, 3],
      [0, 3],
      [NaN, 3],
    ];
    for (const [p, index] of cases) {
      expect(categoryIndex(p)).toBe(index);
      expect(categoryOf(p)).toBe(CATEGORY_ORDER[index]);
    }
  });
});

/** Closed and open deals over 600 days: skipped stages, unknown stage histories, four teams, families with a null. */
function world(n: number, teamOf: (r: number) => number, seed = 5): DealFactRow[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, j) => {
    const created = rng() * 560;
    const entries: Array<number | null> = [created, null, null];
    let at = created;
    let top = 0;
    for (let s = 1; s < 3 && rng() < 0.6; s++) {
      at += 2 + rng() * 30;
      if (rng() < 0.2) continue; // skipped stage: entered later ones without it
      entries[s] = at;
      top = s;
    }
    const roll = rng();
    const outcome = roll < 0.2 ? Outcome.OPEN : roll < 0.5 ? Outcome.WON : Outcome.LOST;
    const closedDay = outcome === Outcome.OPEN ? null : at + 1 + rng() * 40;
    return row(j + 1, entries, outcome, closedDay, {
      teamId: teamOf(j % 4),
      family: ['Core', 'Add-on', null][j % 3],
      amountCents: Math.round(500 + rng() * 5000),
      currentStage: outcome === Outcome.OPEN ? top : -1,
      stageHistoryKnown: outcome === Outcome.LOST && rng() < 0.3 ? false : true,
    });
  });
}

describe('history model stage counts in one loop', () => {
  const t = buildFactTable(STAGES, world(1500, (r) => r + 1));
  const options = { minSample: 15, shrinkage: 10 };

  it('give the weights of learnStageWeights\' own pass (apportioned unknown histories, longest win times)', () => {
    for (const d of [200, 400, 640]) {
      const model = buildHistoryModel(t, day(d), options);
      expect(model.unknownHistoryDeals).toBeGreaterThan(20);
      expect(model.weights.some((w) => w.apportioned > 0)).toBe(true);
      expect(model.weights).toEqual(learnStageWeights(t, day(d), options));
    }
  });

  it('give each team, family and size band the shift of its own per-deal sums (the reference: addStageCounts per deal, then added)', () => {
    const asOf = day(640);
    const model = buildHistoryModel(t, asOf, options);
    const cutoff = maturityCutoffs(t, asOf);
    const ap = buildApportioner(t, asOf, options.minSample);
    const keyOf = { team: (i: number) => t.team[i], family: (i: number) => t.family[i], band: (i: number) => sizeBandOf(t.amount[i], sizeBandBounds(t, asOf)) };
    for (const dim of ['team', 'family', 'band'] as const) {
      const sums = new Map<number, { reached: Float64Array; won: Float64Array }>();
      const dealReached = new Float64Array(3);
      const dealWon = new Float64Array(3);
      for (let i = 0; i < t.n; i++) {
        if (!closedBefore(t, i, asOf)) continue;
        dealReached.fill(0);
        dealWon.fill(0);
        addStageCounts(t, i, asOf, cutoff, ap, dealReached, dealWon);
        const c = sums.get(keyOf[dim](i)) ?? { reached: new Float64Array(3), won: new Float64Array(3) };
        sums.set(keyOf[dim](i), c);
        for (let s = 0; s < 3; s++) [c.reached[s], c.won[s]] = [c.reached[s] + dealReached[s], c.won[s] + dealWon[s]];
      }
      // keys first seen first, in deal order
      expect([...model.segmentShift[dim].keys()]).toEqual([...sums.keys()]);
      for (const [key, c] of sums) {
        const expected = Float64Array.from(model.weights, (w, s) => (w.weight != null && w.status !== 'POOLED' ? logit(shrink(c.won[s], c.reached[s], w.weight, options.shrinkage)) - logit(w.weight) : 0));
        expect(model.segmentShift[dim].get(key)).toEqual(expected);
      }
      // the shifts are not all zero: the test would not notice a segment ignored
      expect([...model.segmentShift[dim].values()].some((shift) => shift.some((x) => Math.abs(x) > 1e-3))).toBe(true);
    }
    expect([...model.segmentShift.team.keys()]).toEqual([1, 2, 3, 4]);
    expect([...model.segmentShift.family.keys()].sort()).toEqual([-1, 0, 1]);
  });

  it('treat team ids beyond the small-key table and a missing family like any other key', () => {
    const small = buildFactTable(STAGES, world(1500, (r) => r + 1));
    const large = buildFactTable(STAGES, world(1500, (r) => [1, 3_000_000, 7, 2_000_000_000][r]));
    const relabel = new Map([[1, 1], [2, 3_000_000], [3, 7], [4, 2_000_000_000]]);
    const a = buildHistoryModel(small, day(640), options);
    const b = buildHistoryModel(large, day(640), options);
    expect([...b.segmentShift.team]).toEqual([...a.segmentShift.team].map(([key, shift]) => [relabel.get(key), shift]));
    expect(b.segmentShift.family.get(-1)).toEqual(a.segmentShift.family.get(-1));
    expect(a.segmentShift.family.has(-1)).toBe(true);
    const outlooks = (tt: typeof small, m: typeof a) => openRowsAt(tt, day(640)).rows.map((i) => dealOutlook(tt, m, i, day(640), day(730)).probability);
    const pa = outlooks(small, a);
    expect(outlooks(large, b)).toEqual(pa);
    expect(pa.length).toBeGreaterThan(100);
  });
});

describe('Monte Carlo default draw budget', () => {
  // deals of amount 1..n at p = 0.5: each costs min(p, 1 - p) x 10,000 = 5,000 draws
  const run = (n: number) =>
    simulate({ probabilities: new Float64Array(n).fill(0.5), amounts: Float64Array.from({ length: n }, (_, d) => d + 1), groups: new Int32Array(n), groupCount: 1, simulations: 10_000, seed: 1 });

  it('is 2,000,000 draws: 400 such deals are drawn exactly, of 500 the 100 smallest are approximated', () => {
    expect(DEFAULT_DRAW_BUDGET).toBe(2_000_000);
    expect(run(400).approximatedDeals).toBe(0); // 2,000,000 draws: within
    expect(run(401).approximatedDeals).toBe(1); // 2,005,000: one deal out
    expect(run(500).approximatedDeals).toBe(100); // 2,500,000 - 100 x 5,000 = 2,000,000
  });

  it('keeps the mean: the approximated deals enter through their exact mean', () => {
    const r = run(500);
    const mean = r.total.reduce((s, v) => s + v, 0) / r.total.length;
    // sum of 0.5 x (1..500) = 62,625; sd of the mean over 10,000 simulations: sqrt(41,791,750 / 4) / 100 = 32.3;
    // leaving the 100 approximated deals out would lose 0.5 x 5,050 = 2,525
    expect(Math.abs(mean - 62_625)).toBeLessThan(130);
  });
});
