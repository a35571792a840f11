import fs from 'node:fs';
import pino from 'pino';
import { type App, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { factCacheStats } from '../../src/modules/forecast/fact-cache';
import { DealStatus } from '../../src/shared/enums';
import { DATABASES, type TestDatabase, tempModelsDir } from '../helpers/databases';
import { seededDatabase } from '../helpers/seeded-world';

/*
 * The forecast page: a forecast as of a past date and as of the world's end, a backtest of the four quarters before
 * (its facts as of 2026-10-01), stage weights and cycle durations. One app answers them all from one fact load;
 * apps that each answer one of them from their own load give the same answers, to the last digit. A write moves the
 * data versions: the next answer is read from a new load and has the new number. The answer cache is off, so every
 * question is computed.
 */
const PAGE = {
  forecast: `{ forecast(period: "2026-Q4", asOf: "2026-11-23T00:00:00Z", groupBy: TEAM, simulations: 500, seed: 5) {
    total { expected p10 p90 openPipeline openDeals closedWon } groups { key expected openDeals } method { method judgedPeriods } } }`,
  pastForecast: `{ forecast(period: "2026-Q3", asOf: "2026-08-01T00:00:00Z", simulations: 500, seed: 5) { total { expected p10 p90 openPipeline openDeals closedWon } } }`,
  backtest: `{ forecastBacktest(from: "2025-10-01T00:00:00Z", to: "2026-10-01T00:00:00Z", interval: QUARTER, simulations: 300, seed: 5) {
    periods { period actual expected runRate fixedWeight } model { wape mape } } }`,
  stageWeights: `{ stageWeights(asOf: "2026-11-23T00:00:00Z") { stages { stage reached won weight } sizeBandBounds } }`,
  pastStageWeights: `{ stageWeights(asOf: "2026-06-01T00:00:00Z", segment: { sizeBand: LARGE }) { stages { stage reached won weight } } }`,
  cycleDurations: `{ cycleDurations(asOf: "2026-11-23T00:00:00Z") { stage deals closed medianDays p90Days } }`,
};
const OPEN_PIPELINE_NOW = '{ forecast(period: "2026-Q4", simulations: 200, seed: 5) { total { openPipeline } } }';

async function appOver(db: TestDatabase): Promise<App> {
  const config = loadConfig({ NODE_ENV: 'test' }, { database: db.config, seedDemoWhenEmpty: false, modelsDir: tempModelsDir(), answerCache: { maxMb: 0, ttlMs: 1000 } } as never);
  return createApp(config, { logger: pino({ level: 'silent' }) });
}

async function answer(app: App, query: string): Promise<unknown> {
  const res = await app.execute(query);
  expect(res.errors).toBeUndefined();
  return res.data;
}

const loads = (app: App) => factCacheStats(app.orm.em.fork() as Em).loads;
const patches = (app: App) => factCacheStats(app.orm.em.fork() as Em).patches;

describe.each(DATABASES)('one fact load shared by the forecast page on %s', (kind) => {
  let db: TestDatabase;
  let app: App;

  beforeAll(async () => {
    db = await seededDatabase(kind, 'standard');
    app = await appOver(db);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    if (app) fs.rmSync(app.config.modelsDir, { recursive: true, force: true });
  });

  it('answers the page from one load, each answer equal to one from a load of its own', async () => {
    const shared: Record<string, unknown> = {};
    for (const [name, query] of Object.entries(PAGE)) shared[name] = await answer(app, query);
    expect(loads(app)).toBe(1);
    for (const [name, query] of Object.entries(PAGE)) {
      const fresh = await appOver(db);
      try {
        expect([name, await answer(fresh, query)]).toEqual([name, shared[name]]);
        expect(loads(fresh)).toBe(1);
      } finally {
        await fresh.stop();
      }
    }
  }, 120_000);

  it('reads the written deal again after a write (a patch, not a load) and answers the new number', async () => {
    const before = ((await answer(app, OPEN_PIPELINE_NOW)) as { forecast: { total: { openPipeline: number } } }).forecast.total.openPipeline;
    const loadsBefore = loads(app);
    const patchesBefore = patches(app);
    const em = app.orm.em.fork() as Em;
    const [deal] = await em.find(Deal, { status: DealStatus.OPEN, openedAt: { $lt: new Date() } }, { orderBy: { id: 'asc' }, limit: 1 });
    deal.amountCents += 123_456; // +1,234.56 to the open pipeline
    await em.flush();
    const after = ((await answer(app, OPEN_PIPELINE_NOW)) as { forecast: { total: { openPipeline: number } } }).forecast.total.openPipeline;
    expect([loads(app), patches(app)]).toEqual([loadsBefore, patchesBefore + 1]);
    expect(Math.round((after - before) * 100)).toBe(123_456);
    // and without a write, nothing read again
    await answer(app, OPEN_PIPELINE_NOW);
    expect([loads(app), patches(app)]).toEqual([loadsBefore, patchesBefore + 1]);
  }, 120_000);
});
