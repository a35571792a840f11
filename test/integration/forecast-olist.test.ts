/**
 * The forecast on real data nobody here wrote: the Olist funnel (../shared/data/olist-marketing-funnel) imported with
 * the committed mapping. The export has only won deals and no amounts, so the honest forecast is one that says so:
 * no lost deal to check a win rate against, no revenue to go by, and a backtest that names its method all the same.
 */
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { importOlistFunnel } from '../helpers/olist';

describe.each(DATABASES)('forecast of the Olist funnel on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(kind);
    await importOlistFunnel(app);
  }, 120_000);
  afterAll(async () => app?.close());

  it('learns from the 842 won deals and says what the export cannot tell', async () => {
    const res = await app.execute<{ stageWeights: any; forecast: any }>(`{
      stageWeights(asOf: "2018-12-01T00:00:00Z") { stages { stage reached won weight status } }
      forecast(period: "2018-09", asOf: "2018-09-01T00:00:00Z", simulations: 500) { thin { kind subject sample message } method { method judgedPeriods } total { expected } } }`);
    expect(res.errors).toBeUndefined();
    const [first] = res.data!.stageWeights.stages;
    // every deal was imported won, through every open stage (the importer's inference)
    expect(first).toMatchObject({ stage: 'Prospecting', won: first.reached, weight: 1, status: 'OK' });
    // (the most recent wins are not yet mature at the stage's cut-off: fewer than 842)
    expect(first.reached).toBeGreaterThan(700);
    expect(first.reached).toBeLessThanOrEqual(842);
    const f = res.data!.forecast;
    const messages = f.thin.map((x: any) => x.message).join('\n');
    expect(messages).toMatch(/No lost deal among the \d+ closed before the as-of date: the win rates of 100 % cannot be checked/);
    expect(messages).toMatch(/All \d+ won deals have amount 0: there is no revenue to forecast from/);
    expect(f.total.expected).toBe(0);
  });

  it('backtests month by month without errors and names the served method', async () => {
    const res = await app.execute<{ forecastBacktest: any }>(`{ forecastBacktest(from: "2018-01-01T00:00:00Z", to: "2018-09-01T00:00:00Z", interval: MONTH, simulations: 200) {
      periods { period actual served { method rangeSource } } served { periods wape coverage } servedMethods { method periods } } }`);
    expect(res.errors).toBeUndefined();
    const b = res.data!.forecastBacktest;
    expect(b.periods).toHaveLength(8);
    expect(b.servedMethods.reduce((s: number, m: any) => s + m.periods, 0)).toBe(8);
    // no amounts: nothing won in money, so no relative error can be computed, and the API says null rather than 0
    expect(b.periods.every((p: any) => p.actual === 0)).toBe(true);
    expect(b.served.wape).toBeNull();
  });
});
