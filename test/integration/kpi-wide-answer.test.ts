import type { Em } from '../../src/db/orm';
import { readEpochMs } from '../../src/db/dialect';
import { KpiDimension } from '../../src/modules/kpi/kpi.enums';
import { buckets, parsePeriod } from '../../src/shared/period';
import { DATABASES, type TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';

/*
 * The wide answer (revenue by REP x MONTH over two years) against a reference built here from the won deals
 * themselves: every rep with a won deal in the period, by id, "(none)" last; every month in Europe/Paris, in
 * order; each value the integer sum of cents / 100, 0 where the rep won nothing that month. Both shapes (`kpi`
 * rows, `kpiMatrix`), each asked twice: once on graphql-js, then compiled (src/graphql/execution.ts).
 */
const TWO_YEARS = { from: '2024-10-01', to: '2026-10-01', timeZone: 'Europe/Paris' };
const ROWS = `query($p: KpiPeriodInput!) { kpi(key: "revenue", period: $p, groupBy: [REP, MONTH]) { key rows { groups { key label } bucket { key } value } } }`;
const MATRIX = `query($p: KpiPeriodInput!) { kpiMatrix(key: "revenue", period: $p, groupBy: [REP], bucketBy: MONTH) { key buckets { key } rows { groups { key label } values } } }`;

type Group = { key: string | null; label: string };

describe.each(DATABASES)('the wide answer on %s', (kind) => {
  let app: TestApp;
  let months: Array<{ key: string; start: number; end: number }>;
  let groups: Group[];
  let cents: Map<string | null, number[]>;

  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard');
    months = buckets(parsePeriod(TWO_YEARS), KpiDimension.MONTH).map((b) => ({ key: b.key, start: b.start.getTime(), end: b.end.getTime() }));
    const conn = (app.orm.em.fork() as Em).getConnection();
    const won = await conn.execute(`select owner_id, closed_at, amount_cents from deals where status = 'WON' and closed_at is not null`);
    cents = new Map();
    for (const deal of won) {
      const at = readEpochMs(deal.closed_at)!;
      const month = months.findIndex((m) => at >= m.start && at < m.end);
      if (month < 0) continue;
      const rep = deal.owner_id == null ? null : String(deal.owner_id);
      if (!cents.has(rep)) cents.set(rep, months.map(() => 0));
      cents.get(rep)![month] += Number(deal.amount_cents);
    }
    const names = new Map((await conn.execute('select id, name from reps')).map((r) => [String(r.id), String(r.name)]));
    const reps = [...cents.keys()].sort((a, b) => (a == null ? 1 : b == null ? -1 : Number(a) - Number(b)));
    groups = reps.map((key) => ({ key, label: key == null ? '(none)' : names.get(key)! }));
  });
  afterAll(async () => app?.close());

  it('has enough of a world to mean something', () => {
    expect(months).toHaveLength(24);
    expect(groups.length).toBeGreaterThan(10); // 13 reps won something on the standard world
    expect([...cents.values()].flat().filter((c) => c === 0).length).toBeGreaterThan(0); // months without a win: 0, not missing
  });

  it('gives kpi rows bucket by bucket, reps in order, each value the month’s won cents / 100', async () => {
    const expected = months.flatMap((month, i) => groups.map((group) => ({ groups: [group], bucket: { key: month.key }, value: cents.get(group.key)![i] / 100 })));
    for (let run = 0; run < 2; run++) {
      const res = await app.execute<{ kpi: { key: string; rows: unknown[] } }>(ROWS, { p: TWO_YEARS });
      expect(res.errors).toBeUndefined();
      expect(res.data!.kpi.key).toBe('revenue');
      expect(res.data!.kpi.rows).toEqual(expected);
    }
  });

  it('gives the same values as a matrix: one row per rep, one value per month', async () => {
    const expected = { key: 'revenue', buckets: months.map((m) => ({ key: m.key })), rows: groups.map((group) => ({ groups: [group], values: cents.get(group.key)!.map((c) => c / 100) })) };
    for (let run = 0; run < 2; run++) {
      const res = await app.execute<{ kpiMatrix: unknown }>(MATRIX, { p: TWO_YEARS });
      expect(res.errors).toBeUndefined();
      expect(res.data!.kpiMatrix).toEqual(expected);
    }
  });
});
