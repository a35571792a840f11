import type { Em } from '../../src/db/orm';
import { CHOICE_KEPT_MS, selectsField } from '../../src/graphql/paginate';
import { identityOfRep } from '../../src/modules/auth/access.policy';
import { SYSTEM_IDENTITY, type Identity } from '../../src/modules/auth/identity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { RepRole } from '../../src/shared/enums';
import { parse, type FragmentDefinitionNode, type OperationDefinitionNode, type FieldNode } from 'graphql';
import type { TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';

/**
 * SQLite's sort-index choice (src/graphql/paginate.ts): matching^2 > rows x (first + 1) x 4 forces INDEXED BY. A page
 * whose client did not ask for totalCount counts the matching rows only up to the bound that decides, in the
 * statement that reads the statistics; these tests hold that choice to the one the full count gives, at the bound
 * itself (the statistics' row count set so that matching^2 is just above, at, and just below it).
 */
describe('the deals page\'s sort-index choice on sqlite', () => {
  let app: TestApp;
  const fork = () => app.orm.em.fork() as Em;
  beforeAll(async () => {
    app = await createSeededTestApp('sqlite', 'small');
    await fork().getConnection().execute('analyze');
  });
  afterAll(async () => app?.close());

  const PAGE = (first: number, withTotal: boolean, filter: string, after?: string) =>
    `{ deals(first: ${first}, filter: ${filter}, sort: { field: UPDATED_AT, direction: DESC }${after ? `, after: "${after}"` : ''}) { ${withTotal ? 'totalCount' : ''} pageInfo { endCursor } edges { node { id } } } }`;

  /** The page's statements and ids, asked as `identity`. */
  async function page(identity: Readonly<Identity>, first: number, withTotal: boolean, filter: string, after?: string) {
    const sql: string[] = [];
    const knex = (app.orm.em as Em).getKnex();
    const listen = (q: { sql: string }) => sql.push(q.sql);
    knex.on('query', listen);
    try {
      const res = await app.execute<{ deals: { totalCount?: number; pageInfo: { endCursor: string }; edges: Array<{ node: { id: string } }> } }>(PAGE(first, withTotal, filter, after), {}, identity);
      expect(res.errors).toBeUndefined();
      const deals = sql.filter((q) => /\bfrom `deals`/.test(q));
      return {
        hinted: deals.some((q) => q.includes('indexed by `deals_updated_at_index`')),
        fullCounts: deals.filter((q) => /^select count\(\*\) as `count` from `deals`/.test(q)).length,
        boundedCounts: deals.filter((q) => q.startsWith('select (select stat from sqlite_stat1')).length,
        endCursor: res.data!.deals.pageInfo.endCursor,
        statements: deals.length,
        ids: res.data!.deals.edges.map((e) => e.node.id),
      };
    } finally {
      knex.removeListener('query', listen);
    }
  }

  const setStatRows = async (rows: number) => {
    await fork().getConnection().execute(`update sqlite_stat1 set stat = ? || substr(stat, instr(stat, ' ')) where tbl = 'deals'`, [String(rows)]);
  };
  const statRows = async () => Number.parseInt((await fork().getConnection().execute(`select stat from sqlite_stat1 where tbl = 'deals' limit 1`))[0].stat, 10);

  it('is the one the full count gives, on both sides of the bound, and counts no further than the bound', async () => {
    const em = fork();
    const manager = (await em.findOne(Rep, { role: RepRole.MANAGER, team: { $ne: null } }, { orderBy: { id: 'asc' } }))!;
    const ae = (await em.findOne(Rep, { role: RepRole.AE, team: { $ne: null } }, { orderBy: { id: 'asc' } }))!;
    const analyzed = await statRows();
    const cases: Array<[string, Readonly<Identity>, string]> = [
      ['EXEC closed', SYSTEM_IDENTITY, '{ statuses: [WON, LOST] }'],
      ['EXEC open', SYSTEM_IDENTITY, '{ statuses: [OPEN] }'],
      ['MANAGER closed', identityOfRep(manager), '{ statuses: [WON, LOST] }'],
      ['AE closed', identityOfRep(ae), '{ statuses: [WON, LOST] }'],
    ];
    let hinted = 0;
    let plain = 0;
    try {
      for (const [name, identity, filter] of cases) {
        const first = 20;
        const perRow = (first + 1) * 4;
        const full = await page(identity, first, true, filter);
        await setStatRows(analyzed);
        const matching = (await app.execute<{ deals: { totalCount: number } }>(PAGE(1, true, filter), {}, identity)).data!.deals.totalCount;
        expect(matching).toBeGreaterThan(0);
        // the statistics' row count put just around matching^2 / perRow: the choice flips between them
        const edge = Math.floor((matching * matching) / perRow);
        for (const rows of [edge - 1, edge, edge + 1, analyzed]) {
          if (rows < 1) continue;
          await setStatRows(rows);
          const want = matching * matching > rows * perRow;
          const bounded = await page(identity, first, false, filter);
          const counted = await page(identity, first, true, filter);
          expect({ name, rows, hinted: bounded.hinted }).toEqual({ name, rows, hinted: want });
          expect({ name, rows, hinted: counted.hinted }).toEqual({ name, rows, hinted: want });
          expect(bounded.ids).toEqual(counted.ids);
          // without totalCount: one statement for the statistics and the bounded count, then the page; no full count
          expect({ name, statements: bounded.statements, fullCounts: bounded.fullCounts }).toEqual({ name, statements: 2, fullCounts: 0 });
          expect(counted.fullCounts).toBe(1); // asked: the page's own count decides, counted once
          if (want) hinted++;
          else plain++;
        }
        expect(full.ids.length).toBeGreaterThan(0);
      }
    } finally {
      await setStatRows(analyzed);
    }
    expect(hinted).toBeGreaterThan(3);
    expect(plain).toBeGreaterThan(3);
  });

  it('is kept for the next pages of the same list while the statistics read the same, for a while', async () => {
    const filter = '{ statuses: [WON, LOST] }';
    const first = await page(SYSTEM_IDENTITY, 20, false, '{ statuses: [WON] }'); // another list: its own choice
    expect(first.boundedCounts).toBe(1);
    const one = await page(SYSTEM_IDENTITY, 20, true, filter); // a list's first page with its header count
    expect([one.fullCounts, one.boundedCounts]).toEqual([1, 0]);
    const two = await page(SYSTEM_IDENTITY, 20, false, filter, one.endCursor); // its next page: no count at all
    expect([two.fullCounts, two.boundedCounts, two.hinted]).toEqual([0, 0, one.hinted]);
    const otherSize = await page(SYSTEM_IDENTITY, 50, false, filter, one.endCursor); // the page size is in the choice
    expect(otherSize.boundedCounts).toBe(1);
    const analyzed = await statRows();
    try {
      await setStatRows(analyzed + 1); // new statistics (an ANALYZE): counted again
      expect((await page(SYSTEM_IDENTITY, 20, false, filter, one.endCursor)).boundedCounts).toBe(1);
      expect((await page(SYSTEM_IDENTITY, 20, false, filter, one.endCursor)).boundedCounts).toBe(0);
      const now = Date.now();
      const later = jest.spyOn(Date, 'now').mockReturnValue(now + CHOICE_KEPT_MS + 1); // the clock, not the database
      try {
        expect((await page(SYSTEM_IDENTITY, 20, false, filter, one.endCursor)).boundedCounts).toBe(1);
      } finally {
        later.mockRestore();
      }
    } finally {
      await setStatRows(analyzed);
    }
  });

  it('the bounded count stops at the bound', async () => {
    const rows = await statRows();
    const perRow = 21 * 4;
    const bound = Math.floor(Math.sqrt(rows * perRow)) + 2;
    const [{ n, all }] = await fork().getConnection().execute(
      `select (select count(*) from (select distinct d0.id from deals d0 where d0.status in ('WON', 'LOST') limit coalesce((select cast(sqrt(cast(stat as integer) * ?) as integer) + 2 from sqlite_stat1 where tbl = 'deals' limit 1), 0))) as n,
              (select count(*) from deals where status in ('WON', 'LOST')) as "all"`,
      [perRow],
    );
    expect(Number(n)).toBe(Math.min(Number(all), bound));
  });

  it('knows a selection of totalCount through aliases and fragments', () => {
    const doc = parse(`query { a: deals { ...F } b: deals { edges { cursor } ... on DealConnection { n: totalCount } } c: deals { edges { cursor } } } fragment F on DealConnection { totalCount }`);
    const op = doc.definitions[0] as OperationDefinitionNode;
    const fragments = Object.fromEntries(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]));
    const [a, b, c] = op.selectionSet.selections as FieldNode[];
    expect([a, b, c].map((field) => selectsField({ fieldNodes: [field], fragments }, 'totalCount'))).toEqual([true, true, false]);
  });
});
