import { Writable } from 'node:stream';
import pino from 'pino';
import type { Em } from '../../src/db/orm';
import { AccessRole, type Identity } from '../../src/modules/auth/identity';
import { DATABASES, type TestDatabase } from '../helpers/databases';
import { seededDatabase } from '../helpers/seeded-world';
import { createScoringWorld } from '../helpers/scoring-world';
import { ModelKind } from '../../src/modules/scoring/scoring.entity';
import { createTrainingJob, runTrainingJob } from '../../src/modules/scoring/scoring.service';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecurityTestApp, post, tokenFor, type SecurityTestApp } from '../helpers/security';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BACKTEST = (alias: string, simulations: number, interval = 'QUARTER') =>
  `${alias}: forecastBacktest(from: "2024-10-01T00:00:00Z", to: "2026-10-01T00:00:00Z", interval: ${interval}, simulations: ${simulations}) { model { wape } }`;
const FORECAST = (alias: string, simulations: number, groupBy = 'COMPANY') =>
  `${alias}: forecast(period: "2026-Q4", asOf: "2026-10-01T00:00:00Z", groupBy: ${groupBy}, simulations: ${simulations}) { total { expected } }`;

async function until(condition: () => boolean, what: string, ms = 20_000) {
  const giveUp = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe.each(DATABASES)('CPU-heavy work on the worker pool (%s)', (kind) => {
  let app: SecurityTestApp;
  let db: TestDatabase;
  let exec: Identity;
  const lines: string[] = [];
  const logStream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).trim().split('\n')); done(); } });

  beforeAll(async () => {
    db = await seededDatabase(kind, 'small');
    // Every request computes here (these tests are about the pool, not the answer cache: a repeated question would be a cache hit).
    app = await createSecurityTestApp(kind, { limits: { requestTimeoutMs: 15_000 } as never, answerCache: { maxMb: 0, ttlMs: 1000 } }, { db, logger: pino({ level: 'info' }, logStream) });
    const [row] = await (app.orm.em.fork() as Em).getConnection().execute(`select id from reps where role = 'EXEC' order by id limit 1`);
    exec = { subject: `rep:${row.id}`, role: AccessRole.EXEC, repId: Number(row.id), teamId: null };
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('counts simulations, periods and the breakdown in the query cost: 20 aliased heavy fields are refused before anything runs', async () => {
    const one = await app.execute(`{ ${FORECAST('f', 100_000, 'REP')} }`, {}, exec);
    expect(one.errors).toBeUndefined();
    for (const query of [
      `{ ${Array.from({ length: 20 }, (_, i) => FORECAST(`f${i}`, 100_000, 'REP')).join(' ')} }`,
      `{ ${Array.from({ length: 20 }, (_, i) => BACKTEST(`b${i}`, 50_000)).join(' ')} }`,
    ]) {
      const res = await app.execute(query, {}, exec);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(res.errors?.[0].extensions?.cost).toBeGreaterThan(app.config.limits.maxCost);
    }
    expect(app.workers.stats.pending).toBe(0);
  });

  it('caps the heavy fields one caller runs at once, with a clear code and a retry hint', async () => {
    const res = await app.execute(`{ ${['a', 'b', 'c'].map((a) => FORECAST(a, 100_000, 'REP')).join(' ')} }`, {}, exec);
    // the third alias is refused (and, `forecast` being non-null, takes the whole data with it); the other two ran
    expect(res.errors?.map((e) => [(e as { path?: string[] }).path?.[0], e.extensions?.code, e.extensions?.retryAfter, e.extensions?.limit])).toEqual([['c', 'TOO_MANY_HEAVY_REQUESTS', 1, 2]]);
    // another caller is not held back by this one
    const other = await app.execute(`{ ${FORECAST('f', 2000)} }`, {}, { ...exec, subject: 'someone-else' });
    expect(other.errors).toBeUndefined();
    // stage statistics run on the same threads and count too
    const stats = await app.execute(`{ a: stageWeights { minSample } b: cycleDurations { medianDays } c: stageWeights(asOf: "2026-01-01T00:00:00Z") { minSample } }`, {}, { ...exec, subject: 'a-third' });
    expect(stats.errors?.map((e) => [(e as { path?: string[] }).path?.[0], e.extensions?.code])).toEqual([['c', 'TOO_MANY_HEAVY_REQUESTS']]);
  });

  it('keeps the event loop free: /healthz and a deals page answer while a backtest computes', async () => {
    const url = await app.listen(0, '127.0.0.1');
    const auth = { authorization: `Bearer ${await tokenFor(app, exec)}` };
    let heavyDone = false;
    // 36 months of 50,000 simulations (cost 9,560, under the limit): long enough to outlast two small requests
    const monthly = `{ forecastBacktest(from: "2023-10-01T00:00:00Z", to: "2026-10-01T00:00:00Z", interval: MONTH, simulations: 50000) { model { wape } } }`;
    const heavy = post(url, { query: monthly }, auth).finally(() => (heavyDone = true));
    await until(() => app.workers.stats.pending > 0, 'the backtest to reach the worker pool');
    const health = await fetch(url.replace(/\/graphql$/, '/healthz'));
    const healthDuringHeavy = !heavyDone;
    const page = await post(url, { query: '{ deals(first: 5) { edges { node { id } } } }' }, auth);
    const answeredDuringHeavy = healthDuringHeavy && !heavyDone;
    expect([health.status, page.status, (page.json?.data?.deals as { edges: unknown[] }).edges.length]).toEqual([200, 200, 5]);
    expect(answeredDuringHeavy).toBe(true);
    expect((await heavy).status).toBe(200);
  });
});

describe('the request deadline cancels heavy work', () => {
  it('answers 503 TIMEOUT, terminates the computation and logs it', async () => {
    const lines: string[] = [];
    const logStream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).trim().split('\n')); done(); } });
    const db = await seededDatabase('sqlite', 'small');
    const app = await createSecurityTestApp('sqlite', { limits: { requestTimeoutMs: 300 } as never }, { db, logger: pino({ level: 'info' }, logStream) });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const auth = { authorization: `Bearer ${await tokenFor(app, { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null })}` };
      // warm the worker thread first, so the deadline is spent computing
      expect((await app.execute(`{ ${FORECAST('f', 100)} }`)).errors).toBeUndefined();
      // Monthly: 24 periods of 50,000 simulations, well past the deadline however fast the backtest gets.
      const res = await post(url, { query: `{ ${BACKTEST('b', 50_000, 'MONTH')} }` }, auth);
      expect([res.status, res.json?.errors?.[0].extensions?.code]).toEqual([503, 'TIMEOUT']);
      await until(() => app.workers.stats.pending === 0, 'the cancelled task to settle', 2000);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      // an SQLite file (the seeded copy), as in production: the worker reads the facts itself (`loadFactSource`) and backtests them (`backtestFromSource`)
      expect(logged.filter((l) => l.msg === 'heavy task cancelled at the request deadline').map((l) => l.task)).toEqual(['backtestFromSource']);
      expect(logged.some((l) => l.msg === 'graphql request' && l.status === 503 && (l.errorCodes as string[] | undefined)?.includes('TIMEOUT'))).toBe(true);
    } finally {
      await app.close();
      await db.drop();
    }
  }, 120_000);
});

describe('model training on the worker pool', () => {
  it('trains on a worker thread, reports progress back, and saves the model where the server serves it from', async () => {
    const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-models-'));
    const app = await createSecurityTestApp('sqlite', { modelsDir });
    try {
      const world = await createScoringWorld(app.orm.em as Em, { closedLeads: 1100, closedDeals: 20 });
      expect(app.workers.stats.threads).toBe(0); // nothing heavy has run yet
      const em = app.orm.em.fork() as Em;
      const seen: number[] = [];
      const row = await runTrainingJob(app.scoring, (await createTrainingJob(em, ModelKind.LEAD)).id, { maxEpochs: 2, seed: 1, onProgress: (f) => seen.push(f) });
      expect([row.status, row.message, row.progress]).toEqual(['READY', 'ready', 1]);
      expect(app.workers.stats.threads).toBeGreaterThanOrEqual(1); // the pool started for it
      expect(seen.length).toBeGreaterThan(2); // progress crossed back from the worker
      expect(fs.readdirSync(path.join(modelsDir, row.path!)).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
      const served = await app.execute<{ models: Array<{ version: string; active: boolean }> }>('{ models(kind: LEAD) { version active } }');
      expect(served.data?.models).toEqual([{ version: row.version, active: true }]);
      // bulk scoring (rescore) on the worker thread gives the scores the same model gives on this thread
      const rescored = await app.execute<{ rescore: { scored: number } }>('mutation { rescore(kind: LEAD) { scored } }');
      expect(rescored.data?.rescore.scored).toBe(world.openLeadIds.length);
      const stored = await (app.orm.em.fork() as Em).getConnection().execute(`select lead_id, probability, model_version from lead_scores order by lead_id limit 5`);
      const here = await app.scoring.store.score(app.orm.em.fork() as Em, ModelKind.LEAD, stored.map((r) => Number(r.lead_id)));
      for (const r of stored) {
        expect(r.model_version).toBe(row.version);
        expect(Number(r.probability)).toBeCloseTo(here.get(Number(r.lead_id))!.probability, 6);
      }
    } finally {
      await app.close();
      fs.rmSync(modelsDir, { recursive: true, force: true });
    }
  }, 180_000);
});
