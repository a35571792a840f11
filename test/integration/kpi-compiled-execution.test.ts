import { randomUUID } from 'node:crypto';
import { execute, type ExecutionResult, isInputObjectType, isNonNullType, parse } from 'graphql';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { Em } from '../../src/db/orm';
import { createContext } from '../../src/graphql/context';
import { jitExecutor } from '../../src/graphql/execution';
import { identityOfRep } from '../../src/modules/auth/access.policy';
import type { Identity } from '../../src/modules/auth/identity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { RepRole } from '../../src/shared/enums';
import { DATABASES, type TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';

/*
 * Queries execute on graphql-jit (src/graphql/execution.ts). The reference is graphql-js's own `execute` over the
 * same schema and a fresh request context: for wide KPI answers (rows with comparisons and targets, the matrix,
 * the dashboard), relations through DataLoader, fragments, aliases, directives, introspection and errors, both
 * give the same data and the same errors (message, path, code), as the same caller. (An answer with an error is
 * graphql-js's own: those cases check the routing.)
 */
const TWO_YEARS = { from: '2024-10-01', to: '2026-10-01', timeZone: 'Europe/Paris' };
const QUARTER = { from: '2026-07-01', to: '2026-10-01', timeZone: 'Europe/Paris' };

const OPERATIONS: Array<[name: string, query: string, variables?: Record<string, unknown>, operationName?: string]> = [
  [
    'revenue by rep and month with comparison and targets',
    `query($p: KpiPeriodInput!) { kpi(key: "revenue", period: $p, groupBy: [REP, MONTH], compareTo: PREVIOUS_PERIOD) {
      key definition { label unit healthRules { health min max } } period { from to timeZone } comparisonPeriod { from to }
      rows { kpiKey groups { dimension key label } bucket { key start end } value numerator denominator unit reason health
        comparison { value delta pctChange } target { value attainment pace expectedToDate status } } } }`,
    { p: TWO_YEARS },
  ],
  [
    'win rate by team and week, fragments, aliases and directives',
    `query($p: KpiPeriodInput!, $withBucket: Boolean!) { wr: kpi(key: "winRate", period: $p, groupBy: [TEAM, WEEK]) { ...result }
      cycle: kpi(key: "salesCycleMedian", period: $p, groupBy: [PRODUCT]) { ...result } }
      fragment result on KpiResult { key rows { groups { key label } bucket @include(if: $withBucket) { key } value reason health __typename } }`,
    { p: QUARTER, withBucket: true },
  ],
  [
    'the matrix',
    `query($p: KpiPeriodInput!) { kpiMatrix(key: "revenue", period: $p, groupBy: [REP], bucketBy: MONTH) { key unit buckets { key start end } rows { groups { key label } values } } }`,
    { p: TWO_YEARS },
  ],
  [
    'the manager dashboard',
    `query($p: KpiPeriodInput!) { dashboard(role: MANAGER, period: $p) { role kpis { key definition { label } rows { value numerator denominator reason health
      comparison { value delta pctChange } target { value attainment pace status } } } } }`,
    { p: QUARTER },
  ],
  [
    'deals with their relations (batched)',
    `{ deals(first: 30, sort: { field: AMOUNT, direction: DESC }) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id name amount currency status stage { name } owner { name team { name } } account { name segment } } } } }`,
  ],
  ['introspection', `{ __schema { queryType { name } types { name kind } } __type(name: "KpiRow") { fields { name type { name kind } } } }`],
  ['an unknown KPI (error with a code)', `query($p: KpiPeriodInput!) { kpi(key: "nope", period: $p) { key } kpiDefinitions { key } }`, { p: QUARTER }],
  ['an operation picked by name', `query A { me { role } } query B { kpiDefinitions(family: VALUE) { key unit } }`, undefined, 'B'],
  ['an unknown operation name (error)', `query A { me { role } }`, undefined, 'Nope'],
  ['a period without its defaulted time zone', `query($p: KpiPeriodInput!) { kpi(key: "revenue", period: $p, groupBy: [MONTH]) { period { timeZone } rows { bucket { key } value } } }`, { p: { from: '2026-01-01', to: '2026-07-01' } }],
  ['a bad period (variables coerced, error)', `query($p: KpiPeriodInput!) { kpi(key: "revenue", period: $p) { key } }`, { p: { from: '2026-10-01', to: '2026-07-01' } }],
];

/** What a client can see of a result: data, and each error's message, path and code. */
const visible = (result: ExecutionResult) => ({
  data: JSON.parse(JSON.stringify(result.data ?? null)),
  errors: result.errors?.map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code })),
});

describe.each(DATABASES)('compiled execution on %s', (kind) => {
  let app: TestApp;
  let callers: Record<string, Identity>;
  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard');
    const em = app.orm.em.fork() as Em;
    const first = async (role: RepRole) => identityOfRep((await em.findOneOrFail(Rep, { role }, { populate: ['team'], orderBy: { id: 'asc' } })) as Rep);
    callers = { exec: await first(RepRole.EXEC), manager: await first(RepRole.MANAGER), ae: await first(RepRole.AE) };
  });
  afterAll(async () => app?.close());

  const run = async (compiled: boolean, query: string, variables: Record<string, unknown> | undefined, identity: Identity, operationName?: string) => {
    const document = parse(query);
    const contextValue = createContext(app.orm.em as Em, app.config, app.logger, app.scoring, randomUUID(), identity);
    if (!compiled) return visible(await execute({ schema: app.schema, document, operationName, variableValues: variables, contextValue }));
    const request = { document, request: { query, variables, operationName }, context: contextValue } as unknown as GatewayGraphQLRequestContext;
    return visible(await jitExecutor(app.schema, { compileAfterRuns: 0 })(request));
  };

  // Rows as objects: jest hands a test with more parameters than its row has a `done` callback.
  it.each(OPERATIONS.map(([name, query, variables, operationName]) => ({ name, query, variables, operationName })))('$name: the same answer as graphql-js', async ({ query, variables, operationName }) => {
    for (const identity of Object.values(callers)) {
      const reference = await run(false, query, variables, identity, operationName);
      expect(await run(true, query, variables, identity, operationName)).toEqual(reference);
    }
  });

  it('compiles a document on its second run only (a stream of one-off documents never pays compilation), never a mutation', async () => {
    const executor = jitExecutor(app.schema);
    const context = createContext(app.orm.em as Em, app.config, app.logger, app.scoring, randomUUID(), callers.exec);
    const send = (query: string) => {
      const document = parse(query);
      return { document, answer: () => executor({ document, request: { query }, context } as unknown as GatewayGraphQLRequestContext) };
    };
    const reps = send('{ reps(first: 3) { edges { node { id name } } } }');
    const first = await reps.answer();
    expect(executor.isCompiled(reps.document)).toBe(false);
    expect(await reps.answer()).toEqual(first);
    expect(executor.isCompiled(reps.document)).toBe(true);
    const mutation = send('mutation { logout }');
    await mutation.answer().catch(() => undefined);
    await mutation.answer().catch(() => undefined);
    expect(executor.isCompiled(mutation.document)).toBe(false);
  });

  it('has no nullable input field with a default (graphql-jit leaves those unset; a missing non-null one sends the request to graphql-js)', () => {
    const defaulted = Object.values(app.schema.getTypeMap())
      .filter(isInputObjectType)
      .flatMap((type) => Object.values(type.getFields()).filter((f) => f.defaultValue !== undefined).map((f) => ({ field: `${type.name}.${f.name}`, nonNull: isNonNullType(f.type) })));
    expect(defaulted.length).toBeGreaterThan(0);
    expect(defaulted.filter((f) => !f.nonNull)).toEqual([]);
  });

  it('runs field middleware: targets are quota data, null below MANAGER', async () => {
    const [query, variables] = [OPERATIONS[0][1], OPERATIONS[0][2]];
    type Rows = { kpi: { rows: Array<{ target: unknown; value: number }> } };
    const targets = async (identity: Identity) => ((await run(true, query, variables, identity)).data as Rows).kpi.rows.filter((r) => r.target != null).length;
    expect(await targets(callers.exec)).toBeGreaterThan(0);
    expect(await targets(callers.ae)).toBe(0);
  });

  it('answers a wide KPI with values that add up to the raw SQL total', async () => {
    const { data } = await run(true, OPERATIONS[0][1], OPERATIONS[0][2], callers.exec);
    const rows = (data as { kpi: { rows: Array<{ value: number }> } }).kpi.rows;
    const [{ total }] = await app.orm.em.fork().getConnection().execute(
      `select sum(amount_cents) as total from deals where status = 'WON' and closed_at >= ? and closed_at < ?`,
      kind === 'sqlite' ? [Date.parse('2024-09-30T22:00:00Z'), Date.parse('2026-09-30T22:00:00Z')] : ['2024-09-30T22:00:00Z', '2026-09-30T22:00:00Z'],
    );
    expect(rows.reduce((sum, r) => sum + r.value, 0)).toBeCloseTo(Number(total) / 100, 2);
  });
});
