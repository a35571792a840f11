import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ApolloServerPlugin } from '@apollo/server';
import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, post, tokenFor, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import { createApiKey, revokeApiKey } from '../../src/modules/auth/api-key.service';
import { AccessRole } from '../../src/modules/auth/identity';
import { signToken } from '../../src/modules/auth/token.service';

const ME = `query Me { me { role repId } }`;

describe.each(DATABASES)('HTTP security on %s', (kind) => {
  let app: SecurityTestApp;
  let url: string;
  let w: AccessWorld;
  const lines: string[] = [];
  const logStream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).trim().split('\n')); done(); } });

  beforeAll(async () => {
    app = await createSecurityTestApp(kind, { limits: { maxDepth: 8, maxCost: 2000, bodyLimitBytes: 60_000 } as never }, { logger: pino({ level: 'info' }, logStream) });
    url = await app.listen(0, '127.0.0.1');
    w = await createAccessWorld(app.orm.em as Em);
  });
  afterAll(async () => app?.close());

  const bearer = async (role: keyof AccessWorld['identities']) => ({ authorization: `Bearer ${await tokenFor(app, w.identities[role])}` });

  it('refuses requests without a valid token with 401 UNAUTHENTICATED', async () => {
    const none = await post(url, { query: ME });
    expect([none.status, none.json?.errors?.[0].extensions?.code, none.headers.get('www-authenticate')]).toEqual([401, 'UNAUTHENTICATED', 'Bearer']);
    const garbage = await post(url, { query: ME }, { authorization: 'Bearer not.a.jwt' });
    expect([garbage.status, garbage.json?.errors?.[0].extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const otherSecret = await signToken({ secret: 'another-secret-another-secret-another', issuer: 'pipewise', audience: 'pipewise-api', ttl: '1h' }, w.identities.SDR);
    expect((await post(url, { query: ME }, { authorization: `Bearer ${otherSecret}` })).status).toBe(401);
    const expired = await tokenFor(app, w.identities.SDR, '-1s');
    const late = await post(url, { query: ME }, { authorization: `Bearer ${expired}` });
    expect([late.status, late.json?.errors?.[0].message]).toEqual([401, 'The token has expired']);
    const basic = await post(url, { query: ME }, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
  });

  it('acts as the identity in a valid token', async () => {
    const res = await post(url, { query: ME }, await bearer('SDR'));
    expect([res.status, res.json?.data]).toEqual([200, { me: { role: 'SDR', repId: String(w.reps.s1.id) } }]);
    // answers are never stored by a client, so none carries an ETag (hashing a wide answer costs milliseconds)
    expect([res.headers.get('cache-control'), res.headers.get('etag')]).toEqual(['no-store', null]);
  });

  it('accepts API keys stored hashed, and refuses them once revoked', async () => {
    const em = app.orm.em.fork() as Em;
    const { id, key } = await createApiKey(em, { name: 'BI export', role: AccessRole.MANAGER, repId: String(w.reps.MA.id) });
    const row = await em.getConnection().execute(`select secret_hash from api_keys where id = ?`, [id]);
    expect(row[0].secret_hash).toBe(createHash('sha256').update(key.split('_').slice(2).join('_')).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key.split('_').slice(2).join('_'));
    const ok = await post(url, { query: ME }, { authorization: `Bearer ${key}` });
    expect(ok.json?.data).toEqual({ me: { role: 'MANAGER', repId: String(w.reps.MA.id) } });
    const wrong = await post(url, { query: ME }, { authorization: `Bearer ${key.slice(0, -2)}xx` });
    expect(wrong.status).toBe(401);
    await revokeApiKey(em, id);
    expect((await post(url, { query: ME }, { authorization: `Bearer ${key}` })).status).toBe(401);
  });

  it('refuses queries nested deeper than the limit (QUERY_TOO_DEEP)', async () => {
    const deep = `{ reps { edges { node { team { members { team { members { team { members { name } } } } } } } } } }`;
    const res = await post(url, { query: deep }, await bearer('EXEC'));
    expect([res.status, res.json?.errors?.[0].extensions?.code]).toEqual([400, 'QUERY_TOO_DEEP']);
    // Fragments do not hide depth.
    const viaFragments = `query { reps { ...A } } fragment A on RepConnection { edges { node { team { ...B } } } } fragment B on Team { members { team { members { team { members { name } } } } } }`;
    expect((await post(url, { query: viaFragments }, await bearer('EXEC'))).json?.errors?.[0].extensions?.code).toBe('QUERY_TOO_DEEP');
  });

  it('refuses queries over the cost budget: 1,000 aliases, or a huge page of nested lists (QUERY_TOO_COMPLEX)', async () => {
    const aliases = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: stages { name }`).join(' ')} }`;
    const res = await post(url, { query: aliases }, await bearer('EXEC'));
    expect([res.status, res.json?.errors?.[0].extensions?.code]).toEqual([400, 'QUERY_TOO_COMPLEX']);
    const wide = `{ deals(first: 100) { edges { node { stageHistory { toStage { name } } activities { notes } } } } }`;
    expect((await post(url, { query: wide }, await bearer('EXEC'))).json?.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxCost: 2000 });
    const fine = await post(url, { query: `{ deals(first: 10) { edges { node { name owner { name } } } } }` }, await bearer('EXEC'));
    expect(fine.json?.errors).toBeUndefined();
  });

  it('caps the page size', async () => {
    const res = await post(url, { query: `{ deals(first: 101) { edges { node { id } } } }` }, await bearer('EXEC'));
    expect(res.json?.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('refuses a body over the size limit (413) and a body that is not JSON (400), as JSON errors', async () => {
    const big = await post(url, { query: ME, variables: { pad: 'x'.repeat(70_000) } }, await bearer('SDR'));
    expect([big.status, big.json?.errors?.[0].extensions?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const broken = await post(url, '{"query": "{ me { role } }"', await bearer('SDR'));
    expect([broken.status, broken.json?.errors?.[0].extensions?.code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('supports automatic persisted queries', async () => {
    const sha256Hash = createHash('sha256').update(ME).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const headers = await bearer('AE');
    const miss = await post(url, { extensions }, headers);
    expect(miss.json?.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(url, { query: ME, extensions }, headers)).json?.data).toEqual({ me: { role: 'AE', repId: String(w.reps.a1.id) } });
    expect((await post(url, { extensions }, headers)).json?.data).toEqual({ me: { role: 'AE', repId: String(w.reps.a1.id) } });
  });

  it('answers /healthz and /readyz (which checks the database)', async () => {
    const base = url.replace(/\/graphql$/, '');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', database: kind }]);
  });

  it('logs one JSON line per request with request id, operation, duration and user, and no token or personal data', async () => {
    const headers = { ...(await bearer('SDR')), 'x-request-id': 'req-log-check-1' };
    await post(url, { query: `query LeadPage { leads { edges { node { name email } } } }` }, headers);
    const line = lines.map((l) => JSON.parse(l)).find((entry) => entry.requestId === 'req-log-check-1');
    expect(line).toMatchObject({ msg: 'graphql request', operation: 'LeadPage', user: `rep:${w.reps.s1.id}`, role: 'SDR', status: 200 });
    expect(typeof line.durationMs).toBe('number');
    const all = lines.join('\n');
    expect(all).not.toContain(headers.authorization.slice(7));
    expect(all).not.toContain('l1@prospect.example');
    expect(all).not.toContain('s1@example.com');
  });
});

describe('HTTP limits that need their own app', () => {
  it('rate-limits per token (429 with Retry-After), other tokens unaffected', async () => {
    const app = await createSecurityTestApp('sqlite', { limits: { rateLimitPerMinute: 60, rateLimitBurst: 3 } as never });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const w = await createAccessWorld(app.orm.em as Em);
      const sdr = { authorization: `Bearer ${await tokenFor(app, w.identities.SDR)}` };
      const ae = { authorization: `Bearer ${await tokenFor(app, w.identities.AE)}` };
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(url, { query: ME }, sdr)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await post(url, { query: ME }, sdr);
      expect([limited.json?.errors?.[0].extensions?.code, Number(limited.headers.get('retry-after')) >= 1]).toEqual(['RATE_LIMITED', true]);
      expect((await post(url, { query: ME }, ae)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('abandons a request over the deadline with 503 TIMEOUT', async () => {
    const slow: ApolloServerPlugin = { async requestDidStart() { return { async willSendResponse() { await new Promise((r) => setTimeout(r, 600)); } }; } };
    const app = await createSecurityTestApp('sqlite', { limits: { requestTimeoutMs: 150 } as never }, { plugins: [slow as never] });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const token = await tokenFor(app, { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null });
      const res = await post(url, { query: ME }, { authorization: `Bearer ${token}` });
      expect([res.status, res.json?.errors?.[0].extensions?.code]).toEqual([503, 'TIMEOUT']);
    } finally {
      await app.close();
    }
  });

  it('turns introspection and the landing page off when configured (production defaults)', async () => {
    const app = await createSecurityTestApp('sqlite', { introspection: false, landingPage: false });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const token = await tokenFor(app, { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null });
      const res = await post(url, { query: `{ __schema { types { name } } }` }, { authorization: `Bearer ${token}` });
      expect(res.json?.errors?.[0].message).toMatch(/introspection is not allowed/i);
      const typo = await post(url, { query: `{ deal(id: 1) { nmae } }` }, { authorization: `Bearer ${token}` });
      expect(typo.json?.errors?.[0].message).not.toMatch(/did you mean/i);
    } finally {
      await app.close();
    }
  });

  it('shuts down gracefully: finishes the request in flight, then refuses new connections', async () => {
    const slow: ApolloServerPlugin = { async requestDidStart() { return { async willSendResponse() { await new Promise((r) => setTimeout(r, 400)); } }; } };
    const app = await createSecurityTestApp('sqlite', {}, { plugins: [slow as never] });
    const url = await app.listen(0, '127.0.0.1');
    const token = await tokenFor(app, { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null });
    const inFlight = Array.from({ length: 6 }, () => post(url, { query: `{ stages { name } }` }, { authorization: `Bearer ${token}` }).then((r) => r.status, () => 'reset'));
    await new Promise((r) => setTimeout(r, 100));
    const stopping = app.close();
    expect(await Promise.all(inFlight)).toEqual(Array(6).fill(200));
    await stopping;
    await expect(fetch(url.replace(/\/graphql$/, '/healthz'))).rejects.toThrow();
  });
});
