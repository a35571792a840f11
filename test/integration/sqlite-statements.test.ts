import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl } from '../../src/config';
import { knexOf } from '../../src/db/dialect';
import { type Em, type Orm, createOrm } from '../../src/db/orm';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as { prototype: { prepare(sql: string): unknown } };

/**
 * The SQLite driver keeps each connection's prepared statements (src/db/sqlite-driver.ts): a statement the ORM sends
 * again is not prepared again, and reusing one never changes an answer (inside or outside a transaction, after a
 * rollback, after the schema changed, past the number kept).
 */
describe('SQLite prepared statements', () => {
  let dir: string;
  let orm: Orm;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-statements-'));
    orm = await createOrm(parseDatabaseUrl(path.join(dir, 'statements.db')));
    await orm.em.getConnection().execute('create table notes (id integer primary key, body text)');
  });
  afterAll(async () => {
    await orm.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => jest.restoreAllMocks());

  const em = () => orm.em as unknown as Em;
  const conn = () => em().getConnection();
  const bodies = async () => (await conn().execute<Array<{ body: string }>>('select body from notes order by id')).map((r) => r.body);

  it('prepares a repeated statement once and answers it afresh each time', async () => {
    const prepare = jest.spyOn(Database.prototype, 'prepare');
    // through knex with bindings, as the ORM's queries go (execute() inlines its parameters into the SQL)
    for (let i = 0; i < 20; i++) await knexOf(em()).raw('insert into notes (body) values (?)', [`note ${i}`]);
    for (let i = 0; i < 20; i++) expect(await bodies()).toHaveLength(20);
    const prepared = prepare.mock.calls.map(([sql]) => sql);
    expect(prepared.filter((sql) => sql.startsWith('insert into notes'))).toHaveLength(1);
    expect(prepared.filter((sql) => sql.startsWith('select body'))).toHaveLength(1);
  });

  it('gives the same answers inside a transaction, after its rollback and after a schema change', async () => {
    const before = await bodies();
    await em()
      .transactional(async (tx) => {
        await tx.getConnection().execute('insert into notes (body) values (?)', ['in the transaction'], 'run', tx.getTransactionContext());
        const inside = await tx.getConnection().execute<Array<{ body: string }>>('select body from notes order by id', [], 'all', tx.getTransactionContext());
        expect(inside.map((r) => r.body)).toEqual([...before, 'in the transaction']);
        throw new Error('roll back');
      })
      .catch((e: Error) => expect(e.message).toBe('roll back'));
    expect(await bodies()).toEqual(before);
    await conn().execute('alter table notes add column tag text');
    const [row] = await conn().execute<Array<Record<string, unknown>>>('select * from notes order by id limit 1');
    expect(Object.keys(row)).toEqual(['id', 'body', 'tag']);
  });

  it('keeps answering right past the number of statements it keeps', async () => {
    for (let i = 0; i < 300; i++) {
      const [row] = await conn().execute<Array<{ n: number }>>(`select ${i} as n, count(*) as c from notes`);
      expect(row.n).toBe(i);
    }
    expect(await bodies()).toHaveLength(20);
  });
});
