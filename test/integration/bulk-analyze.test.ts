/**
 * Bulk writers analyze what they wrote (PostgreSQL plans from table statistics; issue 15: the MANAGER dashboard
 * was 276 ms p95 straight after the seed, 52 ms after ANALYZE): after an import and after the seed, the tables
 * they wrote carry a manual ANALYZE in pg_stat_user_tables (autovacuum's own is last_autoanalyze).
 */
import { seedDemoWorld } from '../../seeds';
import type { Em } from '../../src/db/orm';
import { textSource } from '../../src/modules/import/csv-source';
import { runImport } from '../../src/modules/import/import.service';
import { createTestApp, type TestApp } from '../helpers/databases';

const suite = process.env.TEST_DATABASE_URL ? describe : describe.skip;

suite('ANALYZE after bulk writes (PostgreSQL)', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp('postgresql');
  });
  afterEach(async () => {
    await app.close();
  });

  /** Tables with a manual ANALYZE recorded (the statistics are reported asynchronously: wait a little). */
  async function analyzed(tables: string[]): Promise<string[]> {
    const em = app.orm.em.fork() as Em;
    let names: string[] = [];
    for (let i = 0; i < 50; i++) {
      const rows = (await em.getConnection().execute(`select relname from pg_stat_user_tables where last_analyze is not null and relname in (${tables.map(() => '?').join(', ')})`, tables)) as Array<{ relname: string }>;
      names = rows.map((r) => r.relname).sort();
      if (names.length === tables.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return names;
  }

  it('an import analyzes the tables it loaded, and only those', async () => {
    expect(await analyzed(['deals'])).toEqual([]);
    const mapping = { deals: { file: 'o.csv', columns: { externalId: 'id', stage: 'stage', createdAt: 'created', closedAt: 'closed' }, stages: { Won: 'Won', Open: 'Prospecting' } } };
    const csv = 'id,stage,created,closed\nA1,Open,2023-01-10,\nA2,Won,2023-01-11,2024-01-05\nA3,Won,2023-01-12,2024-03-04\n';
    const report = await runImport(app.orm.em as Em, 'postgresql', mapping, () => textSource('o.csv', csv));
    expect(report).toMatchObject({ status: 'COMMITTED', rejectedTotal: 0 });
    expect(await analyzed(['deals', 'deal_stage_changes', 'import_runs'])).toEqual(['deal_stage_changes', 'deals', 'import_runs']);
    expect(await analyzed(['leads', 'activities'])).toEqual([]); // not written, not analyzed
  });

  it('the seed analyzes every table it wrote', async () => {
    const report = await seedDemoWorld(app.orm, { seed: 42, deals: 300, end: new Date('2026-11-23T00:00:00Z'), progress: false });
    expect(report.seconds).toHaveProperty('analyze');
    const tables = ['deals', 'leads', 'activities', 'deal_stage_changes', 'deal_changes', 'orders', 'accounts', 'reps'];
    expect(await analyzed(tables)).toEqual([...tables].sort());
  });
});
