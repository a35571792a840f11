/**
 * The Forecast page viewed twice, then once more after a write: its two requests as the app sends them (forecast +
 * the call week by week; the backtest of six quarters), over HTTP, production mode, ADMIN token. The first view
 * computes (cold: the fact file is removed first, so its facts come from the database), the second is served by the
 * answer cache (warm), and after a deal moves (one mutation) the forecast is computed again: the cache never serves
 * an answer older than the data. Then the server restarts: its first view reads the facts from the fact file
 * (src/modules/forecast/fact-file.ts); and once more after a deal moved while it was down (another server, without
 * the file, made the write): the file's facts with that deal patched in.
 *
 *   npm run build && node dist/bench/answer-cache.js [database-url] [--no-write]     (default /tmp/pipewise-bench/1m.db)
 *
 * The write changes the database: give it a copy of a benchmark world, or pass --no-write (then one restart only).
 * Prints wall time, the process's CPU time and the cache report of each request, and the load average.
 */
import fs from 'node:fs';
import os from 'node:os';
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

const DB = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '/tmp/pipewise-bench/1m.db';
const WRITE = !process.argv.includes('--no-write');

// web/src/views/forecast.ts, as bench/movement.ts sends it.
const FORECAST_PAGE = `query Forecast($period: String!) {
  forecast(period: $period) {
    period periodStart periodEnd asOf simulations closedDealsInHistory newBusinessPeriods warnings
    total { expected p10 p50 p90 closedWon quota gapToQuota pipeline newBusiness openPipeline openDeals pipelineCoverage calledAmount
      categoriesWithOverrides { category deals amount expected }
      adjustments { amount note category createdAt author { name } deal { id name } }
      topDeals { dealId name stage amount winProbability timingProbability expectedValue expectedCloseDate repCategory modelCategory } }
  }
  forecastCall(period: $period) { weeks { week weekStart asOf expected p10 p50 p90 closedWon calledAmount } }
}`;
const BACKTEST = `query Backtest($from: DateTimeISO!, $to: DateTimeISO!) {
  forecastBacktest(from: $from, to: $to, interval: QUARTER) {
    periods { period actual expected p10 p90 runRate fixedWeight } model { wape bias coverage periods } runRate { wape bias } fixedWeight { wape bias } } }`;

const quarter = (d: Date, k = 0) => {
  const i = d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3) + k;
  const y = Math.floor(i / 4);
  const q = i % 4;
  return { label: `${y}-Q${q + 1}`, start: new Date(Date.UTC(y, q * 3, 1)) };
};

type Post = (query: string, variables: Record<string, unknown>) => Promise<{ extensions?: { answerCache?: unknown } }>;

/** A server over the world (`factsFile`: where it keeps its facts, null: nowhere), run until `use` returns. */
async function withServer(factsFile: string | null, use: (post: Post, app: import('../src/app').App) => Promise<void>): Promise<void> {
  const config = loadConfig(
    { NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: randomBytes(32).toString('base64url'), FORECAST_SNAPSHOT_EVERY_HOURS: '0', RATE_LIMIT_PER_MINUTE: '0', REQUEST_TIMEOUT_MS: '600000', FORECAST_FACTS_FILE: factsFile ?? 'off' },
    { database: parseDatabaseUrl(DB), seedDemoWhenEmpty: false, modelsDir: path.join(os.tmpdir(), 'pipewise-bench-models') },
  );
  // No background training or scoring sweep beside the measurement (they load the machine and write to the world).
  const app = await createApp(config, { logger: pino({ level: 'silent' }), scoring: { autoTrain: false, sweepMs: 0 } });
  try {
    const url = await app.listen(0, '127.0.0.1');
    app.http.keepAliveTimeout = 600_000;
    const token = await signToken(tokenSettings(config.auth), { subject: 'bench-admin', role: AccessRole.ADMIN, repId: null, teamId: null });
    await use(async (query, variables) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { errors?: Array<{ message: string }>; extensions?: { answerCache?: unknown } };
      if (body.errors?.length) throw new Error(body.errors[0].message);
      return body;
    }, app);
  } finally {
    await app.stop(); // writes the facts not yet in the file
  }
}

/** One open deal moves to its next open stage: deals, deal_changes and deal_stage_changes change. */
async function moveADeal(post: Post, app: import('../src/app').App): Promise<void> {
  const connection = app.orm.em.getConnection();
  const no = app.config.database.kind === 'sqlite' ? 0 : 'false';
  const [deal] = await connection.execute(`select d.id, d.version, d.stage_id, s.position from deals d join pipeline_stages s on s.id = d.stage_id where d.status = 'OPEN' order by d.id desc limit 1`);
  const [next] = await connection.execute(`select id from pipeline_stages where is_won = ${no} and is_lost = ${no} and position > ? order by position limit 1`, [deal.position]);
  await post(`mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id } }`, { input: { dealId: String(deal.id), version: Number(deal.version), stageId: String(next?.id ?? deal.stage_id) } });
}

async function main(): Promise<void> {
  const factsFile = parseDatabaseUrl(DB).kind === 'sqlite' ? `${parseDatabaseUrl(DB).url}.forecast-facts` : path.join(os.tmpdir(), 'pipewise-bench-forecast.facts');
  fs.rmSync(factsFile, { force: true }); // the first view loads from the database
  const now = new Date();
  const page: Array<[string, string, Record<string, unknown>]> = [
    ['forecast + call by week', FORECAST_PAGE, { period: quarter(now).label }],
    ['backtest (6 quarters)', BACKTEST, { from: quarter(now, -6).start.toISOString(), to: quarter(now).start.toISOString() }],
  ];
  const rows: Array<Record<string, unknown>> = [];
  const view = async (post: Post, label: string) => {
    for (const [name, query, variables] of page) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const body = await post(query, variables);
      const wallMs = Math.round(performance.now() - t0);
      const c = process.cpuUsage(c0);
      const row = { view: label, request: name, wallMs, cpuMs: Math.round((c.user + c.system) / 1000), answerCache: body.extensions?.answerCache ?? null, load1: Math.round(os.loadavg()[0] * 100) / 100 };
      rows.push(row);
      console.log(`${label.padEnd(26)} ${name.padEnd(26)} wall ${String(wallMs).padStart(7)} ms  CPU ${String(row.cpuMs).padStart(7)} ms  cache ${JSON.stringify(row.answerCache)}  load ${row.load1}`);
    }
  };
  await withServer(factsFile, async (post, app) => {
    await view(post, 'first view');
    await view(post, 'second view');
    if (!WRITE) return;
    await moveADeal(post, app);
    await view(post, 'after a write');
    await view(post, 'after, again');
  });
  await withServer(factsFile, (post) => view(post, 'after a restart (file)'));
  if (WRITE) {
    await withServer(null, moveADeal);
    await withServer(factsFile, (post) => view(post, 'restart, a write since'));
  }
  console.log(JSON.stringify({ bench: 'answer-cache', db: DB, factsFile, rows }));
  fs.rmSync(factsFile, { force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
