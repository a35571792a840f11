import { DATABASES, type TestApp } from '../helpers/databases';
import { createBasicWorld, useWorld, type BasicWorld } from '../helpers/fixtures';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';

const CREATE = `mutation($input: CreateDealInput!) { createDeal(input: $input) { id version amount currency status stage { name } owner { name } stageHistory { fromStage { name } toStage { name } } } }`;
const MOVE = `mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id version stage { name } stageHistory { toStage { name } } } }`;
const CLOSE = `mutation($input: CloseDealInput!) { closeDeal(input: $input) { id version status closedAt lossReason stage { name } } }`;

describe.each(DATABASES)('deals on %s', (kind) => {
  let app: TestApp;
  let world: BasicWorld;

  useWorld(kind, createBasicWorld, (a, w) => ((app = a), (world = w)));

  const newDeal = async (amount = 12500.5) => {
    const res = await app.execute<{ createDeal: { id: string; version: number } }>(CREATE, {
      input: { name: 'Acme rollout', accountId: String(world.account.id), ownerId: String(world.ae.id), productId: String(world.product.id), amount },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.createDeal;
  };

  it('creates a deal in the first stage and records its first stage change', async () => {
    const res = await app.execute(CREATE, {
      input: { name: 'Acme rollout', accountId: String(world.account.id), ownerId: String(world.ae.id), amount: 12500.5 },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data).toMatchObject({
      createDeal: {
        amount: 12500.5,
        currency: 'EUR',
        status: 'OPEN',
        stage: { name: 'Prospecting' },
        owner: { name: 'Alex Closer' },
        stageHistory: [{ fromStage: null, toStage: { name: 'Prospecting' } }],
      },
    });
  });

  it('moves a deal, then refuses a stale version with CONFLICT', async () => {
    const deal = await newDeal();
    const moved = await app.execute<{ moveDealStage: { version: number } }>(MOVE, {
      input: { dealId: deal.id, version: deal.version, stageId: String(world.stages.Qualification.id) },
    });
    expect(moved.errors).toBeUndefined();
    expect(moved.data!.moveDealStage).toMatchObject({ stage: { name: 'Qualification' }, stageHistory: [{ toStage: { name: 'Prospecting' } }, { toStage: { name: 'Qualification' } }] });
    expect(moved.data!.moveDealStage.version).toBe(deal.version + 1);

    const stale = await app.execute(MOVE, { input: { dealId: deal.id, version: deal.version, stageId: String(world.stages.Proposal.id) } });
    expect(stale.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('closes a deal won, then refuses to close or move it again', async () => {
    const deal = await newDeal();
    const won = await app.execute<{ closeDeal: { version: number } }>(CLOSE, { input: { dealId: deal.id, version: deal.version, won: true } });
    expect(won.errors).toBeUndefined();
    expect(won.data!.closeDeal).toMatchObject({ status: 'WON', stage: { name: 'Won' }, lossReason: null });
    const v = won.data!.closeDeal.version;

    const again = await app.execute(CLOSE, { input: { dealId: deal.id, version: v, won: false, lossReason: 'price' } });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
    const move = await app.execute(MOVE, { input: { dealId: deal.id, version: v, stageId: String(world.stages.Proposal.id) } });
    expect(move.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('rejects bad input with BAD_USER_INPUT naming the field', async () => {
    const negative = await app.execute(CREATE, { input: { name: 'x', accountId: String(world.account.id), ownerId: String(world.ae.id), amount: -5 } });
    expect(negative.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.amount' });

    const malformed = await app.execute(`{ deal(id: "abc") { id } }`);
    expect(malformed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });

    const unknown = await app.execute(`{ deal(id: "999999") { id } }`);
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const deal = await newDeal();
    const unknownStage = await app.execute(MOVE, { input: { dealId: deal.id, version: deal.version, stageId: '424242' } });
    expect(unknownStage.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const lostWithoutReason = await app.execute(CLOSE, { input: { dealId: deal.id, version: deal.version, won: false } });
    expect(lostWithoutReason.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'lossReason' });

    const oversized = await app.execute(`{ deals(first: 1000) { edges { node { id } } } }`);
    expect(oversized.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('pages through deals with cursors and counts them', async () => {
    const first = await app.execute<any>(`{ deals(first: 2, sort: { field: ID, direction: ASC }) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`);
    expect(first.errors).toBeUndefined();
    expect(first.data.deals.totalCount).toBe(await (app.orm.em.fork() as Em).count(Deal, {}));
    expect(first.data.deals.totalCount).toBeGreaterThanOrEqual(4);
    expect(first.data.deals.pageInfo.hasNextPage).toBe(true);
    const second = await app.execute<any>(`query($after: String) { deals(first: 2, after: $after, sort: { field: ID, direction: ASC }) { edges { node { id } } } }`, {
      after: first.data.deals.pageInfo.endCursor,
    });
    const ids = [...first.data.deals.edges, ...second.data.deals.edges].map((e: any) => Number(e.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
  });

  it('lists the newest deals first by default, across pages', async () => {
    const first = await app.execute<any>(`{ deals(first: 2) { edges { node { id } } pageInfo { endCursor } } }`);
    const second = await app.execute<any>(`query($after: String) { deals(first: 2, after: $after) { edges { node { id } } } }`, {
      after: first.data.deals.pageInfo.endCursor,
    });
    const ids = [...first.data.deals.edges, ...second.data.deals.edges].map((e: any) => Number(e.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(4);
  });
});
