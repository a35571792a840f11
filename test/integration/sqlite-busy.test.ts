import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { createAccessWorld, createSecurityTestApp, post, tokenFor, type AccessWorld, type SecurityTestApp } from '../helpers/security';

/** A second connection, as the CLI would open (better-sqlite3 ships no types; MikroORM's SQLite driver uses it). */
interface Sqlite { exec(sql: string): void; prepare(sql: string): { run(...args: unknown[]): unknown }; close(): void }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => Sqlite;

/** Another process (the CLI, a second server) holds SQLite's write lock: writes answer SERVICE_UNAVAILABLE and /readyz says so. */
describe('SQLite while another connection holds the write lock', () => {
  let dir: string;
  let app: SecurityTestApp;
  let w: AccessWorld;
  let url: string;
  let auth: Record<string, string>;
  let other: Sqlite;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-busy-'));
    const file = path.join(dir, 'busy.db');
    app = await createSecurityTestApp('sqlite', {}, { db: { config: parseDatabaseUrl(file), drop: async () => undefined } });
    w = await createAccessWorld(app.orm.em as Em);
    url = await app.listen(0, '127.0.0.1');
    auth = { authorization: `Bearer ${await tokenFor(app, w.identities.ADMIN)}` };
    other = new Database(file);
  });
  afterAll(async () => {
    other?.close();
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const createDeal = (name: string) =>
    post(url, { query: `mutation($input: CreateDealInput!) { createDeal(input: $input) { name } }`, variables: { input: { name, accountId: w.id(w.accounts.acc1), ownerId: w.id(w.reps.a1), amount: 100 } } }, auth);
  const readyz = async () => {
    const res = await fetch(url.replace(/\/graphql$/, '/readyz'));
    return [res.status, await res.json()];
  };

  it('answers SERVICE_UNAVAILABLE with a retry hint, keeps serving reads, and recovers when the lock is released', async () => {
    expect(await readyz()).toEqual([200, { status: 'ready', database: 'sqlite' }]);
    other.exec('begin immediate');
    other.prepare(`update teams set region = region where id = ?`).run(w.teams.teamA.id);
    try {
      const refused = await createDeal('While locked');
      expect([refused.status, refused.json?.errors?.[0].extensions]).toEqual([200, { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 }]);
      expect(await readyz()).toEqual([503, { status: 'unavailable', database: 'sqlite', reason: 'another process holds the write lock' }]);
      const read = await post(url, { query: '{ deals(first: 5) { totalCount } }' }, auth);
      expect(read.json?.data).toEqual({ deals: { totalCount: 3 } }); // WAL: readers are not blocked by the writer
    } finally {
      other.exec('rollback');
    }
    expect(await readyz()).toEqual([200, { status: 'ready', database: 'sqlite' }]);
    expect((await createDeal('After the lock')).json?.data).toEqual({ createDeal: { name: 'After the lock' } });
    const count = await post(url, { query: '{ deals(first: 5) { totalCount } }' }, auth);
    expect(count.json?.data).toEqual({ deals: { totalCount: 4 } }); // nothing half-written by the refused one
  });
});
