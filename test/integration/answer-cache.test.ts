import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pino from 'pino';
import { createApp, type App } from '../../src/app';
import { loadConfig, parseDatabaseUrl } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { identityOfRep } from '../../src/modules/auth/access.policy';
import { AccessRole, type Identity } from '../../src/modules/auth/identity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { answerCacheOf } from '../../src/shared/answer-cache';
import { seedDemoWorld } from '../../seeds';
import { DATABASES, createTestApp, createTestDatabase, tempModelsDir, type TestApp } from '../helpers/databases';
import { useWorld } from '../helpers/fixtures';
import { createKpiWorld, type KpiWorld } from '../helpers/kpi-fixture';

/*
 * The answer cache (src/shared/answer-cache) on the KPI fixture (test/helpers/kpi-fixture.ts, Q1 2026): revenue is
 * D1 10,000 + D2 20,000 = 30,000, all Alex's; opportunities created are Alex's D1, D2, D3, D6 and Nina's D4, D5.
 * D5 (Nina, 4,000) is open: winning it on 2026-03-20 makes Q1 revenue 34,000, 4,000 of it Nina's.
 */
const Q1 = { from: '2026-01-01', to: '2026-04-01', timeZone: 'UTC' };
const KPIS = `query($period: KpiPeriodInput!) { kpis(keys: ["revenue", "opportunitiesCreated"], period: $period) { key rows { value } } }`;
const DASHBOARD = `query($period: KpiPeriodInput!) { dashboard(role: AE, period: $period) { kpis { key rows { value } } } }`;
const FORECAST = `query { forecast(period: "2026-Q1", asOf: "2026-03-25T00:00:00Z", simulations: 500, seed: 7) {
  asOf total { expected p10 p90 closedWon openDeals adjustments { note author { name } } topDeals { name amount winProbability } } } }`;
const STAGE_WEIGHTS = `query { stageWeights(asOf: "2026-03-25T00:00:00Z") { asOf minSample stages { stage reached won defaultProbability } } }`;
const CLOSE = `mutation($input: CloseDealInput!) { closeDeal(input: $input) { id status } }`;

type Result = { data?: Record<string, unknown> | null; errors?: ReadonlyArray<{ message: string }>; extensions?: Record<string, unknown> };
const cacheOf = (r: Result) => r.extensions?.answerCache as { hits: number; misses: number } | undefined;
const values = (r: Result) => (r.data!.kpis as Array<{ key: string; rows: Array<{ value: number }> }>).map((k) => [k.key, k.rows[0].value]);

async function ask(app: App, query: string, variables: Record<string, unknown> = {}, identity?: Identity): Promise<Result> {
  const res = (await app.execute(query, variables, identity)) as Result;
  expect(res.errors).toBeUndefined();
  return res;
}

describe.each(DATABASES)('answer cache on %s', (kind) => {
  let app: TestApp;
  let world: KpiWorld;
  useWorld(kind, createKpiWorld, (a, w) => ((app = a), (world = w)));

  it('serves the second identical request from the cache, equal to a computed one', async () => {
    answerCacheOf(app.orm.em)!.clear();
    const first = await ask(app, KPIS, { period: Q1 });
    expect(cacheOf(first)).toEqual({ hits: 0, misses: 1 });
    expect(values(first)).toEqual([['revenue', 30_000], ['opportunitiesCreated', 6]]);
    const second = await ask(app, KPIS, { period: Q1 });
    expect(cacheOf(second)).toEqual({ hits: 1, misses: 0 });
    expect(second.data).toEqual(first.data);

    for (const query of [FORECAST, STAGE_WEIGHTS, DASHBOARD]) {
      const variables = query === DASHBOARD ? { period: Q1 } : {};
      const computed = await ask(app, query, variables);
      const cached = await ask(app, query, variables);
      expect(cacheOf(cached)).toEqual({ hits: 1, misses: 0 });
      expect(cached.data).toEqual(computed.data);
      answerCacheOf(app.orm.em)!.clear(); // the same question computed again gives the same answer
      const again = await ask(app, query, variables);
      expect(cacheOf(again)).toEqual({ hits: 0, misses: 1 });
      expect(again.data).toEqual(cached.data);
    }
    // Requests without a cached answer carry no cache report.
    expect(cacheOf(await ask(app, '{ kpiDefinitions { key } }'))).toBeUndefined();
  });

  it('never shares an answer between callers with different scopes', async () => {
    answerCacheOf(app.orm.em)!.clear();
    const alex = identityOfRep(world.ae);
    const nina = identityOfRep(world.nina);
    const mia = identityOfRep(world.manager);
    const company = await ask(app, KPIS, { period: Q1 });
    const asAlex = await ask(app, KPIS, { period: Q1 }, alex);
    const asNina = await ask(app, KPIS, { period: Q1 }, nina);
    const asMia = await ask(app, KPIS, { period: Q1 }, mia);
    for (const r of [company, asAlex, asNina, asMia]) expect(cacheOf(r)).toEqual({ hits: 0, misses: 1 });
    expect(values(company)).toEqual([['revenue', 30_000], ['opportunitiesCreated', 6]]);
    expect(values(asAlex)).toEqual([['revenue', 30_000], ['opportunitiesCreated', 4]]);
    expect(values(asNina)).toEqual([['revenue', 0], ['opportunitiesCreated', 2]]);
    expect(values(asMia)).toEqual([['revenue', 30_000], ['opportunitiesCreated', 4]]); // EMEA: Alex's deals
    // Each caller's second request is its own answer again.
    expect(values(await ask(app, KPIS, { period: Q1 }, nina))).toEqual([['revenue', 0], ['opportunitiesCreated', 2]]);
    const forecasts = await Promise.all([undefined, alex, nina].map((who) => ask(app, FORECAST, {}, who)));
    expect(forecasts.map((f) => (f.data!.forecast as { total: { openDeals: number } }).total.openDeals)).toEqual([2, 1, 1]); // D5, D6
  });

  it('answers the new number after a mutation, a direct ORM flush, and an import', async () => {
    expect(values(await ask(app, KPIS, { period: Q1 }))).toEqual([['revenue', 30_000], ['opportunitiesCreated', 6]]);
    const forecastBefore = (await ask(app, FORECAST)).data!.forecast as { total: { closedWon: number } };
    expect(forecastBefore.total.closedWon).toBe(30_000);

    // A mutation (em.transactional): win D5 on 2026-03-20.
    const deal = await (app.orm.em.fork() as Em).findOneOrFail(Deal, world.deals.D5.id);
    const closed = await ask(app, CLOSE, { input: { dealId: String(deal.id), version: deal.version, won: true, closedAt: '2026-03-20T00:00:00Z' } });
    expect(closed.data!.closeDeal).toMatchObject({ status: 'WON' });
    const afterClose = await ask(app, KPIS, { period: Q1 });
    expect(cacheOf(afterClose)).toEqual({ hits: 0, misses: 1 });
    expect(values(afterClose)).toEqual([['revenue', 34_000], ['opportunitiesCreated', 6]]);
    expect(((await ask(app, FORECAST)).data!.forecast as { total: { closedWon: number } }).total.closedWon).toBe(34_000);
    expect(values(await ask(app, KPIS, { period: Q1 }, identityOfRep(world.nina)))).toEqual([['revenue', 4_000], ['opportunitiesCreated', 2]]);

    // A flush outside any explicit transaction: D1 becomes 11,000.
    const em = app.orm.em.fork() as Em;
    const d1 = await em.findOneOrFail(Deal, world.deals.D1.id);
    d1.amountCents = 1_100_000;
    await em.flush();
    expect(values(await ask(app, KPIS, { period: Q1 }))).toEqual([['revenue', 35_000], ['opportunitiesCreated', 6]]);

    // An import (raw SQL in one transaction): the example export's wins of March 2017 are 1,054 + 4,514 + 50 + 588 + 517.
    const march2017 = { period: { from: '2017-03-01', to: '2017-04-01', timeZone: 'UTC' } };
    expect(values(await ask(app, KPIS, march2017))).toEqual([['revenue', 0], ['opportunitiesCreated', 0]]);
    const dir = path.join(__dirname, '..', '..', 'examples', 'crm-export');
    const mapping = JSON.parse(fs.readFileSync(path.join(dir, 'mapping.json'), 'utf8'));
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.csv')).map((name) => ({ name, content: fs.readFileSync(path.join(dir, name), 'utf8') }));
    const imported = await ask(app, `mutation($input: ImportInput!) { importCrmExport(input: $input) { status } }`, { input: { mapping, files } });
    expect(imported.data!.importCrmExport).toEqual({ status: 'COMMITTED' });
    const afterImport = await ask(app, KPIS, march2017);
    expect(cacheOf(afterImport)).toEqual({ hits: 0, misses: 1 });
    expect(values(afterImport)).toEqual([['revenue', 6_723], ['opportunitiesCreated', 0]]);
  });

  it('answers the new number after a bulk writer (the seed)', async () => {
    const empty = await createTestApp(kind);
    try {
      const period = { from: '2026-07-01', to: '2026-10-01', timeZone: 'UTC' };
      expect(values(await ask(empty, KPIS, { period }))).toEqual([['revenue', 0], ['opportunitiesCreated', 0]]);
      await seedDemoWorld(empty.orm, { seed: 3, deals: 300, end: new Date('2026-11-23T00:00:00Z'), logger: pino({ level: 'silent' }) });
      const seeded = await ask(empty, KPIS, { period });
      expect(cacheOf(seeded)).toEqual({ hits: 0, misses: 1 });
      const [[, revenue], [, created]] = values(seeded) as Array<[string, number]>;
      expect(revenue).toBeGreaterThan(0);
      expect(created).toBeGreaterThan(0);
      answerCacheOf(empty.orm.em)!.clear();
      expect((await ask(empty, KPIS, { period })).data).toEqual(seeded.data);
    } finally {
      await empty.close();
    }
  });
});

/** Redis at REDIS_URL (or the local default), when one answers: the tests below need it and say so otherwise. */
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAnswers = () =>
  new Promise<boolean>((resolve) => {
    const url = new URL(REDIS);
    const socket = net.connect(Number(url.port || 6379), url.hostname);
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.end(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe.each(DATABASES)('answer cache shared through Redis by two instances on %s', (kind) => {
  let work: string;
  let drop: () => Promise<void> = async () => undefined;
  let a: App;
  let b: App;
  let world: KpiWorld;
  let available = false;

  beforeAll(async () => {
    available = await redisAnswers();
    if (!available) return;
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-answers-'));
    const db = kind === 'sqlite' ? { config: parseDatabaseUrl(path.join(work, 'shared.db')), drop: async () => undefined } : await createTestDatabase(kind);
    drop = db.drop;
    const config = () => loadConfig({ NODE_ENV: 'test', REDIS_URL: REDIS }, { database: db.config, seedDemoWhenEmpty: false, modelsDir: tempModelsDir() });
    a = await createApp(config(), { logger: pino({ level: 'silent' }) });
    b = await createApp(config(), { logger: pino({ level: 'silent' }) });
    world = await createKpiWorld(a.orm.em as Em);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await drop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('serves one instance the answer another computed, and neither a stale one after a write', async () => {
    if (!available) return console.warn(`no Redis at ${REDIS}: skipped`); // eslint-disable-line no-console
    const first = await ask(a, KPIS, { period: Q1 });
    expect(cacheOf(first)).toEqual({ hits: 0, misses: 1 });
    const before = answerCacheOf(b.orm.em)!.stats.redisHits;
    const shared = await ask(b, KPIS, { period: Q1 });
    expect(cacheOf(shared)).toEqual({ hits: 1, misses: 0 });
    expect(answerCacheOf(b.orm.em)!.stats.redisHits).toBe(before + 1);
    expect(shared.data).toEqual(first.data);
    // Entities inside an answer (a forecast's adjustments and their author) survive the trip through Redis.
    const exec = { ...identityOfRep(world.manager), role: AccessRole.EXEC };
    await ask(a, `mutation { adjustForecast(input: { period: "2026-Q1", scope: COMPANY, amount: 33000, note: "Called" }) { id } }`, {}, exec);
    const forecastA = await ask(a, FORECAST);
    const forecastB = await ask(b, FORECAST);
    expect(cacheOf(forecastB)).toEqual({ hits: 1, misses: 0 });
    expect(forecastB.data).toEqual(forecastA.data);

    const deal = await (a.orm.em.fork() as Em).findOneOrFail(Deal, world.deals.D5.id);
    await ask(a, CLOSE, { input: { dealId: String(deal.id), version: deal.version, won: true, closedAt: '2026-03-20T00:00:00Z' } });
    const afterWrite = await ask(b, KPIS, { period: Q1 });
    expect(cacheOf(afterWrite)).toEqual({ hits: 0, misses: 1 });
    expect(values(afterWrite)).toEqual([['revenue', 34_000], ['opportunitiesCreated', 6]]);
  });
});
