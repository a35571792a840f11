import type { TestApp } from '../helpers/databases';
import { SEEDED_WORLDS, createSeededTestApp } from '../helpers/seeded-world';
import { OPEN_STAGES, WORLD_TRUTH, amountBand, dealShift, repSkills, stageWinProbability, type Channel, type ProductFamily, type Segment } from '../../seeds';
import type { Em } from '../../src/db/orm';
import { closedBefore, reachedMax } from '../../src/modules/forecast/facts';
import { loadFacts } from '../../src/modules/forecast/facts.sql';
import { getBacktest } from '../../src/modules/forecast/backtest.service';
import { BacktestInterval } from '../../src/modules/forecast/forecast.types';
import { DEFAULT_WEIGHT_OPTIONS, learnStageWeights, maturityCutoffs, reachedAt } from '../../src/modules/forecast/stage-weights';

/**
 * On the seeded world (SQLite; the estimators are dialect-free and the loader is covered on both databases by
 * forecast.test.ts), the learned stage weights recover the generating probabilities and the backtest beats the
 * baselines with an honest range.
 */
const WORLD = SEEDED_WORLDS.large;
const END = WORLD.end;

describe('forecast against the seeded truth', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createSeededTestApp('sqlite', 'large');
  }, 120_000);
  afterAll(async () => app?.close());

  it('learns P(won | reached stage) within 3.5 standard errors of what the generator implies', async () => {
    const em = app.orm.em.fork() as Em;
    const t = await loadFacts(em, END);
    const asOf = END.getTime();
    const learned = learnStageWeights(t, asOf, DEFAULT_WEIGHT_OPTIONS);
    expect(t.stages.map((s) => s.name)).toEqual([...OPEN_STAGES]);

    // Each deal's own truth: its logit shift (rep skill, segment, size, family, source) gives P(won | reached s);
    // 3 % of would-be losses are never closed (stale), so among closed deals the win share is p / (p + 0.97 (1 - p)).
    const skills = new Map((await repSkills(WORLD)).map((r) => [r.id, r.skill]));
    const attrs = new Map<number, Record<string, unknown>>(
      (await em.getConnection().execute(
        'select d.id, d.owner_id, a.segment, p.family, d.amount_cents, d.source from deals d left join accounts a on a.id = d.account_id left join products p on p.id = d.product_id',
      )).map((r: Record<string, unknown>) => [Number(r.id), r]),
    );
    const cutoff = maturityCutoffs(t, asOf);
    const stale = WORLD_TRUTH.staleProbability;
    for (let s = 0; s < t.stages.length; s++) {
      let sum = 0;
      let variance = 0;
      let n = 0;
      for (let i = 0; i < t.n; i++) {
        if (!closedBefore(t, i, asOf) || reachedMax(t, i, asOf) < s || !(reachedAt(t, i, s) < cutoff[s])) continue;
        const a = attrs.get(t.id[i])!;
        const shift = dealShift(skills.get(Number(a.owner_id))!, a.segment as Segment, amountBand(Number(a.amount_cents) / 100), a.family as ProductFamily, a.source as Channel);
        const p = stageWinProbability(shift)[OPEN_STAGES[s]];
        const q = p / (p + (1 - stale) * (1 - p));
        sum += q;
        variance += q * (1 - q);
        n++;
      }
      const expected = sum / n;
      const se = Math.sqrt(variance) / n;
      expect(learned[s]).toMatchObject({ status: 'OK', reached: n });
      // eslint-disable-next-line no-console
      if (process.env.FORECAST_TRUTH_PRINT) console.log(`${OPEN_STAGES[s]}: learned ${learned[s].weight!.toFixed(4)} truth ${expected.toFixed(4)} se ${se.toFixed(4)} n ${n}`);
      expect(Math.abs(learned[s].weight! - expected)).toBeLessThan(3.5 * se);
    }
    // and they are far from the textbook 10/25/50/75/90 %
    expect(learned[0].weight!).toBeGreaterThan(0.15);
    expect(learned[4].weight!).toBeLessThan(0.9);
  });

  it('beats the run-rate and fixed-weight baselines on WAPE, with P10–P90 coverage near 80 %', async () => {
    const em = app.orm.em.fork() as Em;
    const months = await getBacktest(em, {
      from: new Date('2024-10-01T00:00:00Z'),
      to: END,
      interval: BacktestInterval.MONTH,
      scope: {},
      simulations: 2000,
      seed: 42,
    });
    expect(months.model.periods).toBe(24);
    expect(months.model.wape!).toBeLessThan(months.runRate.wape!);
    expect(months.model.wape!).toBeLessThan(months.fixedWeight.wape!);
    // 24 periods: the binomial standard deviation of an 80 % coverage is 8 points
    expect(months.model.coverage!).toBeGreaterThanOrEqual(0.6);
    expect(months.model.coverage!).toBeLessThanOrEqual(0.96);
    // the served forecast (method chosen on earlier periods only) is no worse than its best baseline, honest range
    expect(months.served.wape!).toBeLessThanOrEqual(Math.min(months.runRate.wape!, months.fixedWeight.wape!));
    expect(months.served.coverage!).toBeGreaterThanOrEqual(0.65);
    expect(months.served.coverage!).toBeLessThanOrEqual(0.95);
    expect(months.servedMethods.reduce((s, m) => s + m.periods, 0)).toBe(24);
    const quarters = await getBacktest(em, { from: new Date('2024-10-01T00:00:00Z'), to: END, interval: BacktestInterval.QUARTER, scope: {}, simulations: 2000, seed: 42 });
    expect(quarters.model.periods).toBe(8);
    expect(quarters.model.wape!).toBeLessThan(quarters.runRate.wape!);
    expect(quarters.model.wape!).toBeLessThan(quarters.fixedWeight.wape!);
    expect(quarters.served.wape!).toBeLessThanOrEqual(Math.min(quarters.runRate.wape!, quarters.fixedWeight.wape!));
    // eslint-disable-next-line no-console
    if (process.env.FORECAST_TRUTH_PRINT) console.log(JSON.stringify({ months: [months.served, months.model, months.runRate, months.fixedWeight], quarters: [quarters.served, quarters.model, quarters.runRate, quarters.fixedWeight] }));
  });
});
