/**
 * The frontend's bread and butter: a page of 50 deals with owner (and team), account, product and stage, through
 * HTTP, on a seeded database. Prints SQL statements per request, p50/p95 latency over 50 requests (first pages and
 * deep keyset pages), the time of each statement (p50 over the same requests), the process's CPU time per
 * request, the main thread's busy time per request (server and client share the event loop; the process's CPU also
 * counts worker and GC threads), the load average and server RSS. `--total` adds `totalCount` to the page (the
 * list's header count); `--requests N` (default 50) measures N requests after 20 warm-up ones; `--role MANAGER` (or AE)
 * asks as the first rep of that role with a team instead of an EXEC (the access rules then narrow every statement);
 * `--sort UPDATED_AT` (or CREATED_AT, AMOUNT, NAME) sorts the page by that field, newest first, instead
 * of by id (a sorted page is where SQLite's sort-index choice, src/graphql/paginate.ts, reads the statistics and counts).
 *
 *   npm run build && node dist/bench/deals-page.js [database-url] [--total] [--requests 200] [--role MANAGER] [--sort UPDATED_AT]   (default /tmp/pipewise-bench/1m.db)
 */
import 'reflect-metadata';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Em } from '../src/db/orm';

// As served: graphql-js reads NODE_ENV when it loads (development mode adds checks on every field), so it is set
// before the application modules are required below.
process.env.NODE_ENV = 'production';
/* eslint-disable @typescript-eslint/no-require-imports */
const pino = require('pino') as typeof import('pino').default;
const { quantile } = require('simple-statistics') as typeof import('simple-statistics');
const { createApp } = require('../src/app') as typeof import('../src/app');
const { loadConfig, parseDatabaseUrl } = require('../src/config') as typeof import('../src/config');
const { tokenSettings } = require('../src/modules/auth/authenticate') as typeof import('../src/modules/auth/authenticate');
const { AccessRole } = require('../src/modules/auth/identity') as typeof import('../src/modules/auth/identity');
const { signToken } = require('../src/modules/auth/token.service') as typeof import('../src/modules/auth/token.service');

const WITH_TOTAL = process.argv.includes('--total');
const requestsArg = process.argv.indexOf('--requests');
const REQUESTS = requestsArg > 0 ? Number(process.argv[requestsArg + 1]) : 50;
const roleArg = process.argv.indexOf('--role');
const ROLE = (roleArg > 0 ? process.argv[roleArg + 1] : 'EXEC') as keyof typeof AccessRole;
if (!['EXEC', 'MANAGER', 'AE'].includes(ROLE)) throw new Error(`--role: EXEC, MANAGER or AE, not ${ROLE}`);
const sortArg = process.argv.indexOf('--sort');
const SORT = sortArg > 0 ? process.argv[sortArg + 1] : null;
if (SORT != null && !/^[A-Z_]+$/.test(SORT)) throw new Error(`--sort: a DealSortField (UPDATED_AT, CREATED_AT, AMOUNT...), not ${SORT}`);
const PAGE = `query($after: String) {
  deals(first: 50, after: $after, filter: { statuses: [OPEN] }${SORT ? `, sort: { field: ${SORT}, direction: DESC }` : ''}) {
    pageInfo { endCursor hasNextPage }${WITH_TOTAL ? ' totalCount' : ''}
    edges { node { id name amount owner { name team { name } } account { name segment } product { name } stage { name } } }
  }
}`;

async function main() {
  const url = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !['--requests', '--role', '--sort'].includes(all[i - 1])) ?? '/tmp/pipewise-bench/1m.db';
  // No scheduled snapshot run beside the measurement (it would load the shared machine, and write to the world).
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'bench-only-secret-'.padEnd(48, 'x'), RATE_LIMIT_PER_MINUTE: '100000', FORECAST_SNAPSHOT_EVERY_HOURS: '0' }, {
    database: parseDatabaseUrl(url),
    seedDemoWhenEmpty: false,
  });
  // No background training or scoring sweep beside the measurement (they load the machine and write to the world).
  const app = await createApp(config, { logger: pino({ level: 'silent' }), scoring: { autoTrain: false, sweepMs: 0 } });
  const endpoint = await app.listen(0, '127.0.0.1');
  // The server runs as in production: an EXEC's bearer token sees every deal; a MANAGER's its team's, an AE's its own.
  const withTeam = ROLE === 'EXEC' ? '' : 'and team_id is not null';
  const [rep] = await (app.orm.em.fork() as Em).getConnection().execute(`select id, team_id from reps where role = '${ROLE}' and active = ${config.database.kind === 'sqlite' ? 1 : 'true'} ${withTeam} order by id limit 1`);
  const token = await signToken(tokenSettings(config.auth), {
    subject: `rep:${rep.id}`,
    role: AccessRole[ROLE],
    repId: Number(rep.id),
    teamId: rep.team_id == null ? null : Number(rep.team_id),
  });
  const post = async (variables: Record<string, unknown>) => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: PAGE, variables }),
    });
    const body = (await res.json()) as { data?: { deals: { pageInfo: { endCursor: string } } }; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!.deals.pageInfo.endCursor;
  };

  let statements = 0;
  // Each statement's time, by its table (the first `from` of its SQL): knex reports start and response by query id.
  const started = new Map<string, { table: string; at: number }>();
  const perTable = new Map<string, number[]>();
  const knex = (app.orm.em as Em).getKnex();
  knex.on('query', (q: { sql: string; __knexQueryUid: string }) => {
    statements++;
    const table = /from [`"]?(\w+)/i.exec(q.sql)?.[1] ?? q.sql.slice(0, 30);
    started.set(q.__knexQueryUid, { table: /count\(/i.test(q.sql) ? `${table} (count)` : table, at: performance.now() });
  });
  knex.on('query-response', (_r: unknown, q: { __knexQueryUid: string }) => {
    const s = started.get(q.__knexQueryUid);
    if (!s) return;
    started.delete(q.__knexQueryUid);
    perTable.set(s.table, [...(perTable.get(s.table) ?? []), performance.now() - s.at]);
  });
  for (let i = 0; i < 20; i++) await post({}); // warm-up
  statements = 0;
  await post({});
  const perRequest = statements;
  perTable.clear();

  const timings: number[] = [];
  let after: string | undefined;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  for (let i = 0; i < REQUESTS; i++) {
    const start = performance.now();
    after = await post(i % 10 === 0 ? {} : { after });
    timings.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpu0);
  const busy = performance.eventLoopUtilization(elu0).active;
  console.log(`database: ${config.database.kind} ${url}${WITH_TOTAL ? ' (with totalCount)' : ''}, as ${ROLE} rep ${rep.id}, sorted by ${SORT ?? 'ID'} DESC`);
  console.log(`SQL statements per page of 50 deals with owner+team, account, product, stage: ${perRequest}`);
  console.log(`latency over ${REQUESTS} requests (pages 1-10, keyset): p50 ${quantile(timings, 0.5).toFixed(1)} ms, p95 ${quantile(timings, 0.95).toFixed(1)} ms`);
  console.log(`per statement, p50 / p95 ms: ${[...perTable].map(([t, ms]) => `${t} ${quantile(ms, 0.5).toFixed(2)} / ${quantile(ms, 0.95).toFixed(2)}`).join(', ')}`);
  console.log(`CPU (whole process: server and client) ${((cpu.user + cpu.system) / 1000 / REQUESTS).toFixed(1)} ms/request, main thread busy ${(busy / REQUESTS).toFixed(1)} ms/request; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`server RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  await app.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
