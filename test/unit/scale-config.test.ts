import os from 'node:os';
import { ConfigError, StartupError, defaultWorkerThreads, loadConfig } from '../../src/config';
import { onlyReads, readDatabase } from '../../src/db/read-routing';

const PG = 'postgres://app@db:5432/pipewise';
const REPLICA = 'postgres://app@replica:5432/pipewise';
const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: PG };

describe('DATABASE_READ_URL', () => {
  it('names a PostgreSQL replica of DATABASE_URL', () => {
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: PG, DATABASE_READ_URL: REPLICA }).database).toMatchObject({ kind: 'postgresql', url: PG, readUrl: REPLICA });
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: PG }).database.readUrl).toBeUndefined();
  });

  it('is refused at start with an SQLite database, and when it is not a postgres:// URL', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: '/tmp/x.db', DATABASE_READ_URL: REPLICA })).toThrow(StartupError);
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: '/tmp/x.db', DATABASE_READ_URL: REPLICA })).toThrow(/read replicas need PostgreSQL/);
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: PG, DATABASE_READ_URL: '/tmp/replica.db' })).toThrow(ConfigError);
  });

  it('is where the worker threads load forecast facts from', () => {
    const db = loadConfig({ NODE_ENV: 'test', DATABASE_URL: PG, DATABASE_READ_URL: REPLICA }).database;
    expect(readDatabase(db)).toEqual({ ...db, url: REPLICA, readUrl: undefined });
    const alone = loadConfig({ NODE_ENV: 'test', DATABASE_URL: PG }).database;
    expect(readDatabase(alone)).toBe(alone);
  });
});

describe('statements a replica may answer', () => {
  it.each([
    ['select count(*) from deals', true],
    ['  (select 1) union (select 2)', true],
    ['with t as (select id, updated_at from deals) select * from t', true],
    ['select * from deals where id = 1 for update', false],
    ['with moved as (delete from deal_scores returning *) select count(*) from moved', false],
    ['insert into scheduled_runs (job) values (?) on conflict do nothing returning id', false],
    ['update deals set name = ?', false],
    ['analyze "deals"', false],
    ["select setval('deals_id_seq', 1)", false],
  ])('%s -> %s', (sql, reads) => expect(onlyReads(sql)).toBe(reads));
});

describe('WEB_CONCURRENCY and WORKER_THREADS', () => {
  it('runs one process in development and tests, one per core in production on PostgreSQL, one on SQLite', () => {
    expect(loadConfig({ NODE_ENV: 'development', DATABASE_URL: PG }).processes).toBe(1);
    expect(loadConfig({ NODE_ENV: 'test' }).processes).toBe(1);
    expect(loadConfig(production).processes).toBe(os.availableParallelism());
    expect(loadConfig({ ...production, WEB_CONCURRENCY: '3' }).processes).toBe(3);
    expect(loadConfig({ ...production, DATABASE_URL: '/tmp/pipewise.db' }).processes).toBe(1);
    expect(loadConfig({ ...production, DATABASE_URL: '/tmp/pipewise.db', WEB_CONCURRENCY: '2' }).processes).toBe(2);
    expect(() => loadConfig({ NODE_ENV: 'test', WEB_CONCURRENCY: '0' })).toThrow(/WEB_CONCURRENCY must be an integer between 1 and 64/);
  });

  it('refuses several processes over an in-memory SQLite database (each would have its own)', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: ':memory:', WEB_CONCURRENCY: '2' })).toThrow(/in-memory/);
  });

  it('shares the cores left after the event loops between the processes: processes x threads <= max(processes, cores - 1)', () => {
    expect(defaultWorkerThreads(2, 1)).toBe(1);
    expect(defaultWorkerThreads(2, 2)).toBe(1);
    expect(defaultWorkerThreads(8, 1)).toBe(7);
    expect(defaultWorkerThreads(8, 2)).toBe(3);
    expect(defaultWorkerThreads(8, 8)).toBe(1);
    expect(defaultWorkerThreads(32, 1)).toBe(8);
    const cores = os.availableParallelism();
    expect(loadConfig({ ...production, WEB_CONCURRENCY: '2' }).workers.threads).toBe(defaultWorkerThreads(cores, 2));
    expect(loadConfig({ ...production, WEB_CONCURRENCY: '2', WORKER_THREADS: '3' }).workers.threads).toBe(3);
  });
});
