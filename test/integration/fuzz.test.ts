import seedrandom from 'seedrandom';
import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, tokenFor, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';

/** Codes a hostile request may earn; INTERNAL_SERVER_ERROR (a crash) is never one of them. */
const CLEAN_CODES = new Set([
  'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN',
  'UNAUTHENTICATED', 'QUERY_TOO_DEEP', 'QUERY_TOO_COMPLEX', 'PAYLOAD_TOO_LARGE', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE',
  'INSUFFICIENT_DATA',
]);

const HOSTILE_STRINGS = [
  "' OR 1=1 --", '"; drop table deals; --', "Robert'); DROP TABLE leads;--", '%', '_', '\\', '%_%\\%', '$ne', '{"$gt": ""}', '__proto__',
  'constructor', '\u0000', '\u202Eevil', '𝕻𝖎𝖕𝖊𝖜𝖎𝖘𝖊 😀👍🏽', '\uD800', 'Ω≈ç√∫˜µ≤≥÷', '<script>alert(1)</script>', '../../etc/passwd', '${7*7}', '{{7*7}}',
  ' ', '', '\n\t\r', 'null', 'undefined', 'NaN', '-1', '0x10', '1e309', '９', 'ｄｅａｌ',
];
const HOSTILE_IDS = ['-1', '0', '1.5', '1e3', '0x10', ' 1', '1; drop table deals', '99999999999999999999', '', 'abc', '١', '9007199254740993'];
const HOSTILE_NUMBERS = [2147483648, -2147483649, 1e308, -1e308, 1e20, 0.000001, -0, 3.14159];

describe.each(DATABASES)('fuzz: hostile and malformed operations on %s', (kind) => {
  let app: SecurityTestApp;
  let url: string;
  let w: AccessWorld;
  let tokens: string[];

  beforeAll(async () => {
    app = await createSecurityTestApp(kind);
    url = await app.listen(0, '127.0.0.1');
    w = await createAccessWorld(app.orm.em as Em);
    tokens = await Promise.all((['SDR', 'AE', 'MANAGER', 'EXEC', 'ADMIN'] as const).map((role) => tokenFor(app, w.identities[role])));
  });
  afterAll(async () => app?.close());

  /** Everything a write could change, in one comparable value. */
  const snapshot = async () => {
    const em = app.orm.em.fork() as Em;
    const rows = async (sql: string) => JSON.stringify(await em.getConnection().execute(sql));
    return [
      await rows('select id, name, amount_cents, version, stage_id, status, owner_id from deals order by id'),
      await rows('select id, name, email, status, version, owner_id, attributes from leads order by id'),
      await rows('select count(*) as n from activities'),
      await rows('select count(*) as n from deal_stage_changes'),
      await rows('select count(*) as n from accounts'),
      await rows('select id, value, version from targets order by id'),
      await rows('select count(*) as n from orders'),
      await rows('select count(*) as n from reps'),
    ].join('\n');
  };

  it('answers a few hundred hostile operations with clean errors or valid data, never a 500, and changes nothing', async () => {
    const rng = seedrandom(process.env.FUZZ_SEED ?? 'pipewise-fuzz-1') // deterministic; FUZZ_SEED=x explores another run;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)];
    const id = () => (rng() < 0.5 ? pick(HOSTILE_IDS) : String(pick([w.deals.d1, w.deals.d2, w.leads.l1, w.accounts.acc1]).id));
    const str = () => (rng() < 0.15 ? pick(HOSTILE_STRINGS).repeat(1 + Math.floor(rng() * 3000)) : pick(HOSTILE_STRINGS));
    const nested = (levels: number) => `{ reps { edges { node ${'{ team { members '.repeat(levels)}{ name }${' } }'.repeat(levels)} } } }`;

    type Op = { body: unknown; headers?: Record<string, string>; raw?: string };
    const generators: Array<() => Op> = [
      () => ({ body: { query: `{ deals(first: ${pick(['"abc"', 'null', '-5', '1.5', 'true', '[1]', '{a:1}', String(pick(HOSTILE_NUMBERS))])}) { edges { node { id } } } }` } }),
      () => ({ body: { query: 'query($id: ID!) { deal(id: $id) { id name amount } }', variables: { id: pick([...HOSTILE_IDS, 1.5, true, {}, [], null] as unknown[]) } } }),
      () => ({ body: { query: 'query($s: String) { deals(filter: { search: $s }) { totalCount edges { node { name } } } }', variables: { s: str() } } }),
      () => ({ body: { query: 'query($s: String) { leads(filter: { search: $s, sources: [$s] }) { totalCount } accounts(filter: { search: $s }) { totalCount } }', variables: { s: str() } } }),
      () => ({ body: { query: 'query($s: String) { reps(filter: { search: $s }) { edges { node { name } } } }', variables: { s: str() } } }),
      () => ({ body: { query: 'query($a: Money, $b: Money) { deals(filter: { amountMin: $a, amountMax: $b }) { totalCount } }', variables: { a: pick([...HOSTILE_NUMBERS, 'NaN', 'Infinity', '1e400', 'abc', 1.234]), b: pick(HOSTILE_NUMBERS) } } }),
      () => ({ body: { query: 'query($d: DateTimeISO) { deals(filter: { openedFrom: $d }) { totalCount } }', variables: { d: pick(['not-a-date', '2026-13-45', '', '9999999-01-01', -1e20, '2026-01-01T25:61:00Z']) } } }),
      () => ({ body: { query: nested(5 + Math.floor(rng() * 200)) } }),
      () => ({ body: { query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: ${pick(['stages { name }', 'me { role }', 'deals { totalCount }'])}`).join(' ')} }` } }),
      () => ({ body: { query: pick(['{', '}', '{ deals { ', 'query { deals(first: ) }', '"unterminated', 'fragment A on Deal { ...A } { deal(id: 1) { ...A } }', 'query A { me { role } } query B { me { role } }', '{ __proto__ }', 'subscription { x }', 'mutation', '\u0000\u0001\u0002', '{ deals { edges { node { id @skip } } } }']) } }),
      () => ({ body: { query: `{ me { role } }`, operationName: pick(['Nope', '', '__proto__', 'x'.repeat(1000)]) } }),
      () => ({ body: [{ query: '{ me { role } }' }, { query: '{ stages { name } }' }] }),
      () => ({ body: pick([null, 42, 'query', true, {}, { query: 42 }, { query: null }, { query: ['{ me { role } }'] }, { variables: '{}' }]) as unknown }),
      () => ({ raw: pick(['{"query": "{ me { role } }"', 'not json', '{"query": "\\uZZZZ"}', '\u0000', '{"__proto__": {"admin": true}, "query": "{ me { role } }"}']) } as Op),
      () => ({ body: { query: '{ me { role } }', variables: { pad: 'x'.repeat(110_000 + Math.floor(rng() * 10_000)) } } }),
      () => ({ body: { query: '{ me { role } }' }, headers: { authorization: pick(['Bearer', 'Bearer ' + 'a'.repeat(5000), 'Bearer pw_1_' + 'x'.repeat(30), 'Basic abc', 'bearer x.y.z', tokens[0].slice(0, -3) + 'abc', 'Bearer ' + tokens[0] + ' extra']) } }),
      // Mutations, each invalid by construction (stale version, bad id, too long, out of range): nothing may be written.
      () => ({ body: { query: 'mutation($id: ID!, $v: Int!, $n: String) { updateDeal(id: $id, version: $v, input: { name: $n }) { id } }', variables: { id: id(), v: pick([0, -1, 999, 2147483647]), n: str() } } }),
      () => ({ body: { query: 'mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id } }', variables: { input: { dealId: id(), version: pick([0, 999]), stageId: pick(HOSTILE_IDS) } } } }),
      () => ({ body: { query: 'mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }', variables: { input: { name: 'x'.repeat(161 + Math.floor(rng() * 5000)), email: str(), attributes: { __proto__: { admin: true }, nested: { deep: 1 } } } } } }),
      () => ({ body: { query: 'mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }', variables: { input: { name: pick(HOSTILE_STRINGS) || 'n', email: 'not-an-email ' + str() } } } }),
      () => ({ body: { query: 'mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }', variables: { input: { name: 'Valid', attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) } } } }),
      () => ({ body: { query: 'mutation($input: LogActivityInput!) { logActivity(input: $input) { id } }', variables: { input: { type: pick(['CALL', 'SMOKE_SIGNAL', '', 'call']), repId: pick(HOSTILE_IDS), leadId: id(), at: pick(['2999-01-01T00:00:00Z', 'yesterday']) } } } }),
      () => ({ body: { query: 'mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }', variables: { input: { name: str() || 'n', accountId: pick(HOSTILE_IDS), ownerId: id(), amount: pick([-1, 1e14, 1.001, 'abc']), currency: pick(['EURO', '€', 'XXXX', '']) } } } }),
      () => ({ body: { query: 'mutation($id: ID!, $v: Int!, $r: String!) { disqualifyLead(id: $id, version: $v, reason: $r) { id } }', variables: { id: id(), v: pick([0, 99]), r: str() } } }),
      () => ({ body: { query: 'mutation($input: CreateTargetInput!) { createTarget(input: $input) { id } }', variables: { input: { kpiKey: pick(["revenue'; --", 'x', '__proto__']), scope: 'COMPANY', periodStart: '2026-01-01T00:00:00Z', periodEnd: '2025-01-01T00:00:00Z', value: pick([...HOSTILE_NUMBERS, 'NaN']) } } } }),
      () => ({ body: { query: 'query($after: String) { deals(first: 3, after: $after) { edges { cursor } } }', variables: { after: pick(['', 'abc', 'W10=', Buffer.from('["x", {"$gt": 1}]').toString('base64'), 'x'.repeat(499), 'x'.repeat(5000)]) } } }),
    ];

    const before = await snapshot();
    const problems: string[] = [];
    const codes = new Map<string, number>();
    const N = 300;
    for (let i = 0; i < N; i++) {
      const op = pick(generators)();
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${pick(tokens)}`, ...op.headers };
      const res = await fetch(url, { method: 'POST', headers, body: op.raw ?? JSON.stringify(op.body) });
      const text = await res.text();
      let json: { data?: unknown; errors?: Array<{ message?: string; extensions?: { code?: string } }> } | undefined;
      try {
        json = JSON.parse(text);
      } catch {
        problems.push(`#${i} ${res.status}: not JSON: ${text.slice(0, 80)}`);
        continue;
      }
      if (res.status >= 500) problems.push(`#${i} ${res.status}: ${text.slice(0, 200)}`);
      if (![200, 400, 401, 413].includes(res.status)) problems.push(`#${i} unexpected status ${res.status}`);
      if (!json?.errors && json?.data === undefined) problems.push(`#${i}: neither data nor errors`);
      for (const error of json?.errors ?? []) {
        const code = error.extensions?.code ?? 'NONE';
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (!CLEAN_CODES.has(code)) problems.push(`#${i} ${code}: ${error.message?.slice(0, 160)} <- ${JSON.stringify(op.body ?? op.raw).slice(0, 160)}`);
        if (/select |insert |update |delete |\bat .*\.ts:|sqlite|postgres/i.test(error.message ?? '')) problems.push(`#${i}: message leaks internals: ${error.message?.slice(0, 160)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(await snapshot()).toBe(before);
    // The server is alive and serves normal traffic after the barrage.
    const health = await fetch(url.replace(/\/graphql$/, '/healthz'));
    expect(health.status).toBe(200);
    const ok = await app.execute('{ deals(first: 5) { totalCount } }');
    expect(ok.data).toEqual({ deals: { totalCount: 3 } });
    expect([...codes.keys()].length).toBeGreaterThanOrEqual(6); // the barrage really hit many different defences
  });
});
