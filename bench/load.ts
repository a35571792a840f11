/**
 * Load run: a realistic mix of dashboard, deals page, lead queue, forecast and mutations against a real server.
 *
 *   npm run build && node dist/bench/load.js [--duration 60] [--connections 16] [--warmup 10] [--db /tmp/pipewise-bench/20k.db] [--no-forecast]
 *                                            [--workers N] [--database-url postgres://.../db]
 *
 * Copies the 20k-deal world (seed 42; /tmp/pipewise-bench/20k.db, made by the seed bench) to a scratch file, starts
 * `node dist/src/main.js` as a separate process in production mode on 127.0.0.1 (access log on, written to a
 * file; rate limit on but set high so the run measures capacity), warms up, then drives it with autocannon for
 * `duration` seconds with `connections` concurrent clients, each cycling through the mix below with bearer
 * tokens of an SDR, an AE, a MANAGER and an EXEC. Prints HTTP status counts (5xx must be 0), GraphQL error
 * codes, p50/p95/p99 latency, throughput, and the server's RSS averaged over the first and last 10 s.
 * --no-forecast drops the forecast (a Monte Carlo of about 2 s of CPU per call) from the mix, to show its share.
 * --workers N (or BENCH_WORKERS) runs N server processes (WEB_CONCURRENCY, default 1); RSS and CPU time are then
 * the sum over the supervisor and its processes. --database-url serves a PostgreSQL database in place (its
 * mutations stay in it) instead of an SQLite copy. Prints the CPU seconds the server used while measured and the
 * load average before and after, as the machine may be shared. --profile DIR starts the server with --cpu-prof
 * (a .cpuprofile per process in DIR, written when it stops) to see where the mix's CPU goes; --only A,B keeps only
 * those operations of the mix (e.g. --only LeadQueue); BENCH_NODE_ARGS adds node options to the server's command line.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
/* eslint-disable @typescript-eslint/no-require-imports */
const autocannon = require('autocannon');
const { signToken } = require('../src/modules/auth/token.service') as typeof import('../src/modules/auth/token.service');
const { AccessRole } = require('../src/modules/auth/identity') as typeof import('../src/modules/auth/identity');

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DURATION = Number(arg('duration', '60'));
const CONNECTIONS = Number(arg('connections', '16'));
const WARMUP = Number(arg('warmup', '10'));
const SOURCE_DB = arg('db', '/tmp/pipewise-bench/20k.db');
const WITH_FORECAST = !process.argv.includes('--no-forecast');
const WORKERS = Number(arg('workers', process.env.BENCH_WORKERS ?? '1'));
const DATABASE_URL = arg('database-url', '');
const PROFILE_DIR = arg('profile', '');
const ALONE_ROUNDS = Number(arg('alone-rounds', '10'));
const ONLY = arg('only', '').split(',').filter(Boolean);
const ROOT = path.resolve(__dirname, '..', '..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
const rssKbOf = (pid: number) => {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};
/** The server's processes: the one started and, in a cluster, its children (the HTTP processes). */
const serverPids = (pid: number): number[] => {
  const children = fs.readdirSync(`/proc/${pid}/task`).flatMap((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  return [pid, ...children];
};
const sumOver = (pid: number, of: (p: number) => number) => serverPids(pid).reduce((sum, p) => sum + (() => { try { return of(p); } catch { return 0; } })(), 0);
const rssKb = (pid: number) => sumOver(pid, rssKbOf);
/** User + system CPU seconds a process has used so far (its threads included). */
const cpuSecondsOf = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
};
const cpuSeconds = (pid: number) => sumOver(pid, cpuSecondsOf);
const loadAverage = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

async function gql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
  if (body.errors) throw new Error(`${query.slice(0, 60)}: ${body.errors[0].message}`);
  return body.data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function main() {
  if (!DATABASE_URL && !fs.existsSync(SOURCE_DB)) throw new Error(`${SOURCE_DB} is missing: run the seed bench first (node dist/bench/seed.js)`);
  const dir = fs.mkdtempSync('/tmp/pipewise-load-');
  const dbFile = DATABASE_URL || path.join(dir, 'world.db');
  if (!DATABASE_URL) fs.copyFileSync(SOURCE_DB, dbFile);
  const secret = randomBytes(32).toString('base64url');
  const port = await freePort();
  const logFile = path.join(dir, 'server.log');
  const logFd = fs.openSync(logFile, 'w');
  const profileArgs = [...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const server = spawn(process.execPath, [...profileArgs, path.join(ROOT, 'dist', 'src', 'main.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      DATABASE_URL: dbFile,
      WEB_CONCURRENCY: String(WORKERS),
      HOST: '127.0.0.1',
      PORT: String(port),
      SEED_DEMO: 'false',
      MIGRATE_ON_START: 'true', // the world may predate a migration (a scratch copy, or the database named to serve)
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '10000000',
      RATE_LIMIT_BURST: '100000',
      // Every client of the run is 127.0.0.1: the per-IP limit (40 req/s by default) would cap the run, not the server.
      RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
      RATE_LIMIT_PER_IP_BURST: '100000',
    },
    stdio: ['ignore', logFd, logFd],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`server exited: see ${logFile}`);
      const listening = fs.readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('Pipewise GraphQL at')).length;
      if (listening >= WORKERS && (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok).catch(() => false))) break;
      if (i > 600) throw new Error('server did not become ready in 60 s');
      await sleep(100);
    }
    const settings = { secret, issuer: 'pipewise', audience: 'pipewise-api', ttl: '2h' };
    const admin = await signToken(settings, { subject: 'bench-admin', role: AccessRole.ADMIN, repId: null, teamId: null });
    const firstRep = async (role: string) => {
      const data = await gql(url, admin, `query($r: [RepRole!]) { reps(first: 50, filter: { roles: $r, active: true }) { edges { node { id team { id } leads(first: 1, statuses: [NEW, CONTACTED]) { id } } } } }`, { r: [role] });
      const node = data.reps.edges.find((e: { node: { team: unknown; leads: unknown[] } }) => (e.node.team || role === 'EXEC') && (role !== 'SDR' || e.node.leads.length))!.node;
      return { repId: Number(node.id), teamId: node.team ? Number(node.team.id) : null, leadId: node.leads[0]?.id as string | undefined };
    };
    const [sdr, ae, manager, exec] = await Promise.all(['SDR', 'AE', 'MANAGER', 'EXEC'].map(firstRep));
    const token = (role: keyof typeof AccessRole, who: { repId: number; teamId: number | null }) =>
      signToken(settings, { subject: `rep:${who.repId}`, role: AccessRole[role], repId: who.repId, teamId: who.teamId });
    const tokens = { SDR: await token('SDR', sdr), AE: await token('AE', ae), MANAGER: await token('MANAGER', manager), EXEC: await token('EXEC', exec) };

    const op = (name: string, role: keyof typeof tokens, query: string, variables: Record<string, unknown> = {}) => ({
      name,
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[role]}` },
      body: JSON.stringify({ query, variables, operationName: name }),
    });
    const quarter = { from: '2026-07-01', to: '2026-10-01', timeZone: 'Europe/Paris' };
    const DEALS_PAGE = `query DealsPage($f: DealFilter) { deals(first: 20, filter: $f, sort: { field: UPDATED_AT, direction: DESC }) {
      totalCount edges { cursor node { id name amount currency status expectedCloseDate daysInStage stage { name } owner { name } account { name segment } } } pageInfo { hasNextPage endCursor } } }`;
    const DASHBOARD = `query Dashboard($period: KpiPeriodInput!, $scope: DashboardScopeInput) { dashboard(role: MANAGER, period: $period, scope: $scope) {
      kpis { key rows { value health comparison { value pctChange } target { value attainment status } } } } }`;
    const LEAD_QUEUE = `query LeadQueue($owner: ID) { leadQueue(owner: $owner, first: 20) { edges { cursor node { id name company source status } score { percentile method factors { __typename } } } } }`;
    const FORECAST = `query Forecast { forecast(period: "2026-Q4", simulations: 2000) { period total { expected closedWon gapToQuota categories { __typename } } warnings } }`;
    const LOG = `mutation LogActivity($input: LogActivityInput!) { logActivity(input: $input) { id } }`;
    // One cycle of a connection: 20 requests, weighted like a sales team's day (reads dominate).
    const fullMix = [
      op('Dashboard', 'MANAGER', DASHBOARD, { period: quarter, scope: { teamId: String(manager.teamId) } }),
      op('DealsPage', 'AE', DEALS_PAGE, { f: { statuses: ['OPEN'] } }),
      op('LeadQueue', 'SDR', LEAD_QUEUE, { owner: String(sdr.repId) }),
      op('DealsPage', 'MANAGER', DEALS_PAGE, { f: { teamId: String(manager.teamId) } }),
      op('LogActivity', 'SDR', LOG, { input: { type: 'CALL', repId: String(sdr.repId), leadId: sdr.leadId, outcome: 'NO_ANSWER', notes: 'load run' } }),
      op('DealsPage', 'AE', DEALS_PAGE, { f: { statuses: ['OPEN', 'WON'] } }),
      op('LeadQueue', 'SDR', LEAD_QUEUE, { owner: String(sdr.repId) }),
      op('Dashboard', 'MANAGER', DASHBOARD, { period: quarter, scope: { teamId: String(manager.teamId) } }),
      op('DealsPage', 'EXEC', DEALS_PAGE, {}),
      op('Forecast', 'EXEC', FORECAST),
      op('DealsPage', 'AE', DEALS_PAGE, { f: { search: 'pro' } }),
      op('LeadQueue', 'SDR', LEAD_QUEUE, { owner: String(sdr.repId) }),
      op('Dashboard', 'MANAGER', DASHBOARD, { period: quarter, scope: { teamId: String(manager.teamId) } }),
      op('DealsPage', 'MANAGER', DEALS_PAGE, { f: { teamId: String(manager.teamId), statuses: ['OPEN'] } }),
      op('LogActivity', 'SDR', LOG, { input: { type: 'EMAIL', repId: String(sdr.repId), leadId: sdr.leadId, outcome: 'NONE' } }),
      op('DealsPage', 'AE', DEALS_PAGE, { f: { statuses: ['OPEN'] } }),
      op('LeadQueue', 'SDR', LEAD_QUEUE, { owner: String(sdr.repId) }),
      op('Dashboard', 'MANAGER', DASHBOARD, { period: quarter, scope: { teamId: String(manager.teamId) } }),
      op('DealsPage', 'EXEC', DEALS_PAGE, { f: { statuses: ['WON'] } }),
      op('DealsPage', 'AE', DEALS_PAGE, {}),
    ];
    const mix = fullMix.filter((request) => (WITH_FORECAST || request.name !== 'Forecast') && (!ONLY.length || ONLY.includes(request.name)));
    // Every operation must work before the run (a load test of error answers would prove nothing). Each distinct
    // operation is then sent alone, ALONE_ROUNDS times in a row on the idle server: its median latency and the server
    // CPU it costs per request (a figure the machine's other load barely moves) say which part of the mix costs what.
    // Start-up work (model training, the first snapshot backfill) runs in the background: wait until the server
    // idles (under 2 % of a core for a second, at most 120 s) so that it is not billed to the first operations.
    for (let waited = 0, last = cpuSeconds(server.pid!); waited < 120_000; waited += 1000) {
      await sleep(1000);
      const now = cpuSeconds(server.pid!);
      if (now - last < 0.02) break;
      last = now;
    }
    const alone = new Map<string, { ms: number[]; cpuMs: number }>();
    const distinct = [...new Map(mix.map((request) => [request.name, request])).values()];
    for (const request of distinct) {
      const times: number[] = [];
      const cpu0 = cpuSeconds(server.pid!);
      for (let round = 0; round < ALONE_ROUNDS; round++) {
        const t0 = performance.now();
        const res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
        const body = (await res.json()) as { errors?: Array<{ message: string }> };
        if (!res.ok || body.errors) throw new Error(`${request.name}: ${res.status} ${body.errors?.[0].message}`);
        times.push(performance.now() - t0);
      }
      alone.set(request.name, { ms: times, cpuMs: ((cpuSeconds(server.pid!) - cpu0) * 1000) / ALONE_ROUNDS });
    }
    const aloneMs = Object.fromEntries([...alone].map(([name, { ms }]) => [name, Math.round(ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)])]));
    const aloneCpuMs = Object.fromEntries([...alone].map(([name, { cpuMs }]) => [name, Math.round(cpuMs * 10) / 10]));
    process.stderr.write(`alone, ${ALONE_ROUNDS} in a row: median ms ${JSON.stringify(aloneMs)}; server CPU ms per request ${JSON.stringify(aloneCpuMs)}\n`);

    const run = (seconds: number, onResponse?: (status: number, ms: number) => void, errors?: Map<string, number>) =>
      new Promise<Record<string, any>>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        const instance = autocannon(
          {
            url: `http://127.0.0.1:${port}`,
            connections: CONNECTIONS,
            duration: seconds,
            requests: mix.map(({ name, ...request }) => ({
              ...request,
              onResponse: errors
                ? (_status: number, body: string) => {
                    if (!body.includes('"errors"')) return;
                    for (const m of body.matchAll(/"code":"([A-Z_]+)"/g)) errors.set(`${name}:${m[1]}`, (errors.get(`${name}:${m[1]}`) ?? 0) + 1);
                  }
                : undefined,
            })),
          },
          (error: Error | null, result: Record<string, any>) => (error ? reject(error) : resolve(result)), // eslint-disable-line @typescript-eslint/no-explicit-any
        );
        if (onResponse) instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => onResponse(status, ms));
      });

    process.stderr.write(`warm-up ${WARMUP} s...\n`);
    await run(WARMUP);
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    const rss: Array<{ t: number; kb: number }> = [];
    const started = Date.now();
    const cpuBefore = cpuSeconds(server.pid!);
    const loadBefore = loadAverage();
    const sampler = setInterval(() => rss.push({ t: (Date.now() - started) / 1000, kb: rssKb(server.pid!) }), 1000);
    process.stderr.write(`measuring ${DURATION} s with ${CONNECTIONS} connections...\n`);
    const result = await run(DURATION, (status, ms) => {
      latencies.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }, errors);
    clearInterval(sampler);
    const serverCpuS = Math.round((cpuSeconds(server.pid!) - cpuBefore) * 10) / 10;
    const loadAfter = loadAverage();
    latencies.sort((a, b) => a - b);
    const mean = (xs: number[]) => Math.round(xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length));
    const firstRss = rss.filter((s) => s.t <= 10).map((s) => s.kb);
    const lastRss = rss.filter((s) => s.t > DURATION - 10).map((s) => s.kb);
    const fiveXX = [...statuses].filter(([code]) => code >= 500).reduce((s, [, n]) => s + n, 0);
    const logLines = fs.readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('"graphql request"')).length;
    const figures = {
      database: DATABASE_URL ? `PostgreSQL ${DATABASE_URL.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')}` : `SQLite copy of ${SOURCE_DB}`,
      processes: WORKERS,
      serverCpuSeconds: serverCpuS,
      serverCpuCores: Math.round((serverCpuS / DURATION) * 100) / 100,
      loadAverage: { before: loadBefore, after: loadAfter },
      mix: mix.map((request) => request.name).join(','),
      durationS: DURATION,
      connections: CONNECTIONS,
      requests: latencies.length,
      throughputRps: Math.round((latencies.length / DURATION) * 10) / 10,
      statusCounts: Object.fromEntries(statuses),
      fiveXX,
      graphqlErrors: Object.fromEntries(errors),
      latencyMs: { p50: pct(latencies, 0.5), p95: pct(latencies, 0.95), p99: pct(latencies, 0.99), max: latencies.at(-1) },
      autocannon: { requestsAverage: result.requests.average, latencyP50: result.latency.p50, latencyP99: result.latency.p99, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx },
      serverRssMb: {
        first10s: Math.round(mean(firstRss) / 1024),
        last10s: Math.round(mean(lastRss) / 1024),
        max: Math.round(Math.max(...rss.map((s) => s.kb)) / 1024),
        every10s: Array.from({ length: Math.ceil(DURATION / 10) }, (_, i) => Math.round(mean(rss.filter((s) => s.t > i * 10 && s.t <= (i + 1) * 10).map((s) => s.kb)) / 1024)),
      },
      accessLogLines: logLines,
      aloneMedianMs: aloneMs,
      aloneServerCpuMsPerRequest: aloneCpuMs,
      serverCpuMsPerRequest: Math.round(((serverCpuS * 1000) / Math.max(1, latencies.length)) * 10) / 10,
    };
    // Graceful shutdown under load: SIGTERM while 8 requests are in flight; all must be answered, exit code 0.
    const inFlight = mix.slice(0, 8).map((request) => fetch(url, { method: 'POST', headers: request.headers, body: request.body }).then((r) => r.status, (e: Error & { cause?: { code?: string } }) => `error:${e.cause?.code ?? e.message}`));
    await sleep(150); // connected and being served
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    const drained = await Promise.all(inFlight);
    const exitCode = await exited;
    const stoppedCleanly = fs.readFileSync(logFile, 'utf8').includes('"stopped cleanly"');
    Object.assign(figures, { shutdown: { inFlightStatuses: drained, exitCode, stoppedCleanly } });
    console.log(JSON.stringify(figures));
    console.log(
      `\n${figures.requests} requests in ${DURATION} s (${figures.throughputRps} req/s), ${CONNECTIONS} connections, ${WORKERS} server process(es); 5xx: ${fiveXX}; statuses ${JSON.stringify(figures.statusCounts)}\n` +
        `server CPU ${serverCpuS} s (${figures.serverCpuCores} cores), ${figures.serverCpuMsPerRequest} ms per request; load average ${loadBefore.join(' ')} -> ${loadAfter.join(' ')}\n` +
        `latency p50 ${figures.latencyMs.p50} ms, p95 ${figures.latencyMs.p95} ms, p99 ${figures.latencyMs.p99} ms, max ${figures.latencyMs.max} ms\n` +
        `server RSS: ${figures.serverRssMb.first10s} MB (first 10 s) -> ${figures.serverRssMb.last10s} MB (last 10 s), max ${figures.serverRssMb.max} MB; per 10 s: ${figures.serverRssMb.every10s.join(', ')}\n` +
        `GraphQL errors: ${JSON.stringify(figures.graphqlErrors)}\n` +
        `SIGTERM with 8 requests in flight: ${JSON.stringify(drained)}, exit code ${exitCode}, stopped cleanly: ${stoppedCleanly}`,
    );
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    fs.closeSync(logFd);
    if (process.env.BENCH_KEEP_LOG) fs.copyFileSync(logFile, process.env.BENCH_KEEP_LOG);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
