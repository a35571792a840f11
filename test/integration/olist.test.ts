/**
 * The Olist marketing funnel (real B2B data nobody here wrote, ../shared/data/olist-marketing-funnel) imported with
 * the committed mapping (examples/olist/mapping.json), checked against counts this test computes from the CSV files
 * themselves: dates in both day-first forms, every deal linked to its lead, reps created from their ids, and the
 * conversion KPIs by origin and by month of first contact through the GraphQL API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { fileSource } from '../../src/modules/import/csv-source';
import { runImport } from '../../src/modules/import/import.service';
import type { ImportReport } from '../../src/modules/import/report';
import { Lead } from '../../src/modules/lead/lead.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { LeadStatus } from '../../src/shared/enums';

const ROOT = path.resolve(__dirname, '../..');
const MAPPING_DIR = path.join(ROOT, 'examples/olist');
const DATA = path.join(ROOT, '../shared/data/olist-marketing-funnel');

type LeadRow = { mql_id: string; first_contact_date: string; origin: string };
type DealRow = { mql_id: string; seller_id: string; sdr_id: string; sr_id: string; won_date: string };
const read = <T>(file: string): T[] => parse(fs.readFileSync(path.join(DATA, file)), { columns: true, bom: true }) as T[];
const leadRows = read<LeadRow>('olist_marketing_qualified_leads_dataset.csv');
const dealRows = read<DealRow>('olist_closed_deals_dataset.csv');

/** "26-02-2018 19:58" / "01-02-2018": day-month-year, as SOURCE.md says; read here independently of the importer. */
function dayFirst(text: string): Date {
  const m = /^(\d{2})-(\d{2})-(\d{4})(?: (\d{2}):(\d{2}))?$/.exec(text);
  if (!m) throw new Error(`unexpected Olist date "${text}"`);
  return new Date(Date.UTC(+m[3], +m[2] - 1, +m[1], +(m[4] ?? 0), +(m[5] ?? 0)));
}

const converted = new Set(dealRows.map((d) => d.mql_id));
const countBy = (key: (l: LeadRow) => string) => {
  const out = new Map<string, { leads: number; converted: number }>();
  for (const l of leadRows) {
    const k = key(l);
    const c = out.get(k) ?? { leads: 0, converted: 0 };
    c.leads++;
    if (converted.has(l.mql_id)) c.converted++;
    out.set(k, c);
  }
  return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
};
const byOrigin = countBy((l) => l.origin.trim() || '(none)');
const byMonth = countBy((l) => dayFirst(l.first_contact_date).toISOString().slice(0, 7));
const months = Object.keys(byMonth);
const PERIOD = { from: `${months[0]}-01`, to: (() => { const [y, m] = months[months.length - 1].split('-').map(Number); return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`; })(), timeZone: 'UTC' };

const KPI = `query($key: String!, $period: KpiPeriodInput!, $groupBy: [KpiDimension!]) {
  kpi(key: $key, period: $period, groupBy: $groupBy) { rows { groups { label } bucket { key } numerator denominator } } }`;

describe.each(DATABASES)('the Olist funnel imported on %s', (kind) => {
  let app: TestApp;
  let em: Em;
  let report: ImportReport;

  beforeAll(async () => {
    app = await createTestApp(kind);
    em = app.orm.em as Em;
    const mapping = JSON.parse(fs.readFileSync(path.join(MAPPING_DIR, 'mapping.json'), 'utf8'));
    report = await runImport(em, kind, mapping, (file) => fileSource(path.basename(file), path.resolve(MAPPING_DIR, file)));
  }, 180_000); // ~5 s alone; the 2-core machine is shared
  afterAll(async () => app?.close());

  it('loads every row of both files, stating its defaults and inferences with their counts', () => {
    expect([leadRows.length, dealRows.length]).toEqual([8000, 842]); // SOURCE.md
    expect(report.status).toBe('COMMITTED');
    expect(report.rejectedTotal).toBe(0);
    expect(Object.fromEntries(report.entities.map((c) => [c.entity, [c.rowsRead, c.created]]))).toEqual({ leads: [8000, 8000], accounts: [842, 842], deals: [842, 842] });
    const warnings = Object.fromEntries(report.warnings.map((w) => [w.reason, w.count]));
    expect(warnings['no amount and no known product: 0 used']).toBe(842);
    // One deal was won (06-03-2018) before its lead's first contact (08-03-2018): it keeps its opened date unknown.
    const wonEarly = dealRows.filter((d) => dayFirst(d.won_date) < dayFirst(leadRows.find((l) => l.mql_id === d.mql_id)!.first_contact_date));
    expect(warnings['no created date: loaded with its opened date unknown']).toBe(wonEarly.length);
    const inferred = Object.fromEntries(report.inferences.map((i) => [`${i.rule}${i.column ? ` ${i.column}` : ''}`, i.count]));
    const sdrs = new Set(dealRows.map((d) => d.sdr_id));
    const srs = new Set(dealRows.map((d) => d.sr_id));
    expect(inferred).toEqual({
      'REP_FROM_ID sr_id': srs.size,
      'REP_FROM_ID sdr_id': [...sdrs].filter((id) => !srs.has(id)).length, // 13 ids close deals AND qualify leads: created once, as AE
      'OPENED_AT_LEAD_CREATED mql_id': 842 - wonEarly.length,
      FIRST_STAGE_AT_CREATED: 842 - wonEarly.length,
      WON_THROUGH_OPEN_STAGES: 842,
      'LEAD_CONVERTED_BY_DEAL mql_id': 842,
    });
  });

  it('reads both day-first forms, with and without a time', async () => {
    const e = em.fork();
    const leads = new Map((await e.find(Lead, {}, { fields: ['externalId', 'createdAt', 'firstContactedAt'] })).map((l) => [l.externalId, l]));
    const wrong = leadRows.filter((row) => leads.get(row.mql_id)?.createdAt.getTime() !== dayFirst(row.first_contact_date).getTime());
    expect(wrong).toEqual([]);
    const deals = new Map((await e.find(Deal, {}, { fields: ['externalId', 'closedAt'] })).map((d) => [d.externalId, d]));
    expect(dealRows.filter((row) => deals.get(row.mql_id)?.closedAt?.getTime() !== dayFirst(row.won_date).getTime())).toEqual([]);
    expect(dealRows.some((d) => d.won_date.includes(':')) && leadRows.every((l) => !l.first_contact_date.includes(':'))).toBe(true);
  }, 120_000);

  it('links all 842 deals to their leads, which read as converted, and creates the reps from their ids', async () => {
    const e = em.fork();
    const deals = await e.find(Deal, {}, { populate: ['sourceLead', 'owner', 'account'] });
    expect(deals).toHaveLength(842);
    const rows = new Map(dealRows.map((d) => [d.mql_id, d]));
    for (const deal of deals) {
      const row = rows.get(deal.externalId!)!;
      expect([deal.status, deal.stageHistoryKnown, deal.sourceLead?.externalId, deal.owner?.externalId, deal.account?.name, deal.currency])
        .toEqual(['WON', true, row.mql_id, row.sr_id, row.seller_id, 'BRL']);
    }
    const convertedLeads = await e.find(Lead, { status: LeadStatus.CONVERTED }, { populate: ['convertedDeal', 'owner'] });
    expect(convertedLeads.map((l) => l.externalId).sort()).toEqual([...converted].sort());
    for (const lead of convertedLeads) {
      expect([lead.convertedDeal?.externalId, lead.owner?.externalId]).toEqual([lead.externalId, rows.get(lead.externalId!)!.sdr_id]);
    }
    expect(await e.count(Lead, { status: { $ne: LeadStatus.CONVERTED } })).toBe(8000 - 842);

    const reps = await e.find(Rep, {});
    const srs = new Set(dealRows.map((d) => d.sr_id));
    const ids = new Set([...srs, ...dealRows.map((d) => d.sdr_id)]);
    expect(reps.map((r) => r.externalId).sort()).toEqual([...ids].sort());
    for (const rep of reps) expect([rep.externalId, rep.role]).toEqual([rep.externalId, srs.has(rep.externalId!) ? 'AE' : 'SDR']);
    // A won deal passed through the five open stages: six changes each (the one without a created date: all at its close).
    const changes = await e.count(DealStageChange, {});
    expect(changes).toBe(842 * 6);
  }, 120_000);

  it('answers the conversion KPIs by origin and by month of first contact with the counts of the CSV itself', async () => {
    for (const key of ['leadToOpportunity', 'conversionBySource']) {
      const origin = await app.execute<{ kpi: { rows: Array<{ groups: Array<{ label: string }>; numerator: number; denominator: number }> } }>(
        KPI, { key, period: PERIOD, groupBy: ['SOURCE'] },
      );
      expect(origin.errors).toBeUndefined();
      const got = Object.fromEntries(origin.data!.kpi.rows.map((r) => [r.groups[0].label, { leads: r.denominator, converted: r.numerator }]).sort(([a], [b]) => String(a).localeCompare(String(b))));
      expect([key, got]).toEqual([key, byOrigin]);

      const month = await app.execute<{ kpi: { rows: Array<{ bucket: { key: string }; numerator: number; denominator: number }> } }>(
        KPI, { key, period: PERIOD, groupBy: ['MONTH'] },
      );
      expect(month.errors).toBeUndefined();
      const perMonth = Object.fromEntries(month.data!.kpi.rows.filter((r) => r.denominator > 0).map((r) => [r.bucket.key, { leads: r.denominator, converted: r.numerator }]));
      expect([key, perMonth]).toEqual([key, byMonth]);
    }
  });
});
