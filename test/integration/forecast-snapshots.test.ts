import pino from 'pino';
import { DATABASES, type TestApp } from '../helpers/databases';
import { SEEDED_WORLDS, createSeededTestApp } from '../helpers/seeded-world';
import type { Em } from '../../src/db/orm';
import { createOrm, type Orm } from '../../src/db/orm';
import { ForecastGroupBy, ForecastSnapshot } from '../../src/modules/forecast/forecast.entity';
import { RunStatus, ScheduledRun } from '../../src/modules/forecast-snapshots/scheduled-run.entity';
import { SNAPSHOT_JOB, slotOf, startSnapshotScheduler } from '../../src/modules/forecast-snapshots/snapshot.scheduler';
import { backfillWeeklySnapshots, snapshotPeriod } from '../../src/modules/forecast-snapshots/snapshot.service';
import { periodOrFail } from '../../src/shared/period';

const END = SEEDED_WORLDS.standard.end;
const silent = pino({ level: 'silent' });
const WEEK = 7 * 86_400_000;

describe.each(DATABASES)('scheduled forecast snapshots on %s', (kind) => {
  let app: TestApp;
  let second: Orm | null = null;
  const scheduled = () => ({ ...app.config, forecastSnapshots: { everyHours: 24, backfillQuarters: 0 } });

  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard'); // a copy: the suite stores snapshots
    // PostgreSQL: a second server process is a second connection pool on the same database
    if (kind === 'postgresql') second = await createOrm(app.config.database);
  }, 120_000);
  afterAll(async () => {
    await second?.close(true);
    await app?.close();
  });

  const count = (where = {}) => app.orm.em.fork().count(ForecastSnapshot, where);

  it('reading the forecast of the current period stores nothing', async () => {
    const now = new Date();
    const label = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const res = await app.execute<{ forecast: { snapshotSaved: boolean } }>(`{ forecast(period: "${label}", simulations: 200) { snapshotSaved total { expected } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.forecast.snapshotSaved).toBe(false);
    expect(await count()).toBe(0);
  });

  it('two servers checking the same slot: exactly one takes the snapshots', async () => {
    const a = startSnapshotScheduler(app.orm, scheduled(), silent, 'server-a');
    const b = startSnapshotScheduler(second ?? app.orm, scheduled(), silent, 'server-b');
    const now = new Date();
    try {
      const ran = await Promise.all([a.tick(now), b.tick(now)]);
      expect(ran.filter(Boolean)).toHaveLength(1);
      // and again later in the same day: nobody runs it twice
      expect(await Promise.all([a.tick(new Date(now.getTime() + 1000)), b.tick(new Date(now.getTime() + 2000))])).toEqual([false, false]);
    } finally {
      await a.stop();
      await b.stop();
    }
    const runs = await app.orm.em.fork().find(ScheduledRun, { job: SNAPSHOT_JOB });
    expect(runs.map((r) => [r.slot, r.status])).toEqual([[slotOf(now.getTime(), 86_400_000), RunStatus.DONE]]);
    // month and quarter, each: the company, every team and every rep with deals in the forecast
    const [{ teams }] = await app.orm.em.getConnection().execute(`select count(*) as teams from teams`);
    expect(await count({ groupBy: ForecastGroupBy.COMPANY })).toBe(2);
    expect(await count({ groupBy: ForecastGroupBy.TEAM })).toBeLessThanOrEqual(2 * Number(teams));
    // exactly the groups the forecast of the month and of the quarter has, as of the same moment
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
    const groups = async (groupBy: string) => {
      let n = 0;
      for (const period of [month, quarter]) {
        const res = await app.execute<{ forecast: { groups: Array<{ key: string | null }> } }>(
          `{ forecast(period: "${period}", asOf: "${now.toISOString()}", groupBy: ${groupBy}, simulations: 200) { groups { key } } }`);
        expect(res.errors).toBeUndefined();
        n += res.data!.forecast.groups.filter((g) => g.key).length;
      }
      return n;
    };
    expect(await count({ groupBy: ForecastGroupBy.TEAM })).toBe(await groups('TEAM'));
    expect(await count({ groupBy: ForecastGroupBy.REP })).toBe(await groups('REP'));
  });

  it('takes over a claim whose server died mid-run (lease expired), not a fresh one', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000);
    const slot = slotOf(tomorrow.getTime(), 86_400_000);
    const em = app.orm.em.fork();
    em.create(ScheduledRun, { job: SNAPSHOT_JOB, slot, instance: 'dead-server', status: RunStatus.RUNNING, startedAt: new Date(tomorrow.getTime() - 2 * 3_600_000) });
    await em.flush();
    const before = await count();
    const a = startSnapshotScheduler(app.orm, scheduled(), silent, 'server-a');
    try {
      expect(await a.tick(tomorrow)).toBe(true);
    } finally {
      await a.stop();
    }
    expect(await count()).toBeGreaterThan(before);
    const run = await app.orm.em.fork().findOneOrFail(ScheduledRun, { job: SNAPSHOT_JOB, slot });
    expect([run.instance, run.status]).toEqual(['server-a', RunStatus.DONE]);
  });

  it('the call week by week and accuracy at week N come from the snapshots', async () => {
    const em = app.orm.em.fork() as Em;
    const before = await count();
    const written = await backfillWeeklySnapshots(em, 1, END);
    expect(written).toBeGreaterThan(0);
    expect(await count()).toBe(before + written); // what it says it wrote is what is stored
    expect(await backfillWeeklySnapshots(em, 1, END)).toBe(0); // weeks with snapshots are left alone
    // a backfill cut off before its last week (a shutdown) is completed by the next one, that week only
    const lastWeek = new Date(periodOrFail('2026-Q3').start + 13 * WEEK);
    const cut = await app.orm.em.fork().nativeDelete(ForecastSnapshot, { asOf: lastWeek });
    expect(cut).toBeGreaterThan(0);
    expect(await backfillWeeklySnapshots(em, 1, END)).toBe(cut);

    const call = await app.execute<{ forecastCall: { period: string; weeks: any[] } }>(`{ forecastCall(period: "2026-Q3") { period weeks { week weekStart asOf expected p10 p90 closedWon } } }`);
    expect(call.errors).toBeUndefined();
    const weeks = call.data!.forecastCall.weeks;
    expect(weeks).toHaveLength(14); // Jul 1 .. Sep 30 in 7-day steps (the 14th is 2 days)
    const q3 = periodOrFail('2026-Q3');
    weeks.forEach((w, i) => {
      expect(Date.parse(w.weekStart)).toBe(q3.start + i * WEEK);
      expect(w.p10).toBeLessThanOrEqual(w.expected);
      expect(w.expected).toBeLessThanOrEqual(w.p90);
    });
    // week 3's point is the forecast as of the week 3 start, the same number the forecast query gives as of then
    const asOf = new Date(q3.start + 2 * WEEK).toISOString();
    expect(weeks[2].asOf).toBe(asOf);
    const direct = await app.execute<{ forecast: { total: { expected: number } } }>(`{ forecast(period: "2026-Q3", asOf: "${asOf}", groupBy: TEAM) { total { expected } } }`);
    expect(weeks[2].expected).toBe(direct.data!.forecast.total.expected);
    // closed won grows week by week
    for (let i = 1; i < weeks.length; i++) expect(weeks[i].closedWon).toBeGreaterThanOrEqual(weeks[i - 1].closedWon);

    const acc = await app.execute<{ forecastAccuracy: any }>(`{ forecastAccuracy(periods: ["2026-Q3"], week: 3) { week meanAbsPctError periods { period asOf forecast actual ratio absPctError withinRange } } }`);
    expect(acc.errors).toBeUndefined();
    const [row] = acc.data!.forecastAccuracy.periods;
    const [{ won }] = await app.orm.em.getConnection().execute(`select sum(amount_cents) as won from deals where status = 'WON' and closed_at >= ? and closed_at < ?`,
      kind === 'sqlite' ? [q3.start, q3.end] : [new Date(q3.start).toISOString(), new Date(q3.end).toISOString()]);
    expect(row).toMatchObject({ period: '2026-Q3', asOf, forecast: weeks[2].expected, actual: Number(won) / 100 });
    expect(row.ratio).toBeCloseTo(row.forecast / row.actual, 12);
    expect(acc.data!.forecastAccuracy.meanAbsPctError).toBeCloseTo(Math.abs(row.forecast - row.actual) / row.actual, 12);

    const open = await app.execute(`{ forecastAccuracy(periods: ["2026-Q4"], week: 3) { week } }`);
    expect(open.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'periods[0]' });
    const badWeek = await app.execute(`{ forecastAccuracy(periods: ["2026-Q3"], week: 0) { week } }`);
    expect(badWeek.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'week' });
  });

  it('snapshots one period as of a date for the company and every team in one transaction', async () => {
    const em = app.orm.em.fork() as Em;
    const q = periodOrFail('2026-Q2');
    const rows = await snapshotPeriod(em, q, new Date(q.start + WEEK), true);
    expect(await count({ periodStart: new Date(q.start), asOf: new Date(q.start + WEEK) })).toBe(rows);
  });
});
