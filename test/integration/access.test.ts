import {
  getNamedType,
  isEnumType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLObjectType,
} from 'graphql';
import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import type { Identity } from '../../src/modules/auth/identity';
import { Target } from '../../src/modules/targets/target.entity';

type Role = 'SDR' | 'AE' | 'MANAGER' | 'EXEC';
type Tracked = 'Deal' | 'Lead' | 'Activity' | 'Account' | 'Rep' | 'Team' | 'Order' | 'Target';
const TRACKED: Tracked[] = ['Deal', 'Lead', 'Activity', 'Account', 'Rep', 'Team', 'Order', 'Target'];

/** Each role's slice, written down by hand from the world in test/helpers/security.ts. */
function expectedSlices(w: AccessWorld): Record<Role, Record<Tracked, Array<{ id: number }> | 'ALL'>> {
  const { deals: d, leads: l, activities: a, accounts: c, reps: r, teams: t, orders: o, targets: g } = w;
  return {
    // Every rep sees its own team's directory (to hand a lead over to a colleague), not their work.
    SDR: { Deal: [], Lead: [l.l1], Activity: [a.act1], Account: [c.acc4], Rep: [r.MA, r.a1, r.a2, r.s1], Team: [t.teamA], Order: [], Target: [] },
    AE: { Deal: [d.d1], Lead: [l.l3], Activity: [a.act2], Account: [c.acc1], Rep: [r.MA, r.a1, r.a2, r.s1], Team: [t.teamA], Order: [w.orders.o1], Target: [] },
    MANAGER: {
      Deal: [d.d1, d.d2],
      Lead: [l.l1, l.l3],
      Activity: [a.act1, a.act2],
      Account: [c.acc1, c.acc2, c.acc4],
      Rep: [r.MA, r.a1, r.a2, r.s1],
      Team: [t.teamA],
      Order: [o.o1],
      Target: [g.tCompany, g.tTeamA, g.tRepA1],
    },
    EXEC: { Deal: 'ALL', Lead: 'ALL', Activity: 'ALL', Account: 'ALL', Rep: 'ALL', Team: 'ALL', Order: 'ALL', Target: 'ALL' },
  };
}

const ids = (rows: Array<{ id: number }>) => rows.map((row) => String(row.id)).sort();

describe.each(DATABASES)('row- and field-level access on %s', (kind) => {
  let app: SecurityTestApp;
  let w: AccessWorld;
  const as = (role: Role | 'ADMIN') => w.identities[role] as Identity;
  const run = (query: string, variables: Record<string, unknown>, role: Role | 'ADMIN') => app.execute(query, variables, as(role));
  const codeOf = (res: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    app = await createSecurityTestApp(kind, { limits: { maxDepth: 20, maxCost: 10_000_000 } as never });
    w = await createAccessWorld(app.orm.em as Em);
  });
  afterAll(async () => app?.close());

  const LISTS = `{
    deals(first: 100) { edges { node { id } } totalCount }
    leads(first: 100) { edges { node { id } } totalCount }
    activities(first: 100) { edges { node { id } } totalCount }
    accounts(first: 100) { edges { node { id } } totalCount }
    reps(first: 100) { edges { node { id } } totalCount }
    teams(first: 100) { edges { node { id } } totalCount }
  }`;

  it.each<Role>(['SDR', 'AE', 'MANAGER'])('%s lists only its own slice, and counts agree', async (role) => {
    const res = await run(LISTS, {}, role);
    expect(res.errors).toBeUndefined();
    const slice = expectedSlices(w)[role];
    const data = res.data as Record<string, { edges: Array<{ node: { id: string } }>; totalCount: number }>;
    for (const [field, type] of [['deals', 'Deal'], ['leads', 'Lead'], ['activities', 'Activity'], ['accounts', 'Account'], ['reps', 'Rep'], ['teams', 'Team']] as const) {
      const got = data[field].edges.map((e) => e.node.id).sort();
      expect({ field, got }).toEqual({ field, got: ids(slice[type] as Array<{ id: number }>) });
      expect(data[field].totalCount).toBe(got.length);
    }
  });

  it('EXEC and ADMIN see every row', async () => {
    for (const role of ['EXEC', 'ADMIN'] as const) {
      const res = await run(LISTS, {}, role);
      const data = res.data as Record<string, { totalCount: number }>;
      expect([data.deals.totalCount, data.leads.totalCount, data.activities.totalCount, data.accounts.totalCount, data.reps.totalCount, data.teams.totalCount]).toEqual([3, 3, 4, 4, 8, 2]);
    }
  });

  it('answers NOT_FOUND for a row outside the slice, exactly as for a missing id', async () => {
    const q = `query($id: ID!) { deal(id: $id) { id } }`;
    expect(codeOf(await run(q, { id: w.id(w.deals.d2) }, 'AE'))).toBe('NOT_FOUND');
    expect(codeOf(await run(q, { id: '999999' }, 'AE'))).toBe('NOT_FOUND');
    expect(codeOf(await run(q, { id: w.id(w.deals.d1) }, 'SDR'))).toBe('NOT_FOUND');
    expect(codeOf(await run(q, { id: w.id(w.deals.d3) }, 'MANAGER'))).toBe('NOT_FOUND');
    expect((await run(q, { id: w.id(w.deals.d3) }, 'EXEC')).data).toEqual({ deal: { id: w.id(w.deals.d3) } });
    expect(codeOf(await run(`query($id: ID!) { lead(id: $id) { id } }`, { id: w.id(w.leads.l2) }, 'SDR'))).toBe('NOT_FOUND');
    expect(codeOf(await run(`query($id: ID!) { team(id: $id) { id } }`, { id: w.id(w.teams.teamB) }, 'MANAGER'))).toBe('NOT_FOUND');
    expect(codeOf(await run(`query($id: ID!) { account(id: $id) { id } }`, { id: w.id(w.accounts.acc2) }, 'AE'))).toBe('NOT_FOUND');
  });

  it('narrows nested lists and references: an AE sees only its own deals of an account and of a team', async () => {
    const res = await run(
      `query($acc: ID!) { account(id: $acc) { deals { name } } me { rep { deals { name } team { members { name } } } } }`,
      { acc: w.id(w.accounts.acc1) },
      'AE',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ account: { deals: [{ name: 'D1' }] }, me: { rep: { deals: [{ name: 'D1' }], team: { members: [{ name: 'A1' }, { name: 'A2' }, { name: 'MA' }, { name: 'S1' }] } } } });
    // A colleague's work stays hidden: a2's deals are not the AE's.
    const colleague = await run(`query($id: ID!) { rep(id: $id) { name deals { name } } }`, { id: w.id(w.reps.a2) }, 'AE');
    expect(colleague.data).toEqual({ rep: { name: 'A2', deals: [] } });
    // The SDR sees its own rep but no deals, and its lead's activities.
    const sdr = await run(`query($l: ID!) { me { role rep { name deals { id } } } lead(id: $l) { name activities { id } account { name } } }`, { l: w.id(w.leads.l1) }, 'SDR');
    expect(sdr.data).toEqual({ me: { role: 'SDR', rep: { name: 'S1', deals: [] } }, lead: { name: 'L1', activities: [{ id: w.id(w.activities.act1) }], account: { name: 'Acc4' } } });
  });

  it('hides cost and margin below MANAGER (null) and shows them from MANAGER up', async () => {
    const q = `query($acc: ID!) { products { edges { node { listPrice unitCost grossMarginRate } } } account(id: $acc) { orders { amount cost } } }`;
    const ae = await run(q, { acc: w.id(w.accounts.acc1) }, 'AE');
    expect(ae.data).toEqual({ products: { edges: [{ node: { listPrice: 1000, unitCost: null, grossMarginRate: null } }] }, account: { orders: [{ amount: 5000, cost: null }] } });
    const manager = await run(q, { acc: w.id(w.accounts.acc1) }, 'MANAGER');
    expect(manager.data).toEqual({ products: { edges: [{ node: { listPrice: 1000, unitCost: 400, grossMarginRate: 0.6 } }] }, account: { orders: [{ amount: 5000, cost: 2000 }] } });
  });

  it('keeps quotas (targets) from SDRs and AEs, and other teams’ targets from a MANAGER', async () => {
    const q = `{ targets(first: 50) { edges { node { id } } } }`;
    expect(codeOf(await run(q, {}, 'SDR'))).toBe('FORBIDDEN');
    expect(codeOf(await run(q, {}, 'AE'))).toBe('FORBIDDEN');
    const manager = await run(q, {}, 'MANAGER');
    const got = (manager.data as { targets: { edges: Array<{ node: { id: string } }> } }).targets.edges.map((e) => e.node.id).sort();
    expect(got).toEqual(ids([w.targets.tCompany, w.targets.tTeamA, w.targets.tRepA1]));
    const create = `mutation($input: CreateTargetInput!) { createTarget(input: $input) { id } }`;
    const input = (teamId: string) => ({ kpiKey: 'revenue', scope: 'TEAM', teamId, periodStart: '2026-04-01T00:00:00Z', periodEnd: '2026-07-01T00:00:00Z', value: 5 });
    expect(codeOf(await run(create, { input: input(w.id(w.teams.teamB)) }, 'MANAGER'))).toBe('NOT_FOUND'); // as team(id) answers
    expect(codeOf(await run(create, { input: input(w.id(w.teams.teamA)) }, 'AE'))).toBe('FORBIDDEN');
    const created = await run(create, { input: input(w.id(w.teams.teamA)) }, 'MANAGER');
    expect(created.errors).toBeUndefined();
    await (app.orm.em.fork() as Em).nativeDelete(Target, { id: Number((created.data as { createTarget: { id: string } }).createTarget.id) });
  });

  /**
   * The schema walk: every root query field the schema has (including other modules' KPIs, forecasts and
   * scores), selected with every field reachable in a few levels, run as each role. Every record with an id that
   * comes back must be in that role's slice, and cost fields must be null below MANAGER.
   */
  it.each<Role>(['SDR', 'AE', 'MANAGER'])('walks the whole schema as %s and nothing outside its slice comes back', async (role) => {
    const slice = expectedSlices(w)[role];
    const allowed = new Map<string, Set<string>>();
    for (const type of TRACKED) if (slice[type] !== 'ALL') allowed.set(type, new Set(ids(slice[type] as Array<{ id: number }>)));
    const query = app.schema.getQueryType()!;
    const leaks: string[] = [];
    const internal: string[] = [];
    let rootsWalked = 0;

    const visit = (value: unknown, path: string) => {
      if (Array.isArray(value)) return value.forEach((item, i) => visit(item, `${path}[${i}]`));
      if (!value || typeof value !== 'object') return;
      const record = value as Record<string, unknown>;
      const typename = record.__typename as string | undefined;
      if (typename && typeof record.id === 'string' && allowed.has(typename) && !allowed.get(typename)!.has(record.id)) leaks.push(`${path}: ${typename} ${record.id}`);
      if (role !== 'MANAGER' && typename === 'Product' && (record.unitCost != null || record.grossMarginRate != null)) leaks.push(`${path}: Product cost`);
      if (role !== 'MANAGER' && typename === 'Order' && record.cost != null) leaks.push(`${path}: Order cost`);
      for (const [key, child] of Object.entries(record)) visit(child, `${path}.${key}`);
    };

    const byIdRoots: Record<string, Array<{ id: number }>> = {
      deal: Object.values(w.deals),
      lead: Object.values(w.leads),
      account: Object.values(w.accounts),
      rep: Object.values(w.reps),
      team: Object.values(w.teams),
    };
    for (const field of Object.values(query.getFields())) {
      const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
      const selection = selectionOf(getNamedType(field.type), 3);
      const runs: Array<Record<string, unknown>> = [];
      if (required.length === 0) runs.push({});
      else if (byIdRoots[field.name] && required.length === 1 && required[0].name === 'id') for (const row of byIdRoots[field.name]) runs.push({ id: String(row.id) });
      for (const variables of runs) {
        const defs = required.length ? `(${required.map((arg) => `$${arg.name}: ${arg.type}`).join(', ')})` : '';
        const args = required.length ? `(${required.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})` : '';
        const res = await run(`query${defs} { ${field.name}${args}${selection ? ` ${selection}` : ''} }`, variables, role);
        rootsWalked++;
        for (const error of res.errors ?? []) if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') internal.push(`${field.name}: ${error.message}`);
        visit(res.data, field.name);
      }
    }
    expect(rootsWalked).toBeGreaterThanOrEqual(20);
    expect(leaks).toEqual([]);
    expect(internal).toEqual([]);
  });

  it('checks every mutation against the slice: ids outside it are NOT_FOUND, assignments to a readable colleague FORBIDDEN', async () => {
    const updateLead = `mutation($id: ID!, $v: Int!, $input: UpdateLeadInput!) { updateLead(id: $id, version: $v, input: $input) { id title } }`;
    expect(codeOf(await run(updateLead, { id: w.id(w.leads.l2), v: 1, input: { title: 'x' } }, 'SDR'))).toBe('NOT_FOUND');
    expect(codeOf(await run(updateLead, { id: w.id(w.leads.l1), v: 1, input: { ownerId: w.id(w.reps.s2) } }, 'SDR'))).toBe('NOT_FOUND');
    expect(codeOf(await run(updateLead, { id: w.id(w.leads.l1), v: 1, input: { ownerId: w.id(w.reps.a1) } }, 'SDR'))).toBe('FORBIDDEN');
    const move = `mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id } }`;
    expect(codeOf(await run(move, { input: { dealId: w.id(w.deals.d2), version: 1, stageId: String(w.stages[1].id) } }, 'AE'))).toBe('NOT_FOUND');
    const createDeal = `mutation($input: CreateDealInput!) { createDeal(input: $input) { id owner { name } } }`;
    const dealInput = (ownerId: string) => ({ name: 'New', accountId: w.id(w.accounts.acc1), ownerId, amount: 10 });
    expect(codeOf(await run(createDeal, { input: dealInput(w.id(w.reps.a2)) }, 'AE'))).toBe('FORBIDDEN');
    expect(codeOf(await run(createDeal, { input: dealInput(w.id(w.reps.s1)) }, 'SDR'))).toBe('FORBIDDEN');
    expect(codeOf(await run(createDeal, { input: dealInput(w.id(w.reps.b1)) }, 'MANAGER'))).toBe('NOT_FOUND');
    const log = `mutation($input: LogActivityInput!) { logActivity(input: $input) { id } }`;
    expect(codeOf(await run(log, { input: { type: 'CALL', repId: w.id(w.reps.s2), leadId: w.id(w.leads.l1) } }, 'SDR'))).toBe('NOT_FOUND');
    expect(codeOf(await run(log, { input: { type: 'CALL', repId: w.id(w.reps.a1), leadId: w.id(w.leads.l1) } }, 'SDR'))).toBe('FORBIDDEN');
    expect(codeOf(await run(log, { input: { type: 'CALL', repId: w.id(w.reps.s1), leadId: w.id(w.leads.l2) } }, 'SDR'))).toBe('NOT_FOUND');
    // Nothing above was written.
    const check = await run(`{ deals(first: 50) { totalCount } activities(first: 50) { totalCount } }`, {}, 'EXEC');
    expect(check.data).toEqual({ deals: { totalCount: 3 }, activities: { totalCount: 4 } });
    // An SDR creating a lead without an owner works it: it shows up in its slice.
    const created = await run(`mutation { createLead(input: { name: "Fresh" }) { name owner { name } } }`, {}, 'SDR');
    expect(created.data).toEqual({ createLead: { name: 'Fresh', owner: { name: 'S1' } } });
  });
});

/** `{ __typename id ... }` with every leaf and, `depth` levels down, every object field without required arguments. */
function selectionOf(type: ReturnType<typeof getNamedType>, depth: number): string {
  if (isLeafType(type) || isEnumType(type)) return '';
  if (!isObjectType(type)) return '{ __typename }';
  const parts = ['__typename'];
  for (const field of Object.values((type as GraphQLObjectType).getFields()) as GraphQLField<unknown, unknown>[]) {
    if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else if (depth > 0) parts.push(`${field.name} ${selectionOf(named, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}
