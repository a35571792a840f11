import type { Em } from '../../src/db/orm';
import { createAccessWorld, createSecurityTestApp, post, tokenFor } from '../helpers/security';

const ME = '{ me { role } }';

describe('rate limits and where the caller stands', () => {
  it('limits requests by client address before authentication: a flood of bad tokens gets 429 with Retry-After', async () => {
    const app = await createSecurityTestApp('sqlite', { limits: { ipRateLimitPerMinute: 60, ipRateLimitBurst: 5 } as never });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await post(url, { query: ME }, { authorization: 'Bearer not-a-token' })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      const refused = await post(url, { query: ME }, { authorization: 'Bearer not-a-token' });
      expect([refused.json?.errors?.[0].extensions?.code, Number(refused.headers.get('retry-after')) >= 1, refused.headers.get('ratelimit-remaining')]).toEqual(['RATE_LIMITED', true, '0']);
      // a client behind the same proxy but another forwarded address is not held back (trust proxy: loopback by default)
      const elsewhere = await post(url, { query: ME }, { authorization: 'Bearer not-a-token', 'x-forwarded-for': '203.0.113.9' });
      expect(elsewhere.status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('does not trust X-Forwarded-For from a proxy it was not told to trust', async () => {
    const app = await createSecurityTestApp('sqlite', { limits: { ipRateLimitPerMinute: 60, ipRateLimitBurst: 2, trustProxy: false } as never });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const statuses: number[] = [];
      for (const forwarded of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) statuses.push((await post(url, { query: ME }, { 'x-forwarded-for': forwarded })).status);
      expect(statuses).toEqual([401, 401, 429]); // all the same socket address
    } finally {
      await app.close();
    }
  });

  it('every response carries its cost and the remaining budget: extensions.cost and RateLimit-* headers', async () => {
    const app = await createSecurityTestApp('sqlite', { limits: { rateLimitPerMinute: 60, rateLimitBurst: 10 } as never });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const w = await createAccessWorld(app.orm.em as Em);
      const auth = { authorization: `Bearer ${await tokenFor(app, w.identities.AE)}` };
      const first = await post(url, { query: '{ deals(first: 20) { edges { node { id name owner { name } } } } }' }, auth);
      // limits.ts: the connection 1 + 20 rows x (node 1 + id 1 + name 1 + owner 1 + its name 1) = 101
      expect(first.json?.extensions?.cost).toEqual({ requestedQueryCost: 101, maximumQueryCost: 10000, rateLimit: { limit: 10, remaining: 9, resetSeconds: 1 } });
      expect([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining'), first.headers.get('ratelimit-reset')]).toEqual(['10', '9', '1']);
      const second = await post(url, { query: ME }, auth);
      expect((second.json?.extensions?.cost as { requestedQueryCost: number; rateLimit: { remaining: number } })).toMatchObject({ requestedQueryCost: 2, rateLimit: { remaining: 8 } });
      expect(second.headers.get('ratelimit-remaining')).toBe('8');
      // an operation over the budget still says what it would have cost
      const huge = await post(url, { query: `{ ${Array.from({ length: 5 }, (_, i) => `f${i}: forecast(period: "2026-Q4", groupBy: REP, simulations: 100000) { total { expected } }`).join(' ')} }` }, auth);
      expect([huge.json?.errors?.[0].extensions?.code, (huge.json?.extensions?.cost as { requestedQueryCost: number }).requestedQueryCost]).toEqual(['QUERY_TOO_COMPLEX', 5 * (300 + 100 * 20 + 2)]);
    } finally {
      await app.close();
    }
  });
});
