/**
 * KPI engine benchmark over the shared 1M-deal worlds (seed 42, end 2026-11-23).
 *
 *   npm run build && node dist/bench/kpi.js [sqlite|postgresql ...] [--requests 50] [--grouped-requests 20] [--cached]
 *
 * For each database whose marker (/tmp/pipewise-bench/READY-<kind>) exists, starts the real server (createApp +
 * listen on a random port) and measures over HTTP (fetch):
 *   1. the MANAGER dashboard of one team for one quarter (2026-Q3), p50/p95 over N requests (goal p95 < 100 ms at 1M deals);
 *   2. `revenue` grouped by REP x MONTH over two years, company-wide, p50/p95 over --grouped-requests (goal p95 < 500 ms);
 *   3. the raw SQL of that same aggregate run directly on the server's connection: GraphQL / SQL ratio (goal < 1.5x).
 * The server runs in production mode, called with bearer tokens (the team's MANAGER for the dashboard, an EXEC for
 * the company-wide query). Server RSS is sampled every 50 ms during the run (the server runs in this process). Prints one JSON line per
 * database plus a readable table. Env BENCH_SQLITE / BENCH_POSTGRES override the database locations. The answer cache is
 * off (every request computes: a repeated dashboard would otherwise be a cache hit), unless --cached.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Em } from '../src/db/orm';

// The server runs as in production: graphql-js reads NODE_ENV when it loads (development mode adds checks
// on every field), so it is set before the application modules are required below.
process.env.NODE_ENV = 'production';
/* eslint-disable @typescript-eslint/no-require-imports */
const pino = require('pino') as typeof import('pino').default;
const { createApp } = require('../src/app') as typeof import('../src/app');
const { loadConfig } = require('../src/config') as typeof import('../src/config');
const { tokenSettings } = require('../src/modules/auth/authenticate') as typeof import('../src/modules/auth/authenticate');
const { signToken } = require('../src/modules/auth/token.service') as typeof import('../src/modules/auth/token.service');
const { AccessRole } = require('../src/modules/auth/identity') as typeof import('../src/modules/auth/identity');
const { KpiDimension } = require('../src/modules/kpi/kpi.enums') as typeof import('../src/modules/kpi/kpi.enums');
const { parsePeriod } = require('../src/shared/period') as typeof import('../src/shared/period');
const { measureDims, plan } = require('../src/modules/kpi/kpi.plan') as typeof import('../src/modules/kpi/kpi.plan');
const { buildFactQuery } = require('../src/modules/kpi/kpi.query') as typeof import('../src/modules/kpi/kpi.query');

const TARGETS = {
  sqlite: { marker: '/tmp/pipewise-bench/READY-sqlite', url: process.env.BENCH_SQLITE || '/tmp/pipewise-bench/1m.db' },
  postgresql: {
    marker: '/tmp/pipewise-bench/READY-postgresql',
    url: process.env.BENCH_POSTGRES || 'postgres://postgres@127.0.0.1:5432/pipewise_bench_1m',
  },
} as const;
type Kind = keyof typeof TARGETS;

const QUARTER = { from: '2026-07-01', to: '2026-10-01', timeZone: 'Europe/Paris' };
const TWO_YEARS = { from: '2024-10-01', to: '2026-10-01', timeZone: 'Europe/Paris' };

const DASHBOARD = `query($period: KpiPeriodInput!, $scope: DashboardScopeInput) {
  dashboard(role: MANAGER, period: $period, scope: $scope) { role kpis { key rows { value numerator denominator reason health
    comparison { value delta pctChange } target { value attainment pace status } } } } }`;
const EXEC_DASHBOARD = DASHBOARD.replace('role: MANAGER', 'role: EXEC');
const BY_REP_MONTH = `query($period: KpiPeriodInput!) {
  kpi(key: "revenue", period: $period, groupBy: [REP, MONTH]) { key rows { groups { key label } bucket { key } value } } }`;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const round = (x: number) => Math.round(x * 10) / 10;

/** Wall p50/p95/max, and this process's CPU (server + client: SQLite's work counts, PostgreSQL's does not) per call. */
async function timeIt(n: number, fn: () => Promise<void>): Promise<{ p50: number; p95: number; max: number; cpuMs: number }> {
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const c = process.cpuUsage(c0);
  times.sort((a, b) => a - b);
  return { p50: round(pct(times, 0.5)), p95: round(pct(times, 0.95)), max: round(times[times.length - 1]), cpuMs: round((c.user + c.system) / 1000 / n) };
}

async function benchOne(kind: Kind, requests: number, groupedRequests: number, withExec: boolean, cached: boolean) {
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: TARGETS[kind].url,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
    FORECAST_SNAPSHOT_EVERY_HOURS: '0',
    ANSWER_CACHE_MB: cached ? '64' : '0',
  });
  // Read only: no background training, scoring sweep or snapshots writing into the shared benchmark world.
  const app = await createApp(config, { logger: pino({ level: 'silent' }), scoring: { autoTrain: false, sweepMs: 0 } });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    const url = await app.listen(0, '127.0.0.1');
    const em = app.orm.em.fork() as Em;
    const [team] = await em.getConnection().execute('select t.id, t.name, t.manager_id from teams t order by t.id limit 1');
    // Real callers: the team's manager for the dashboard (row-level scope = the team's reps), an exec for the company view.
    const settings = tokenSettings(config.auth);
    const managerToken = await signToken(settings, { subject: `rep:${team.manager_id}`, role: AccessRole.MANAGER, repId: Number(team.manager_id), teamId: Number(team.id) });
    const [exec] = await em.getConnection().execute(`select id, team_id from reps where role = 'EXEC' order by id limit 1`);
    const execToken = await signToken(settings, { subject: `rep:${exec.id}`, role: AccessRole.EXEC, repId: Number(exec.id), teamId: exec.team_id == null ? null : Number(exec.team_id) });
    const post = async (query: string, variables: Record<string, unknown>, token = execToken) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { errors?: unknown[]; data?: unknown };
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
      return body.data;
    };
    const dashVars = { period: QUARTER, scope: { teamId: String(team.id) } };
    const repVars = { period: TWO_YEARS };
    // Warm up (connections, statement caches, JIT).
    for (let i = 0; i < 3; i++) {
      await post(DASHBOARD, dashVars, managerToken);
      await post(BY_REP_MONTH, repVars);
    }
    const rssBefore = process.memoryUsage().rss;
    const dashboard = await timeIt(requests, async () => void (await post(DASHBOARD, dashVars, managerToken)));
    console.error(`${kind}: MANAGER dashboard ${JSON.stringify(dashboard)}, RSS peak so far ${Math.round(peakRss / 2 ** 20)} MB`);
    // The floor: the same aggregate's SQL, run directly on the connection. GraphQL and SQL runs alternate so
    // both see the same machine load.
    // Exactly the statement the engine sends for `revenue` by REP x MONTH, built from the engine's own plan (the
    // closed-deals fact, wonAmount only; the same text as bench/wide-answer.ts's baseline).
    const planned = plan({ keys: ['revenue'], period: parsePeriod(TWO_YEARS), groupBy: [KpiDimension.REP, KpiDimension.MONTH], withTargets: false });
    const [ref] = planned.kpis[0].refs;
    const { sql, params } = buildFactQuery(kind, ref.fact, [ref.name], measureDims(planned, ref), planned.filter, planned.kb);
    const conn = em.getConnection();
    const graphqlTimes: number[] = [];
    const sqlTimes: number[] = [];
    for (let i = 0; i < groupedRequests; i++) {
      graphqlTimes.push((await timeIt(1, async () => void (await post(BY_REP_MONTH, repVars)))).p50);
      sqlTimes.push((await timeIt(1, async () => void (await conn.execute(sql, params, 'all')))).p50);
    }
    const summary = (times: number[]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return { p50: pct(sorted, 0.5), p95: pct(sorted, 0.95), max: sorted[sorted.length - 1] };
    };
    const byRepMonth = summary(graphqlTimes);
    const rawSql = summary(sqlTimes);
    console.error(`${kind}: revenue REP x MONTH ${JSON.stringify(summary(graphqlTimes))}, raw SQL ${JSON.stringify(summary(sqlTimes))}, RSS peak so far ${Math.round(peakRss / 2 ** 20)} MB`);
    const sample = (await post(BY_REP_MONTH, repVars)) as { kpi: { rows: unknown[] } };
    // Informational, opt-in (--exec): the company-wide EXEC dashboard (CAC, LTV, retention scan accounts and orders).
    const execDashboard = withExec ? await timeIt(3, async () => void (await post(EXEC_DASHBOARD, { period: QUARTER }))) : null;
    const result = {
      database: kind,
      answerCache: cached ? 'on' : 'off',
      team: { id: team.id, name: team.name },
      requests,
      groupedRequests,
      managerDashboardMs: dashboard,
      revenueByRepMonthMs: byRepMonth,
      revenueByRepMonthRows: sample.kpi.rows.length,
      rawSqlMs: rawSql,
      execDashboardMs: execDashboard,
      graphqlToSqlRatioP50: Math.round((byRepMonth.p50 / rawSql.p50) * 100) / 100,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      rssMb: { beforeRun: Math.round(rssBefore / 2 ** 20), peak: Math.round(peakRss / 2 ** 20) },
    };
    return result;
  } finally {
    clearInterval(sampler);
    await app.stop();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const n = args.indexOf('--requests');
  const requests = n >= 0 ? Number(args[n + 1]) : 50;
  const g = args.indexOf('--grouped-requests');
  const groupedRequests = g >= 0 ? Number(args[g + 1]) : 20;
  const kinds = (args.filter((a) => a === 'sqlite' || a === 'postgresql') as Kind[]).length
    ? (args.filter((a) => a === 'sqlite' || a === 'postgresql') as Kind[])
    : (Object.keys(TARGETS) as Kind[]);
  for (const kind of kinds) {
    if (!fs.existsSync(TARGETS[kind].marker) && !process.env[kind === 'sqlite' ? 'BENCH_SQLITE' : 'BENCH_POSTGRES']) {
      console.log(JSON.stringify({ database: kind, skipped: `marker ${TARGETS[kind].marker} not found: the 1M world is not ready` }));
      continue;
    }
    const r = await benchOne(kind, requests, groupedRequests, args.includes('--exec'), args.includes('--cached'));
    console.log(JSON.stringify(r));
    console.log(
      `${kind} (answer cache ${r.answerCache}): MANAGER dashboard p50 ${r.managerDashboardMs.p50} ms / p95 ${r.managerDashboardMs.p95} ms (goal < 100), CPU ${r.managerDashboardMs.cpuMs} ms/request | ` +
        `revenue REP x MONTH 2y p50 ${r.revenueByRepMonthMs.p50} / p95 ${r.revenueByRepMonthMs.p95} ms (goal < 500, ${r.revenueByRepMonthRows} rows) | ` +
        `raw SQL p50 ${r.rawSqlMs.p50} ms -> GraphQL/SQL ${r.graphqlToSqlRatioP50}x (goal < 1.5) | ` +
        `${r.execDashboardMs ? `EXEC dashboard (company) p50 ${r.execDashboardMs.p50} ms | ` : ''}RSS peak ${r.rssMb.peak} MB | load ${r.loadAverage.join(' ')}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
