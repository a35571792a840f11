/**
 * Pipeline movement and the Forecast page's requests, over HTTP against the real server (production mode, ADMIN token: company-wide).
 *
 *   npm run build && node dist/bench/movement.js [--db /tmp/i12/bench-20k.db | --database-url postgres://...]
 *                                                [--deals 20000] [--requests 20] [--only movement] [--cache off]
 *
 * Uses the SQLite world at --db (seeding it with seed 42 and --deals first when the file does not exist; a 1M world
 * such as a copy of /tmp/pipewise-bench/1m.db can be passed instead) or the PostgreSQL database at --database-url
 * (a writable copy: the snapshots below are written into it), takes the forecast snapshots once (backfill of the
 * current quarter, as the scheduler's first run does; skipped with --only movement), then measures, each cold once
 * and warm --requests times:
 *   1. pipelineMovement of the last full quarter (first day -> last day, deals expected in it), bars only and with
 *      the first 25 deals of the Won bar (goal: under 500 ms on the 1M world);
 *   2. the Forecast page's two requests as the app sends them (forecast + the call week by week; the backtest of six
 *      quarters) (goal: under 1 s warm).
 * Prints wall p50/p95/max per request, the process's CPU time per warm request (server and client), the SQL time per
 * request, the load average, and one JSON line. --cache off runs without the answer cache (ANSWER_CACHE_MB=0).
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

process.env.NODE_ENV = 'production';
/* eslint-disable @typescript-eslint/no-require-imports */
const pino = require('pino') as typeof import('pino').default;
const { createApp } = require('../src/app') as typeof import('../src/app');
const { loadConfig, parseDatabaseUrl } = require('../src/config') as typeof import('../src/config');
const { tokenSettings } = require('../src/modules/auth/authenticate') as typeof import('../src/modules/auth/authenticate');
const { signToken } = require('../src/modules/auth/token.service') as typeof import('../src/modules/auth/token.service');
const { AccessRole } = require('../src/modules/auth/identity') as typeof import('../src/modules/auth/identity');
const { backfillWeeklySnapshots, takeForecastSnapshots } = require('../src/modules/forecast-snapshots/snapshot.service') as typeof import('../src/modules/forecast-snapshots/snapshot.service');
const { seedDemoWorld } = require('../seeds') as typeof import('../seeds');

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DATABASE_URL = arg('database-url', '');
const DB = DATABASE_URL || path.resolve(arg('db', '/tmp/i12/bench-20k.db'));
const DEALS = Number(arg('deals', '20000'));
const REQUESTS = Number(arg('requests', '20'));
const MOVEMENT_ONLY = arg('only', 'all') === 'movement';
const CACHE = arg('cache', 'on') !== 'off';

// The app's requests (web/src/views/forecast.ts and movement.ts), verbatim in shape.
const FORECAST_PAGE = `query Forecast($period: String!, $teamId: ID, $repId: ID) {
  forecast(period: $period, teamId: $teamId, repId: $repId) {
    period periodStart periodEnd asOf simulations closedDealsInHistory newBusinessPeriods warnings
    total { expected p10 p50 p90 closedWon quota gapToQuota pipeline newBusiness openPipeline openDeals pipelineCoverage calledAmount
      categoriesWithOverrides { category deals amount expected }
      adjustments { amount note category createdAt author { name } deal { id name } }
      topDeals { dealId name stage amount winProbability timingProbability expectedValue expectedCloseDate repCategory modelCategory } }
  }
  forecastCall(period: $period, teamId: $teamId, repId: $repId) { weeks { week weekStart asOf expected p10 p50 p90 closedWon calledAmount } }
}`;
const BACKTEST = `query Backtest($from: DateTimeISO!, $to: DateTimeISO!) {
  forecastBacktest(from: $from, to: $to, interval: QUARTER) {
    periods { period actual expected p10 p90 runRate fixedWeight } model { wape bias coverage periods } runRate { wape bias } fixedWeight { wape bias } } }`;
const MOVEMENT = `query Movement($from: DateTimeISO!, $to: DateTimeISO!, $period: String!) {
  pipelineMovement(from: $from, to: $to, period: $period) { period start { amount count } end { amount count } bars { kind label sign amount count } } }`;
const MOVEMENT_DEALS = `query($from: DateTimeISO!, $to: DateTimeISO!, $period: String!) {
  pipelineMovement(from: $from, to: $to, period: $period) { bar(kind: WON) { count deals(first: 25) { totalCount edges { node { dealId amount deal { name stage { name } } ownerTo { name } } } } } } }`;

const quarter = (d: Date, k = 0) => {
  const i = d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3) + k;
  const y = Math.floor(i / 4);
  const q = i % 4;
  return { label: `${y}-Q${q + 1}`, start: new Date(Date.UTC(y, q * 3, 1)), end: new Date(Date.UTC(y, q * 3 + 3, 1)) };
};
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const r1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const silent = pino({ level: 'silent' });
  const config = loadConfig(
    { NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: randomBytes(32).toString('base64url'), FORECAST_SNAPSHOT_EVERY_HOURS: '0', RATE_LIMIT_PER_MINUTE: '0', REQUEST_TIMEOUT_MS: '120000', ...(!CACHE && { ANSWER_CACHE_MB: '0' }) },
    { database: parseDatabaseUrl(DB), modelsDir: path.join(DATABASE_URL ? os.tmpdir() : path.dirname(DB), 'bench-models') },
  );
  const fresh = !DATABASE_URL && !fs.existsSync(DB);
  // No background training or scoring sweep beside the measurement (they load the machine and write to the world).
  const app = await createApp(config, { logger: silent, scoring: { autoTrain: false, sweepMs: 0 } });
  try {
    if (fresh) {
      const t0 = Date.now();
      await seedDemoWorld(app.orm, { seed: 42, deals: DEALS });
      console.log(`seeded ${DEALS} deals into ${DB} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const [{ deals, changes }] = await app.orm.em.getConnection().execute(`select (select count(*) from deals) as deals, (select count(*) from deal_changes) as changes`);
    const em = app.orm.em.fork() as never;
    const s0 = Date.now();
    const snapshotRows = MOVEMENT_ONLY ? 0 : (await backfillWeeklySnapshots(em, 0)) + (fresh ? await takeForecastSnapshots(em) : 0);
    console.log(`world: ${deals} deals, ${changes} deal changes; snapshots written now: ${snapshotRows} (${((Date.now() - s0) / 1000).toFixed(1)} s)`);

    const url = await app.listen(0, '127.0.0.1');
    const token = await signToken(tokenSettings(config.auth), { subject: 'bench-admin', role: AccessRole.ADMIN, repId: null, teamId: null });
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { errors?: Array<{ message: string }> };
      if (body.errors?.length) throw new Error(body.errors[0].message);
      return body;
    };
    const now = new Date();
    const last = quarter(now, -1);
    const current = quarter(now);
    const allCases: Array<[string, string, Record<string, unknown>]> = [
      ['pipelineMovement (last quarter, bars)', MOVEMENT, { from: last.start.toISOString(), to: last.end.toISOString(), period: last.label }],
      ['pipelineMovement + Won bar deals', MOVEMENT_DEALS, { from: last.start.toISOString(), to: last.end.toISOString(), period: last.label }],
      ['Forecast page: forecast + call by week', FORECAST_PAGE, { period: current.label }],
      ['Forecast page: backtest (6 quarters)', BACKTEST, { from: quarter(now, -6).start.toISOString(), to: current.start.toISOString() }],
    ];
    const cases = allCases.slice(0, MOVEMENT_ONLY ? 2 : 4);
    // SQL time per request: knex reports each statement's start and response by query id.
    const started = new Map<string, number>();
    let sqlMs = 0;
    const knex = (app.orm.em as unknown as { getKnex(): import('knex').Knex }).getKnex();
    knex.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
    knex.on('query-response', (_r: unknown, q: { __knexQueryUid: string }) => {
      sqlMs += performance.now() - (started.get(q.__knexQueryUid) ?? performance.now());
      started.delete(q.__knexQueryUid);
    });
    // PostgreSQL does its work in its own processes: their CPU time (every backend of this database, from /proc).
    const backendCpuMs = async (): Promise<number | null> => {
      if (config.database.kind !== 'postgresql') return null;
      const pids = await app.orm.em.getConnection().execute<Array<{ pid: number }>>(`select pid from pg_stat_activity where datname = current_database()`);
      let ticks = 0;
      for (const { pid } of pids) {
        try {
          const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
          ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
        } catch {
          // a backend that ended meanwhile
        }
      }
      return ticks * 10; // clock ticks of 10 ms
    };
    const results: Array<Record<string, unknown>> = [];
    for (const [name, query, variables] of cases) {
      const c0 = Date.now();
      await post(query, variables);
      const cold = Date.now() - c0;
      const times: number[] = [];
      const cpu0 = process.cpuUsage();
      const backend0 = await backendCpuMs();
      sqlMs = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const t0 = process.hrtime.bigint();
        await post(query, variables);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const cpu = process.cpuUsage(cpu0);
      const backend1 = await backendCpuMs();
      times.sort((a, b) => a - b);
      const row = { name, coldMs: cold, p50Ms: r1(pct(times, 0.5)), p95Ms: r1(pct(times, 0.95)), maxMs: r1(times[times.length - 1]), cpuMsPerRequest: r1((cpu.user + cpu.system) / 1000 / REQUESTS), sqlMsPerRequest: r1(sqlMs / REQUESTS), ...(backend0 != null && { postgresCpuMsPerRequest: r1((backend1! - backend0) / REQUESTS) }) };
      results.push(row);
      console.log(`${name.padEnd(42)} cold ${String(cold).padStart(6)} ms | warm p50 ${String(row.p50Ms).padStart(7)} ms  p95 ${String(row.p95Ms).padStart(7)} ms  max ${String(row.maxMs).padStart(7)} ms | CPU ${row.cpuMsPerRequest} ms/request, SQL ${row.sqlMsPerRequest} ms/request${backend0 != null ? `, PostgreSQL CPU ${row.postgresCpuMsPerRequest} ms/request` : ''}`);
    }
    const loadAverage = os.loadavg().map((l) => Number(l.toFixed(2)));
    console.log(`answer cache ${CACHE ? 'on' : 'off'}; load average ${loadAverage.join(' ')}`);
    console.log(JSON.stringify({ bench: 'movement', db: DB, deals: Number(deals), dealChanges: Number(changes), requests: REQUESTS, cache: CACHE, loadAverage, results }));
  } finally {
    await app.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
