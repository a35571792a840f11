/**
 * Leads. `converted`: truthy = CONVERTED, falsy = closed without conversion (DISQUALIFIED), blank = still
 * open. `attributes` columns land in Lead.attributes with a type inferred over the whole file in a first
 * streaming pass (numbers stored as numbers only when the whole column is numeric).
 */
import { LeadStatus } from '../../shared/enums';
import { AttributeStats } from './attributes';
import { bulkMode, PG_BATCH_SIZE, writeBatch, type BulkRow } from './bulk';
import { readRecords } from './csv-source';
import { resolveRef, type ImportContext } from './import-context';
import { BATCH_SIZE, type Row, type Section } from './section';
import { runBatches } from './pipeline';
import type { SqlValue } from './sql-writer';
import { normKey } from './values';

const STATUSES: Record<string, LeadStatus> = {
  new: LeadStatus.NEW, open: LeadStatus.NEW,
  contacted: LeadStatus.CONTACTED, working: LeadStatus.CONTACTED, 'in progress': LeadStatus.CONTACTED, attempted: LeadStatus.CONTACTED,
  qualified: LeadStatus.QUALIFIED, sql: LeadStatus.QUALIFIED,
  disqualified: LeadStatus.DISQUALIFIED, unqualified: LeadStatus.DISQUALIFIED, junk: LeadStatus.DISQUALIFIED, lost: LeadStatus.DISQUALIFIED,
  converted: LeadStatus.CONVERTED,
};

/** First pass: attribute types from every row of the file. */
async function inferAttributes(section: Section): Promise<AttributeStats[]> {
  const stats = section.attributeIndex.map((a) => new AttributeStats(a.name));
  if (!stats.length) return stats;
  const width = section.header.headers.length;
  for await (const record of readRecords(section.source, section.header.delimiter, () => undefined)) {
    if (record.values.length !== width) continue;
    section.attributeIndex.forEach((a, k) => stats[k].add(section.clean(null, record.values[a.index])));
  }
  return stats;
}

export async function loadLeads(ctx: ImportContext, section: Section): Promise<void> {
  const { db } = ctx;
  const stats = await inferAttributes(section);
  ctx.report.attributeTypes(stats.map((s) => s.summary()));
  const mapped = (field: string) => section.has(field);
  const columns = ['created_at', 'updated_at', 'name', 'status', 'attributes', 'external_id', 'version'];
  const optional: Array<[string, string]> = [['email', 'email'], ['phone', 'phone'], ['title', 'title'], ['company', 'company'],
    ['account', 'account_id'], ['source', 'source'], ['owner', 'owner_id'], ['mqlAt', 'mql_at'], ['sqlAt', 'sql_at'],
    ['firstContactedAt', 'first_contacted_at'], ['closedAt', 'closed_at'], ['disqualificationReason', 'disqualification_reason']];
  for (const [field, column] of optional) if (mapped(field)) columns.push(column);
  const keep = stats.length ? [] : ['attributes'];
  const { fresh, rebuildIndexes, firstLoad } = await bulkMode(ctx, section, 'leads');
  const spec = { table: 'leads' as const, columns, keep, versioned: true, firstLoad };
  const load = () => runBatches(ctx, section, db.dialect === 'postgresql' ? PG_BATCH_SIZE : BATCH_SIZE, mapBatch,
    async (ctx, section, items) => void (await writeBatch(ctx, section, spec, items, fresh ? [] : undefined)));
  await (rebuildIndexes ? db.withIndexesRebuiltAfter(['leads'], load, ctx.runStamp) : load());

  // `ctx` and `section` are the batch's (its report entries go to the batch's journal: pipeline.ts).
  async function mapBatch(ctx: ImportContext, section: Section, batch: Row[]): Promise<BulkRow[]> {
    const items: BulkRow[] = [];
    for (const row of batch) {
      const externalId = row.get('externalId');
      if (mapped('externalId') && !externalId) section.reject(row, 'externalId', null, 'no external id: a re-import could not find this lead again');
      const createdAt = section.date(row, 'createdAt');
      const dates = {
        mql_at: section.date(row, 'mqlAt'), sql_at: section.date(row, 'sqlAt'),
        first_contacted_at: section.date(row, 'firstContactedAt'), closed_at: section.date(row, 'closedAt'),
      };
      let status: LeadStatus | undefined;
      const converted = section.flag(row, 'converted');
      const statusText = row.get('status');
      if (converted !== null) {
        if (converted !== undefined) status = converted ? LeadStatus.CONVERTED : LeadStatus.DISQUALIFIED;
      } else if (statusText != null) {
        status = STATUSES[normKey(statusText)];
        if (!status) section.reject(row, 'status', statusText, `unknown lead status (expected ${Object.keys(STATUSES).join(', ')})`);
      } else status = LeadStatus.NEW;
      if (row.rejected || !status) continue;

      if (!createdAt) section.warn(row, 'createdAt', null, 'no created date: import date used');
      const attributes: Record<string, string | number | null> = {};
      section.attributeIndex.forEach((a, k) => (attributes[a.name] = stats[k].convert(row.column(a.index))));
      const name = row.get('name') ?? row.get('email') ?? (externalId ? `Lead ${externalId}` : `Imported lead (line ${row.line})`);
      const byColumn: Record<string, SqlValue> = {
        created_at: db.ts(createdAt ?? ctx.runStamp), updated_at: db.ts(ctx.runStamp), name, status,
        attributes: JSON.stringify(attributes), external_id: externalId, version: 1,
        email: row.get('email'), phone: row.get('phone'), title: row.get('title'), company: row.get('company'),
        account_id: mapped('account') ? resolveRef(section, row, 'account', ctx.accounts, 'account') : null,
        owner_id: mapped('owner') ? resolveRef(section, row, 'owner', ctx.reps, 'rep') : null,
        source: row.get('source'), disqualification_reason: row.get('disqualificationReason'),
        ...Object.fromEntries(Object.entries(dates).map(([c, d]) => [c, db.ts(d)])),
      };
      items.push({ row, externalId, values: columns.map((c) => byColumn[c]) });
    }
    if (!mapped('externalId')) for (const item of items) section.warn(item.row, null, null, 'no externalId column mapped: re-running this import will create these leads again');
    return items;
  }
}
