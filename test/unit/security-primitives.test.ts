import { getIntrospectionQuery, parse, type OperationDefinitionNode } from 'graphql';
import { MemoryRateLimiter } from '../../src/graphql/rate-limit';
import { operationDepth, textNestingExceeds } from '../../src/graphql/limits';
import { isDatabaseUnavailable } from '../../src/graphql/db-health';
import { safeErrorForLog } from '../../src/graphql/format-error';
import { AccessRole } from '../../src/modules/auth/identity';
import { parseApiKey, signToken, verifyToken } from '../../src/modules/auth/token.service';
import { ConfigError, loadConfig } from '../../src/config';
import { UniqueConstraintViolationException } from '@mikro-orm/core';

const SETTINGS = { secret: 's'.repeat(40), issuer: 'pipewise', audience: 'pipewise-api', ttl: '1h' };

describe('tokens', () => {
  it('round-trips the identity and refuses a tampered payload', async () => {
    const identity = { subject: 'rep:7', role: AccessRole.AE, repId: 7, teamId: 2 };
    const token = await signToken(SETTINGS, identity);
    expect(await verifyToken(SETTINGS, token)).toEqual(identity);
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'ADMIN' })).toString('base64url');
    await expect(verifyToken(SETTINGS, `${header}.${forged}.${signature}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(verifyToken({ ...SETTINGS, audience: 'other' }, token)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses a non-ADMIN token without a rep, and unsigned (alg none) tokens', async () => {
    const noRep = await signToken(SETTINGS, { subject: 'x', role: AccessRole.MANAGER, repId: null, teamId: null });
    await expect(verifyToken(SETTINGS, noRep)).rejects.toThrow('The token names no rep');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x","role":"ADMIN","repId":null,"teamId":null,"iss":"pipewise","aud":"pipewise-api"}').toString('base64url')}.`;
    await expect(verifyToken(SETTINGS, none)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('serves a token verified before only under the same secret, issuer and audience, and only until it expires', async () => {
    const identity = { subject: 'rep:9', role: AccessRole.MANAGER, repId: 9, teamId: 3 };
    const token = await signToken(SETTINGS, identity, '60s');
    expect(await verifyToken(SETTINGS, token)).toEqual(identity);
    expect(await verifyToken(SETTINGS, token)).toEqual(identity); // the kept verification
    const unauthenticated = { extensions: { code: 'UNAUTHENTICATED' } };
    await expect(verifyToken({ ...SETTINGS, secret: 't'.repeat(40) }, token)).rejects.toMatchObject(unauthenticated);
    await expect(verifyToken({ ...SETTINGS, issuer: 'someone-else' }, token)).rejects.toMatchObject(unauthenticated);
    await expect(verifyToken({ ...SETTINGS, audience: 'other' }, token)).rejects.toMatchObject(unauthenticated);
    // a caller changing the identity it was given does not change what the next request gets
    (await verifyToken(SETTINGS, token)).role = AccessRole.ADMIN;
    expect(await verifyToken(SETTINGS, token)).toEqual(identity);
    jest.useFakeTimers({ now: Date.now() + 61_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      await expect(verifyToken(SETTINGS, token)).rejects.toThrow('The token has expired');
      await expect(verifyToken(SETTINGS, token)).rejects.toThrow('The token has expired'); // and afresh, by jose
    } finally {
      jest.useRealTimers();
    }
  });

  it('parses API keys strictly', () => {
    expect(parseApiKey('pw_12_' + 'a'.repeat(32))).toEqual({ id: 12, secret: 'a'.repeat(32) });
    expect(parseApiKey('pw_12_short')).toBeNull();
    expect(parseApiKey('pw_x_' + 'a'.repeat(32))).toBeNull();
  });
});

describe('configuration of secrets', () => {
  it('refuses to start in production without a secret, or with a short one, or with anonymous access', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), AUTH_ANONYMOUS: 'true' })).toThrow(/AUTH_ANONYMOUS/);
    const prod = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) });
    expect([prod.auth.anonymousRole, prod.introspection, prod.landingPage]).toEqual([null, false, false]);
  });
});

describe('MemoryRateLimiter', () => {
  it('allows a burst, then one request per refill interval, per key', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(60, 2, () => now); // 1 per second, bursts of 2
    const take = async (key = 'a') => (await limiter.take(key)).allowed;
    expect([await take(), await take(), await take()]).toEqual([true, true, false]);
    expect((await limiter.take('a')).retryAfterMs).toBe(1000);
    expect(await take('b')).toBe(true);
    now = 999;
    expect(await take()).toBe(false);
    now = 2000; // refilled to the burst of 2, not beyond
    expect([await take(), await take(), await take()]).toEqual([true, true, false]);
  });
});

describe('operationDepth', () => {
  const depth = (query: string, limit = 10) => {
    const doc = parse(query);
    const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
    return operationDepth(doc, op.selectionSet, limit);
  };
  it('counts nesting through fragments and inline fragments', () => {
    expect(depth('{ a }')).toBe(1);
    expect(depth('{ a { b { c } } }')).toBe(3);
    expect(depth('{ a { ...F } } fragment F on T { b { c { d } } }')).toBe(4);
    expect(depth('{ a { ... on T { b { c } } } }')).toBe(3);
  });
  it('leaves introspection out (the explorer\'s schema query nests TypeRef 8 deep) but counts data beside it', () => {
    expect(depth(getIntrospectionQuery())).toBe(0);
    expect(depth('{ __type(name: "Deal") { fields { type { ofType { ofType { ofType { name } } } } } } a { b } }')).toBe(2);
    expect(depth(`{ __typename ${'a { '.repeat(12)}b${' }'.repeat(12)} }`)).toBeGreaterThan(10);
  });
  it('stops early on hostile nesting and stays linear on fragment bombs', () => {
    const nested = `{ ${'a { '.repeat(500)}b${' }'.repeat(500)} }`;
    expect(depth(nested, 10)).toBeGreaterThan(10);
    const bomb = Array.from({ length: 30 }, (_, i) => `fragment F${i} on T { ...F${i + 1} ...F${i + 1} }`).join(' ') + ' fragment F30 on T { x }';
    const started = Date.now();
    expect(depth(`{ a { ...F0 } } ${bomb}`)).toBe(2);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('textNestingExceeds (checked before parsing)', () => {
  it('counts brackets outside strings and comments', () => {
    expect(textNestingExceeds('{ a { b } }', 2)).toBe(false);
    expect(textNestingExceeds('{ a { b { c } } }', 2)).toBe(true);
    expect(textNestingExceeds('{ a(s: "{{{{{{") }', 2)).toBe(false);
    expect(textNestingExceeds('{ a(s: """{{{{\n{{{""") } # {{{{{{', 2)).toBe(false);
    expect(textNestingExceeds('{ a(s: "\\"{{{{") }', 2)).toBe(false);
    expect(textNestingExceeds(`{ ${'a { '.repeat(100_000)} }`, 40)).toBe(true);
  });
});

describe('isDatabaseUnavailable and safe error logs', () => {
  it('recognises outages, not query errors', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable({ message: 'wrapped', previous: { code: '55000', message: 'database "x" is not currently accepting connections' } })).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('syntax error at or near "selec"'))).toBe(false);
  });
  it('never logs the SQL (with its parameters) of a database error', () => {
    const error = new UniqueConstraintViolationException(Object.assign(new Error("insert into leads (email) values ('jane@acme.example') - duplicate"), { code: '23505' }) as never);
    const logged = JSON.stringify(safeErrorForLog(error, true));
    expect(logged).not.toContain('jane@acme.example');
    expect(logged).toContain('UniqueConstraintViolationException');
  });
});
