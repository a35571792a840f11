import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { createBasicWorld, type BasicWorld } from '../helpers/fixtures';
import { dialectOf, readNumber } from '../../src/db/dialect';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { Target } from '../../src/modules/targets/target.entity';
import { DealStatus, RepRole, TargetScope } from '../../src/shared/enums';
import { Rep } from '../../src/modules/rep/rep.entity';
import { identityOfRep } from '../../src/modules/auth/access.policy';

/*
 * A world whose forecast a person can compute: 40 deals of 1,000.00 opened every 5 days from 2025-01-01, each in
 * Prospecting only; the even ones won 10 days after opening, the odd ones lost after 20 days. So P(won | reached
 * Prospecting) = 20/40 = 0.5, and every win came 10 days after entering the stage. One more deal entered
 * Prospecting on 2025-12-27 and was won on 2026-01-06.
 */
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

async function buildHistory(em: Em, world: BasicWorld): Promise<Deal> {
  const { Prospecting, Won, Lost } = world.stages;
  const add = (name: string, opened: number, outcome: 'WON' | 'LOST' | null, closed: number | null) => {
    const deal = em.create(Deal, {
      name,
      owner: world.ae,
      account: world.account,
      product: world.product,
      amountCents: 100_000,
      stage: outcome === 'WON' ? Won : outcome === 'LOST' ? Lost : Prospecting,
      status: outcome === 'WON' ? DealStatus.WON : outcome === 'LOST' ? DealStatus.LOST : DealStatus.OPEN,
      openedAt: new Date(opened),
      closedAt: closed == null ? null : new Date(closed),
      stageEnteredAt: new Date(closed ?? opened),
    });
    em.create(DealStageChange, { deal, fromStage: null, toStage: Prospecting, at: new Date(opened) });
    if (outcome) em.create(DealStageChange, { deal, fromStage: Prospecting, toStage: outcome === 'WON' ? Won : Lost, at: new Date(closed!) });
    return deal;
  };
  for (let k = 0; k < 40; k++) {
    const opened = T0 + 5 * k * DAY;
    add(`History ${k}`, opened, k % 2 === 0 ? 'WON' : 'LOST', opened + (k % 2 === 0 ? 10 : 20) * DAY);
  }
  const late = add('Late signer', Date.UTC(2025, 11, 27), 'WON', Date.UTC(2026, 0, 6));
  em.create(Target, { kpiKey: 'revenue', scope: TargetScope.COMPANY, periodStart: new Date(Date.UTC(2026, 0, 1)), periodEnd: new Date(Date.UTC(2026, 3, 1)), value: 10_000, version: 1 });
  await em.flush();
  return late;
}

const FORECAST = `query($period: String!, $asOf: DateTimeISO, $groupBy: ForecastGroupBy) {
  forecast(period: $period, asOf: $asOf, groupBy: $groupBy, simulations: 2000, seed: 7) {
    period asOf closedDealsInHistory warnings snapshotSaved
    thin { kind subject sample message }
    method { method judgedPeriods blendWeight rangeSource rangePeriods candidates { method periods wape } record { periods wape coverage } }
    total { expected p10 p50 p90 pipeline newBusiness closedWon quota gapToQuota pipelineCoverage openDeals openPipeline calledAmount
      categories { category deals amount expected } categoriesWithOverrides { category deals }
      topDeals { name stage amount probability winProbability timingProbability expectedCloseDate expectedValue modelCategory repCategory stale }
      adjustments { note amount author { name } } }
    groups { key label expected }
  } }`;

describe.each(DATABASES)('forecast on %s', (kind) => {
  let app: TestApp;
  let world: BasicWorld;
  let late: Deal;

  beforeAll(async () => {
    app = await createTestApp(kind);
    world = await createBasicWorld(app.orm.em as Em);
    late = await buildHistory((app.orm.em as Em).fork() as Em, world);
  });
  afterAll(async () => app?.close());

  it('forecasts a quarter as of its start with only what was known then', async () => {
    const res = await app.execute<{ forecast: any }>(FORECAST, { period: '2026-Q1', asOf: '2026-01-01T00:00:00Z' });
    expect(res.errors).toBeUndefined();
    const f = res.data!.forecast;
    expect(f).toMatchObject({ period: '2026-Q1', closedDealsInHistory: 40, snapshotSaved: false });
    // the late signer was still open on Jan 1 (won on Jan 6): weight 0.5, its win expected 10 days after entry
    expect(f.total).toMatchObject({ closedWon: 0, openDeals: 1, openPipeline: 1000, pipeline: 500, quota: 10000 });
    expect(f.total.topDeals).toEqual([
      expect.objectContaining({ name: 'Late signer', stage: 'Prospecting', amount: 1000, winProbability: 0.5, timingProbability: 1, probability: 0.5, expectedValue: 500, modelCategory: 'BEST_CASE', repCategory: null, stale: false }),
    ]);
    // 2025-12-27 + 9.5 days (daily grid)
    expect(f.total.topDeals[0].expectedCloseDate).toBe('2026-01-05T12:00:00.000Z');
    expect(f.total.expected).toBeCloseTo(f.total.closedWon + f.total.pipeline + f.total.newBusiness, 1);
    expect(f.total.gapToQuota).toBeCloseTo(10000 - f.total.expected, 1);
    expect(f.total.pipelineCoverage).toBeCloseTo(1000 / 10000, 12);
    expect(f.total.p10).toBeLessThanOrEqual(f.total.p50);
    expect(f.total.p50).toBeLessThanOrEqual(f.total.p90);
    expect(f.total.categories.find((c: any) => c.category === 'BEST_CASE')).toEqual({ category: 'BEST_CASE', deals: 1, amount: 1000, expected: 500 });
    // other stages never reached: they take the company's pooled rate, not a default, and the response says so
    expect(f.warnings).toContain('Stage "Qualification": no closed deal reached it; it uses the pooled weight of "Prospecting", 50 %.');
    // one year of history: no track record to choose a method or measure a range by, and the response says so
    expect(f.method).toMatchObject({ method: 'PIPELINE', rangeSource: 'SIMULATION', rangePeriods: 0 });
    expect(f.thin.map((x: any) => x.kind)).toEqual(expect.arrayContaining(['STAGE_WEIGHT', 'TRACK_RECORD', 'RANGE']));
  });

  it('counts a deal as closed only once its close date has passed', async () => {
    const res = await app.execute<{ forecast: any }>(FORECAST, { period: '2026-Q1', asOf: '2026-02-01T00:00:00Z' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.forecast.total).toMatchObject({ closedWon: 1000, openDeals: 0, pipeline: 0 });
    expect(res.data!.forecast.closedDealsInHistory).toBe(41);
  });

  it('learns stage weights and cycle durations with their sample sizes', async () => {
    const res = await app.execute<{ stageWeights: any; cycleDurations: any[] }>(
      `{ stageWeights(asOf: "2026-01-01T00:00:00Z") { minSample stages { stage reached won rawRate weight status } }
         cycleDurations(asOf: "2026-01-01T00:00:00Z") { stage deals closed stillOpen medianDays } }`,
    );
    expect(res.errors).toBeUndefined();
    const [prospecting, qualification] = res.data!.stageWeights.stages;
    expect(prospecting).toEqual({ stage: 'Prospecting', reached: 40, won: 20, rawRate: 0.5, weight: 0.5, status: 'OK' });
    expect(qualification).toMatchObject({ stage: 'Qualification', reached: 0, weight: 0.5, status: 'POOLED' });
    // 20 closed after 10 days, 20 after 20, the late signer still open (censored at 5 days)
    expect(res.data!.cycleDurations[0]).toEqual({ stage: 'Prospecting', deals: 41, closed: 40, stillOpen: 1, medianDays: 10 });
  });

  it('records adjustments and category overrides next to the model number', async () => {
    // re-open a deal for the override: a fresh open deal in Prospecting
    const em = (app.orm.em as Em).fork() as Em;
    const open = em.create(Deal, { name: 'Open one', owner: world.ae, account: world.account, amountCents: 50_000, stage: world.stages.Prospecting, status: DealStatus.OPEN, openedAt: new Date(Date.UTC(2025, 11, 30)), stageEnteredAt: new Date(Date.UTC(2025, 11, 30)) });
    em.create(DealStageChange, { deal: open, fromStage: null, toStage: world.stages.Prospecting, at: new Date(Date.UTC(2025, 11, 30)) });
    const exec = em.create(Rep, { name: 'Eve Exec', email: 'eve@example.com', role: RepRole.EXEC, team: null, hiredAt: new Date('2023-01-02T00:00:00Z'), active: true });
    await em.flush();
    // The author is the caller (no authorId argument): a company call by the EXEC, the override by the deal's AE.
    const adjust = await app.execute<{ adjustForecast: any }>(
      `mutation($input: AdjustForecastInput!) { adjustForecast(input: $input) { periodLabel scope amount note author { name } } }`,
      { input: { period: '2026-Q1', scope: 'COMPANY', amount: 9000, note: 'Two renewals slipping in' } },
      identityOfRep(exec),
    );
    expect(adjust.errors).toBeUndefined();
    expect(adjust.data!.adjustForecast).toEqual({ periodLabel: '2026-Q1', scope: 'COMPANY', amount: 9000, note: 'Two renewals slipping in', author: { name: 'Eve Exec' } });
    const override = await app.execute<{ overrideDealForecastCategory: any }>(
      `mutation($input: OverrideDealCategoryInput!) { overrideDealForecastCategory(input: $input) { category previousCategory deal { name forecastCategory } author { name } } }`,
      { input: { dealId: String(open.id), version: open.version, category: 'COMMIT', period: '2026-Q1', note: 'Verbal yes from the CFO' } },
      identityOfRep(world.ae),
    );
    expect(override.errors).toBeUndefined();
    expect(override.data!.overrideDealForecastCategory).toEqual({ category: 'COMMIT', previousCategory: null, deal: { name: 'Open one', forecastCategory: 'COMMIT' }, author: { name: 'Alex Closer' } });
    const totalAsOf = async (asOf: string) => (await app.execute<{ forecast: any }>(FORECAST, { period: '2026-Q1', asOf })).data!.forecast.total;
    // as of the quarter's start neither the EXEC's call nor the rep's override had been made (both are today's)
    const then = await totalAsOf('2026-01-01T00:00:00Z');
    expect(then.calledAmount).toBeNull();
    expect(then.adjustments).toEqual([]);
    expect(then.categoriesWithOverrides.find((c: any) => c.category === 'COMMIT').deals).toBe(0);
    expect(then.topDeals.find((d: any) => d.name === 'Open one').repCategory).toBeNull();
    // as of now both are known
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = await totalAsOf(new Date().toISOString());
    expect(now.calledAmount).toBe(9000);
    expect(now.adjustments[0]).toEqual({ note: 'Two renewals slipping in', amount: 9000, author: { name: 'Eve Exec' } });
    expect(now.categoriesWithOverrides.find((c: any) => c.category === 'COMMIT').deals).toBe(1);
    expect(now.topDeals.find((d: any) => d.name === 'Open one').repCategory).toBe('COMMIT');
    // a stale version is refused, nothing half-written
    const stale = await app.execute(
      `mutation($input: OverrideDealCategoryInput!) { overrideDealForecastCategory(input: $input) { category } }`,
      { input: { dealId: String(open.id), version: open.version, category: 'OMITTED', period: '2026-Q1', note: 'not any more' } },
      identityOfRep(world.ae),
    );
    expect(stale.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('backtests past quarters against what was actually won, with the baselines', async () => {
    const res = await app.execute<{ forecastBacktest: any }>(
      `{ forecastBacktest(from: "2025-04-01T00:00:00Z", to: "2025-10-01T00:00:00Z", interval: QUARTER, simulations: 500) {
          periods { period actual expected p10 p90 runRate fixedWeight } model { periods wape coverage } runRate { periods } fixedWeight { periods wape } } }`,
    );
    expect(res.errors).toBeUndefined();
    const b = res.data!.forecastBacktest;
    // Q2 2025 (days 90..180): wins of deals opened on days 80..170 -> 10 x 1,000; Q3: opened 180, 190 -> 2 x 1,000
    expect(b.periods.map((p: any) => [p.period, p.actual])).toEqual([['2025-Q2', 10000], ['2025-Q3', 2000]]);
    // run-rate needs 3 earlier quarters of history: none before 2025
    expect(b.periods.map((p: any) => p.runRate)).toEqual([null, null]);
    expect(b.model.periods).toBe(2);
    expect(b.runRate.periods).toBe(0);
  });

  it('rejects bad input with the field at fault', async () => {
    const period = await app.execute(`{ forecast(period: "2026-13") { period } }`);
    expect(period.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period' });
    const sims = await app.execute(`{ forecast(period: "2026-Q1", simulations: 5) { period } }`);
    expect(sims.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'simulations' });
    const team = await app.execute(
      `mutation($input: AdjustForecastInput!) { adjustForecast(input: $input) { id } }`,
      { input: { period: '2026-Q1', scope: 'TEAM', amount: 1, note: 'call' } },
      identityOfRep(world.manager),
    );
    expect(team.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.teamId' });
    const future = await app.execute(`{ forecastBacktest(from: "2025-01-01T00:00:00Z", to: "2099-01-01T00:00:00Z") { model { wape } } }`);
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('reading forecasts writes nothing: every table keeps its row count (snapshots are scheduled: forecast-snapshots.test.ts)', async () => {
    const em = (app.orm.em as Em).fork() as Em;
    const tablesSql = dialectOf(em) === 'sqlite'
      ? "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
      : 'select tablename as name from pg_tables where schemaname = current_schema()';
    const tables = (await em.getConnection().execute<Array<{ name: string }>>(tablesSql)).map((t) => t.name).sort();
    const rowCounts = async () => {
      const out: Record<string, number> = {};
      for (const table of tables) out[table] = readNumber((await em.getConnection().execute(`select count(*) as n from "${table}"`))[0].n);
      return out;
    };
    // Earlier tests' writes are rescored in the background (deal_scores): let that settle, so only the reads below count.
    await app.scoring.idle();
    const before = await rowCounts();
    expect(before.deals).toBeGreaterThan(0);
    const now = new Date();
    const label = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    // at most 2 heavy computations (forecasts, backtests, stage statistics) run at a time per caller
    const res = await app.execute<{ forecast: any; forecastSnapshots: any[] }>(`{
      forecast(period: "${label}", simulations: 200) { snapshotSaved total { expected } }
      stageWeights { stages { weight } }
      forecastCall(period: "${label}") { weeks { week } }
      forecastSnapshots(period: "${label}") { periodLabel } }`);
    expect(res.errors).toBeUndefined();
    expect((await app.execute(`{ cycleDurations { medianDays } }`)).errors).toBeUndefined();
    expect(res.data!.forecast.snapshotSaved).toBe(false);
    expect(res.data!.forecastSnapshots).toEqual([]);
    const past = await app.execute(`{ forecast(period: "2026-Q1", groupBy: TEAM, asOf: "2026-02-01T00:00:00Z", simulations: 200) { total { expected } } }`);
    expect(past.errors).toBeUndefined();
    const backtest = await app.execute(`{ forecastBacktest(from: "2025-07-01T00:00:00Z", to: "2026-04-01T00:00:00Z", simulations: 100) { model { wape } } }`);
    expect(backtest.errors).toBeUndefined();
    expect(await rowCounts()).toEqual(before);
  });
});
