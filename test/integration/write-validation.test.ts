import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import { Account } from '../../src/modules/account/account.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { Lead } from '../../src/modules/lead/lead.entity';
import { LeadStatus } from '../../src/shared/enums';

/** Dates that have not happened, booked revenue, blank names and LIKE wildcards, on the world of test/helpers/security.ts. */
describe.each(DATABASES)('write validation and literal search on %s', (kind) => {
  let app: SecurityTestApp;
  let w: AccessWorld;
  const run = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => app.execute<T>(query, variables);
  const extOf = (res: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) => {
    const ext = res.errors?.[0]?.extensions;
    return ext && { code: ext.code, field: ext.field };
  };
  const version = async (id: number) => (await (app.orm.em.fork() as Em).findOneOrFail(Deal, id)).version;

  beforeAll(async () => {
    app = await createSecurityTestApp(kind);
    w = await createAccessWorld(app.orm.em as Em);
  });
  afterAll(async () => app?.close());

  it('refuses stage moves and closes dated in the future, as logActivity does (5 minutes of clock skew allowed)', async () => {
    const move = `mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id } }`;
    const close = `mutation($input: CloseDealInput!) { closeDeal(input: $input) { status } }`;
    const d1 = w.deals.d1.id;
    expect(extOf(await run(move, { input: { dealId: String(d1), version: await version(d1), stageId: String(w.stages[1].id), at: '2999-01-01T00:00:00Z' } }))).toEqual({ code: 'BAD_USER_INPUT', field: 'at' });
    expect(extOf(await run(close, { input: { dealId: String(d1), version: await version(d1), won: true, closedAt: '2999-01-01T00:00:00Z' } }))).toEqual({ code: 'BAD_USER_INPUT', field: 'closedAt' });
    const soon = new Date(Date.now() + 60_000).toISOString(); // within the skew
    expect((await run(move, { input: { dealId: String(d1), version: await version(d1), stageId: String(w.stages[1].id), at: soon } })).errors).toBeUndefined();
    const deal = await (app.orm.em.fork() as Em).findOneOrFail(Deal, d1);
    expect([deal.status, deal.stage.id]).toEqual(['OPEN', w.stages[1].id]);
  });

  it('refuses to change the amount or currency of a won deal (CONFLICT), and allows its other fields', async () => {
    const d2 = w.deals.d2.id;
    const closed = await run(`mutation($input: CloseDealInput!) { closeDeal(input: $input) { status } }`, { input: { dealId: String(d2), version: await version(d2), won: true } });
    expect(closed.errors).toBeUndefined();
    const update = `mutation($id: ID!, $v: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $v, input: $input) { name amount currency } }`;
    expect(extOf(await run(update, { id: String(d2), v: await version(d2), input: { amount: 1 } }))).toEqual({ code: 'CONFLICT', field: 'input.amount' });
    expect(extOf(await run(update, { id: String(d2), v: await version(d2), input: { currency: 'USD' } }))).toEqual({ code: 'CONFLICT', field: 'input.currency' });
    const same = await run(update, { id: String(d2), v: await version(d2), input: { amount: 5000, name: 'D2 renamed' } });
    expect(same.data).toEqual({ updateDeal: { name: 'D2 renamed', amount: 5000, currency: 'EUR' } });
  });

  it('refuses names of only spaces with the field at fault', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: '   ', accountId: String(w.accounts.acc1.id), ownerId: String(w.reps.a1.id), amount: 1 } }, 'name'],
      [`mutation($id: ID!, $v: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $v, input: $input) { id } }`, { id: String(w.deals.d3.id), v: await version(w.deals.d3.id), input: { name: ' \t ' } }, 'input.name'],
      [`mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`, { input: { name: '  ' } }, 'input.name'],
      [`mutation($id: ID!, $v: Int!, $input: UpdateLeadInput!) { updateLead(id: $id, version: $v, input: $input) { id } }`, { id: String(w.leads.l2.id), v: 1, input: { name: '  ' } }, 'input.name'],
      [`mutation { createRep(input: { name: "  ", email: "blank@example.com", role: AE }) { id } }`, {}, 'input.name'],
      [`mutation { adjustForecast(input: { period: "2026-Q1", scope: COMPANY, amount: 1, note: "    " }) { id } }`, {}, 'input.note'],
    ];
    const before = await (app.orm.em.fork() as Em).count(Lead, {});
    for (const [query, variables, field] of cases) {
      const identity = query.includes('adjustForecast') ? w.identities.EXEC : undefined;
      expect({ field, got: extOf(await app.execute(query, variables, identity)) }).toEqual({ field, got: { code: 'BAD_USER_INPUT', field } });
    }
    expect(await (app.orm.em.fork() as Em).count(Lead, {})).toBe(before);
  });

  it('matches % and _ in search text literally on every searchable list', async () => {
    const em = app.orm.em.fork() as Em;
    em.create(Account, { name: '100% Organic' });
    em.create(Account, { name: '100 Organic' });
    em.create(Account, { name: 'snake_case Ltd' });
    em.create(Account, { name: 'snakeXcase Ltd' });
    em.create(Lead, { name: 'Back\\slash', status: LeadStatus.NEW, attributes: {}, owner: w.reps.s1 });
    em.create(Lead, { name: 'Jo Doe', company: 'Acme Rockets', status: LeadStatus.NEW, attributes: {}, owner: w.reps.s1 });
    await em.flush();
    const names = async (search: string) => {
      const res = await run<{ accounts: { edges: Array<{ node: { name: string } }> } }>(`query($s: String) { accounts(first: 50, filter: { search: $s }) { edges { node { name } } } }`, { s: search });
      expect(res.errors).toBeUndefined();
      return res.data!.accounts.edges.map((e) => e.node.name).sort();
    };
    expect(await names('100%')).toEqual(['100% Organic']);
    expect(await names('snake_case')).toEqual(['snake_case Ltd']);
    expect(await names('ORGANIC')).toEqual(['100 Organic', '100% Organic']); // still case-insensitive
    const leads = await run<{ leads: { edges: Array<{ node: { name: string } }> } }>(`query($s: String) { leads(first: 50, filter: { search: $s }) { edges { node { name } } totalCount } }`, { s: 'k\\s' });
    expect(leads.errors).toBeUndefined();
    expect(leads.data!.leads.edges.map((e) => e.node.name)).toEqual(['Back\\slash']);
    // any of a list's searched columns (a lead's name, company or email), with the page's count
    const byCompany = await run<{ leads: { edges: Array<{ node: { name: string } }>; totalCount: number } }>(`{ leads(first: 50, filter: { search: "ROCKETS" }) { edges { node { name } } totalCount } }`);
    expect(byCompany.data!.leads).toEqual({ edges: [{ node: { name: 'Jo Doe' } }], totalCount: 1 });
    const reps = await run<{ reps: { totalCount: number } }>(`{ reps(first: 50, filter: { search: "_" }) { totalCount } }`);
    expect(reps.data!.reps.totalCount).toBe(0);
    const deals = await run<{ deals: { totalCount: number } }>(`{ deals(first: 50, filter: { search: "%" }) { totalCount } }`);
    expect(deals.data!.deals.totalCount).toBe(0);
  });
});
