import type { Em } from '../../src/db/orm';
import { KpiDimension } from '../../src/modules/kpi/kpi.enums';
import { FACTS } from '../../src/modules/kpi/kpi.facts';
import { CURRENT, PREVIOUS, sqlBucket } from '../../src/modules/kpi/kpi.plan';
import { buildFactQuery, type FilterValues } from '../../src/modules/kpi/kpi.query';
import { buckets, parsePeriod } from '../../src/shared/period';
import type { TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';

/*
 * On SQLite, closed-deal statements narrowed to some owners read the owner-first covering index (FactDef.sqliteOwnerIndex).
 * The answer must be the planner's own: the same statement without the hint gives the same rows, for a team, a rep,
 * a region and an access scope, grouped or not.
 */
describe('closed deals by owner on sqlite', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createSeededTestApp('sqlite', 'standard');
  });
  afterAll(async () => app?.close());

  const period = parsePeriod({ from: '2025-10-01', to: '2026-10-01', timeZone: 'Europe/Paris' });
  const kb = [
    ...buckets(period, KpiDimension.QUARTER).map((b) => sqlBucket(b, CURRENT + b.key, period.asOf)),
    ...buckets(period, KpiDimension.QUARTER).map((b) => sqlBucket({ ...b, start: new Date(b.start.getTime() - 365 * 86_400_000), end: new Date(b.end.getTime() - 365 * 86_400_000) }, PREVIOUS + b.key, period.asOf)),
  ];
  const names = Object.keys(FACTS.closed.aggregates);

  it.each<[string, FilterValues, KpiDimension[]]>([
    ['a team', { [KpiDimension.TEAM]: [1] }, []],
    ['a rep, by product', { [KpiDimension.REP]: [3] }, [KpiDimension.PRODUCT]],
    ['a region, by rep', { [KpiDimension.REGION]: ['EMEA'] }, [KpiDimension.REP]],
    ['an access scope of a few reps, by source', { [KpiDimension.REP]: [2, 3, 4, 5, 6] }, [KpiDimension.SOURCE]],
  ])('%s: the same rows as the planner’s own plan', async (_name, filter, dims) => {
    const { sql, params } = buildFactQuery('sqlite', FACTS.closed, names, dims, filter, kb);
    expect(sql).toContain('indexed by deals_kpi_owner_closed_index');
    const conn = (app.orm.em.fork() as Em).getConnection();
    const hinted = await conn.execute(sql, params, 'all');
    const plain = await conn.execute(sql.replace(' indexed by deals_kpi_owner_closed_index', ''), params, 'all');
    const sorted = (rows: Array<Record<string, unknown>>) => rows.map((r) => JSON.stringify(r)).sort();
    expect(hinted.length).toBeGreaterThan(0);
    expect(sorted(hinted)).toEqual(sorted(plain));
  });

  it('leaves statements without an owner filter to the planner', () => {
    expect(buildFactQuery('sqlite', FACTS.closed, ['wonAmount'], [KpiDimension.REP], {}, kb).sql).not.toContain('indexed by');
    expect(buildFactQuery('postgresql', FACTS.closed, ['wonAmount'], [], { [KpiDimension.TEAM]: [1] }, kb).sql).not.toContain('indexed by');
  });
});
