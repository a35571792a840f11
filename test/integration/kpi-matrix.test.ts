import { identityOfRep } from '../../src/modules/auth/access.policy';
import { DATABASES, type TestApp } from '../helpers/databases';
import { useWorld } from '../helpers/fixtures';
import { createKpiWorld, type KpiWorld } from '../helpers/kpi-fixture';

/*
 * `kpiMatrix`: the compact shape of a wide group-by, on the KPI fixture (test/helpers/kpi-fixture.ts, Q1 2026).
 * Win rate by TEAM x MONTH: EMEA closes D1 (won 02-04) and D3 (lost 02-14) in February, D2 (won 03-11) in March;
 * NA closes D4 (lost 03-03) in March. So EMEA [null, 0.5, 1] and NA [null, null, 0], the same numbers as `kpi` rows.
 */
const Q1 = { from: '2026-01-01', to: '2026-04-01', timeZone: 'UTC' };
const MATRIX = `query($key: String!, $period: KpiPeriodInput!, $groupBy: [KpiDimension!]!, $bucketBy: KpiDimension!) {
  kpiMatrix(key: $key, period: $period, groupBy: $groupBy, bucketBy: $bucketBy) { key unit buckets { key start end } rows { groups { dimension key label } values } } }`;
const ROWS = `query($key: String!, $period: KpiPeriodInput!, $groupBy: [KpiDimension!]) {
  kpi(key: $key, period: $period, groupBy: $groupBy) { rows { groups { dimension key label } bucket { key start end } value } } }`;

type Matrix = { key: string; unit: string; buckets: Array<{ key: string }>; rows: Array<{ groups: Array<{ key: string; label: string }>; values: Array<number | null> }> };
type Rows = Array<{ groups: Array<{ key: string; label: string }>; bucket: { key: string }; value: number | null }>;

describe.each(DATABASES)('kpiMatrix on %s', (kind) => {
  let app: TestApp;
  let world: KpiWorld;
  useWorld(kind, createKpiWorld, (a, w) => ((app = a), (world = w)));

  const matrix = async (key: string, groupBy: string[], bucketBy: string, identity = undefined as ReturnType<typeof identityOfRep> | undefined) => {
    const res = await app.execute<{ kpiMatrix: Matrix }>(MATRIX, { key, period: Q1, groupBy, bucketBy }, identity);
    expect(res.errors).toBeUndefined();
    return res.data!.kpiMatrix;
  };

  it('gives one row per group with one value per bucket', async () => {
    const m = await matrix('winRate', ['TEAM'], 'MONTH');
    expect(m).toMatchObject({ key: 'winRate', unit: 'RATIO' });
    expect(m.buckets.map((b) => b.key)).toEqual(['2026-01', '2026-02', '2026-03']);
    expect(m.rows.map((r) => [r.groups[0].label, r.values])).toEqual([
      ['EMEA Mid-Market', [null, 0.5, 1]],
      ['NA Enterprise', [null, null, 0]],
    ]);
  });

  it('holds the same numbers as kpi rows, within the caller’s scope', async () => {
    for (const [key, groupBy, bucketBy] of [['revenue', ['REP'], 'MONTH'], ['opportunitiesCreated', ['TEAM', 'SOURCE'], 'WEEK'], ['winRate', ['REP'], 'QUARTER']] as const) {
      for (const identity of [undefined, identityOfRep(world.nina)]) {
        const m = await matrix(key, [...groupBy], bucketBy, identity);
        const res = await app.execute<{ kpi: { rows: Rows } }>(ROWS, { key, period: Q1, groupBy: [...groupBy, bucketBy] }, identity);
        expect(res.errors).toBeUndefined();
        const fromRows = res.data!.kpi.rows.map((r) => [r.bucket.key, r.groups.map((g) => g.key).join('/'), r.value]).sort();
        const fromMatrix = m.rows.flatMap((r) => m.buckets.map((b, i) => [b.key, r.groups.map((g) => g.key).join('/'), r.values[i]])).sort();
        expect(fromMatrix).toEqual(fromRows);
      }
    }
  });

  it('holds the same numbers as kpi rows for a KPI that reads the revenue target, and has no columns without any group', async () => {
    const m = await matrix('pipelineCoverage', ['REP'], 'MONTH');
    const res = await app.execute<{ kpi: { rows: Rows } }>(ROWS, { key: 'pipelineCoverage', period: Q1, groupBy: ['REP', 'MONTH'] });
    expect(res.errors).toBeUndefined();
    const fromRows = res.data!.kpi.rows.map((r) => [r.bucket.key, r.groups.map((g) => g.key).join('/'), r.value]).sort();
    expect(fromRows.length).toBeGreaterThan(0);
    expect(m.rows.flatMap((r) => m.buckets.map((b, i) => [b.key, r.groups.map((g) => g.key).join('/'), r.values[i]])).sort()).toEqual(fromRows);
    const empty = await app.execute<{ kpiMatrix: Matrix }>(MATRIX, { key: 'revenue', period: { from: '2020-01-01', to: '2020-04-01', timeZone: 'UTC' }, groupBy: ['REP'], bucketBy: 'MONTH' });
    expect(empty.data!.kpiMatrix).toMatchObject({ buckets: [], rows: [] });
  });

  it('refuses a time grain among the row dimensions, and a bucket that is not one', async () => {
    const bad = await app.execute(MATRIX, { key: 'revenue', period: Q1, groupBy: ['MONTH'], bucketBy: 'MONTH' });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'groupBy' } });
    const notTime = await app.execute(MATRIX, { key: 'revenue', period: Q1, groupBy: ['REP'], bucketBy: 'TEAM' });
    expect(notTime.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'bucketBy' } });
  });
});
