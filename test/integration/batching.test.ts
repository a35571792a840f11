import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStatus } from '../../src/shared/enums';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { createBasicWorld } from '../helpers/fixtures';

const PAGE = `query($first: Int!) {
  deals(first: $first) { edges { node { id name amount owner { name team { name } } account { name } product { name } stage { name } } } }
}`;

/** Counts the SQL statements one GraphQL operation sends (knex emits 'query' for each). */
async function countStatements(app: TestApp, query: string, variables: Record<string, unknown>) {
  let statements = 0;
  const knex = (app.orm.em as Em).getKnex();
  const listener = () => statements++;
  knex.on('query', listener);
  try {
    const res = await app.execute(query, variables);
    expect(res.errors).toBeUndefined();
  } finally {
    knex.removeListener('query', listener);
  }
  return statements;
}

describe.each(DATABASES)('relation batching on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(kind);
    const world = await createBasicWorld(app.orm.em as Em);
    const em = app.orm.em.fork() as Em;
    for (let i = 0; i < 60; i++) {
      em.create(Deal, {
        name: `Deal ${i}`,
        account: world.account.id,
        owner: i % 2 ? world.ae.id : world.manager.id,
        product: world.product.id,
        amountCents: 100_00 * (i + 1),
        stage: world.stages.Prospecting.id,
        status: DealStatus.OPEN,
        openedAt: new Date(Date.UTC(2026, 0, 1 + i)),
        version: 1,
      } as never);
    }
    await em.flush();
    await app.scoring.idle(); // automatic scoring of the new deals must not be counted below
  });
  afterAll(async () => app?.close());

  it('loads a page of 50 deals with owner, team, account, product and stage in a constant number of statements', async () => {
    const small = await countStatements(app, PAGE, { first: 5 });
    const large = await countStatements(app, PAGE, { first: 50 });
    // 1 page query + 1 statement per relation level (owner, account, product, stage, then team) = 6.
    expect(large).toBe(6);
    expect(large).toBe(small);
  });
});
