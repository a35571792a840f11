/**
 * No request freezes the server: heavy requests (forecasts, backtests) in parallel with probes of /healthz and of a
 * deals page, on a seeded database. Prints p50/p99/max of the probes with and without the heavy load, and what the
 * heavy requests answered (their work runs on the worker pool; the cost budget and the per-caller cap refuse floods).
 *
 *   npm run build && node dist/bench/freeze.js [database-url]      (default /tmp/pipewise-bench/20k.db)
 *
 * Scenarios: idle; 4 heavy requests from 4 managers (forecast by rep, 100,000 simulations, and a backtest of
 * 8 quarters at 50,000, each twice); one EXEC request with 20 aliased backtests at 50,000 (over the cost budget);
 * one EXEC request with 20 aliased forecasts at 2,000 (within budget: the per-caller cap lets 2 run).
 */
import 'reflect-metadata';
import pino from 'pino';
import { quantile } from 'simple-statistics';
import { createApp } from '../src/app';
import { loadConfig, parseDatabaseUrl } from '../src/config';
import type { Em } from '../src/db/orm';
import { tokenSettings } from '../src/modules/auth/authenticate';
import { AccessRole, type Identity } from '../src/modules/auth/identity';
import { signToken } from '../src/modules/auth/token.service';

const DEALS_PAGE = '{ deals(first: 20) { edges { node { id name amount stage { name } owner { name } } } } }';
const FORECAST_REP = '{ forecast(period: "2026-Q4", asOf: "2026-10-01T00:00:00Z", groupBy: REP, simulations: 100000) { total { expected p10 p90 } groups { label expected } } }';
const BACKTEST = (alias = 'b') => `${alias}: forecastBacktest(from: "2024-10-01T00:00:00Z", to: "2026-10-01T00:00:00Z", simulations: 50000) { model { wape coverage } }`;
const SMALL_FORECAST = (alias: string) => `${alias}: forecast(period: "2026-Q4", asOf: "2026-10-01T00:00:00Z", simulations: 2000) { total { expected } }`;

type Answer = { status: number; ms: number; codes: string[] };

async function main() {
  const url = process.argv[2] ?? '/tmp/pipewise-bench/20k.db';
  const secret = 'bench-only-secret-'.padEnd(48, 'x');
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'silent' }, { database: parseDatabaseUrl(url), seedDemoWhenEmpty: false });
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  const endpoint = await app.listen(0, '127.0.0.1');
  const healthz = endpoint.replace(/\/graphql$/, '/healthz');
  const conn = (app.orm.em.fork() as Em).getConnection();
  const rows = (role: string, n: number) => conn.execute<Array<{ id: unknown; team_id: unknown }>>(`select id, team_id from reps where role = ? and active = ? order by id limit ${n}`, [role, true]);
  const token = (r: { id: unknown; team_id: unknown }, role: AccessRole) => {
    const identity: Identity = { subject: `rep:${r.id}`, role, repId: Number(r.id), teamId: r.team_id == null ? null : Number(r.team_id) };
    return signToken(tokenSettings(config.auth), identity);
  };
  const [exec] = await rows('EXEC', 1);
  const managers = await rows('MANAGER', 4);
  if (!exec || managers.length < 4) throw new Error(`${url} needs an EXEC and 4 MANAGERs (seed it: pipewise seed --seed 42 --deals 20000)`);
  const execToken = await token(exec, AccessRole.EXEC);
  const managerTokens = await Promise.all(managers.map((m) => token(m, AccessRole.MANAGER)));

  // A kept-alive connection the server closed in the meantime is reset once in a while: retry such a request once.
  const fetchRetry = (target: string, init?: RequestInit) => fetch(target, init).catch(() => fetch(target, init));
  const post = async (query: string, bearer: string): Promise<Answer> => {
    const started = performance.now();
    const res = await fetchRetry(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query }) });
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    return { status: res.status, ms: performance.now() - started, codes: (body.errors ?? []).map((e) => String(e.extensions?.code)) };
  };

  /** Probes /healthz and the deals page every 50 ms until `until` settles; returns their latencies. */
  const probe = async (until: Promise<unknown>) => {
    const health: number[] = [];
    const page: number[] = [];
    let done = false;
    void until.finally(() => (done = true));
    while (!done) {
      const t0 = performance.now();
      await fetchRetry(healthz).then((r) => r.text());
      health.push(performance.now() - t0);
      page.push((await post(DEALS_PAGE, execToken)).ms);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { health, page };
  };
  const stats = (xs: number[]) =>
    xs.length ? `n=${xs.length} p50 ${quantile(xs, 0.5).toFixed(1)} ms  p99 ${quantile(xs, 0.99).toFixed(1)} ms  max ${Math.max(...xs).toFixed(1)} ms` : 'n=0';
  const summary = (answers: Answer[]) => {
    const codes = new Map<string, number>();
    for (const a of answers) for (const c of a.codes.length ? a.codes : ['ok']) codes.set(c, (codes.get(c) ?? 0) + 1);
    return `${answers.length} request(s), ${answers.map((a) => `${a.status} in ${(a.ms / 1000).toFixed(2)} s`).join(', ')}; fields: ${[...codes].map(([c, n]) => `${c} x${n}`).join(', ')}`;
  };
  const scenario = async (name: string, load: () => Promise<Answer[]>) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const heavy = load();
    const { health, page } = await probe(heavy);
    const answers = await heavy;
    const used = process.cpuUsage(cpu);
    console.log(`\n${name}  (${((performance.now() - started) / 1000).toFixed(2)} s wall, main-thread+workers CPU ${((used.user + used.system) / 1e6).toFixed(2)} s)`);
    if (answers.length) console.log(`  heavy:   ${summary(answers)}`);
    console.log(`  /healthz ${stats(health)}`);
    console.log(`  deals    ${stats(page)}`);
  };

  await post(DEALS_PAGE, execToken); // warm-up: schema, statements, a worker thread
  await post(SMALL_FORECAST('f'), execToken);
  console.log(`freeze check on ${url}: ${config.workers.threads} worker thread(s), ${config.workers.perCaller} heavy request(s) per caller, deadline ${config.limits.requestTimeoutMs} ms`);
  await scenario('idle (2 s)', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return [];
  });
  await scenario('4 heavy requests in parallel (4 managers: forecast by rep at 100,000; then backtest of 8 quarters at 50,000)', async () => {
    const forecasts = await Promise.all(managerTokens.map((t) => post(FORECAST_REP, t)));
    const backtests = await Promise.all(managerTokens.map((t) => post(`{ ${BACKTEST()} }`, t)));
    return [...forecasts, ...backtests];
  });
  await scenario('20 aliased backtests at 50,000 simulations (one EXEC request)', async () => [
    await post(`{ ${Array.from({ length: 20 }, (_, i) => BACKTEST(`b${i}`)).join(' ')} }`, execToken),
  ]);
  await scenario('20 aliased forecasts at 2,000 simulations (one EXEC request, within the cost budget)', async () => [
    await post(`{ ${Array.from({ length: 20 }, (_, i) => SMALL_FORECAST(`f${i}`)).join(' ')} }`, execToken),
  ]);
  await app.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
