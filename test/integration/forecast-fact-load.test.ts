import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { factsAt } from '../../src/modules/forecast/fact-source';
import { loadFactSource } from '../../src/modules/forecast/facts.sql';
import { PipelineStage } from '../../src/modules/pipeline/stage.entity';
import { bumpDataVersionsSql } from '../../src/shared/answer-cache/data-versions';
import { DealStatus } from '../../src/shared/enums';
import { loadFactsReference } from '../helpers/as-of-facts-reference';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { firstDifference } from '../helpers/first-difference';
import { seededDatabase } from '../helpers/seeded-world';

// better-sqlite3 ships no types: the calls used are typed here.
interface Sqlite {
  exec(sql: string): void;
  pragma(sql: string): unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => Sqlite;

const difference = (x: unknown, y: unknown) => firstDifference(x, y, 'source');

/** 40 deal ids per statement: the small world's 600 deals and the odd ones below make many chunks. */
const CHUNK = 40;

/*
 * Deals whose values take every path of the packed SQLite load (fact-chunks.ts): NULL in every nullable column the
 * load reads, no history known, a date before 1970, a stage change into a closed stage only; on SQLite also values
 * no writer of ours stores, which the packed text cannot carry: an amount past 2^53, a fractional and a text
 * datetime (with a comma and a newline), a text in the history flag. Their chunks are read value by value.
 */
async function addOddDeals(em: Em, kind: string): Promise<number[]> {
  const stages = await em.find(PipelineStage, {}, { orderBy: { position: 'asc' } });
  const open = stages.filter((s) => !s.isWon && !s.isLost);
  const won = stages.find((s) => s.isWon)!;
  const deal = (name: string, data: Partial<Deal>) =>
    em.create(Deal, { name, amountCents: 100, stage: open[0], status: DealStatus.OPEN, ...data } as never) as Deal;
  const nulls = deal('Nulls everywhere', { owner: null, product: null, openedAt: null, closedAt: null, expectedCloseDate: null, stageEnteredAt: null, forecastCategory: null } as never);
  const unknown = deal('History unknown', { openedAt: new Date('1969-12-31T23:59:59.123Z'), stageHistoryKnown: false } as never);
  const closedOnly = deal('Only a closed stage', { stage: won, status: DealStatus.WON, closedAt: new Date('2026-02-01T00:00:00Z') });
  em.create(DealStageChange, { deal: closedOnly, fromStage: null, toStage: won, at: new Date('2026-02-01T00:00:00Z') });
  const odd = [1, 2, 3, 4].map((i) => deal(`Odd ${i}`, { openedAt: new Date('2026-01-01T00:00:00Z') }));
  await em.flush();
  if (kind === 'sqlite') {
    const run = (sql: string) => em.getConnection().execute(sql);
    // a chunk of their own, past an empty one: the NULLs above are read packed
    await run(`update deals set id = id + ${3 * CHUNK} where id in (${odd.map((d) => d.id).join(', ')})`);
    odd.forEach((d) => (d.id += 3 * CHUNK));
    await run(`update deals set amount_cents = 9007199254740993 where id = ${odd[0].id}`);
    await run(`update deals set stage_entered_at = 1767225600000.5 where id = ${odd[1].id}`);
    await run(`update deals set expected_close_date = '2026-06-30, or
later' where id = ${odd[2].id}`);
    await run(`update deals set stage_history_known = 'no' where id = ${odd[3].id}`);
  }
  return [nulls.id, unknown.id, closedOnly.id, ...odd.map((d) => d.id)];
}

describe.each(DATABASES)('the fact load in chunks, packed and by two readers, on %s', (kind) => {
  let app: TestApp;
  const em = () => (app.orm.em as Em).fork() as Em;
  let odd: number[];

  beforeAll(async () => {
    app = await createTestApp(kind, { db: await seededDatabase(kind, 'small') });
    odd = await addOddDeals(em(), kind);
  }, 120_000);
  afterAll(async () => app?.close());

  it('gives the source the value-by-value load gives, bit for bit, and the as-of tables of the as-of SQL', async () => {
    const reference = (await loadFactSource(em(), { chunkIds: CHUNK, valueByValue: true, readers: 1 })).source;
    let second = 0;
    const { source } = await loadFactSource(em(), { chunkIds: CHUNK, beforeSecondSnapshot: () => void second++ });
    expect(second).toBe(kind === 'sqlite' ? 1 : 0); // SQLite: a second reader read every other chunk
    expect(difference(source, reference)).toBeNull();
    expect(difference((await loadFactSource(em(), { chunkIds: CHUNK, readers: 1 })).source, reference)).toBeNull();
    // the odd deals are in the table, with their NULLs
    const row = (id: number) => Array.from(source.table.id).indexOf(id);
    expect(odd.map(row).every((i) => i >= 0)).toBe(true);
    expect([source.table.rep[row(odd[0])], source.table.product[row(odd[0])], source.table.category[row(odd[0])], source.table.expectedClose[row(odd[0])]]).toEqual([0, 0, 0, NaN]);
    expect(source.table.historyKnown[row(odd[1])]).toBe(0);
    if (kind === 'sqlite') expect(source.table.amount[row(odd[3])]).toBe(9007199254740992);
    for (const iso of ['2025-06-01T00:00:00Z', '2026-01-15T00:00:00Z', '2026-03-01T00:00:00Z']) {
      const asOf = new Date(iso);
      const derived = factsAt(source, asOf.getTime());
      const table = await loadFactsReference(em(), asOf);
      expect([iso, difference(derived, table)]).toEqual([iso, null]);
    }
  });

  if (kind !== 'sqlite') return;

  it('never mixes two snapshots: a write before the second reader starts leaves the load to the first', async () => {
    const before = await loadFactSource(em(), { chunkIds: CHUNK, readers: 1, versionTables: ['deals'] });
    const writer = new Database(app.config.database.url);
    writer.pragma('busy_timeout = 5000');
    try {
      const during = await loadFactSource(em(), {
        chunkIds: CHUNK,
        versionTables: ['deals'],
        // every deal's amount moves, and its version with it: a chunk read after the write would differ
        beforeSecondSnapshot: () => writer.exec(`begin; update deals set amount_cents = amount_cents + 1; ${bumpDataVersionsSql(['deals'])}; commit`),
      });
      expect(during.versions).toBe(before.versions);
      expect(difference(during.source, before.source)).toBeNull();
      const after = await loadFactSource(em(), { chunkIds: CHUNK, versionTables: ['deals'] });
      expect(after.versions).not.toBe(before.versions);
      expect(after.source.table.amount[0]).toBe(before.source.table.amount[0] + 1);
    } finally {
      writer.close();
    }
  });
});
