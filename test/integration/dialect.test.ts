import { createOrm, migrate, type Orm } from '../../src/db/orm';
import { dateValue, dialectOf, epochMsSql, knexOf, readEpochMs, readJson, readNumber, tsLiteral } from '../../src/db/dialect';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases';

describe.each(DATABASES)('dialect helpers on %s', (kind) => {
  let db: TestDatabase;
  let orm: Orm;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    orm = await createOrm(db.config);
    await migrate(orm);
  });
  afterAll(async () => {
    await orm.close();
    await db.drop();
  });

  it('reads the dialect from the connected driver', () => {
    expect(dialectOf(orm.em.fork() as never)).toBe(kind);
  });

  it('round-trips a datetime written raw, compared by literal and read back as epoch ms', async () => {
    const em = orm.em.fork() as never;
    const d = dialectOf(em);
    const at = new Date('2026-03-04T05:06:07.089Z');
    const knex = knexOf(em);
    await knex('teams').insert({ name: 'Dialect', region: 'EMEA', created_at: dateValue(d, at), updated_at: dateValue(d, at) });
    const rows = await knex.raw(`select ${epochMsSql(d, 'created_at')} as ms, count(*) over () as n from teams where created_at = ${tsLiteral(d, at)}`);
    const row = (d === 'sqlite' ? rows : rows.rows)[0];
    expect(readEpochMs(row.ms)).toBe(at.getTime());
    expect(readNumber(row.n)).toBe(1);
  });
});

describe('dialect value readers', () => {
  it('reads every form a driver returns for a datetime', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect([ms, String(ms), new Date(ms), new Date(ms).toISOString()].map(readEpochMs)).toEqual([ms, ms, ms, ms]);
    expect(readEpochMs(null)).toBeNull();
  });

  it('reads JSON as text (SQLite) or parsed (PostgreSQL jsonb)', () => {
    expect(readJson('{"a":1}', {})).toEqual({ a: 1 });
    expect(readJson({ a: 1 }, {})).toEqual({ a: 1 });
    expect(readJson(null, [])).toEqual([]);
  });
});
