import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';

const IMPORT = `mutation($input: ImportInput!) { importCrmExport(input: $input) {
  status rejectedTotal inferences { rule column count } warnings { column reason count } } }`;

// A HubSpot-style export: the current stage, per-stage "Date entered" columns (blank: never entered) and, for
// some lost deals, the stage they were lost at. Qualification has no date column.
const HUBSPOT = [
  'Deal ID,Stage,Create Date,Close Date,Date entered Discovery,Date entered Proposal,Date entered Negotiation,Lost at,Amount',
  'H1,Won,2024-01-01,2024-03-01,2024-01-20,2024-02-01,2024-02-15,,1000', // dated all the way: Qualification inferred
  'H2,Lost,2024-01-01,2024-02-10,2024-01-15,,,,500', //                       stopped after Discovery: known (columns after it are blank)
  'H3,Lost,2024-01-01,2024-02-10,,,,Qualification,400', //                    lost at Qualification, says the export
  'H4,Lost,2024-01-05,2024-01-25,,,,,300', //                                  no dates, no stage at loss... but every later stage has a column
  'H5,Proposal,2024-02-01,,2024-02-10,2024-02-20,,,200', //                    open, in Proposal since its date
].join('\n');

const MAPPING = {
  deals: {
    file: 'deals.csv',
    columns: { externalId: 'Deal ID', stage: 'Stage', createdAt: 'Create Date', closedAt: 'Close Date', amount: 'Amount', stageAtLoss: 'Lost at' },
    stages: { Won: 'Won', Lost: 'Lost', Proposal: 'Proposal' },
    stageDates: { 'Discovery/Demo': 'Date entered Discovery', Proposal: 'Date entered Proposal', Negotiation: 'Date entered Negotiation' },
  },
};

describe.each(DATABASES)('stage history from exports on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp(kind);
  });
  afterAll(async () => app?.close());

  const history = async (externalId: string) => {
    const e = app.orm.em.fork() as Em;
    const deal = await e.findOneOrFail(Deal, { externalId });
    const changes = await e.find(DealStageChange, { deal }, { orderBy: { at: 'asc', id: 'asc' }, populate: ['toStage'] });
    return { known: deal.stageHistoryKnown, path: changes.map((c) => `${c.toStage.name}@${c.at.toISOString().slice(0, 10)}${c.inferred ? '' : '*'}`) };
  };

  it('uses per-stage dates and the stage at loss, infers the rest, and states each inference with its count', async () => {
    const res = await app.execute<{ importCrmExport: { status: string; rejectedTotal: number; inferences: Array<{ rule: string; count: number }> } }>(
      IMPORT, { input: { mapping: MAPPING, files: [{ name: 'deals.csv', content: HUBSPOT }] } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.importCrmExport).toMatchObject({ status: 'COMMITTED', rejectedTotal: 0 });
    expect(Object.fromEntries(res.data!.importCrmExport.inferences.map((i) => [i.rule, i.count]))).toEqual({
      FIRST_STAGE_AT_CREATED: 5, WON_THROUGH_OPEN_STAGES: 1, LOST_THROUGH_STAGES_TO_LOSS: 2, LOST_STAGE_UNKNOWN: 1, // H2, H3 / H4: see below
    });
  });

  it('records what is known per deal, and only a loss at an unknown stage as unknown', async () => {
    expect(await history('H1')).toEqual({
      known: true,
      path: ['Prospecting@2024-01-01', 'Qualification@2024-01-10', 'Discovery/Demo@2024-01-20*', 'Proposal@2024-02-01*', 'Negotiation@2024-02-15*', 'Won@2024-03-01'],
    });
    expect(await history('H3')).toEqual({ known: true, path: ['Prospecting@2024-01-01', 'Qualification@2024-01-21', 'Lost@2024-02-10'] });
    // H2 reached Discovery (dated) and no further: every later stage has a column, blank. Qualification, which has
    // no column, it passed on the way (inferred).
    expect(await history('H2')).toEqual({ known: true, path: ['Prospecting@2024-01-01', 'Qualification@2024-01-08', 'Discovery/Demo@2024-01-15*', 'Lost@2024-02-10'] });
    // H4: nothing dated, and Qualification (which it may have reached) has no column: unknown.
    expect(await history('H4')).toEqual({ known: false, path: ['Prospecting@2024-01-05', 'Lost@2024-01-25'] });
    expect(await history('H5')).toEqual({ known: true, path: ['Prospecting@2024-02-01', 'Discovery/Demo@2024-02-10*', 'Proposal@2024-02-20*'] });
    const e = app.orm.em.fork() as Em;
    expect((await e.findOneOrFail(Deal, { externalId: 'H5' })).stageEnteredAt).toEqual(new Date('2024-02-20T00:00:00Z'));
    const viaApi = await app.execute<{ deals: { edges: Array<{ node: { name: string; stageHistoryKnown: boolean } }> } }>(
      '{ deals(first: 10, filter: { statuses: [LOST] }) { edges { node { name stageHistoryKnown } } } }',
    );
    expect(viaApi.data!.deals.edges.map((x) => x.node.stageHistoryKnown).sort()).toEqual([false, true, true]);
  });

  it('re-importing the same export replaces the history instead of duplicating it', async () => {
    const e = app.orm.em.fork() as Em;
    const before = await e.count(DealStageChange, {});
    const res = await app.execute<{ importCrmExport: { status: string } }>(IMPORT, { input: { mapping: MAPPING, files: [{ name: 'deals.csv', content: HUBSPOT }] } });
    expect(res.data!.importCrmExport.status).toBe('COMMITTED');
    expect(await app.orm.em.fork().count(DealStageChange, {})).toBe(before);
    expect((await history('H1')).path).toHaveLength(6);
  });

  it('refuses a stage-date column for a closing stage, or for a stage that does not exist, before writing', async () => {
    for (const [stage, field] of [['Won', 'mapping.deals.stageDates.Won'], ['Signed', 'mapping.deals.stageDates.Signed']]) {
      const mapping = { deals: { ...MAPPING.deals, stageDates: { [stage]: 'Date entered Proposal' } } };
      const res = await app.execute(IMPORT, { input: { mapping, files: [{ name: 'deals.csv', content: HUBSPOT }] } });
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});
