import type { Em } from '../../src/db/orm';
import { Account } from '../../src/modules/account/account.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DATABASES, type TestApp } from '../helpers/databases';
import { createBasicWorld, useWorld, type BasicWorld } from '../helpers/fixtures';

const CREATE = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id version status name company source owner { name } attributes } }`;
const CONVERT = `mutation($input: ConvertLeadInput!) { convertLead(input: $input) { id version status closedAt convertedDeal { id name amount source status account { name } } } }`;
const LOG = `mutation($input: LogActivityInput!) { logActivity(input: $input) { id type outcome lead { status firstContactedAt } } }`;

describe.each(DATABASES)('leads and activities on %s', (kind) => {
  let app: TestApp;
  let world: BasicWorld;
  const em = () => app.orm.em.fork() as Em;

  useWorld(kind, createBasicWorld, (a, w) => ((app = a), (world = w)));

  const createLead = async (company = 'Globex SA') => {
    const res = await app.execute<any>(CREATE, {
      input: { name: 'Lea Prospect', company, source: 'Referral', ownerId: String(world.sdr.id), attributes: { 'Total Visits': 7, Occupation: 'Engineer' } },
    });
    expect(res.errors).toBeUndefined();
    return res.data.createLead as { id: string; version: number };
  };

  it('creates a lead with custom attributes and an owner', async () => {
    const res = await app.execute<any>(CREATE, { input: { name: 'Lea Prospect', company: 'Globex SA', source: 'Referral', ownerId: String(world.sdr.id), attributes: { 'Total Visits': 7 } } });
    expect(res.data.createLead).toMatchObject({ status: 'NEW', owner: { name: 'Sam Caller' }, attributes: { 'Total Visits': 7 } });
  });

  it('rejects invalid input naming the field', async () => {
    const email = await app.execute(CREATE, { input: { name: 'x', email: 'not-an-email' } });
    expect(email.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    const nested = await app.execute(CREATE, { input: { name: 'x', attributes: { deep: { a: 1 } } } });
    expect(nested.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'attributes' });
    const owner = await app.execute(CREATE, { input: { name: 'x', ownerId: '0' } });
    expect(owner.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.ownerId' });
  });

  it('logs a first call: the lead becomes CONTACTED with its first-contact time', async () => {
    const lead = await createLead();
    const at = '2026-03-02T09:30:00.000Z';
    const res = await app.execute<any>(LOG, { input: { type: 'CALL', repId: String(world.sdr.id), leadId: lead.id, at, outcome: 'CONNECTED' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.logActivity).toMatchObject({ type: 'CALL', outcome: 'CONNECTED', lead: { status: 'CONTACTED', firstContactedAt: at } });
  });

  it('refuses activities on nothing or in the future', async () => {
    const none = await app.execute(LOG, { input: { type: 'CALL', repId: String(world.sdr.id) } });
    expect(none.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'leadId' });
    const lead = await createLead();
    const future = await app.execute(LOG, { input: { type: 'CALL', repId: String(world.sdr.id), leadId: lead.id, at: '2999-01-01T00:00:00Z' } });
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'at' });
  });

  it('converts a lead into a deal and an account in one step, and only once', async () => {
    const lead = await createLead('Initech Conversion');
    const res = await app.execute<any>(CONVERT, { input: { leadId: lead.id, version: lead.version, ownerId: String(world.ae.id), productId: String(world.product.id), amount: 48000 } });
    expect(res.errors).toBeUndefined();
    expect(res.data.convertLead).toMatchObject({
      status: 'CONVERTED',
      convertedDeal: { name: 'Initech Conversion - Pipewise Pro', amount: 48000, source: 'Referral', status: 'OPEN', account: { name: 'Initech Conversion' } },
    });
    const again = await app.execute(CONVERT, { input: { leadId: lead.id, version: res.data.convertLead.version, ownerId: String(world.ae.id), amount: 1 } });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('leaves nothing behind when a conversion fails half-way', async () => {
    const lead = await createLead('Half Written GmbH');
    const dealsBefore = await em().count(Deal, {});
    // The account is created before the owner is looked up: an unknown owner must roll it back.
    const res = await app.execute(CONVERT, { input: { leadId: lead.id, version: lead.version, ownerId: '987654', amount: 1000 } });
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await em().count(Account, { name: 'Half Written GmbH' })).toBe(0);
    expect(await em().count(Deal, {})).toBe(dealsBefore);
    const after = await app.execute<any>(`query($id: ID!) { lead(id: $id) { status version convertedDeal { id } } }`, { id: lead.id });
    expect(after.data.lead).toEqual({ status: 'NEW', version: lead.version, convertedDeal: null });
  });

  it('qualifies then disqualifies, refusing stale versions and closed leads', async () => {
    const lead = await createLead();
    const q = await app.execute<any>(`mutation($id: ID!, $v: Int!) { qualifyLead(id: $id, version: $v) { status sqlAt version } }`, { id: lead.id, v: lead.version });
    expect(q.data.qualifyLead.status).toBe('QUALIFIED');
    expect(q.data.qualifyLead.sqlAt).not.toBeNull();
    const stale = await app.execute(`mutation($id: ID!, $v: Int!) { disqualifyLead(id: $id, version: $v, reason: "no budget") { status } }`, { id: lead.id, v: lead.version });
    expect(stale.errors?.[0].extensions?.code).toBe('CONFLICT');
    const d = await app.execute<any>(`mutation($id: ID!, $v: Int!) { disqualifyLead(id: $id, version: $v, reason: "no budget") { status disqualificationReason version } }`, { id: lead.id, v: q.data.qualifyLead.version });
    expect(d.data.disqualifyLead).toMatchObject({ status: 'DISQUALIFIED', disqualificationReason: 'no budget' });
    const convert = await app.execute(CONVERT, { input: { leadId: lead.id, version: d.data.disqualifyLead.version, ownerId: String(world.ae.id), amount: 10 } });
    expect(convert.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('filters leads by status, source and text, and nests the newest leads under their rep', async () => {
    const res = await app.execute<any>(`query($rep: ID!) {
      leads(filter: { statuses: [CONVERTED], sources: ["Referral"], search: "initech" }) { totalCount edges { node { company } } }
      rep(id: $rep) { leads(first: 2) { id } tenureMonths }
    }`, { rep: String(world.sdr.id) });
    expect(res.errors).toBeUndefined();
    expect(res.data.leads).toEqual({ totalCount: 1, edges: [{ node: { company: 'Initech Conversion' } }] });
    expect(res.data.rep.leads).toHaveLength(2);
    const ids = res.data.rep.leads.map((l: { id: string }) => Number(l.id));
    expect(ids[0]).toBeGreaterThan(ids[1]);
  });
});
