import fs from 'node:fs';
import path from 'node:path';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import type { Em } from '../../src/db/orm';
import { Account } from '../../src/modules/account/account.entity';
import { Activity } from '../../src/modules/activity/activity.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { fileSource } from '../../src/modules/import/csv-source';
import { ImportRun } from '../../src/modules/import/import-run.entity';
import { latestAttributeTypes, runImport, type ImportOptions } from '../../src/modules/import/import.service';
import { formatReport, type ImportReport } from '../../src/modules/import/report';
import { Lead } from '../../src/modules/lead/lead.entity';
import { Product } from '../../src/modules/product/product.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { Team } from '../../src/modules/team/team.entity';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/crm-export');
const MESSY = path.join(ROOT, 'test/fixtures/import/messy');
const readMapping = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'mapping.json'), 'utf8'));

const IMPORT = `mutation($input: ImportInput!) { importCrmExport(input: $input) {
  runId status rejectedTotal errors text
  entities { entity created updated rejected }
  rejected { file line column value reason }
  attributeTypes { name type } } }`;

async function tableCounts(em: Em) {
  const e = em.fork();
  const [reps, teams, accounts, products, deals, changes, leads, activities, runs] = await Promise.all([
    e.count(Rep), e.count(Team), e.count(Account), e.count(Product), e.count(Deal), e.count(DealStageChange), e.count(Lead), e.count(Activity), e.count(ImportRun),
  ]);
  return { reps, teams, accounts, products, deals, changes, leads, activities, runs };
}

const counts = (report: ImportReport) =>
  Object.fromEntries(report.entities.map((c) => [c.entity, [c.rowsRead, c.created, c.updated, c.rejected]]));

describe.each(DATABASES)('import on %s', (kind) => {
  let app: TestApp;
  let em: Em;
  const run = (dir: string, options: ImportOptions = {}, mapping = readMapping(dir)) =>
    runImport(app.orm.em as Em, kind, mapping, (file) => fileSource(file, path.join(dir, file)), options);

  beforeAll(async () => {
    app = await createTestApp(kind);
    em = app.orm.em as Em;
  });
  afterAll(async () => app?.close());

  it('loads the example export exactly as the issue maps it, then re-imports it without duplicates', async () => {
    const first = await run(EXAMPLE);
    expect(first.status).toBe('COMMITTED');
    expect(first.rejectedTotal).toBe(0);
    // [read, created, updated, rejected]; reps: 6 agents + 3 managers who are not rows of team.csv.
    expect(counts(first)).toEqual({
      reps: [6, 9, 0, 0], accounts: [7, 7, 0, 0], products: [5, 5, 0, 0], leads: [8, 8, 0, 0], deals: [10, 10, 0, 0], activities: [6, 6, 0, 0],
    });
    // 5 won deals through the 5 open stages to Won: 6 changes each; 2 lost deals, last stage unknown: created ->
    // first stage, then Lost (2 each); 2 Engaging deals with a created date: 1 each.
    const after = await tableCounts(em);
    expect(after).toMatchObject({ reps: 9, teams: 3, deals: 10, changes: 36, leads: 8, activities: 6, runs: 1 });
    expect(first.inferences.filter((i) => i.entity === 'deals').map((i) => [i.rule, i.count])).toEqual([
      ['FIRST_STAGE_AT_CREATED', 7], ['WON_THROUGH_OPEN_STAGES', 5], ['LOST_STAGE_UNKNOWN', 2], ['OPEN_STAGE_ENTERED_UNDATED', 2],
    ]);
    expect(formatReport(first)).toContain('opportunities.csv: won deal: inferred to have passed through every open stage up to its close');

    const e = em.fork();
    const won = await e.findOneOrFail(Deal, { externalId: 'Z063OYW0' }, { populate: ['product', 'owner', 'account', 'stage'] });
    expect(won).toMatchObject({ status: 'WON', amountCents: 451400, closedAt: new Date('2017-03-11T00:00:00Z'), openedAt: new Date('2016-10-25T00:00:00Z') });
    expect([won.product!.name, won.owner!.name, won.account!.name, won.stage.name]).toEqual(['GTX Pro', 'Darcel Schlecht', 'Finhigh', 'Won']);
    const history = await e.find(DealStageChange, { deal: won }, { orderBy: { at: 'asc' }, populate: ['fromStage', 'toStage'] });
    // 137 days from created to won, the four stages after Prospecting entered every 27.4 days.
    expect(history.map((h) => [h.fromStage?.name ?? null, h.toStage.name, h.at.toISOString().slice(0, 13), h.inferred])).toEqual([
      [null, 'Prospecting', '2016-10-25T00', true], ['Prospecting', 'Qualification', '2016-11-21T09', true],
      ['Qualification', 'Discovery/Demo', '2016-12-18T19', true], ['Discovery/Demo', 'Proposal', '2017-01-15T04', true],
      ['Proposal', 'Negotiation', '2017-02-11T14', true], ['Negotiation', 'Won', '2017-03-11T00', true],
    ]);
    expect(won.stageHistoryKnown).toBe(true);
    const lostDeal = await e.findOneOrFail(Deal, { externalId: 'PE84CX4O' });
    expect(lostDeal.stageHistoryKnown).toBe(false);
    const lostHistory = await e.find(DealStageChange, { deal: lostDeal }, { orderBy: { at: 'asc' }, populate: ['fromStage', 'toStage'] });
    expect(lostHistory.map((h) => [h.fromStage?.name ?? null, h.toStage.name])).toEqual([[null, 'Prospecting'], ['Prospecting', 'Lost']]);
    const undated = await e.findOneOrFail(Deal, { externalId: 'HAXMC4IX' }, { populate: ['stage', 'product'] });
    expect(undated).toMatchObject({ status: 'OPEN', openedAt: null, closedAt: null, amountCents: 339300 }); // MG Advanced list price
    expect(await e.count(DealStageChange, { deal: undated })).toBe(0);
    const engaging = await e.findOneOrFail(Deal, { externalId: '9ME3374G' }, { populate: ['stage'] });
    expect(engaging.stage.name).toBe('Qualification');

    const team = await e.findOneOrFail(Team, { name: 'Dustin Brinkmann' }, { populate: ['manager'] });
    expect(team).toMatchObject({ region: 'Central', manager: { name: 'Dustin Brinkmann', role: 'MANAGER', email: 'dustin.brinkmann@import.invalid' } });
    const codehow = await e.findOneOrFail(Account, { name: 'Codehow' }, { populate: ['parent'] });
    expect(codehow.parent?.name).toBe('Acme Corporation');

    const leads = await e.find(Lead, {}, { orderBy: { externalId: 'asc' } });
    expect(leads.map((l) => [l.externalId, l.status])).toEqual([
      ['660664', 'NEW'], ['660673', 'CONVERTED'], ['660674', 'DISQUALIFIED'], ['660681', 'CONVERTED'],
      ['660719', 'DISQUALIFIED'], ['660727', 'CONVERTED'], ['660728', 'DISQUALIFIED'], ['660737', 'DISQUALIFIED'],
    ]);
    expect(leads[2].attributes).toEqual({ 'Total Visits': 0, 'Time On Site': 0, Country: null, Occupation: null });
    expect(leads[1].attributes).toEqual({ 'Total Visits': 2, 'Time On Site': 1640, Country: 'India', Occupation: 'Working Professional' });
    expect((await latestAttributeTypes(em)).map((a) => [a.name, a.type])).toEqual([
      ['Total Visits', 'numeric'], ['Time On Site', 'numeric'], ['Country', 'categorical'], ['Occupation', 'categorical'],
    ]);

    const second = await run(EXAMPLE);
    expect(counts(second)).toEqual({
      reps: [6, 0, 6, 0], accounts: [7, 0, 7, 0], products: [5, 0, 5, 0], leads: [8, 0, 8, 0], deals: [10, 0, 10, 0], activities: [6, 0, 6, 0],
    });
    expect(await tableCounts(em)).toEqual({ ...after, runs: 2 });
    const again = await em.fork().findOneOrFail(Deal, { externalId: 'Z063OYW0' });
    expect(again.version).toBe(won.version + 1);
  });

  it('reports every messy case with file, line, column and reason, and loads the good rows', async () => {
    const before = await tableCounts(em);
    const report = await run(MESSY);
    expect(report.status).toBe('COMMITTED');
    // Anna Snelling, Moses Frase, their managers, GTX Basic and GTX Pro exist from the example import: matched by name.
    expect(counts(report)).toEqual({
      reps: [5, 1, 2, 1], accounts: [7, 4, 0, 2], products: [4, 1, 2, 1], leads: [6, 4, 0, 2], deals: [12, 6, 0, 6], activities: [6, 3, 0, 3],
    });
    expect(report.rejectedTotal).toBe(15);
    const rejected = report.rejected.map((r) => `${r.file}:${r.line} ${r.column ?? '-'} ${r.value ?? '-'} | ${r.reason}`);
    expect(rejected).toEqual([
      'team.csv:6 Agent - | a rep needs a name',
      'accounts.csv:6 - Initech | same account as line 5 with different values: keep one of the two rows',
      'accounts.csv:7 headcount abc | "abc" is not a number',
      'products.csv:5 price - | a new product needs a list price',
      'leads.csv:5 Converted maybe | "maybe" is not a yes/no value (expected 1, 1.0, yes, y, true, x, won or 0, 0.0, no, n, false, lost)',
      'leads.csv:7 Lead ID L2 | duplicate external id (first on line 3): skipped',
      'opportunities.csv:6 stage Negotiating | stage not mapped: add it to deals.stages in the mapping',
      'opportunities.csv:7 closed 2023-04-01 | closed before it was created',
      'opportunities.csv:8 id D1 | duplicate external id (first on line 2): skipped',
      'opportunities.csv:9 value abc | "abc" is not a number',
      'opportunities.csv:11 - - | expected 9 fields, found 10 (an unquoted "," or a cut line?)',
      'opportunities.csv:13 stage Demo | stage not mapped: add it to deals.stages in the mapping',
      'activities.csv:5 type Fax | "Fax" is not an activity type (call, email, meeting, demo, note; map others with aliases)',
      'activities.csv:6 opportunity_id D404 | no known deal or lead to attach the activity to',
      'activities.csv:7 date - | an activity needs a date',
    ]);
    expect(report.errors).toEqual([
      'opportunities.csv: stage values not mapped in deals.stages: "Negotiating" (1 row), "Demo" (1 row). Mapped values: Prospecting, Engaging, Closed Won, Closed Lost.',
    ]);
    const warning = (file: string, reason: string) => report.warnings.find((w) => w.file === file && w.reason.startsWith(reason));
    expect(warning('team.csv', 'duplicate of line 2')).toMatchObject({ count: 1, samples: [{ line: 4, value: 'Anna Snelling' }] });
    expect(warning('accounts.csv', 'duplicate of line 2')).toMatchObject({ samples: [{ line: 3, value: 'google' }] }); // case duplicate
    expect(warning('accounts.csv', 'unknown parent account')).toMatchObject({ samples: [{ line: 8, value: 'Massive Dynamic' }] });
    expect(warning('opportunities.csv', 'unknown rep')).toMatchObject({ column: 'agent', samples: [{ line: 4, value: 'Nobody Here' }] });
    expect(warning('opportunities.csv', 'unknown account')).toMatchObject({ samples: [{ line: 5, value: 'Unknown Co' }] });
    expect(warning('opportunities.csv', 'no created date')).toMatchObject({ samples: [{ line: 5, value: null }] });
    expect(warning('opportunities.csv', 'loss reason')).toBeUndefined(); // "Select" on an open deal is a placeholder, not a reason
    expect(warning('activities.csv', 'unknown deal')).toMatchObject({ samples: [{ line: 4, value: 'D404' }] });

    const e = em.fork();
    const d1 = await e.findOneOrFail(Deal, { externalId: 'D1' }, { populate: ['product', 'owner'] });
    expect([d1.product!.name, d1.owner!.name, d1.status, d1.amountCents]).toEqual(['GTX Pro', 'Moses Frase', 'WON', 450000]);
    const d2 = await e.findOneOrFail(Deal, { externalId: 'D2' }, { populate: ['account', 'owner'] });
    expect([d2.account!.name, d2.owner!.name, d2.status, d2.lossReason]).toEqual(['Globex; Inc.', 'Anna Snelling', 'LOST', 'Price']);
    const d10 = await e.findOneOrFail(Deal, { externalId: 'D10' }, { populate: ['account', 'product', 'stage'] });
    expect([d10.account!.name, d10.product!.name, d10.stage.name, d10.amountCents, d10.openedAt]).toEqual(['Initech', 'GTX Basic', 'Qualification', 125050, new Date('2023-07-13T00:00:00Z')]);
    expect(await e.findOneOrFail(Deal, { externalId: 'D4' })).toMatchObject({ status: 'OPEN', openedAt: null, account: null });
    expect(await e.count(Deal, { externalId: { $in: ['D5', 'D6', 'D7', 'D9', 'Demo1'] } })).toBe(0);
    // "03/04/2023" fits both orders, but its column also holds "25/12/2023" and "13/07/2023": read day-first, and said so.
    expect((await e.findOneOrFail(Deal, { externalId: 'D8' })).openedAt).toEqual(new Date('2023-04-03T00:00:00Z'));
    expect(report.inferences.filter((i) => i.rule === 'DATE_ORDER_FROM_COLUMN')).toEqual([
      { entity: 'deals', file: 'opportunities.csv', column: 'created', rule: 'DATE_ORDER_FROM_COLUMN', description: 'dates read day-first: "25/12/2023" (line 9) fits no other order', count: 1 },
    ]);
    const google = await e.find(Account, { name: { $in: ['Google', 'google'] } });
    expect(google.map((a) => [a.name, a.employees, a.annualRevenueCents])).toEqual([['Google', 140000, 28283650]]);
    expect((await e.findOneOrFail(Account, { name: 'Globex; Inc.' }, { populate: ['parent'] })).parent?.name).toBe('Google');
    expect((await e.findOneOrFail(Product, { name: 'Widget, large' })).listPriceCents).toBe(120000);
    expect((await e.findOneOrFail(Rep, { name: 'Frase, Junior' })).email).toBe('frase.junior@import.invalid');
    const l3 = await e.findOneOrFail(Lead, { externalId: 'L3' });
    expect([l3.status, l3.attributes]).toEqual(['NEW', { 'Total Visits': 2.5, 'Time On Site': 71, Country: 'Singapore', Occupation: 'Working Professional' }]);
    const a1 = await e.findOneOrFail(Activity, { externalId: 'A1' });
    const a2 = await e.findOneOrFail(Activity, { externalId: 'A2' });
    expect([a1.type, a1.outcome, a1.deal?.id, a2.deal?.id, a2.outcome]).toEqual(['CALL', 'CONNECTED', d1.id, d1.id, 'REPLIED']);

    const after = await tableCounts(em);
    expect({ deals: after.deals - before.deals, leads: after.leads - before.leads, activities: after.activities - before.activities }).toEqual({ deals: 6, leads: 4, activities: 3 });
  });

  it('--strict aborts and --dry-run validates: neither writes anything', async () => {
    const before = await tableCounts(em);
    const strict = await run(MESSY, { strict: true });
    expect([strict.status, strict.rejectedTotal, strict.runId]).toEqual(['ABORTED', 15, null]);
    expect(await tableCounts(em)).toEqual(before);

    const dry = await run(MESSY, { dryRun: true });
    expect(dry.status).toBe('DRY_RUN');
    // Same verdicts as a real run, but the rows it would create are reported as updates: the messy import above committed them.
    expect(dry.rejectedTotal).toBe(15);
    expect(await tableCounts(em)).toEqual(before);
  });

  it('fails before writing on a mapping that does not fit the files, naming the field', async () => {
    const before = await tableCounts(em);
    const badColumn = readMapping(EXAMPLE);
    badColumn.deals.columns.amount = 'montant';
    await expect(run(EXAMPLE, {}, badColumn)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'mapping.deals.columns.amount' },
      message: expect.stringContaining('Column "montant" is not in opportunities.csv'),
    });
    const badStage = readMapping(EXAMPLE);
    badStage.deals.stages['Closed Won'] = 'Signed';
    await expect(run(EXAMPLE, {}, badStage)).rejects.toMatchObject({ extensions: { field: 'mapping.deals.stages.Closed Won' } });
    expect(await tableCounts(em)).toEqual(before);
  });

  it('loads flags, numbers and dates as exports write them (0.0/1.0 outcomes, checkmarks, decimal commas, serial days)', async () => {
    const mapping = {
      locale: 'de-DE',
      leads: { file: 'l.csv', columns: { externalId: 'Prospect ID', converted: 'Converted', createdAt: 'Created' }, attributes: ['Score'] },
      reps: { file: 'r.csv', columns: { name: 'Name', active: 'Current' }, flags: { active: { true: ['aktiv'], false: ['ausgeschieden'] } } },
      accounts: { file: 'a.csv', columns: { name: 'Firma', annualRevenue: 'Umsatz', employees: 'Mitarbeiter' } },
    };
    const files = [
      { name: 'l.csv', content: 'Prospect ID,Converted,Created,Score\nF1,1.0,43101,"12,5"\nF2,0.0,26.02.2018 19:58,"1.001,25"\nF3,,2018-03-01,3\n' },
      { name: 'r.csv', content: 'Name,Current\nFlag Rep One,aktiv\nFlag Rep Two,AUSGESCHIEDEN\nFlag Rep Three,Y\n' },
      { name: 'a.csv', content: 'Firma;Umsatz;Mitarbeiter\nFlagge GmbH;"1.234.567,89 €";1.200\n' },
    ];
    const res = await app.execute<{ importCrmExport: { status: string; rejectedTotal: number; rejected: unknown[] } }>(IMPORT, { input: { mapping, files } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.importCrmExport).toMatchObject({ status: 'COMMITTED', rejectedTotal: 0 });
    const e = em.fork();
    const leads = await e.find(Lead, { externalId: { $in: ['F1', 'F2', 'F3'] } }, { orderBy: { externalId: 'asc' } });
    expect(leads.map((l) => [l.status, l.createdAt.toISOString(), l.attributes.Score])).toEqual([
      ['CONVERTED', '2018-01-01T00:00:00.000Z', 12.5], ['DISQUALIFIED', '2018-02-26T19:58:00.000Z', 1001.25], ['NEW', '2018-03-01T00:00:00.000Z', 3],
    ]);
    const reps = await e.find(Rep, { name: { $like: 'Flag Rep %' } }, { orderBy: { name: 'asc' } });
    expect(reps.map((r) => [r.name, r.active])).toEqual([['Flag Rep One', true], ['Flag Rep Three', true], ['Flag Rep Two', false]]);
    expect(await e.findOneOrFail(Account, { name: 'Flagge GmbH' })).toMatchObject({ annualRevenueCents: 123456789, employees: 1200 });

    // A checkmark column: "x" where converted, blank elsewhere; blank reads as no, and the report says so.
    const marks = { leads: { file: 'm.csv', columns: { externalId: 'id', converted: 'Won?' } } };
    const checked = await app.execute<{ importCrmExport: { inferences: Array<{ rule: string; count: number; column: string }> } }>(
      `mutation($input: ImportInput!) { importCrmExport(input: $input) { inferences { rule column count } } }`,
      { input: { mapping: marks, files: [{ name: 'm.csv', content: 'id,Won?\nM1,x\nM2,\nM3,X\nM4,\n' }] } },
    );
    expect(checked.data!.importCrmExport.inferences).toEqual([{ rule: 'CHECKMARK_BLANK_IS_NO', column: 'Won?', count: 2 }]);
    const m = await em.fork().find(Lead, { externalId: { $in: ['M1', 'M2', 'M3', 'M4'] } }, { orderBy: { externalId: 'asc' } });
    expect(m.map((l) => l.status)).toEqual(['CONVERTED', 'DISQUALIFIED', 'CONVERTED', 'DISQUALIFIED']);
  });

  it('refuses a date column that reads both ways before writing anything, naming its first ambiguous value', async () => {
    const before = await tableCounts(em);
    const mapping = { deals: { file: 'o.csv', columns: { externalId: 'id', stage: 'stage', createdAt: 'created', closedAt: 'closed' }, stages: { Won: 'Won', Open: 'Prospecting' } } };
    const content = 'id,stage,created,closed\nA1,Open,2023-01-10,\nA2,Won,2023-01-11,05/01/2024\nA3,Won,2023-01-12,03/04/2024\n';
    const res = await app.execute(IMPORT, { input: { mapping, files: [{ name: 'o.csv', content }] } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping.deals.columns.closedAt' });
    expect(res.errors?.[0].message).toBe(
      'Column "closed" of o.csv has dates that read both day-first and month-first, first "05/01/2024" on line 3: set "dateFormat": "DMY" or "MDY" in mapping.deals',
    );
    const mixed = content.replace('03/04/2024', '25/04/2024').replace('05/01/2024', '04/25/2024');
    const refused = await app.execute(IMPORT, { input: { mapping, files: [{ name: 'o.csv', content: mixed }] } });
    expect(refused.errors?.[0].message).toContain('mixes day-first dates ("25/04/2024", line 4) and month-first dates ("04/25/2024", line 3)');
    expect(await tableCounts(em)).toEqual(before);
    // Declared, the same file loads: the order is the mapping's.
    const declared = await app.execute<{ importCrmExport: { status: string; rejectedTotal: number } }>(
      IMPORT, { input: { mapping: { dateFormat: 'DD/MM/YYYY', ...mapping }, files: [{ name: 'o.csv', content }], dryRun: true } },
    );
    expect(declared.data?.importCrmExport).toMatchObject({ status: 'DRY_RUN', rejectedTotal: 0 });
  });

  it('imports through GraphQL from file contents and refuses oversized or missing files', async () => {
    const files = ['team.csv', 'accounts.csv', 'products.csv', 'opportunities.csv', 'leads.csv', 'activities.csv']
      .map((name) => ({ name, content: fs.readFileSync(path.join(MESSY, name), 'utf8') }));
    const res = await app.execute<{ importCrmExport: { status: string; rejectedTotal: number; entities: Array<{ entity: string; created: number; updated: number }>; rejected: Array<{ line: number }>; text: string } }>(
      IMPORT, { input: { mapping: readMapping(MESSY), files, dryRun: true } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.importCrmExport).toMatchObject({ status: 'DRY_RUN', rejectedTotal: 15 });
    expect(res.data!.importCrmExport.entities.find((c) => c.entity === 'deals')).toMatchObject({ created: 0, updated: 6 });
    expect(res.data!.importCrmExport.text).toContain('opportunities.csv:13 [stage] "Demo": stage not mapped');

    const missing = await app.execute(IMPORT, { input: { mapping: readMapping(MESSY), files: files.slice(1) } });
    expect(missing.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping.reps.file' });
    const big = await app.execute(IMPORT, { input: { mapping: readMapping(MESSY), files: [{ name: 'team.csv', content: 'x'.repeat(5 * 1024 * 1024 + 1) }] } });
    expect(big.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.files' });
  });
});
