import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { createBasicWorld, type BasicWorld } from '../helpers/fixtures';
import { seedDemoWorld } from '../../seeds';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { writeSnapshotExport } from '../../src/modules/export/snapshot';
import { fileSource } from '../../src/modules/import/csv-source';
import { runImport } from '../../src/modules/import/import.service';
import { DealStatus } from '../../src/shared/enums';

/*
 * A CRM export's history through the API: 40 deals of 1,000.00 opened every 5 days from 2025-01-01. The 20 even ones
 * were won 10 days after opening, through Prospecting and Qualification; the 20 odd ones were lost after 20 days at
 * a stage nobody recorded (stage_history_known false, exported at amount 0). One deal opened on 2025-12-28 is open
 * in Qualification, another one there has no date at all (recorded on 2025-12-30).
 */
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

async function buildExportHistory(em: Em, world: BasicWorld): Promise<void> {
  const { Prospecting, Qualification, Won, Lost } = world.stages;
  for (let k = 0; k < 40; k++) {
    const opened = T0 + 5 * k * DAY;
    const won = k % 2 === 0;
    const closed = opened + (won ? 10 : 20) * DAY;
    const deal = em.create(Deal, {
      name: `Exported ${k}`, owner: world.ae, account: world.account, product: world.product, amountCents: won ? 100_000 : 0,
      stage: won ? Won : Lost, status: won ? DealStatus.WON : DealStatus.LOST, openedAt: new Date(opened), closedAt: new Date(closed),
      stageEnteredAt: new Date(closed), stageHistoryKnown: won,
    });
    em.create(DealStageChange, { deal, fromStage: null, toStage: Prospecting, at: new Date(opened), inferred: true });
    if (won) em.create(DealStageChange, { deal, fromStage: Prospecting, toStage: Qualification, at: new Date(opened + 5 * DAY), inferred: true });
    em.create(DealStageChange, { deal, fromStage: won ? Qualification : Prospecting, toStage: won ? Won : Lost, at: new Date(closed), inferred: true });
  }
  const opened = new Date(Date.UTC(2025, 11, 28));
  const open = em.create(Deal, { name: 'Open in Qualification', owner: world.ae, account: world.account, product: world.product, amountCents: 100_000, stage: Qualification, status: DealStatus.OPEN, openedAt: opened, stageEnteredAt: opened });
  em.create(DealStageChange, { deal: open, fromStage: null, toStage: Qualification, at: opened, inferred: true });
  // exported without any date, recorded (imported) on 2025-12-30
  em.create(Deal, { name: 'Undated', owner: world.ae, account: world.account, product: world.product, amountCents: 100_000, stage: Qualification, status: DealStatus.OPEN, openedAt: null, stageEnteredAt: null, createdAt: new Date(Date.UTC(2025, 11, 30)) });
  await em.flush();
}

describe.each(DATABASES)('deals of unknown stage history on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(kind);
    const world = await createBasicWorld(app.orm.em as Em);
    await buildExportHistory((app.orm.em as Em).fork() as Em, world);
  });
  afterAll(async () => app?.close());

  it('counts them in the pooled rate, never as losses at the first stage, and backs off to it where a stage cannot be learned', async () => {
    const res = await app.execute<{ stageWeights: any }>(`{ stageWeights(asOf: "2026-01-01T00:00:00Z") { stages { stage reached won weight status apportionedShare } } }`);
    expect(res.errors).toBeUndefined();
    const [prospecting, qualification, discovery] = res.data!.stageWeights.stages;
    expect(prospecting).toEqual({ stage: 'Prospecting', reached: 40, won: 20, weight: 0.5, status: 'OK', apportionedShare: 0 });
    // only the 20 wins are known to have reached Qualification: 20 / 20 would be 1, the default 0.25; the data says 0.5
    expect(qualification).toEqual({ stage: 'Qualification', reached: 20, won: 20, weight: 0.5, status: 'POOLED', apportionedShare: 0 });
    expect(discovery).toMatchObject({ reached: 0, weight: 0.5, status: 'POOLED' });
  });

  it('forecasts the open deal from the pooled rate by its age, and says what was thin', async () => {
    const res = await app.execute<{ forecast: any }>(
      `{ forecast(period: "2026-Q1", asOf: "2026-01-01T00:00:00Z", simulations: 1000, seed: 3) {
          warnings thin { kind subject sample } method { method judgedPeriods rangeSource }
          total { expected pipeline topDeals { name stage winProbability timingProbability expectedValue usedDefaultWeight } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const f = res.data!.forecast;
    // 4 days old: no deal had closed that young, so P(win) is the pooled 1/2; every win came 10 days after opening.
    // The undated one counts from when it was recorded (2 days), in the same way.
    const deal = { stage: 'Qualification', winProbability: 0.5, timingProbability: 1, expectedValue: 500, usedDefaultWeight: false };
    expect(f.total.topDeals).toEqual(expect.arrayContaining([{ name: 'Open in Qualification', ...deal }, { name: 'Undated', ...deal }]));
    expect(f.total.pipeline).toBe(1000);
    expect(f.thin).toEqual(expect.arrayContaining([
      { kind: 'STAGE_HISTORY', subject: 'company', sample: 20 },
      { kind: 'DEAL_SIZE', subject: 'company', sample: 20 },
      { kind: 'STAGE_WEIGHT', subject: 'Qualification', sample: 20 },
      { kind: 'TRACK_RECORD', subject: 'PIPELINE', sample: 0 },
      { kind: 'DEAL_DATES', subject: 'open deals', sample: 1 },
    ]));
    expect(f.warnings.join(' ')).toMatch(/20 of 40 closed deal\(s\) have no known stage history/);
    expect(f.method).toEqual({ method: 'PIPELINE', judgedPeriods: 0, rangeSource: 'SIMULATION' });
  });
});

/**
 * `pipewise export --snapshot` of the seeded world (current stage only, no history, lost amounts 0, 10 % of open deals
 * undated), re-imported into an empty database with the mapping it wrote, and backtested month by month through the
 * API. SQLite only: the estimators are dialect-free and the loader is covered on both databases above.
 */
describe('forecast backtest on a snapshot export of the seeded world', () => {
  const END = new Date('2026-10-15T00:00:00Z');
  let source: TestApp;
  let copy: TestApp;
  let dir: string;

  beforeAll(async () => {
    // Its own world, not a shared preset: on the large preset (9,000 deals to 2026-10-01) the served P10–P90
    // range covers all 18 months (coverage 1 > 0.95); the bounds below were set on this one.
    source = await createTestApp('sqlite');
    await seedDemoWorld(source.orm, { seed: 5, deals: 7_000, end: END });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-forecast-snapshot-'));
    const summary = await writeSnapshotExport(source.orm.em as Em, dir, {});
    copy = await createTestApp('sqlite');
    const mapping = JSON.parse(fs.readFileSync(summary.mapping, 'utf8'));
    const report = await runImport(copy.orm.em as Em, 'sqlite', mapping, (file) => fileSource(file, path.join(dir, file)));
    expect(report.status).toBe('COMMITTED');
  }, 180_000);
  afterAll(async () => {
    await source?.close();
    await copy?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const BACKTEST = `{ forecastBacktest(from: "2025-04-01T00:00:00Z", to: "2026-10-01T00:00:00Z", interval: MONTH, simulations: 500) {
    periods { period served { method } } served { periods wape mape bias coverage } servedMethods { method periods }
    model { wape } runRate { periods wape } fixedWeight { wape } } }`;

  it('serves a forecast no worse than the run-rate, with P10–P90 coverage in 65–95 %, and names the method', async () => {
    const res = await copy.execute<{ forecastBacktest: any }>(BACKTEST);
    expect(res.errors).toBeUndefined();
    const b = res.data!.forecastBacktest;
    expect(b.periods).toHaveLength(18);
    expect(b.runRate.periods).toBe(18);
    expect(b.periods.every((p: any) => ['PIPELINE', 'RUN_RATE', 'BLEND'].includes(p.served.method))).toBe(true);
    expect(b.servedMethods.reduce((s: number, m: any) => s + m.periods, 0)).toBe(18);
    expect(b.served.wape).toBeLessThanOrEqual(b.runRate.wape);
    expect(b.served.wape).toBeLessThan(b.fixedWeight.wape);
    expect(b.served.coverage).toBeGreaterThanOrEqual(0.65);
    expect(b.served.coverage).toBeLessThanOrEqual(0.95);
    if (process.env.FORECAST_SNAPSHOT_PRINT) {
      const full = (await source.execute<{ forecastBacktest: any }>(BACKTEST)).data!.forecastBacktest;
      // eslint-disable-next-line no-console
      console.log(JSON.stringify({ snapshot: b.served, snapshotMethods: b.servedMethods, runRate: b.runRate, fixed: b.fixedWeight, full: full.served, fullMethods: full.servedMethods }));
    }
  });

  it('says what the snapshot could not tell', async () => {
    const res = await copy.execute<{ forecast: any }>(`{ forecast(period: "2026-10", asOf: "2026-10-01T00:00:00Z", simulations: 500) { thin { kind } method { method rangeSource } } }`);
    expect(res.errors).toBeUndefined();
    const kinds = new Set(res.data!.forecast.thin.map((x: any) => x.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['STAGE_HISTORY', 'DEAL_SIZE', 'STAGE_WEIGHT']));
    expect(res.data!.forecast.method.rangeSource).toBe('CONFORMAL');
  });
});
