import type { EntityName, EventArgs, EventSubscriber } from '@mikro-orm/core';
import { DATABASES } from '../helpers/databases';
import { createBasicWorld, type BasicWorld } from '../helpers/fixtures';
import { createSecurityTestApp, post, tokenFor, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import { AccessRole } from '../../src/modules/auth/identity';
import { Account } from '../../src/modules/account/account.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { Lead } from '../../src/modules/lead/lead.entity';
import { Order } from '../../src/modules/order/order.entity';
import { LeadStatus } from '../../src/shared/enums';

const CREATE = `mutation($input: CreateDealInput!) { createDeal(input: $input) { id version } }`;
const MOVE = `mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id version stage { name } } }`;
const UPDATE = `mutation($id: ID!, $version: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $version, input: $input) { id version amount } }`;
const CLOSE = `mutation($input: CloseDealInput!) { closeDeal(input: $input) { id status } }`;
const HISTORY = `query($id: ID!) { deal(id: $id) { version amount stage { name } stageHistory { fromStage { name } toStage { name } } } }`;

/**
 * A fault injected in the middle of a mutation: throws right after the INSERT of an Order has run (inside the
 * transaction, with the stage change already written), as a crash or a constraint between two writes would.
 */
class FailAfterOrderInsert implements EventSubscriber<Order> {
  armed = false;
  inserted = 0;
  getSubscribedEntities(): EntityName<Order>[] {
    return [Order];
  }
  async afterCreate(_args: EventArgs<Order>): Promise<void> {
    if (!this.armed) return;
    this.inserted++;
    throw new Error('injected failure after writing the order');
  }
}

describe.each(DATABASES)('concurrency and atomicity on %s', (kind) => {
  let app: SecurityTestApp;
  let world: BasicWorld;
  let url: string;
  let auth: Record<string, string>;
  const failOrders = new FailAfterOrderInsert();

  beforeAll(async () => {
    app = await createSecurityTestApp(kind);
    world = await createBasicWorld(app.orm.em as Em);
    url = await app.listen(0, '127.0.0.1');
    auth = { authorization: `Bearer ${await tokenFor(app, { subject: 'rep:' + world.manager.id, role: AccessRole.MANAGER, repId: world.manager.id, teamId: world.team.id })}` };
    app.orm.em.getEventManager().registerSubscriber(failOrders);
  });
  afterAll(async () => app?.close());

  const newDeal = async () => {
    const res = await app.execute<{ createDeal: { id: string; version: number } }>(CREATE, {
      input: { name: 'Race', accountId: String(world.account.id), ownerId: String(world.ae.id), productId: String(world.product.id), amount: 1000 },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.createDeal;
  };

  it('lets exactly one of 8 parallel moveDealStage calls (same version, over HTTP) win; the others get CONFLICT', async () => {
    const deal = await newDeal();
    const targets = ['Qualification', 'Discovery/Demo', 'Proposal', 'Negotiation', 'Qualification', 'Discovery/Demo', 'Proposal', 'Negotiation'];
    const results = await Promise.all(
      targets.map((stage) => post(url, { query: MOVE, variables: { input: { dealId: deal.id, version: deal.version, stageId: String(world.stages[stage].id) } } }, auth)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const winners = results.filter((r) => !r.json?.errors);
    const codes = results.filter((r) => r.json?.errors).map((r) => r.json!.errors![0].extensions?.code);
    expect(winners).toHaveLength(1);
    expect(codes).toEqual(Array(7).fill('CONFLICT'));
    const won = (winners[0].json!.data as { moveDealStage: { version: number; stage: { name: string } } }).moveDealStage;
    expect(won.version).toBe(deal.version + 1);
    // History: the first stage and exactly one move, to the winner's stage; the deal is in that stage.
    const after = await app.execute<{ deal: { version: number; stage: { name: string }; stageHistory: Array<{ fromStage: { name: string } | null; toStage: { name: string } }> } }>(HISTORY, { id: deal.id });
    expect(after.data!.deal).toEqual({
      version: deal.version + 1,
      amount: 1000,
      stage: { name: won.stage.name },
      stageHistory: [{ fromStage: null, toStage: { name: 'Prospecting' } }, { fromStage: { name: 'Prospecting' }, toStage: { name: won.stage.name } }],
    });
  });

  it('never loses an update: parallel updateDeal and moveDealStage on one version, one wins, the loser changed nothing', async () => {
    const deal = await newDeal();
    const [update, move] = await Promise.all([
      post(url, { query: UPDATE, variables: { id: deal.id, version: deal.version, input: { amount: 2500 } } }, auth),
      post(url, { query: MOVE, variables: { input: { dealId: deal.id, version: deal.version, stageId: String(world.stages.Proposal.id) } } }, auth),
    ]);
    const outcomes = [update, move].map((r) => (r.json?.errors ? r.json.errors[0].extensions?.code : 'OK')).sort();
    expect(outcomes).toEqual(['CONFLICT', 'OK']);
    const after = (await app.execute<{ deal: { version: number; amount: number; stageHistory: unknown[] } }>(HISTORY, { id: deal.id })).data!.deal;
    expect(after.version).toBe(deal.version + 1);
    if (update.json?.errors) expect([after.amount, after.stageHistory.length]).toEqual([1000, 2]);
    else expect([after.amount, after.stageHistory.length]).toEqual([2500, 1]);
  });

  it('leaves nothing half-written when a mutation fails mid-way (injected fault while writing the order of a won deal)', async () => {
    const deal = await newDeal();
    const em = app.orm.em.fork() as Em;
    const before = { orders: await em.count(Order, {}), changes: await em.count(DealStageChange, { deal: Number(deal.id) }) };
    failOrders.armed = true;
    try {
      const res = await app.execute(CLOSE, { input: { dealId: deal.id, version: deal.version, won: true } });
      expect(res.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(failOrders.inserted).toBe(1); // the order row was written before the fault
    } finally {
      failOrders.armed = false;
    }
    const fresh = app.orm.em.fork() as Em;
    const row = await fresh.findOneOrFail(Deal, Number(deal.id));
    expect([row.status, row.version, row.closedAt ?? null]).toEqual(['OPEN', deal.version, null]);
    expect({ orders: await fresh.count(Order, {}), changes: await fresh.count(DealStageChange, { deal: Number(deal.id) }) }).toEqual(before);
    // The same mutation succeeds once the fault is gone: the failure left no lock or stale state behind.
    const ok = await app.execute(CLOSE, { input: { dealId: deal.id, version: deal.version, won: true } });
    expect(ok.data).toEqual({ closeDeal: { id: deal.id, status: 'WON' } });
  });

  it('rolls back a lead conversion whose second step fails: no account, no deal, the lead unchanged', async () => {
    const em = app.orm.em.fork() as Em;
    const lead = em.create(Lead, { name: 'Dana', company: 'Brand New Company', status: LeadStatus.QUALIFIED, attributes: {} });
    await em.flush();
    const res = await app.execute(`mutation($input: ConvertLeadInput!) { convertLead(input: $input) { id } }`, {
      input: { leadId: String(lead.id), version: lead.version, ownerId: '999999', amount: 100 },
    });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const fresh = app.orm.em.fork() as Em;
    expect(await fresh.count(Account, { name: 'Brand New Company' })).toBe(0);
    expect(await fresh.count(Deal, { sourceLead: lead.id })).toBe(0);
    const reloaded = await fresh.findOneOrFail(Lead, lead.id);
    expect([reloaded.status, reloaded.version, reloaded.account ?? null]).toEqual([LeadStatus.QUALIFIED, lead.version, null]);
  });
});
