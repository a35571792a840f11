import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { createBasicWorld } from '../helpers/fixtures';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { ChangeSource, DealChange, DealField } from '../../src/modules/deal/deal-change.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { DealStatus, ForecastCategory, RepRole } from '../../src/shared/enums';
import { Rep } from '../../src/modules/rep/rep.entity';
import { Team } from '../../src/modules/team/team.entity';

/*
 * 20 closed deals of 1,000.00 (10 won) so the weights exist, and "Grown deal": opened 2025-12-01 for 1,000.00
 * expected to close 2026-02-15; on 2026-01-10 its amount became 4,000.00 and its close date 2026-01-20; won
 * 2026-01-20. A forecast as of 2026-01-01 must see 1,000.00 and 2026-02-15, not today's 4,000.00.
 */
const DAY = 86_400_000;
const FORECAST = `query($asOf: DateTimeISO) { forecast(period: "2026-Q1", asOf: $asOf, simulations: 500, seed: 3) {
  total { openPipeline closedWon openDeals topDeals { name amount } } } }`;

/**
 * A small world on `kind`: the default pipeline with one AE, and 20 closed deals of 1,000.00 opened weekly from
 * 2025-01-01 and closed 10 days later, every other one won (k = 0, 2, ..., 18), so the stage weights exist.
 * `closedDeal` adds one more, with its stage history.
 */
async function historyWorld(kind: (typeof DATABASES)[number]) {
  const app = await createTestApp(kind);
  const world = await createBasicWorld(app.orm.em as Em);
  const em = (app.orm.em as Em).fork() as Em;
  const { Prospecting, Won, Lost } = world.stages;
  const closedDeal = (name: string, amountCents: number, opened: Date, closed: Date, won: boolean, expectedCloseDate: Date | null = null) => {
    const deal = em.create(Deal, {
      name, owner: world.ae, account: world.account, amountCents, stage: won ? Won : Lost, status: won ? DealStatus.WON : DealStatus.LOST,
      openedAt: opened, closedAt: closed, stageEnteredAt: closed, expectedCloseDate,
    });
    em.create(DealStageChange, { deal, fromStage: null, toStage: Prospecting, at: opened });
    em.create(DealStageChange, { deal, fromStage: Prospecting, toStage: won ? Won : Lost, at: closed });
    return deal;
  };
  for (let k = 0; k < 20; k++) {
    const opened = Date.UTC(2025, 0, 1) + 7 * k * DAY;
    closedDeal(`History ${k}`, 100_000, new Date(opened), new Date(opened + 10 * DAY), k % 2 === 0);
  }
  const change = (deal: Deal, field: DealField, oldValue: string, newValue: string, at: Date) => em.create(DealChange, { deal, field, oldValue, newValue, at, source: ChangeSource.API });
  return { app, em, world, closedDeal, change };
}

describe.each(DATABASES)('forecast as of a past date reads the deal field history on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    const w = await historyWorld(kind);
    app = w.app;
    const grown = w.closedDeal('Grown deal', 400_000, new Date('2025-12-01T00:00:00Z'), new Date('2026-01-20T00:00:00Z'), true, new Date('2026-01-20T00:00:00Z'));
    const at = new Date('2026-01-10T00:00:00Z');
    w.change(grown, DealField.AMOUNT, '100000', '400000', at);
    w.change(grown, DealField.EXPECTED_CLOSE_DATE, '2026-02-15T00:00:00.000Z', '2026-01-20T00:00:00.000Z', at);
    await w.em.flush();
  });
  afterAll(async () => app?.close());

  it('uses the amount known then for a past date, and today\'s once the change happened', async () => {
    const before = await app.execute<{ forecast: any }>(FORECAST, { asOf: '2026-01-01T00:00:00Z' });
    expect(before.errors).toBeUndefined();
    expect(before.data!.forecast.total).toMatchObject({ openPipeline: 1000, openDeals: 1, closedWon: 0, topDeals: [{ name: 'Grown deal', amount: 1000 }] });
    const between = await app.execute<{ forecast: any }>(FORECAST, { asOf: '2026-01-15T00:00:00Z' });
    expect(between.data!.forecast.total).toMatchObject({ openPipeline: 4000, openDeals: 1 });
    const after = await app.execute<{ forecast: any }>(FORECAST, { asOf: '2026-02-01T00:00:00Z' });
    expect(after.data!.forecast.total).toMatchObject({ openPipeline: 0, closedWon: 4000 });
  });

  it('uses the expected close date known then (the fixed-weight baseline of a backtest reads it)', async () => {
    const { loadFacts } = await import('../../src/modules/forecast/facts.sql');
    const em = (app.orm.em as Em).fork() as Em;
    const facts = async (asOf: string) => {
      const t = await loadFacts(em, new Date(asOf));
      const i = Array.from(t.id).indexOf((await em.findOneOrFail(Deal, { name: 'Grown deal' })).id);
      return { close: t.expectedClose[i], amount: t.amount[i] };
    };
    expect(await facts('2026-01-01T00:00:00Z')).toEqual({ close: Date.parse('2026-02-15T00:00:00Z'), amount: 100_000 });
    // like the stage history, what happened before asOf is known: a change exactly at asOf is not yet
    expect(await facts('2026-01-10T00:00:00Z')).toEqual({ close: Date.parse('2026-02-15T00:00:00Z'), amount: 100_000 });
    expect(await facts('2026-01-10T00:00:01Z')).toEqual({ close: Date.parse('2026-01-20T00:00:00Z'), amount: 400_000 });
  });
});

/*
 * A backtest forecasts each period as of its start from what was known then, even when the deal record changed
 * before the end of the backtest window. The world:
 * - the 20 history deals: the wins of k = 12, 14, 16, 18 close in 2025-Q2 (4,000.00), none in 2025-Q3;
 * - "Won in Q4": opened 2025-10-01, won 2025-11-01 for 2,000.00; on 2026-05-01 corrected to 6,000.00;
 * - "Won in Q1": opened 2025-12-01 for 1,000.00 expected 2026-02-15, won 2026-02-10; on 2026-05-01 its amount was
 *   raised to 9,000.00 and its close date rewritten to 2026-06-30.
 * Backtest of 2026-Q1 and 2026-Q2 (the window ends 2026-07-01, after the corrections):
 * - Q1 as of 2026-01-01: run-rate = (4,000 + 0 + 2,000) / 3 = 2,000.00 (not (4,000 + 6,000) / 3); fixed weight =
 *   Prospecting's 10 % x 1,000.00 = 100.00 ("Won in Q1" was expected in Q1 then; not 0 from today's June date);
 * - Q2 as of 2026-04-01: run-rate = (0 + 2,000 + 1,000) / 3 = 1,000.00 (not (6,000 + 9,000) / 3 = 5,000);
 * - actuals are what was won as the record stands at the end of the window: 9,000.00 in Q1, nothing in Q2.
 */
const BACKTEST = `{ forecastBacktest(from: "2026-01-01T00:00:00Z", to: "2026-07-01T00:00:00Z", interval: QUARTER, simulations: 200, seed: 3) {
  periods { period actual runRate fixedWeight } } }`;

describe.each(DATABASES)('a backtest reads each period as of its own start on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    const w = await historyWorld(kind);
    app = w.app;
    const corrected = new Date('2026-05-01T00:00:00Z');
    const q4 = w.closedDeal('Won in Q4', 600_000, new Date('2025-10-01T00:00:00Z'), new Date('2025-11-01T00:00:00Z'), true);
    w.change(q4, DealField.AMOUNT, '200000', '600000', corrected);
    const q1 = w.closedDeal('Won in Q1', 900_000, new Date('2025-12-01T00:00:00Z'), new Date('2026-02-10T00:00:00Z'), true, new Date('2026-06-30T00:00:00Z'));
    w.change(q1, DealField.AMOUNT, '100000', '900000', corrected);
    w.change(q1, DealField.EXPECTED_CLOSE_DATE, '2026-02-15T00:00:00.000Z', '2026-06-30T00:00:00.000Z', corrected);
    await w.em.flush();
  });
  afterAll(async () => app?.close());

  it('forecasts a past period from the amounts and close dates known at its start, not from later corrections', async () => {
    const res = await app.execute<{ forecastBacktest: any }>(BACKTEST);
    expect(res.errors).toBeUndefined();
    expect(res.data!.forecastBacktest.periods).toEqual([
      { period: '2026-Q1', actual: 9000, runRate: 2000, fixedWeight: 100 },
      { period: '2026-Q2', actual: 0, runRate: 1000, fixedWeight: 0 },
    ]);
  });
});

/*
 * Owner and forecast category as of a date. "Moved deal": opened 2025-12-01 by Alex (team EMEA Mid-Market) for
 * 1,000.00, rep category COMMIT, won 2026-02-10; on 2026-05-01 it was handed to Nora (team NA Enterprise) and its
 * category set to OMITTED. Read as of dates before the hand-over, the deal is EMEA's and COMMIT:
 * - EMEA's forecast of 2026-Q1 as of 2026-01-01 holds it open (1,000.00, COMMIT); today's owner and category (the
 *   code before owners were restored) gave EMEA no open deal and NA's one OMITTED;
 * - EMEA's backtest of 2026-Q1 and Q2 (loaded as of 2026-07-01, after the hand-over: the as-of views restore it)
 *   counts the win in Q1 (actual 1,000.00; it was 0 before) and NA's counts nothing (it was 1,000.00).
 */
describe.each(DATABASES)('owner and forecast category as of a date on %s', (kind) => {
  let app: TestApp;
  let emea: number;
  let na: number;

  beforeAll(async () => {
    const w = await historyWorld(kind);
    app = w.app;
    const team = w.em.create(Team, { name: 'NA Enterprise', region: 'NA' });
    const nora = w.em.create(Rep, { name: 'Nora North', email: 'nora@example.com', role: RepRole.AE, team, hiredAt: new Date('2023-01-02T00:00:00Z'), active: true });
    const moved = w.closedDeal('Moved deal', 100_000, new Date('2025-12-01T00:00:00Z'), new Date('2026-02-10T00:00:00Z'), true);
    moved.owner = nora;
    moved.forecastCategory = ForecastCategory.OMITTED;
    await w.em.flush();
    const handover = new Date('2026-05-01T00:00:00Z');
    w.change(moved, DealField.OWNER, String(w.world.ae.id), String(nora.id), handover);
    w.change(moved, DealField.FORECAST_CATEGORY, ForecastCategory.COMMIT, ForecastCategory.OMITTED, handover);
    await w.em.flush();
    [emea, na] = [w.world.team.id, team.id];
  });
  afterAll(async () => app?.close());

  const forecast = async (teamId: number) => {
    const res = await app.execute<{ forecast: any }>(
      `query($teamId: ID) { forecast(period: "2026-Q1", asOf: "2026-01-01T00:00:00Z", teamId: $teamId, simulations: 500, seed: 3) {
        total { openDeals openPipeline categoriesWithOverrides { category deals amount } } } }`,
      { teamId: String(teamId) },
    );
    expect(res.errors).toBeUndefined();
    const { openDeals, openPipeline, categoriesWithOverrides } = res.data!.forecast.total;
    return { openDeals, openPipeline, categories: categoriesWithOverrides.filter((c: { deals: number }) => c.deals > 0) };
  };

  it('forecasts a past date with the deal in the team that owned it then, in the category it had then', async () => {
    expect(await forecast(emea)).toEqual({ openDeals: 1, openPipeline: 1000, categories: [{ category: 'COMMIT', deals: 1, amount: 1000 }] });
    expect(await forecast(na)).toEqual({ openDeals: 0, openPipeline: 0, categories: [] });
  });

  it('backtests a team with the deals it owned in each period, restored from the history after the load date', async () => {
    const backtest = async (teamId: number) => {
      const res = await app.execute<{ forecastBacktest: any }>(
        `query($teamId: ID) { forecastBacktest(from: "2026-01-01T00:00:00Z", to: "2026-07-01T00:00:00Z", interval: QUARTER, teamId: $teamId, simulations: 200, seed: 3) {
          periods { period actual } } }`,
        { teamId: String(teamId) },
      );
      expect(res.errors).toBeUndefined();
      return res.data!.forecastBacktest.periods;
    };
    expect(await backtest(emea)).toEqual([{ period: '2026-Q1', actual: 1000 }, { period: '2026-Q2', actual: 0 }]);
    expect(await backtest(na)).toEqual([{ period: '2026-Q1', actual: 0 }, { period: '2026-Q2', actual: 0 }]);
  });
});
