import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { createTestDatabase } from '../helpers/databases';
import { createBasicWorld, type BasicWorld } from '../helpers/fixtures';
import { createSecurityTestApp, post, tokenFor, type SecurityTestApp } from '../helpers/security';
import { knexOf } from '../../src/db/dialect';
import { ormOptions, type Em } from '../../src/db/orm';
import { AccessRole, type Identity } from '../../src/modules/auth/identity';
import { ModelKind } from '../../src/modules/scoring/scoring.entity';
import { createTrainingJob, runTrainingJob } from '../../src/modules/scoring/scoring.service';
import { createScoringWorld } from '../helpers/scoring-world';

const ADMIN: Identity = { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null };
const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

onPostgres('two instances over one PostgreSQL database', () => {
  let a: SecurityTestApp;
  let b: SecurityTestApp;
  let world: BasicWorld;

  beforeAll(async () => {
    a = await createSecurityTestApp('postgresql');
    b = await createSecurityTestApp('postgresql', {}, { db: a.db }); // same database, its own pool and caches
    world = await createBasicWorld(a.orm.em as Em);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('give the same answers, and see each other’s writes at once (no per-instance state)', async () => {
    const created = await a.execute<{ createDeal: { id: string; version: number } }>(
      `mutation($input: CreateDealInput!) { createDeal(input: $input) { id version } }`,
      { input: { name: 'Shared', accountId: String(world.account.id), ownerId: String(world.ae.id), amount: 700 } },
    );
    const { id, version } = created.data!.createDeal;
    const read = `query($id: ID!) { deal(id: $id) { name amount version stage { name } owner { name } } deals(first: 5) { totalCount } }`;
    expect((await b.execute(read, { id })).data).toEqual((await a.execute(read, { id })).data);
    // An update through B makes A's copy stale: A's write with the old version is refused.
    const moved = await b.execute(`mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { version } }`, {
      input: { dealId: id, version, stageId: String(world.stages.Qualification.id) },
    });
    expect(moved.data).toEqual({ moveDealStage: { version: version + 1 } });
    const stale = await a.execute(`mutation($id: ID!, $v: Int!) { updateDeal(id: $id, version: $v, input: { amount: 1 }) { id } }`, { id, v: version });
    expect(stale.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await a.execute(read, { id })).data).toEqual((await b.execute(read, { id })).data);
  });

  it('accept each other’s tokens (stateless auth with the shared secret)', async () => {
    const urlB = await b.listen(0, '127.0.0.1');
    const token = await tokenFor(a, { subject: `rep:${world.sdr.id}`, role: AccessRole.SDR, repId: world.sdr.id, teamId: world.team.id });
    const res = await post(urlB, { query: '{ me { role repId } }' }, { authorization: `Bearer ${token}` });
    expect(res.json?.data).toEqual({ me: { role: 'SDR', repId: String(world.sdr.id) } });
  });
});

onPostgres('a model activated through one instance is served by the other (PostgreSQL)', () => {
  let a: SecurityTestApp;
  let b: SecurityTestApp;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-models-'));
    a = await createSecurityTestApp('postgresql', { modelsDir });
    b = await createSecurityTestApp('postgresql', { modelsDir }, { db: a.db });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('B serves the version A activated, with no restart', async () => {
    const world = await createScoringWorld(a.orm.em as Em, { closedLeads: 1100, closedDeals: 20 });
    const em = a.orm.em.fork() as Em;
    const runtime = a.scoring;
    const first = await runTrainingJob(runtime, (await createTrainingJob(em, ModelKind.LEAD)).id, { maxEpochs: 2, seed: 1 });
    const second = await runTrainingJob(runtime, (await createTrainingJob(em, ModelKind.LEAD)).id, { maxEpochs: 2, seed: 2 });
    expect([first.message, second.message, second.active]).toEqual(['ready', 'ready', false]);
    const servedBy = async (app: SecurityTestApp) =>
      (await app.execute<{ lead: { score: { modelVersion: string } } }>(`query($id: ID!) { lead(id: $id) { score { modelVersion } } }`, { id: String(world.openLeadIds[0]) })).data?.lead.score.modelVersion;
    expect(await servedBy(b)).toBe(first.version);
    const activated = await a.execute(`mutation($v: String!) { activateModel(version: $v) { version active } }`, { v: second.version });
    expect(activated.data).toEqual({ activateModel: { version: second.version, active: true } });
    let seen: string | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && seen !== second.version; await sleep(250)) seen = await servedBy(b);
    expect(seen).toBe(second.version);
    await runtime.idle();
  }, 120_000);
});

onPostgres('the database going away and coming back (PostgreSQL)', () => {
  let app: SecurityTestApp;
  let url: string;
  let auth: Record<string, string>;
  let admin: ReturnType<typeof knex>;
  let dbName: string;

  beforeAll(async () => {
    app = await createSecurityTestApp('postgresql');
    await createBasicWorld(app.orm.em as Em);
    url = await app.listen(0, '127.0.0.1');
    auth = { authorization: `Bearer ${await tokenFor(app, ADMIN)}` };
    dbName = new URL(app.config.database.url).pathname.slice(1);
    admin = knex({ client: 'pg', connection: process.env.TEST_DATABASE_URL!, pool: { min: 0, max: 1 } });
  });
  afterAll(async () => {
    await admin?.raw(`alter database "${dbName}" allow_connections true`).catch(() => undefined);
    await admin?.destroy();
    await app?.close();
  });

  const QUERY = { query: '{ deals(first: 5) { totalCount } stages { name } }' };
  /** How long a request would wait for a pooled connection before giving up (the pool's acquire timeout). */
  const acquireTimeout = () => Number((ormOptions(app.config.database).pool as { acquireTimeoutMillis?: number }).acquireTimeoutMillis);
  /** Connections the app's pool hands out (each query's first step): counted to tell "refused at once" from "tried". */
  const poolAcquires = () => jest.spyOn(knexOf(app.orm.em as Em).client as { acquireConnection(): Promise<unknown> }, 'acquireConnection');
  const timed = async () => {
    const started = Date.now();
    const res = await post(url, QUERY, auth);
    return { ms: Date.now() - started, status: res.status, code: res.json?.errors?.[0]?.extensions?.code as string | undefined, data: res.json?.data };
  };

  it('fails fast with SERVICE_UNAVAILABLE while it is away, then recovers by itself without a restart', async () => {
    expect((await timed()).data).toEqual({ deals: { totalCount: 0 }, stages: expect.any(Array) });

    // Take the database away: refuse new connections and kill the pool's open ones.
    await admin.raw(`alter database "${dbName}" allow_connections false`);
    await admin.raw(`select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()`, [dbName]);

    const first = await timed();
    expect(first.code).toBe('SERVICE_UNAVAILABLE');
    // The behaviour, not a speed goal: the refused connect fails the request; it does not queue for a pooled
    // connection (that wait would last the pool's whole acquire timeout, 10 s; the margin is for a loaded machine).
    expect(first.ms).toBeLessThan(acquireTimeout());
    // the health probe (on its own connection) confirms the outage; from then on requests are refused at once
    for (const giveUp = Date.now() + 10_000; app.health.available && Date.now() < giveUp; ) await sleep(50);
    expect(app.health.available).toBe(false);
    const acquires = poolAcquires();
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await timed());
    expect(during.map((r) => [r.status, r.code])).toEqual(Array(5).fill([503, 'SERVICE_UNAVAILABLE']));
    // Refused without touching the database: not one of them asked the pool for a connection.
    expect(acquires).not.toHaveBeenCalled();
    acquires.mockRestore();
    const ready = await fetch(url.replace(/\/graphql$/, '/readyz'));
    expect(ready.status).toBe(503);

    // Bring it back: the next probe lets traffic through, the pool reconnects.
    await admin.raw(`alter database "${dbName}" allow_connections true`);
    let recovered: Awaited<ReturnType<typeof timed>> | undefined;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const res = await timed();
      if (res.data?.deals) {
        recovered = res;
        break;
      }
      await sleep(200);
    }
    expect(recovered?.data).toEqual({ deals: { totalCount: 0 }, stages: expect.any(Array) });
    expect((await fetch(url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
  });
});

/** A throw-away redis-server on a free port, when the binary is installed. */
async function startRedis(): Promise<{ url: string; stop: () => void } | null> {
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => fs.existsSync(path));
  if (!binary) return null;
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() };
    await sleep(100);
  }
  child.kill();
  return null;
}

describe('rate limit shared through Redis by two instances', () => {
  it('counts one token’s requests across both instances', async () => {
    const redis = await startRedis();
    if (!redis) return console.warn('redis-server not installed: shared rate limit not tested');
    const db = await createTestDatabase('sqlite');
    const limits = { rateLimitPerMinute: 60, rateLimitBurst: 4 } as never;
    const a = await createSecurityTestApp('sqlite', { redisUrl: redis.url, limits }, { db });
    const b = await createSecurityTestApp('sqlite', { redisUrl: redis.url, limits });
    try {
      const [urlA, urlB] = [await a.listen(0, '127.0.0.1'), await b.listen(0, '127.0.0.1')];
      const auth = { authorization: `Bearer ${await tokenFor(a, ADMIN)}` };
      const statuses = [];
      for (const url of [urlA, urlB, urlA, urlB, urlA, urlB]) statuses.push((await post(url, { query: '{ me { role } }' }, auth)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await a.close();
      await b.close();
      redis.stop();
    }
  });
});
