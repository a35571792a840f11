/**
 * A wide answer: `revenue` grouped by REP x MONTH over two years, company-wide (53,160 rows on the 1M world), through
 * GraphQL over HTTP against the same aggregate's raw SQL run on the server's connection. GraphQL and SQL runs
 * alternate so both see the same machine load. The answer cache is off (every request computes), unless --cached.
 *
 *   npm run build && node dist/bench/wide-answer.js [database-url] [--requests 15] [--matrix] [--cached] [--cpu-prof]
 *
 * --matrix asks for the compact shape (`kpiMatrix`: one row per group with one value per bucket) instead of `kpi` rows.
 * Prints p50/p95 of each, their ratio, the process's CPU time per GraphQL request, the load average, the response
 * size and its sha256 (the same digest before and after a change: the same answer, byte for byte).
 *
 * The baseline is the statement the engine runs for this answer (built from the engine's own plan: same SQL text,
 * same buckets), through the same connection and driver, returning the same rows; GraphQL adds everything else
 * (the group names, assembly, execution, serialisation, HTTP and the client's JSON.parse).
 */
import os from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import type { Em } from '../src/db/orm';

// graphql-js reads NODE_ENV when it loads (development mode adds checks on every field): production, as served.
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

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const URL_ = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--requests')) ?? '/tmp/pipewise-bench/1m.db';
const REQUESTS = Number(option('requests', '15'));
const MATRIX = args.includes('--matrix');
const CACHED = args.includes('--cached');

const TWO_YEARS = { from: '2024-10-01', to: '2026-10-01', timeZone: 'Europe/Paris' };
const ROWS = `query($period: KpiPeriodInput!) {
  kpi(key: "revenue", period: $period, groupBy: [REP, MONTH]) { key rows { groups { key label } bucket { key } value } } }`;
const MATRIX_QUERY = `query($period: KpiPeriodInput!) {
  kpiMatrix(key: "revenue", period: $period, groupBy: [REP], bucketBy: MONTH) { key buckets { key } rows { groups { key label } values } } }`;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const r1 = (x: number) => Math.round(x * 10) / 10;
const summary = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: r1(pct(sorted, 0.5)), p95: r1(pct(sorted, 0.95)) };
};

async function main() {
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: URL_,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
    FORECAST_SNAPSHOT_EVERY_HOURS: '0',
    ANSWER_CACHE_MB: CACHED ? '256' : '0',
  });
  // No background training or scoring sweep beside the measurement (they load the machine and write to the world).
  const app = await createApp(config, { logger: pino({ level: 'silent' }), scoring: { autoTrain: false, sweepMs: 0 } });
  try {
    const url = await app.listen(0, '127.0.0.1');
    app.http.keepAliveTimeout = 120_000; // the raw SQL between two requests can outlast Node's 5 s on a loaded machine
    const em = app.orm.em.fork() as Em;
    const [exec] = await em.getConnection().execute(`select id, team_id from reps where role = 'EXEC' order by id limit 1`);
    const token = await signToken(tokenSettings(config.auth), { subject: `rep:${exec.id}`, role: AccessRole.EXEC, repId: Number(exec.id), teamId: exec.team_id == null ? null : Number(exec.team_id) });
    const query = MATRIX ? MATRIX_QUERY : ROWS;
    let bytes = 0;
    let rows = 0;
    let digest = '';
    const post = async () => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables: { period: TWO_YEARS } }) });
      const text = await res.text();
      bytes = text.length;
      digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
      const body = JSON.parse(text) as { errors?: unknown[]; data?: { kpi?: { rows: unknown[] }; kpiMatrix?: { rows: Array<{ values: unknown[] }> } } };
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
      rows = body.data!.kpi ? body.data!.kpi.rows.length : body.data!.kpiMatrix!.rows.reduce((n, r) => n + r.values.length, 0);
    };
    // The engine's plan for this answer (an EXEC sees the whole company: no scope); revenue reads closed.wonAmount.
    const planned = plan({ keys: ['revenue'], period: parsePeriod(TWO_YEARS), groupBy: [KpiDimension.REP, KpiDimension.MONTH], withTargets: false });
    const [ref] = planned.kpis[0].refs;
    const { sql, params } = buildFactQuery(config.database.kind, ref.fact, [ref.name], measureDims(planned, ref), planned.filter, planned.kb);
    const conn = em.getConnection();
    for (let i = 0; i < 2; i++) {
      await post();
      await conn.execute(sql, params, 'all');
    }
    const graphql: number[] = [];
    const raw: number[] = [];
    let cpuMs = 0;
    let sqlCpuMs = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await post();
      graphql.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuMs += (c.user + c.system) / 1000;
      const c1 = process.cpuUsage();
      const t1 = performance.now();
      await conn.execute(sql, params, 'all');
      raw.push(performance.now() - t1);
      const cs = process.cpuUsage(c1);
      sqlCpuMs += (cs.user + cs.system) / 1000;
    }
    const g = summary(graphql);
    const s = summary(raw);
    const result = {
      bench: 'wide-answer',
      database: config.database.kind,
      shape: MATRIX ? 'kpiMatrix' : 'kpi rows',
      cache: CACHED ? 'on' : 'off',
      rows,
      responseBytes: bytes,
      sha256: digest,
      graphqlMs: g,
      rawSqlMs: s,
      ratioP50: Math.round((g.p50 / s.p50) * 100) / 100,
      cpuMsPerGraphqlRequest: r1(cpuMs / REQUESTS),
      cpuMsPerRawSql: r1(sqlCpuMs / REQUESTS),
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    };
    console.log(
      `${result.database} ${result.shape} (cache ${result.cache}), ${rows} values, ${(bytes / 1024).toFixed(0)} KiB (sha256 ${digest}): GraphQL p50 ${g.p50} / p95 ${g.p95} ms, ` +
        `raw SQL p50 ${s.p50} / p95 ${s.p95} ms -> ${result.ratioP50}x (goal <= 1.5) | CPU ${result.cpuMsPerGraphqlRequest} ms/GraphQL request (server + client) vs ${result.cpuMsPerRawSql} ms/raw SQL (SQLite runs in-process: its CPU counts) | load ${result.loadAverage.join(' ')}`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await app.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
