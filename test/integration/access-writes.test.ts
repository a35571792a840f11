import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import type { Identity } from '../../src/modules/auth/identity';
import { Account } from '../../src/modules/account/account.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { Lead } from '../../src/modules/lead/lead.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { LeadStatus, RepRole } from '../../src/shared/enums';

type Role = 'SDR' | 'AE' | 'MANAGER' | 'EXEC' | 'ADMIN';

/**
 * Writers under the read rules (src/modules/auth/access.policy.ts), on the world of test/helpers/security.ts:
 * team A = MA, a1, a2, s1 (+ a3, inactive AE, added here); team B = MB, b1, s2; X = EXEC without a team.
 * Accounts: acc1 (d1 of a1), acc2 (d2 of a2), acc3 (d3 of b1, team B), acc4 (lead l1 of s1).
 */
describe.each(DATABASES)('mutations name only records the caller can read, and owners follow one rule, on %s', (kind) => {
  let app: SecurityTestApp;
  let w: AccessWorld;
  let a3: Rep;
  const run = (query: string, variables: Record<string, unknown>, role: Role) => app.execute(query, variables, w.identities[role] as Identity);
  const errorOf = (res: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) => {
    const ext = res.errors?.[0]?.extensions;
    return ext ? { code: ext.code, ...(ext.field !== undefined && { field: ext.field }) } : undefined;
  };
  const id = (row: { id: number }) => String(row.id);
  const count = async () => {
    const em = app.orm.em.fork() as Em;
    return { deals: await em.count(Deal, {}), leads: await em.count(Lead, {}), accounts: await em.count(Account, {}) };
  };

  beforeAll(async () => {
    app = await createSecurityTestApp(kind);
    w = await createAccessWorld(app.orm.em as Em);
    const em = app.orm.em.fork() as Em;
    a3 = em.create(Rep, { name: 'A3', email: 'a3@example.com', role: RepRole.AE, team: w.teams.teamA, hiredAt: new Date('2023-01-02T00:00:00Z'), active: false });
    await em.flush();
  });
  afterAll(async () => app?.close());

  const CREATE_DEAL = `mutation($input: CreateDealInput!) { createDeal(input: $input) { id account { name } owner { name } } }`;
  const UPDATE_DEAL = `mutation($id: ID!, $v: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $v, input: $input) { id account { name } } }`;
  const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id account { name } owner { name } } }`;
  const UPDATE_LEAD = `mutation($id: ID!, $v: Int!, $input: UpdateLeadInput!) { updateLead(id: $id, version: $v, input: $input) { id } }`;
  const CONVERT = `mutation($input: ConvertLeadInput!) { convertLead(input: $input) { status convertedDeal { owner { name } account { id name } } } }`;

  it('answers NOT_FOUND for another slice’s account, as account(id) does, and writes nothing', async () => {
    const before = await count();
    const deal = (accountId: string, ownerId = id(w.reps.a1)) => ({ input: { name: 'Probe', accountId, ownerId, amount: 10 } });
    // The read first: the AE cannot see acc3 (team B) nor acc4 (its SDR colleague's lead).
    expect(errorOf(await run(`query($id: ID!) { account(id: $id) { name } }`, { id: id(w.accounts.acc3) }, 'AE'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(CREATE_DEAL, deal(id(w.accounts.acc3)), 'AE'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(CREATE_DEAL, deal(id(w.accounts.acc4)), 'AE'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(CREATE_DEAL, deal('999999'), 'AE'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(UPDATE_DEAL, { id: id(w.deals.d1), v: 1, input: { accountId: id(w.accounts.acc3) } }, 'AE'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(CREATE_LEAD, { input: { name: 'Probe', accountId: id(w.accounts.acc3) } }, 'SDR'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(UPDATE_LEAD, { id: id(w.leads.l1), v: 1, input: { accountId: id(w.accounts.acc1) } }, 'SDR'))).toEqual({ code: 'NOT_FOUND' });
    // A MANAGER sees its team's accounts (acc1, acc2, acc4), not team B's.
    expect(errorOf(await run(CREATE_DEAL, deal(id(w.accounts.acc3), id(w.reps.a2)), 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(UPDATE_LEAD, { id: id(w.leads.l3), v: 1, input: { accountId: id(w.accounts.acc3) } }, 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    expect(await count()).toEqual(before);
    // Inside the slice the same writes succeed.
    const ok = await run(CREATE_DEAL, deal(id(w.accounts.acc4), id(w.reps.a2)), 'MANAGER');
    expect(ok.data).toEqual({ createDeal: { id: expect.any(String), account: { name: 'Acc4' }, owner: { name: 'A2' } } });
  });

  it('applies one owner rule: readable (NOT_FOUND), the caller’s to assign (FORBIDDEN), active and of an owning role (BAD_USER_INPUT)', async () => {
    const before = await count();
    const deal = (ownerId: string) => ({ input: { name: 'Owner probe', accountId: id(w.accounts.acc1), ownerId, amount: 10 } });
    const lead = (ownerId: string) => ({ input: { name: 'Owner probe', ownerId } });
    // Another team's rep is unreadable, exactly like rep(id).
    expect(errorOf(await run(`query($id: ID!) { rep(id: $id) { name } }`, { id: id(w.reps.b1) }, 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(CREATE_DEAL, deal(id(w.reps.b1)), 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(CREATE_LEAD, lead(id(w.reps.X)), 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    // A colleague is readable, but an AE or SDR only assigns to itself.
    expect(errorOf(await run(CREATE_DEAL, deal(id(w.reps.a2)), 'AE'))).toEqual({ code: 'FORBIDDEN' });
    expect(errorOf(await run(UPDATE_LEAD, { id: id(w.leads.l1), v: 1, input: { ownerId: id(w.reps.a1) } }, 'SDR'))).toEqual({ code: 'FORBIDDEN' });
    // Inactive reps and roles that hold no such records.
    expect(errorOf(await run(CREATE_DEAL, deal(id(a3)), 'MANAGER'))).toEqual({ code: 'BAD_USER_INPUT', field: 'ownerId' });
    expect(errorOf(await run(CREATE_LEAD, lead(id(a3)), 'MANAGER'))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.ownerId' });
    expect(errorOf(await run(CREATE_DEAL, deal(id(w.reps.s1)), 'MANAGER'))).toEqual({ code: 'BAD_USER_INPUT', field: 'ownerId' });
    expect(errorOf(await run(CREATE_DEAL, deal(id(w.reps.X)), 'EXEC'))).toEqual({ code: 'BAD_USER_INPUT', field: 'ownerId' });
    expect(errorOf(await run(CREATE_LEAD, lead(id(w.reps.X)), 'ADMIN'))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.ownerId' });
    expect(errorOf(await run(UPDATE_DEAL, { id: id(w.deals.d1), v: 1, input: { ownerId: id(a3) } }, 'EXEC'))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.ownerId' });
    expect(errorOf(await run(UPDATE_DEAL, { id: id(w.deals.d1), v: 1, input: { ownerId: null } }, 'MANAGER'))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.ownerId' });
    expect(await count()).toEqual(before);
  });

  it('lets an SDR hand a converted lead only to an active deal owner of its own team', async () => {
    const em = app.orm.em.fork() as Em;
    const fresh = em.create(Lead, { name: 'Handoff', company: 'Acc3', owner: w.reps.s1, status: LeadStatus.QUALIFIED, attributes: {} });
    await em.flush();
    const convert = (ownerId: string) => ({ input: { leadId: id(fresh), version: fresh.version, ownerId, amount: 100 } });
    const before = await count();
    expect(errorOf(await run(CONVERT, convert(id(w.reps.b1)), 'SDR'))).toEqual({ code: 'NOT_FOUND' }); // another team's AE
    expect(errorOf(await run(CONVERT, convert(id(w.reps.X)), 'SDR'))).toEqual({ code: 'NOT_FOUND' }); // the EXEC
    expect(errorOf(await run(CONVERT, convert(id(w.reps.s1)), 'SDR'))).toEqual({ code: 'BAD_USER_INPUT', field: 'ownerId' }); // an SDR
    expect(errorOf(await run(CONVERT, convert(id(a3)), 'SDR'))).toEqual({ code: 'BAD_USER_INPUT', field: 'ownerId' }); // inactive
    expect(errorOf(await run(CONVERT, convert('999999'), 'SDR'))).toEqual({ code: 'NOT_FOUND' });
    expect(await count()).toEqual(before);
    const done = await run(CONVERT, convert(id(w.reps.a1)), 'SDR');
    expect(done.data).toEqual({ convertLead: { status: 'CONVERTED', convertedDeal: null } }); // SDRs see no deals
    const read = await run(`query($id: ID!) { lead(id: $id) { convertedDeal { owner { name } account { id name } } } }`, { id: id(fresh) }, 'EXEC');
    const converted = (read.data as { lead: { convertedDeal: { owner: { name: string }; account: { id: string; name: string } } } }).lead;
    expect([converted.convertedDeal.owner.name, converted.convertedDeal.account.name]).toEqual(['A1', 'Acc3']);
    // The company name matches team B's account Acc3, which the SDR cannot read: a new account, never acc3.
    expect(converted.convertedDeal.account.id).not.toBe(id(w.accounts.acc3));
    expect((await count()).accounts).toBe(before.accounts + 1);
  });

  it('signs forecast calls and category overrides with the caller; no authorId can be sent', async () => {
    const adjust = `mutation($input: AdjustForecastInput!) { adjustForecast(input: $input) { author { name } } }`;
    const input = { period: '2026-Q1', scope: 'REP', repId: id(w.reps.a1), amount: 10, note: 'my call' };
    expect((await run(adjust, { input }, 'MANAGER')).data).toEqual({ adjustForecast: { author: { name: 'MA' } } });
    expect(errorOf(await run(adjust, { input: { ...input, authorId: id(w.reps.a1) } }, 'MANAGER'))?.code).toBe('BAD_USER_INPUT');
    const override = `mutation($input: OverrideDealCategoryInput!) { overrideDealForecastCategory(input: $input) { author { name } } }`;
    const deal = await (app.orm.em.fork() as Em).findOneOrFail(Deal, w.deals.d2.id);
    const call = { dealId: id(deal), version: deal.version, category: 'COMMIT', period: '2026-Q1', note: 'manager call' };
    expect((await run(override, { input: call }, 'MANAGER')).data).toEqual({ overrideDealForecastCategory: { author: { name: 'MA' } } });
    expect(errorOf(await run(override, { input: { ...call, dealId: id(w.deals.d3) } }, 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    // A forecast call names a team or rep the caller can read, before its rights on it.
    expect(errorOf(await run(adjust, { input: { ...input, repId: id(w.reps.b1) } }, 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(adjust, { input: { ...input, scope: 'TEAM', repId: undefined, teamId: id(w.teams.teamB) } }, 'MANAGER'))).toEqual({ code: 'NOT_FOUND' });
    expect(errorOf(await run(adjust, { input: { ...input, repId: id(w.reps.a2) } }, 'AE'))).toEqual({ code: 'FORBIDDEN' });
    // The ADMIN service identity is no rep: it cannot sign a call.
    expect(errorOf(await run(adjust, { input }, 'ADMIN'))).toEqual({ code: 'FORBIDDEN' });
  });
});
