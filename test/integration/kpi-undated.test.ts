/**
 * Open deals imported without any date are part of the present pipeline (pipeline value, open deals by stage),
 * not of a past snapshot, and never of "deals created in a period". Their import states the amount and currency
 * defaults as warnings with counts.
 */
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';

const IMPORT = `mutation($input: ImportInput!) { importCrmExport(input: $input) { status rejectedTotal warnings { column reason count } } }`;
const KPI = `query($key: String!, $period: KpiPeriodInput!, $groupBy: [KpiDimension!]) {
  kpi(key: $key, period: $period, groupBy: $groupBy) { rows { groups { label } value denominator } } }`;

const DEALS = [
  'id,stage,created,closed,amount,product',
  'O1,Proposal,2024-01-10,,1000,',
  'O2,Proposal,,,500,', //          open, no date at all
  'O3,Qualification,,,,', //        open, no date, no amount, no product: 0 used (warned)
  'W1,Won,2024-01-05,2024-01-20,2000,',
].join('\n');
const MAPPING = {
  deals: { file: 'd.csv', columns: { externalId: 'id', stage: 'stage', createdAt: 'created', closedAt: 'closed', amount: 'amount', product: 'product' }, stages: { Won: 'Won' } },
};
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const CURRENT = { from: '2024-01-01', to: tomorrow, timeZone: 'UTC' };
const JANUARY = { from: '2024-01-01', to: '2024-02-01', timeZone: 'UTC' };

describe.each(DATABASES)('undated open deals on %s', (kind) => {
  let app: TestApp;
  let warnings: Array<{ column: string | null; reason: string; count: number }>;
  beforeAll(async () => {
    app = await createTestApp(kind);
    const res = await app.execute<{ importCrmExport: { status: string; rejectedTotal: number; warnings: typeof warnings } }>(
      IMPORT, { input: { mapping: MAPPING, files: [{ name: 'd.csv', content: DEALS }] } },
    );
    expect(res.data?.importCrmExport).toMatchObject({ status: 'COMMITTED', rejectedTotal: 0 });
    warnings = res.data!.importCrmExport.warnings;
  });
  afterAll(async () => app?.close());

  const kpi = async (key: string, period: object, groupBy: string[] = []) => {
    const res = await app.execute<{ kpi: { rows: Array<{ groups: Array<{ label: string }>; value: number; denominator: number }> } }>(KPI, { key, period, groupBy });
    expect(res.errors).toBeUndefined();
    return res.data!.kpi.rows.map((r) => [...r.groups.map((g) => g.label), r.value, r.denominator]);
  };

  it('counts them in the present pipeline and in open deals by stage', async () => {
    expect(await kpi('pipelineValue', CURRENT)).toEqual([[1500, 3]]); // O1 + O2 + O3 (amount 0)
    const byStage = (await kpi('pipelineValue', CURRENT, ['STAGE'])).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(byStage).toEqual([['Proposal', 1500, 2], ['Qualification', 0, 1]]);
  });

  it('leaves them out of a past snapshot and of the deals created in a period', async () => {
    expect(await kpi('pipelineValue', JANUARY)).toEqual([[1000, 1]]); // O1 (W1 closed before the end of January)
    expect((await kpi('opportunitiesCreated', CURRENT)).map((r) => r[r.length - 2])).toEqual([2]); // O1 and W1 only
  });

  it('reports the amount and currency defaults as warnings with counts', () => {
    const count = (reason: string) => warnings.find((w) => w.reason === reason)?.count;
    expect(count('no amount and no known product: 0 used')).toBe(1);
    expect(count('no currency column mapped: EUR used')).toBe(4);
  });
});
