/**
 * The seed's writer (PostgreSQL: COPY text, SQLite: prepared INSERTs) stores exactly the values it is given:
 * awkward text (tabs, line breaks, backslashes, quotes, the text "\N", non-Latin letters), nulls, booleans,
 * big integers, floats, JSON and dates to the millisecond, read back through the ORM's connection.
 */
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { openSink, TableBuffer } from '../../seeds/sink';
import { TABLES } from '../../seeds/tables';

const ms = (v: unknown): number | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number(v);
const flag = (v: unknown): boolean | null => (v === null ? null : v === true || v === 1 || v === '1');

const AWKWARD = ['tab\there', 'line\nbreak\r\nand CR', 'back\\slash \\N \\t', '"quoted", \'single\'', '\\N', 'Zoë – 東京 🚀', ' '];

describe.each(DATABASES)('the seed writer on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp(kind)));
  afterAll(async () => app?.close());

  it('reads back every value it wrote, exactly', async () => {
    const at = Date.UTC(2026, 1, 3, 4, 5, 6, 789);
    const rows = AWKWARD.map((text, i) => [
      i + 1, new Date(at + i), new Date(at), text, i % 2 ? null : `${text}@example.com`, null, text, null, null, i % 3 ? text : null,
      'NEW', null, i % 2 ? new Date(at - 86_400_000 * i - i) : null, null, null, null, null, 9_007_199_254_740_991 - i, i % 3 === 0 ? null : i % 2 === 0,
      true, i, null, { text, n: i / 3, nested: { list: [1, null, 'x\ty'] } }, 1,
    ]);
    const buffer = new TableBuffer(TABLES.leads);
    const sink = await openSink(app.orm);
    try {
      await sink.begin();
      for (const row of rows) buffer.push(row);
      await sink.write(buffer);
      await sink.finish();
    } catch (error) {
      await sink.abort(); // releases the connection, so a failed write fails the test instead of hanging it
      throw error;
    }

    const read = (await app.orm.em.getConnection().execute(
      'select id, created_at, name, email, title, source, mql_at, budget_cents, has_authority, has_need, timeline_months, attributes from leads order by id',
    )) as Array<Record<string, unknown>>;
    expect(read.map((r) => [
      Number(r.id), ms(r.created_at), r.name, r.email, r.title, r.source, ms(r.mql_at), Number(r.budget_cents), flag(r.has_authority), flag(r.has_need),
      Number(r.timeline_months), typeof r.attributes === 'string' ? JSON.parse(r.attributes) : r.attributes,
    ])).toEqual(rows.map((w) => [
      w[0], (w[1] as Date).getTime(), w[3], w[4], w[6], w[9], w[12] === null ? null : (w[12] as Date).getTime(), w[17], w[18], w[19], w[20], w[22],
    ]));
  });
});
