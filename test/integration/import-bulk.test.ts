/**
 * The bulk path of large leads, deals and activities files (secondary indexes dropped and rebuilt in the transaction;
 * on PostgreSQL also the foreign keys dropped and added back, one join per key instead of a trigger per row, the stage history appended with COPY, a
 * first load's rows appended with COPY, and each batch read and mapped while the previous one is written) gives the
 * same database and the same report as the row-by-row path with batches one after the other, on a first import and on
 * a re-import that changes deals, and leaves the indexes and foreign keys as they were; a rolled-back bulk import leaves
 * the rows, indexes and keys as they were; a reference to a missing row fails it, naming the value.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import type { Em } from '../../src/db/orm';
import { fileSource } from '../../src/modules/import/csv-source';
import { runImport, type ImportOptions } from '../../src/modules/import/import.service';
import type { ImportReport } from '../../src/modules/import/report';
import { withPgBulkLoad } from '../../src/modules/import/pg-bulk';
import { SqlWriter } from '../../src/modules/import/sql-writer';
import type { Knex } from 'knex';

const STAGES = ['Closed Won', 'Closed Lost', 'Engaging', 'Prospecting', 'Engaging', 'Closed Won'];

const DEALS = 5_100; // more than one batch on either database (SQLite 1,000 rows, PostgreSQL 5,000)
const LEADS = 5_050;
const ACTIVITIES = 5_200;

/** The lead deal i came from: dated deals of the first batch, and D5001 (undated, in the second batch on both databases). */
const leadOf = (i: number) => (i < 10 && i % 6 !== 3 ? `L${i}` : i === 5001 ? 'L10' : '');

/**
 * DEALS deals, with a duplicate id in a later batch, an unreadable date, an unknown owner and undated deals; LEADS leads
 * and ACTIVITIES activities, each with a duplicate id in a later batch. Deals of the first batch convert leads (an
 * inference reported when the batch is written); D5001, in a later batch, is undated and takes its lead's creation
 * date (an inference reported when it is mapped): a pipelined run that reported batch k+1's mapping before batch k's
 * writing would list the two inferences the other way round.
 */
function writeExport(dir: string, changed = false): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'team.csv'), ['agent,manager,office', ...Array.from({ length: 12 }, (_, i) => `Agent ${i},Manager ${i % 3},West`)].join('\n'));
  fs.writeFileSync(path.join(dir, 'accounts.csv'), ['company,industry', ...Array.from({ length: 40 }, (_, i) => `"Company ${i}, Inc.",software`)].join('\n'));
  fs.writeFileSync(path.join(dir, 'products.csv'), 'product,line,price\nGTX Basic,GTX,550\nGTX Pro,GTX,4821\n');
  const leads = ['lead_id,email,created,status'];
  for (let i = 0; i < LEADS; i++) leads.push(`L${i},lead${i}@example.com,2022-${String(1 + (i % 12)).padStart(2, '0')}-15,${['new', 'contacted', 'qualified'][i % 3]}`);
  leads.push('L7,again@example.com,2022-03-03,new'); // the same id again, in a later batch
  fs.writeFileSync(path.join(dir, 'leads.csv'), leads.join('\n'));
  const activities = ['activity_id,deal,lead,kind,date'];
  for (let i = 0; i < ACTIVITIES; i++) {
    const deal = i % 3 === 2 ? '' : `D${(i * 7) % DEALS}`;
    const lead = i % 3 === 0 ? '' : `L${i % LEADS}`;
    activities.push(`A${i},${i === 99 ? 'D999999' : deal},${i === 99 ? '' : lead},${['call', 'email', 'meeting'][i % 3]},2024-0${1 + (i % 9)}-1${i % 10}`);
  }
  activities.push('A12,D1,,call,2024-05-05'); // the same id again, in a later batch
  fs.writeFileSync(path.join(dir, 'activities.csv'), activities.join('\n'));
  const lines = ['id,agent,company,product,stage,created,closed,value,reason,lead'];
  for (let i = 0; i < DEALS; i++) {
    const stage = STAGES[i % STAGES.length];
    const closed = stage.startsWith('Closed') ? `2024-${String(1 + (i % 12)).padStart(2, '0')}-20` : '';
    const created = stage === 'Prospecting' ? '' : `2023-${String(1 + (i % 12)).padStart(2, '0')}-0${1 + (i % 9)}`;
    const value = stage === 'Closed Won' ? String(1000 + i + (changed && i % 100 === 0 ? 7 : 0)) : stage === 'Closed Lost' ? '0' : '';
    const owner = i === 17 ? 'Nobody' : `Agent ${changed && i % 250 === 3 ? (i + 1) % 12 : i % 12}`;
    lines.push(`D${i},${owner},"Company ${i % 40}, Inc.",${i % 3 ? 'GTX Basic' : 'GTX Pro'},${stage},${i === 40 ? '2023-13-45' : created},${closed},${value},${stage === 'Closed Lost' ? 'Price' : ''},${leadOf(i)}`);
  }
  lines.push('D5,Agent 1,"Company 1, Inc.",GTX Basic,Engaging,2023-02-02,,,,'); // the same id again, far below the first
  fs.writeFileSync(path.join(dir, 'opportunities.csv'), lines.join('\n'));
  fs.writeFileSync(path.join(dir, 'mapping.json'), JSON.stringify({
    reps: { file: 'team.csv', columns: { name: 'agent', team: 'manager', manager: 'manager', region: 'office' } },
    accounts: { file: 'accounts.csv', columns: { name: 'company', sector: 'industry' } },
    products: { file: 'products.csv', columns: { name: 'product', family: 'line', listPrice: 'price' } },
    leads: { file: 'leads.csv', columns: { externalId: 'lead_id', email: 'email', createdAt: 'created', status: 'status' } },
    deals: {
      file: 'opportunities.csv',
      columns: { externalId: 'id', owner: 'agent', account: 'company', product: 'product', stage: 'stage', createdAt: 'created', closedAt: 'closed', amount: 'value', lossReason: 'reason', lead: 'lead' },
      stages: { Prospecting: 'Prospecting', Engaging: 'Qualification', 'Closed Won': 'Won', 'Closed Lost': 'Lost' },
    },
    activities: { file: 'activities.csv', columns: { externalId: 'activity_id', deal: 'deal', lead: 'lead', type: 'kind', at: 'date' } },
  }));
}

type Rows = Array<Record<string, unknown>>;
const norm = (rows: Rows) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v])));

/** Everything the import wrote, by external ids and names (not ids or run timestamps). */
async function contents(app: TestApp): Promise<Record<string, Rows>> {
  const q = (sql: string) => app.orm.em.getConnection().execute(sql).then((r) => norm(r as Rows));
  return {
    deals: await q(`select d.external_id, d.name, d.amount_cents, d.currency, s.name as stage, d.status, d.opened_at, d.closed_at, d.expected_close_date,
      d.stage_entered_at, r.name as owner, a.name as account, p.name as product, d.loss_reason, d.version, d.stage_history_known
      from deals d join pipeline_stages s on s.id = d.stage_id left join reps r on r.id = d.owner_id left join accounts a on a.id = d.account_id
      left join products p on p.id = d.product_id order by d.external_id`),
    stageChanges: await q(`select d.external_id, f.name as from_stage, t.name as to_stage, c.at, r.name as by_rep, c.inferred from deal_stage_changes c
      join deals d on d.id = c.deal_id left join pipeline_stages f on f.id = c.from_stage_id join pipeline_stages t on t.id = c.to_stage_id
      left join reps r on r.id = c.by_id order by d.external_id, c.at, t.position`),
    dealChanges: await q(`select d.external_id, c.field, c.old_value, c.new_value, c.source from deal_changes c join deals d on d.id = c.deal_id order by d.external_id, c.field`),
    leads: await q(`select l.external_id, l.name, l.email, l.status, l.created_at, l.closed_at, d.external_id as converted_into, l.version
      from leads l left join deals d on d.id = l.converted_deal_id order by l.external_id`),
    activities: await q(`select a.external_id, a.type, a.at, d.external_id as deal, l.external_id as lead from activities a
      left join deals d on d.id = a.deal_id left join leads l on l.id = a.lead_id order by a.external_id`),
  };
}

async function indexes(app: TestApp): Promise<string[]> {
  const sql = app.kind === 'postgresql'
    ? `select indexdef as d from pg_indexes where schemaname = current_schema() and tablename in ('deals', 'deal_stage_changes', 'leads', 'activities') order by indexname`
    : `select sql as d from sqlite_master where type = 'index' and sql is not null and tbl_name in ('deals', 'deal_stage_changes', 'leads', 'activities') order by name`;
  return ((await app.orm.em.getConnection().execute(sql)) as Array<{ d: string }>).map((r) => r.d);
}

/** PostgreSQL: the foreign keys of the tables a bulk load drops them from, with their definitions and whether validated. */
async function foreignKeys(app: TestApp): Promise<string[]> {
  if (app.kind !== 'postgresql') return [];
  const sql = `select conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated as d from pg_constraint
    where contype = 'f' and conrelid::regclass::text in ('deals', 'deal_stage_changes', 'leads', 'activities') order by 1`;
  return ((await app.orm.em.getConnection().execute(sql)) as Array<{ d: string }>).map((r) => r.d);
}

const summary = (r: ImportReport) => ({ status: r.status, entities: r.entities, rejected: r.rejected, warnings: r.warnings, inferences: r.inferences, errors: r.errors });

describe.each(DATABASES)('bulk import path on %s', (kind) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-import-bulk-'));
  const first = path.join(dir, 'first');
  const second = path.join(dir, 'second');
  writeExport(first);
  writeExport(second, true);
  let rowByRow: TestApp;
  let bulk: TestApp;
  const run = (app: TestApp, from: string, options: ImportOptions) =>
    runImport(app.orm.em as Em, kind, JSON.parse(fs.readFileSync(path.join(from, 'mapping.json'), 'utf8')), (file) => fileSource(file, path.join(from, file)), options);

  beforeAll(async () => {
    rowByRow = await createTestApp(kind);
    bulk = await createTestApp(kind);
  });
  afterAll(async () => {
    await rowByRow?.close();
    await bulk?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same rows and reports the same as the row-by-row path, then records the same changes on a re-import', async () => {
    const indexesBefore = await indexes(bulk);
    const keysBefore = await foreignKeys(bulk);
    const reports: ImportReport[] = [];
    for (const from of [first, second]) {
      const reference = await run(rowByRow, from, { pipelined: false });
      const fast = await run(bulk, from, { bulkLoadBytes: 0 });
      expect(summary(fast)).toEqual(summary(reference));
      expect(await contents(bulk)).toEqual(await contents(rowByRow));
      reports.push(fast);
    }
    const rules = reports[0].inferences.map((i) => i.rule);
    expect(rules.indexOf('LEAD_CONVERTED_BY_DEAL')).toBeGreaterThan(-1);
    expect(rules.indexOf('LEAD_CONVERTED_BY_DEAL')).toBeLessThan(rules.indexOf('OPENED_AT_LEAD_CREATED'));
    const written = await contents(bulk);
    expect(written.deals).toHaveLength(DEALS - 1); // DEALS + 1 rows: the second D5 and D40's unreadable date rejected
    // The second export raised the amounts of the won deals with i % 100 = 0 and i % 6 = 0 (i % 300 = 0) and handed
    // those with i % 250 = 3 to the next agent.
    const ids = (keep: (i: number) => boolean) => Array.from({ length: DEALS }, (_, i) => i).filter(keep).map((i) => `D${i}`).sort();
    const changed = (field: string) => written.dealChanges.filter((c) => c.field === field).map((c) => c.external_id);
    expect(changed('AMOUNT')).toEqual(ids((i) => i % 300 === 0));
    expect(changed('OWNER')).toEqual(ids((i) => i % 250 === 3));
    expect(written.dealChanges).toHaveLength(17 + 21);
    expect(written.leads).toHaveLength(LEADS);
    expect(written.leads.filter((l) => l.status === 'CONVERTED').map((l) => [l.external_id, l.converted_into]))
      .toEqual([0, 1, 10, 2, 4, 5, 6, 7, 8].map((i) => [`L${i}`, `D${i === 10 ? 5001 : i}`]));
    expect(written.activities).toHaveLength(ACTIVITIES - 1); // A99 names no known deal or lead
    const firstReport = summary(await run(bulk, first, { bulkLoadBytes: 0, dryRun: true }));
    expect(firstReport.rejected.map((r) => [r.entity, r.line, r.reason])).toEqual([
      ['leads', LEADS + 2, 'duplicate external id (an earlier row of this file has it): skipped'],
      ['deals', 42, expect.stringContaining('2023-13-45')],
      ['deals', DEALS + 2, 'duplicate external id (an earlier row of this file has it): skipped'],
      ['activities', 101, 'no known deal or lead to attach the activity to'],
      ['activities', ACTIVITIES + 2, 'duplicate external id (an earlier row of this file has it): skipped'],
    ]);
    expect(await indexes(bulk)).toEqual(indexesBefore);
    expect(await foreignKeys(bulk)).toEqual(keysBefore);
    if (kind === 'postgresql') expect(keysBefore.length).toBeGreaterThan(10); // deals, stage changes, leads, activities: all compared
  }, 240_000); // five imports of three large sections on each path: 38 s alone on PostgreSQL, over 60 s on a busy machine

  it('leaves rows, indexes and foreign keys as they were when a bulk import rolls back', async () => {
    const before = [await contents(bulk), await indexes(bulk), await foreignKeys(bulk)];
    const report = await run(bulk, first, { bulkLoadBytes: 0, strict: true });
    expect(report.status).toBe('ABORTED');
    expect([await contents(bulk), await indexes(bulk), await foreignKeys(bulk)]).toEqual(before);
  });

  (kind === 'postgresql' ? it : it.skip)('adds the dropped foreign keys back, and fails naming a reference to a missing row', async () => {
    const stamp = new Date(Date.UTC(2030, 0, 1));
    const keysBefore = await foreignKeys(bulk);
    const load = (dealId: (deal: number) => number) => bulk.orm.em.fork().transactional(async (tx) => {
      const db = await SqlWriter.create(tx.getTransactionContext<Knex.Transaction>()!, 'postgresql');
      const [deal] = await db.query<{ id: number; stage_id: number }>('select id, stage_id from deals order by id limit 1');
      await withPgBulkLoad(db, ['deal_stage_changes'], async () => {
        expect(await db.query(`select conname from pg_constraint where conrelid = 'deal_stage_changes'::regclass and contype = 'f'`)).toEqual([]);
        await db.query(`insert into deal_stage_changes (created_at, updated_at, deal_id, to_stage_id, at, inferred) values (?, ?, ?, ?, ?, ?)`,
          [stamp, stamp, dealId(deal.id), deal.stage_id, stamp, false]);
      }, stamp);
      const keys = await db.query<{ d: string }>(`select conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated as d from pg_constraint
        where conrelid = 'deal_stage_changes'::regclass and contype = 'f' order by conname`);
      throw new Error(`rolled back with ${keys.map((k) => k.d).join('; ')}`);
    });
    await expect(load((id) => id)).rejects.toThrow(`rolled back with ${keysBefore.filter((k) => k.startsWith('deal_stage_changes ')).map((k) => k.slice('deal_stage_changes '.length)).join('; ')}`);
    await expect(load(() => 99_999_999)).rejects.toThrow('import: deal_stage_changes.deal_id = 99999999 references no row of deals (deal_stage_changes_deal_id_foreign)');
    expect(await foreignKeys(bulk)).toEqual(keysBefore);
  });
});
