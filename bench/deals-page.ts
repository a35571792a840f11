/**
 * The frontend's bread and butter: a page of 50 deals with owner (and team), account, product and stage, through
 * HTTP, on a seeded database. Prints SQL statements per request, p50/p95 latency over 50 requests (first pages and
 * deep keyset pages) and server RSS.
 *
 *   npm run build && node dist/bench/deals-page.js [database-url]      (default /tmp/pipewise-bench/1m.db)
 */
import 'reflect-metadata';
import pino from 'pino';
import { quantile } from 'simple-statistics';
import { createApp } from '../src/app';
import { loadConfig, parseDatabaseUrl } from '../src/config';
import type { Em } from '../src/db/orm';
import { tokenSettings } from '../src/modules/auth/authenticate';
import { AccessRole } from '../src/modules/auth/identity';
import { signToken } from '../src/modules/auth/token.service';

const PAGE = `query($after: String) {
  deals(first: 50, after: $after, filter: { statuses: [OPEN] }) {
    pageInfo { endCursor hasNextPage }
    edges { node { id name amount owner { name team { name } } account { name segment } product { name } stage { name } } }
  }
}`;

async function main() {
  const url = process.argv[2] ?? '/tmp/pipewise-bench/1m.db';
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'bench-only-secret-'.padEnd(48, 'x'), RATE_LIMIT_PER_MINUTE: '100000' }, {
    database: parseDatabaseUrl(url),
    seedDemoWhenEmpty: false,
  });
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  const endpoint = await app.listen(0, '127.0.0.1');
  // The server runs as in production: an EXEC's bearer token sees every deal.
  const [exec] = await (app.orm.em.fork() as Em).getConnection().execute(`select id, team_id from reps where role = 'EXEC' order by id limit 1`);
  const token = await signToken(tokenSettings(config.auth), {
    subject: `rep:${exec.id}`,
    role: AccessRole.EXEC,
    repId: Number(exec.id),
    teamId: exec.team_id == null ? null : Number(exec.team_id),
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
  (app.orm.em as Em).getKnex().on('query', () => statements++);
  await post({}); // warm-up
  statements = 0;
  await post({});
  const perRequest = statements;

  const timings: number[] = [];
  let after: string | undefined;
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    after = await post(i % 10 === 0 ? {} : { after });
    timings.push(performance.now() - start);
  }
  console.log(`database: ${config.database.kind} ${url}`);
  console.log(`SQL statements per page of 50 deals with owner+team, account, product, stage: ${perRequest}`);
  console.log(`latency over 50 requests (pages 1-10, keyset): p50 ${quantile(timings, 0.5).toFixed(1)} ms, p95 ${quantile(timings, 0.95).toFixed(1)} ms`);
  console.log(`server RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  await app.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
