import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { createBasicWorld, type BasicWorld } from '../helpers/fixtures';
import type { Em } from '../../src/db/orm';
import { RepRole } from '../../src/shared/enums';
import { Rep } from '../../src/modules/rep/rep.entity';
import { identityOfRep } from '../../src/modules/auth/access.policy';
import { DealChange } from '../../src/modules/deal/deal-change.entity';

const CREATE = `mutation($input: CreateDealInput!) { createDeal(input: $input) { id version } }`;
const UPDATE = `mutation($id: ID!, $version: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $version, input: $input) { id version } }`;
const MOVE = `mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id version } }`;
const CLOSE = `mutation($input: CloseDealInput!) { closeDeal(input: $input) { id version } }`;
const OVERRIDE = `mutation($input: OverrideDealCategoryInput!) { overrideDealForecastCategory(input: $input) { id } }`;
const CHANGES = `query($id: ID!) { deal(id: $id) { changes { field oldValue newValue oldLabel newLabel at source by { name } } } }`;

interface Change { field: string; oldValue: string | null; newValue: string | null; oldLabel: string | null; newLabel: string | null; at: string; source: string; by: { name: string } | null }

describe.each(DATABASES)('deal field history on %s', (kind) => {
  let app: TestApp;
  let world: BasicWorld;
  let other: Rep;

  beforeAll(async () => {
    app = await createTestApp(kind);
    world = await createBasicWorld(app.orm.em as Em);
    const em = app.orm.em.fork();
    other = em.create(Rep, { name: 'Olga Other', email: 'olga@example.com', role: RepRole.AE, team: world.team, hiredAt: new Date('2023-01-02'), active: true });
    await em.flush();
  });
  afterAll(async () => app?.close());

  const changesOf = async (id: string) => {
    const res = await app.execute<{ deal: { changes: Change[] } }>(CHANGES, { id });
    expect(res.errors).toBeUndefined();
    return res.data!.deal.changes;
  };

  it('records every writer: update (amount, close date, owner), stage move, category override and close, with who and when', async () => {
    const created = await app.execute<{ createDeal: { id: string; version: number } }>(CREATE, {
      input: { name: 'History deal', accountId: String(world.account.id), ownerId: String(world.ae.id), amount: 10000, expectedCloseDate: '2026-11-30T00:00:00.000Z' },
    });
    expect(created.errors).toBeUndefined();
    const { id } = created.data!.createDeal;
    expect(await changesOf(id)).toEqual([]); // creation is not a change

    const moveAt = new Date(Date.now() + 60_000).toISOString();
    const closeAt = new Date(Date.now() + 120_000).toISOString();
    const ae = identityOfRep({ id: world.ae.id, role: RepRole.AE, team: world.team });
    const updated = await app.execute<{ updateDeal: { version: number } }>(UPDATE, {
      id, version: 1, input: { amount: 12500.5, expectedCloseDate: '2026-12-15T00:00:00.000Z', name: 'Renamed (not tracked)' },
    }, ae);
    expect(updated.errors).toBeUndefined();
    const moved = await app.execute<{ moveDealStage: { version: number } }>(MOVE, {
      input: { dealId: id, version: updated.data!.updateDeal.version, stageId: String(world.stages.Qualification.id), at: moveAt },
    });
    expect(moved.errors).toBeUndefined();
    const manager = identityOfRep({ id: world.manager.id, role: RepRole.MANAGER, team: world.team });
    const override = await app.execute(OVERRIDE, {
      input: { dealId: id, version: moved.data!.moveDealStage.version, category: 'COMMIT', period: '2026-Q4', note: 'Signed order form expected' },
    }, manager);
    expect(override.errors).toBeUndefined();
    const reassigned = await app.execute<{ updateDeal: { version: number } }>(UPDATE, { id, version: moved.data!.moveDealStage.version + 1, input: { ownerId: String(other.id) } });
    expect(reassigned.errors).toBeUndefined();
    const closed = await app.execute(CLOSE, { input: { dealId: id, version: reassigned.data!.updateDeal.version, won: true, closedAt: closeAt } });
    expect(closed.errors).toBeUndefined();

    const changes = await changesOf(id);
    const pick = ({ field, oldValue, newValue, oldLabel, newLabel, by }: Change) => ({ field, oldValue, newValue, oldLabel, newLabel, by: by?.name ?? null });
    expect(changes.map(pick)).toEqual(expect.arrayContaining([
      { field: 'AMOUNT', oldValue: '10000', newValue: '12500.5', oldLabel: '10000', newLabel: '12500.5', by: 'Alex Closer' },
      { field: 'EXPECTED_CLOSE_DATE', oldValue: '2026-11-30T00:00:00.000Z', newValue: '2026-12-15T00:00:00.000Z', oldLabel: '2026-11-30', newLabel: '2026-12-15', by: 'Alex Closer' },
      { field: 'STAGE', oldValue: String(world.stages.Prospecting.id), newValue: String(world.stages.Qualification.id), oldLabel: 'Prospecting', newLabel: 'Qualification', by: 'Alex Closer' },
      { field: 'FORECAST_CATEGORY', oldValue: null, newValue: 'COMMIT', oldLabel: null, newLabel: 'COMMIT', by: 'Mia Manager' },
      { field: 'OWNER', oldValue: String(world.ae.id), newValue: String(other.id), oldLabel: 'Alex Closer', newLabel: 'Olga Other', by: null },
      { field: 'STAGE', oldValue: String(world.stages.Qualification.id), newValue: String(world.stages.Won.id), oldLabel: 'Qualification', newLabel: 'Won', by: 'Olga Other' },
      { field: 'STATUS', oldValue: 'OPEN', newValue: 'WON', oldLabel: 'OPEN', newLabel: 'WON', by: 'Olga Other' },
    ]));
    expect(changes).toHaveLength(7); // the name is not tracked; nothing recorded twice
    expect(changes.every((c) => c.source === 'API')).toBe(true);
    // a backdated move and a close carry their own dates
    expect(changes.filter((c) => c.field === 'STAGE').map((c) => c.at)).toEqual([moveAt, closeAt]);
    expect(changes.find((c) => c.field === 'STATUS')!.at).toBe(closeAt);
  });

  it('writes nothing when the write fails (atomic with the deal)', async () => {
    const created = await app.execute<{ createDeal: { id: string } }>(CREATE, {
      input: { name: 'Atomic deal', accountId: String(world.account.id), ownerId: String(world.ae.id), amount: 5000 },
    });
    const { id } = created.data!.createDeal;
    const before = await app.orm.em.fork().count(DealChange, {});
    const stale = await app.execute(UPDATE, { id, version: 99, input: { amount: 1 } });
    expect(stale.errors?.[0].extensions?.code).toBe('CONFLICT');
    const lost = await app.execute(CLOSE, { input: { dealId: id, version: 1, won: false } }); // no loss reason
    expect(lost.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await app.orm.em.fork().count(DealChange, {})).toBe(before);
    expect(await changesOf(id)).toEqual([]);
  });

  it('batches Deal.changes: one statement for a page of deals', async () => {
    const knex = (app.orm.em as Em).getKnex();
    const statements: string[] = [];
    const listener = (q: { sql: string }) => statements.push(q.sql);
    knex.on('query', listener);
    try {
      const res = await app.execute<{ deals: { edges: Array<{ node: { changes: Change[] } }> } }>(`{ deals(first: 10) { edges { node { id changes { field } } } } }`);
      expect(res.errors).toBeUndefined();
      expect(res.data!.deals.edges.length).toBeGreaterThan(1);
    } finally {
      knex.removeListener('query', listener);
    }
    expect(statements.filter((sql) => sql.includes('deal_changes'))).toHaveLength(1);
  });
});
