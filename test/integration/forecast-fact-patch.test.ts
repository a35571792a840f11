import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { FACT_TABLES, factCacheStats, factSource } from '../../src/modules/forecast/fact-cache';
import { factsAt } from '../../src/modules/forecast/fact-source';
import { type SourceLoad, loadFactSource } from '../../src/modules/forecast/facts.sql';
import { PipelineStage } from '../../src/modules/pipeline/stage.entity';
import { Product } from '../../src/modules/product/product.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { TOUCHES_KEPT, bumpDataVersionsSql } from '../../src/shared/answer-cache/data-versions';
import { DealStatus, RepRole } from '../../src/shared/enums';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { firstDifference } from '../helpers/first-difference';
import { seededDatabase } from '../helpers/seeded-world';

/*
 * A write names the deals it wrote (data_version_touches, in the write's transaction); a fact source held at older
 * versions then reads only those deals and patches them in (fact-patch.ts). Every patch is held to a full load of
 * the same data, array for array, and so are the as-of tables derived from it.
 */
const UPDATE = `mutation($id: ID!, $v: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $v, input: $input) { id } }`;
const MOVE = `mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id } }`;
const CLOSE = `mutation($input: CloseDealInput!) { closeDeal(input: $input) { id } }`;
const CREATE = `mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`;

describe.each(DATABASES)('the fact source patched with the deals written since on %s', (kind) => {
  let app: TestApp;
  const em = () => (app.orm.em as Em).fork() as Em;
  const full = () => loadFactSource(em(), { versionTables: FACT_TABLES, chunkIds: 40 });
  const patch = (previous: SourceLoad) => loadFactSource(em(), { versionTables: FACT_TABLES, chunkIds: 40, previous });

  async function write(query: string, variables: Record<string, unknown>) {
    const res = await app.execute(query, variables);
    expect(res.errors).toBeUndefined();
  }
  /** The patch equals a full load of the same data, and so do its tables as of a few dates. */
  async function expectSameAsFullLoad(patched: SourceLoad) {
    const reference = await full();
    expect(patched.versions).toBe(reference.versions);
    expect(firstDifference(patched.source, reference.source, 'source')).toBeNull();
    for (const asOf of ['2025-06-01', '2026-03-15', '2026-11-01', '2030-01-01'].map((d) => Date.parse(`${d}T00:00:00Z`))) {
      expect(firstDifference(factsAt(patched.source, asOf), factsAt(reference.source, asOf), `asOf ${asOf}`)).toBeNull();
    }
  }

  beforeAll(async () => {
    app = await createTestApp(kind, { db: await seededDatabase(kind, 'small') });
  }, 120_000);
  afterAll(async () => app?.close());

  it('re-reads only the deals GraphQL writes touched, and gives what a full load gives', async () => {
    let held = await full();
    const open = await em().find(Deal, { status: DealStatus.OPEN }, { orderBy: { id: 'asc' }, limit: 4, populate: ['stage'] });
    const stages = await em().find(PipelineStage, {}, { orderBy: { position: 'asc' } });
    const next = (d: Deal) => stages.filter((s) => !s.isWon && !s.isLost && s.position > d.stage.position)[0];
    const reps = await em().find(Rep, { role: RepRole.AE, active: true }, { orderBy: { id: 'desc' }, limit: 1 });
    const products = await em().find(Product, {}, { limit: 1 });
    const [a, b, c, d] = open;

    // amount, owner, close date and category of one deal (its field history grows), then a stage move backdated
    await write(UPDATE, { id: a.id, v: a.version, input: { amount: 12_345.67, ownerId: reps[0].id, expectedCloseDate: '2026-12-20T00:00:00Z', forecastCategory: 'COMMIT' } });
    let patched = await patch(held);
    expect(patched.patchedDeals).toBe(1);
    await expectSameAsFullLoad(patched);
    held = patched;

    await write(MOVE, { input: { dealId: b.id, stageId: next(b)!.id, version: b.version, at: '2026-10-15T09:00:00Z' } });
    await write(CLOSE, { input: { dealId: c.id, version: c.version, won: true, closedAt: '2026-11-02T10:00:00Z' } });
    const created = await app.execute(CREATE, { input: { accountId: String(open[0].account?.id ?? 1), name: 'Patched in', amount: 5_000, ownerId: reps[0].id, productId: products[0]?.id } });
    expect(created.errors).toBeUndefined();
    patched = await patch(held);
    expect(patched.patchedDeals).toBe(3); // b, c and the new deal, each once over several versions
    await expectSameAsFullLoad(patched);
    held = patched;

    // a deal removed by an ORM writer: its row and its revisions go
    const removing = em();
    removing.remove(removing.getReference(Deal, d.id));
    await removing.flush();
    patched = await patch(held);
    expect(patched.patchedDeals).toBe(1);
    expect(Array.from(patched.source.table.id)).not.toContain(d.id);
    await expectSameAsFullLoad(patched);

    // nothing written since: the same source
    const again = await patch(patched);
    expect(again.patchedDeals).toBe(0);
    expect(again.source).toBe(patched.source);
  });

  it('patches in every deal of concurrent writers, each bump with its own touch row', async () => {
    const held = await full();
    const deals = await em().find(Deal, { status: DealStatus.OPEN }, { orderBy: { id: 'desc' }, limit: 10 });
    await Promise.all(deals.map((d, k) => write(UPDATE, { id: d.id, v: d.version, input: { amount: 1_000 + k } })));
    const patched = await patch(held);
    expect(patched.patchedDeals).toBe(10);
    await expectSameAsFullLoad(patched);
  });

  it('prunes touch rows once they are more versions behind than are kept', async () => {
    const run = (sql: string) => em().getConnection().execute(sql);
    const [{ version }] = await run(`select version from data_versions where table_name = 'deals'`);
    // old rows a reader this far behind would never use, then the deals version just before a multiple of 100
    const base = Math.ceil((Number(version) + 1) / 100) * 100 + TOUCHES_KEPT;
    await run(`insert into data_version_touches (table_name, version, deal_ids) values ('deals', ${base - TOUCHES_KEPT - 5}, '1'), ('deals', ${base - TOUCHES_KEPT}, '2'), ('deals', ${base - TOUCHES_KEPT + 1}, '3')`);
    await run(`update data_versions set version = ${base - 1} where table_name = 'deals'`);
    const deal = (await em().find(Deal, { status: DealStatus.OPEN }, { limit: 1 }))[0];
    await write(UPDATE, { id: deal.id, v: deal.version, input: { amount: 321 } });
    const left = (await run(`select version, deal_ids from data_version_touches where table_name = 'deals' and version >= ${base - TOUCHES_KEPT - 5} order by version`)) as Array<{ version: number | string; deal_ids: string }>;
    expect(left.map((r) => [Number(r.version), r.deal_ids])).toEqual([
      [base - TOUCHES_KEPT + 1, '3'],
      [base, String(deal.id)],
    ]);
  });

  it('loads everything again when a write did not name its deals, or changed reps', async () => {
    const held = await full();
    // a bulk writer (the import, the seed) bumps the versions without touch rows
    await em().getConnection().execute(bumpDataVersionsSql(['deals']));
    const afterBulk = await patch(held);
    expect(afterBulk.patchedDeals).toBeUndefined();
    await expectSameAsFullLoad(afterBulk);

    const rep = (await em().find(Rep, {}, { limit: 1 }))[0];
    const writer = em();
    const managed = await writer.findOneOrFail(Rep, rep.id);
    managed.name = `${managed.name} (renamed)`;
    await writer.flush();
    expect((await patch(afterBulk)).patchedDeals).toBeUndefined();
  });

  it("keeps the app's shared source up to date by patches: a write, then the new number", async () => {
    const before = factCacheStats(em());
    const source = await factSource(em());
    const deal = (await em().find(Deal, { status: DealStatus.OPEN }, { orderBy: { id: 'desc' }, limit: 1 }))[0];
    const row = Array.from(source.table.id).indexOf(deal.id);
    await write(UPDATE, { id: deal.id, v: deal.version, input: { amount: 777 } });
    const after = await factSource(em());
    expect(after).not.toBe(source);
    expect(after.table.amount[Array.from(after.table.id).indexOf(deal.id)]).toBe(77_700);
    expect(source.table.amount[row]).not.toBe(77_700); // the old source is never changed
    const stats = factCacheStats(em());
    expect(stats.patches).toBe(before.patches + 1);
    expect(stats.loads).toBeLessThanOrEqual(before.loads + 1); // at most the first load above
  });
});
