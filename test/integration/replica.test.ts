/**
 * DATABASE_READ_URL against a real PostgreSQL streaming replica: the set-up clones the running primary of
 * TEST_DATABASE_URL with `pg_basebackup -R` into a temporary folder and starts the copy with `pg_ctl` on a free
 * port (as the postgres user when run as root), stopped and removed afterwards. With the replica's replay paused,
 * what the replica answers and what the primary answers differ, which shows where each statement went: KPI,
 * page and forecast reads come from the replica, a mutation writes to the primary and reads its own write, and
 * once replay resumes both give the same answers.
 *
 * Needs the primary to accept replication connections from 127.0.0.1 (`host replication all 127.0.0.1/32`;
 * .ci/run adds it) and the server binaries (.ci/run puts /usr/lib/postgresql/<version>/bin on PATH).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import pino from 'pino';
import { createApp, type App } from '../../src/app';
import { loadConfig, type DatabaseConfig } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { createContext } from '../../src/graphql/context';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStatus } from '../../src/shared/enums';
import { seedDemoWorld } from '../../seeds';
import { createTestDatabase, tempModelsDir, type TestDatabase } from '../helpers/databases';

const PRIMARY = process.env.TEST_DATABASE_URL;

/** The directory holding pg_basebackup and pg_ctl: PATH first, then the distribution's versioned folders. */
function serverBinaries(): string | null {
  const candidates = [...(process.env.PATH ?? '').split(':')];
  const lib = '/usr/lib/postgresql';
  if (fs.existsSync(lib)) candidates.push(...fs.readdirSync(lib).sort((a, b) => Number(b) - Number(a)).map((v) => path.join(lib, v, 'bin')));
  return candidates.find((dir) => dir && fs.existsSync(path.join(dir, 'pg_basebackup')) && fs.existsSync(path.join(dir, 'pg_ctl'))) ?? null;
}

const BIN = serverBinaries();
const skipped = !PRIMARY ? 'TEST_DATABASE_URL is not set' : !BIN ? 'pg_basebackup and pg_ctl are not installed (.ci/run puts them on PATH)' : null;
const suite = skipped ? describe.skip : describe;

const asRoot = process.getuid?.() === 0;
/** PostgreSQL refuses to run as root: the copy is made and run by the postgres user then. */
function pg(tool: string, args: string[]): string {
  const bin = path.join(BIN!, tool);
  return asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8', stdio: 'pipe' }) : execFileSync(bin, args, { encoding: 'utf8', stdio: 'pipe' });
}

/** A free port of this suite's range (4300-4399; several checkouts run tests at once). */
async function freePort(): Promise<number> {
  for (let port = 4300 + Math.floor(Math.random() * 50); port < 4400; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 4300-4399');
}

interface Replica {
  url: string;
  admin: Knex;
  stop(): void;
}

/** Clones the primary's cluster and starts the copy as a hot standby streaming from it. */
async function startReplica(primaryUrl: string, database: string): Promise<Replica> {
  const primary = new URL(primaryUrl);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-replica-'));
  const data = path.join(dir, 'data');
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const stop = () => {
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      try {
        pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    try {
      pg('pg_basebackup', ['-h', primary.hostname, '-p', primary.port || '5432', '-U', decodeURIComponent(primary.username || 'postgres'), '-D', data, '-R', '-X', 'stream', '-c', 'fast']);
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
      throw new Error(`pg_basebackup from ${primary.host} failed (the primary needs "host replication all 127.0.0.1/32 trust" in pg_hba.conf; .ci/run adds it): ${stderr}`);
    }
    // Settings a hot standby must not have below its primary's, and the copy's own port, socket and access.
    const admin = knex({ client: 'pg', connection: primaryUrl, pool: { min: 0, max: 1 } });
    const settings: Record<string, string> = {};
    for (const name of ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction']) {
      settings[name] = (await admin.raw(`show ${name}`)).rows[0][name];
    }
    await admin.destroy();
    const port = await freePort();
    const conf = { ...settings, port: String(port), listen_addresses: "'127.0.0.1'", unix_socket_directories: `'${dir}'`, hot_standby: 'on', shared_buffers: "'32MB'", fsync: 'off', logging_collector: 'off' };
    fs.writeFileSync(path.join(data, 'postgresql.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    if (asRoot) execFileSync('chown', ['postgres', path.join(data, 'postgresql.conf'), path.join(data, 'pg_hba.conf')]);
    pg('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '120', 'start']);
    const url = new URL(primaryUrl);
    url.port = String(port);
    url.pathname = `/${database}`;
    return { url: url.toString(), admin: knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } }), stop };
  } catch (error) {
    stop();
    throw error;
  }
}

const DEALS_PAGE = `{ deals(first: 5, filter: { statuses: [OPEN] }, sort: { field: AMOUNT, direction: DESC }) {
  totalCount edges { node { id name version amount status owner { name team { name } } account { name } } } } }`;
const KPIS = `{
  pipeline: kpi(key: "pipelineValue", period: { from: "2026-10-01", to: "2027-01-01" }) { rows { value } }
  dashboard(role: MANAGER, scope: { teamId: "1" }, period: { from: "2026-07-01", to: "2026-10-01" }) { kpis { key rows { value numerator denominator health } } }
}`;
// A fixed as-of instant (a forecast as of "now" moves with the clock) after the write the test makes.
const AS_OF = new Date(Date.now() + 86_400_000);
const QUARTER = `${AS_OF.getUTCFullYear()}-Q${Math.floor(AS_OF.getUTCMonth() / 3) + 1}`;
const FORECAST = `{ forecast(period: "${QUARTER}", groupBy: TEAM, asOf: "${AS_OF.toISOString()}") { total { expected p10 p90 pipeline closedWon } groups { label expected } } }`;
const QUERIES = { page: DEALS_PAGE, kpis: KPIS, forecast: FORECAST };

async function answers(app: App): Promise<Record<keyof typeof QUERIES, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, query] of Object.entries(QUERIES)) {
    const result = await app.execute(query);
    expect(result.errors).toBeUndefined();
    out[name] = result.data;
  }
  return out as Record<keyof typeof QUERIES, unknown>;
}

suite(`read replica (DATABASE_READ_URL)${skipped ? `: skipped, ${skipped}` : ''}`, () => {
  jest.setTimeout(600_000);
  let db: TestDatabase;
  let primaryApp: App;
  let replicaApp: App;
  let replica: Replica;
  let primaryAdmin: Knex;
  const modelsDir = tempModelsDir();
  const logger = pino({ level: 'silent' });
  const appConfig = (database: DatabaseConfig) => loadConfig({ NODE_ENV: 'test' }, { database, seedDemoWhenEmpty: false, modelsDir });

  /** Waits until the replica has replayed everything the primary has written so far. */
  async function caughtUp(): Promise<void> {
    const { lsn } = (await primaryAdmin.raw('select pg_current_wal_lsn()::text as lsn')).rows[0];
    // The replica replays the whole cluster's WAL in order (other databases' bulk writes too): allow for a loaded machine.
    const giveUpAt = Date.now() + 240_000;
    let replayed = '';
    while (Date.now() < giveUpAt) {
      const row = (await replica.admin.raw('select pg_last_wal_replay_lsn()::text as replayed, pg_last_wal_replay_lsn() >= ?::pg_lsn as done', [lsn])).rows[0];
      if (row.done) return;
      replayed = row.replayed;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the replica did not catch up within 240 s (replayed ${replayed}, primary at ${lsn})`);
  }

  beforeAll(async () => {
    db = await createTestDatabase('postgresql');
    primaryAdmin = knex({ client: 'pg', connection: db.config.url, pool: { min: 0, max: 1 } });
    primaryApp = await createApp(appConfig(db.config), { logger });
    await seedDemoWorld(primaryApp.orm, { seed: 42, deals: 1500, end: new Date('2026-11-23T00:00:00Z'), progress: false });
    replica = await startReplica(db.config.url, new URL(db.config.url).pathname.slice(1));
    await caughtUp();
    replicaApp = await createApp(appConfig({ ...db.config, readUrl: replica.url }), { logger });
  });

  afterAll(async () => {
    await replicaApp?.stop();
    await primaryApp?.stop();
    await replica?.admin.destroy();
    replica?.stop();
    await primaryAdmin?.destroy();
    await db?.drop();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('is a streaming standby of the primary', async () => {
    expect((await replica.admin.raw('select pg_is_in_recovery() as r')).rows[0].r).toBe(true);
    expect((await primaryAdmin.raw('select pg_is_in_recovery() as r')).rows[0].r).toBe(false);
  });

  it('a request reads from the replica until it writes; the write and every read after it use the primary', async () => {
    const ctx = createContext(replicaApp.orm.em as Em, replicaApp.config, logger, replicaApp.scoring, 'replica-em');
    const inRecovery = async (em: Em) => ((await em.getConnection().execute('select pg_is_in_recovery() as r'))[0] as { r: boolean }).r;
    const replicaKnex = (replicaApp.orm.em as Em).getConnection('read').getKnex();
    const onReplica: string[] = [];
    const listen = (q: { sql: string }) => onReplica.push(q.sql);
    replicaKnex.on('query', listen);
    try {
      await replica.admin.raw('select pg_wal_replay_pause()');
      expect(await inRecovery(ctx.em)).toBe(true);
      const deal = await ctx.em.findOneOrFail(Deal, { status: DealStatus.OPEN }, { orderBy: { id: 'asc' } });
      expect(onReplica.some((sql) => /from "deals"/.test(sql))).toBe(true);
      expect(await inRecovery(ctx.em.fork() as Em)).toBe(true); // forks (totalCount) read where the request reads

      deal.name = `${deal.name} (renamed on the primary)`;
      await ctx.em.flush();
      const readsBefore = onReplica.length;
      expect(await inRecovery(ctx.em)).toBe(false);
      const again = await ctx.em.fork().findOneOrFail(Deal, { id: deal.id });
      expect(again.name).toBe(deal.name); // the replica, paused, does not have it: this read went to the primary
      expect(onReplica.length).toBe(readsBefore);
      const [onPrimary] = (await primaryAdmin.raw('select name from deals where id = ?', [deal.id])).rows;
      expect(onPrimary.name).toBe(deal.name);
      const [stale] = (await replica.admin.raw('select name from deals where id = ?', [deal.id])).rows;
      expect(stale.name).not.toBe(deal.name);
    } finally {
      replicaKnex.off('query', listen);
      await replica.admin.raw('select pg_wal_replay_resume()');
    }
    await caughtUp();
    // a new request reads from the replica again, which now has the write
    const next = createContext(replicaApp.orm.em as Em, replicaApp.config, logger, replicaApp.scoring, 'replica-em-2');
    expect(await inRecovery(next.em)).toBe(true);
  });

  it('KPI, page and forecast answers come from the replica; a mutation writes to the primary and reads its own write; caught up, both agree', async () => {
    await caughtUp();
    const before = await answers(replicaApp);
    expect(await answers(primaryApp)).toEqual(before);

    const biggest = (before.page as { deals: { edges: Array<{ node: { id: string; version: number } }> } }).deals.edges[0].node;
    await replica.admin.raw('select pg_wal_replay_pause()');
    try {
      const won = await replicaApp.execute<{ closeDeal: { id: string; status: string; version: number } }>(
        `mutation ($id: ID!, $version: Int!) { closeDeal(input: { dealId: $id, version: $version, won: true }) { id status version } }`,
        { id: biggest.id, version: biggest.version },
      );
      expect(won.errors).toBeUndefined();
      expect(won.data!.closeDeal).toEqual({ id: biggest.id, status: 'WON', version: biggest.version + 1 });

      // The primary has the write; the paused replica still answers as before it: those reads went to the replica.
      const primaryNow = await answers(primaryApp);
      const replicaNow = await answers(replicaApp);
      expect(replicaNow).toEqual(before);
      for (const name of Object.keys(QUERIES) as Array<keyof typeof QUERIES>) expect(primaryNow[name]).not.toEqual(before[name]);
    } finally {
      await replica.admin.raw('select pg_wal_replay_resume()');
    }
    await caughtUp();
    expect(await answers(replicaApp)).toEqual(await answers(primaryApp));
  });
});
