import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { type App, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { FACT_TABLES, factCacheStats } from '../../src/modules/forecast/fact-cache';
import { readFactFile, writeFactFile } from '../../src/modules/forecast/fact-file';
import { loadFactSource } from '../../src/modules/forecast/facts.sql';
import { DealStatus } from '../../src/shared/enums';
import { DATABASES, type TestApp, type TestDatabase, createTestApp, tempModelsDir } from '../helpers/databases';
import { firstDifference } from '../helpers/first-difference';
import { importOlistFunnel } from '../helpers/olist';
import { seededDatabase } from '../helpers/seeded-world';

/*
 * The forecast's facts kept in a file between starts (src/modules/forecast/fact-file.ts): a restarted app serves the
 * file while its data versions hold, patches in the deals written since when only deals moved, and loads from the
 * database otherwise (another table moved, a file cut short or of another kind). Every answer equals the one an app
 * without a file computes from a full load; the file holds the source array for array, on the seeded world and on
 * the Olist export.
 */
const FORECAST = `{ forecast(period: "2026-Q4", asOf: "2026-11-23T00:00:00Z", groupBy: TEAM, simulations: 400, seed: 3) {
  total { expected p10 p90 openPipeline openDeals closedWon } groups { key expected openDeals } method { method judgedPeriods } } }`;
// as of a fixed time after every write below (a forecast as of "now" moves with the clock between the apps compared)
const LATER = new Date(Date.now() + 30 * 60_000).toISOString();
const NOW = `{ forecast(period: "2026-Q4", asOf: "${LATER}", simulations: 300, seed: 3) { total { expected openPipeline openDeals } method { method judgedPeriods record { wape } } } }`;
const UPDATE = `mutation($id: ID!, $v: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $v, input: $input) { id } }`;

const warnings: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });

async function appOver(db: TestDatabase, file: string | null): Promise<App> {
  const config = loadConfig({ NODE_ENV: 'test' }, {
    database: db.config, seedDemoWhenEmpty: false, modelsDir: tempModelsDir(), answerCache: { maxMb: 0, ttlMs: 1000 }, forecastFacts: { file, warmOnStart: false },
  } as never);
  return createApp(config, { logger });
}

async function answer(app: App, query: string): Promise<unknown> {
  const res = await app.execute(query);
  expect(res.errors).toBeUndefined();
  return res.data;
}

const stats = (app: App) => factCacheStats(app.orm.em.fork() as Em);

/** The answers of an app that has no file (a full load). */
async function fromFullLoad(db: TestDatabase): Promise<unknown[]> {
  const fresh = await appOver(db, null);
  try {
    const answers = [await answer(fresh, FORECAST), await answer(fresh, NOW)];
    expect(stats(fresh).loads).toBe(1);
    return answers;
  } finally {
    await stopped(fresh);
  }
}

async function stopped(app: App) {
  await app.stop();
  fs.rmSync(app.config.modelsDir, { recursive: true, force: true });
}

/** One GraphQL write of an open deal's amount (the write lists the deal it touched). */
async function raiseAnOpenAmount(app: App) {
  const [deal] = await (app.orm.em.fork() as Em).find(Deal, { status: DealStatus.OPEN, openedAt: { $lt: new Date() } }, { orderBy: { id: 'asc' }, limit: 1 });
  const res = await app.execute(UPDATE, { id: String(deal.id), v: deal.version, input: { amount: deal.amountCents / 100 + 4321 } });
  expect(res.errors).toBeUndefined();
}

describe.each(DATABASES)('forecast facts kept in a file on %s', (kind) => {
  let db: TestDatabase;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    db = await seededDatabase(kind, 'standard');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-facts-'));
    file = path.join(dir, 'world.facts');
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds the source array for array, in shared memory, with the versions it was read at', async () => {
    const app = await appOver(db, null);
    try {
      const load = await loadFactSource(app.orm.em.fork() as Em, { versionTables: FACT_TABLES });
      await writeFactFile(file, load);
      const back = (await readFactFile(file))!;
      expect(back.versions).toBe(load.versions);
      expect(firstDifference(back.source, load.source, 'source')).toBeNull();
      expect(back.source.table.amount.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(back.source.table.revisions!.n).toBeGreaterThan(0);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await stopped(app);
    }
  }, 120_000);

  it('a restart serves the file; a write since is patched in; the answers are those of a full load', async () => {
    fs.rmSync(file, { force: true });
    const first = await appOver(db, file);
    const answers = [await answer(first, FORECAST), await answer(first, NOW)];
    expect(stats(first)).toMatchObject({ loads: 1, fileReads: 0 });
    await stopped(first); // the write after the load is awaited at stop
    expect(fs.existsSync(file)).toBe(true);

    const second = await appOver(db, file);
    expect([await answer(second, FORECAST), await answer(second, NOW)]).toEqual(answers);
    expect(stats(second)).toMatchObject({ loads: 0, patches: 0, fileReads: 1 });
    await stopped(second);

    // written by an app without the file: the next start finds the file one deal behind
    const writer = await appOver(db, null);
    await raiseAnOpenAmount(writer);
    await stopped(writer);
    const third = await appOver(db, file);
    const patched = [await answer(third, FORECAST), await answer(third, NOW)];
    expect(stats(third)).toMatchObject({ loads: 0, patches: 1, fileReads: 1 });
    await stopped(third); // writes the patched source
    expect(patched).not.toEqual(answers);
    expect(patched).toEqual(await fromFullLoad(db));

    const fourth = await appOver(db, file);
    expect([await answer(fourth, FORECAST), await answer(fourth, NOW)]).toEqual(patched);
    expect(stats(fourth)).toMatchObject({ loads: 0, patches: 0, fileReads: 1 });
    await stopped(fourth);
  }, 240_000);

  it('loads from the database when a table other than the deals moved since the file', async () => {
    const app = await appOver(db, file);
    await answer(app, NOW);
    await stopped(app);
    const writer = await appOver(db, null);
    const em = writer.orm.em.fork() as Em;
    const rep = await em.findOneOrFail(Rep, { team: { $ne: null } }, { orderBy: { id: 'asc' } });
    const other = await em.findOneOrFail(Rep, { team: { $ne: null, $nin: [rep.team!.id] } }, { orderBy: { id: 'asc' } });
    rep.team = other.team; // the rep's deals now count for another team
    await em.flush();
    await stopped(writer);

    const after = await appOver(db, file);
    const answers = [await answer(after, FORECAST), await answer(after, NOW)];
    expect(stats(after)).toMatchObject({ loads: 1, patches: 0, fileReads: 1 });
    await stopped(after);
    expect(answers).toEqual(await fromFullLoad(db));
  }, 240_000);

  it('ignores a file cut short or of another kind, loads, and leaves a whole file', async () => {
    for (const spoil of [(bytes: Buffer) => bytes.subarray(0, bytes.length - 8), () => Buffer.from('not a fact file at all, but long enough')]) {
      fs.writeFileSync(file, spoil(fs.readFileSync(file)));
      expect(await readFactFile(file)).toBeNull();
      const app = await appOver(db, file);
      await answer(app, NOW);
      expect(stats(app)).toMatchObject({ loads: 1, fileReads: 0 });
      await stopped(app);
      expect(await readFactFile(file)).not.toBeNull();
    }
  }, 240_000);

  it('warns once when the file cannot be written, and forecasts as before', async () => {
    const blocker = path.join(dir, 'a-plain-file');
    fs.writeFileSync(blocker, '');
    warnings.length = 0;
    const app = await appOver(db, path.join(blocker, 'world.facts')); // a folder that is a file
    const answers = [await answer(app, FORECAST), await answer(app, NOW)];
    await stopped(app);
    expect(answers).toEqual(await fromFullLoad(db));
    expect(warnings.filter((w) => w.includes('forecast facts could not be written'))).toHaveLength(1);
  }, 240_000);
});

describe.each(DATABASES)('the Olist funnel\'s facts in a file on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(kind);
    await importOlistFunnel(app);
  }, 120_000);
  afterAll(async () => app?.close());

  it('comes back array for array', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-facts-')), 'olist.facts');
    try {
      const load = await loadFactSource(app.orm.em.fork() as Em, { versionTables: FACT_TABLES });
      expect(load.source.table.n).toBe(842);
      await writeFactFile(file, load);
      const back = (await readFactFile(file))!;
      expect(back.versions).toBe(load.versions);
      expect(firstDifference(back.source, load.source, 'source')).toBeNull();
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }, 60_000);
});
