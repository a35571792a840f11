import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Cursor } from '@mikro-orm/core';
import pino from 'pino';
import type { Em } from '../../src/db/orm';
import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, post, tokenFor, type AccessWorld, type SecurityTestApp } from '../helpers/security';

/** Mistakes a client makes are its own codes (400, BAD_USER_INPUT or Apollo's PERSISTED_QUERY_*), never logged as our errors. */
describe.each(DATABASES)('client mistakes on %s', (kind) => {
  let app: SecurityTestApp;
  let url: string;
  let w: AccessWorld;
  let auth: Record<string, string>;
  const lines: Array<Record<string, unknown>> = [];
  const logStream = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l)); done(); } });
  const ME = '{ me { role } }';

  beforeAll(async () => {
    app = await createSecurityTestApp(kind, {}, { logger: pino({ level: 'info' }, logStream) });
    url = await app.listen(0, '127.0.0.1');
    w = await createAccessWorld(app.orm.em as Em);
    auth = { authorization: `Bearer ${await tokenFor(app, w.identities.ADMIN)}` };
  });
  afterAll(async () => app?.close());
  beforeEach(() => void lines.splice(0));

  const noErrorLogged = () => expect(lines.filter((l) => l.level === 50 || l.stack || (l.err as { stack?: unknown } | undefined)?.stack)).toEqual([]);

  it('a persisted-query hash that does not match the query: 400 PERSISTED_QUERY_HASH_MISMATCH', async () => {
    const res = await post(url, { query: ME, extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('{ other }').digest('hex') } } }, auth);
    expect([res.status, res.json?.errors?.[0].extensions?.code]).toEqual([400, 'PERSISTED_QUERY_HASH_MISMATCH']);
    noErrorLogged();
  });

  it('a persisted-query version other than 1: 400 PERSISTED_QUERY_UNSUPPORTED_VERSION', async () => {
    const sha256Hash = createHash('sha256').update(ME).digest('hex');
    for (const body of [{ query: ME, extensions: { persistedQuery: { version: 2, sha256Hash } } }, { extensions: { persistedQuery: { version: 2, sha256Hash } } }]) {
      const res = await post(url, body, auth);
      expect([res.status, res.json?.errors?.[0].extensions?.code]).toEqual([400, 'PERSISTED_QUERY_UNSUPPORTED_VERSION']);
    }
    noErrorLogged();
  });

  it('a malformed cursor is BAD_USER_INPUT on `after`: [null, null], the wrong length, wrong types, not base64 JSON', async () => {
    const page = (after: string, sort = '') => post(url, { query: `query($after: String) { deals(first: 2, after: $after${sort}) { edges { node { id } } } }`, variables: { after } }, auth);
    const good = await page(Cursor.encode([w.deals.d1.id]));
    expect(good.json?.errors).toBeUndefined();
    const bad = [
      Cursor.encode([null, null]),
      Cursor.encode([null]),
      Cursor.encode([1, 2, 3]),
      Cursor.encode(['x']),
      Cursor.encode([{ id: 1 }]),
      Cursor.encode({ id: 1 } as never),
      'not-a-cursor!',
    ];
    for (const after of bad) {
      const res = await page(after);
      expect([after, res.status, res.json?.errors?.[0].extensions?.code, res.json?.errors?.[0].extensions?.field]).toEqual([after, 200, 'BAD_USER_INPUT', 'after']);
    }
    // a sort on a date: a string where the cursor holds a date is the client's mistake too
    const byDate = await page(Cursor.encode(['yesterday', 1]), ', sort: { field: CREATED_AT, direction: DESC }');
    expect([byDate.json?.errors?.[0].extensions?.code, byDate.json?.errors?.[0].extensions?.field]).toEqual(['BAD_USER_INPUT', 'after']);
    noErrorLogged();
  });
});
