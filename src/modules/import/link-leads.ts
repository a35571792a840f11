/**
 * Deals that name the lead they came from (mapping deals.columns.lead): the lead reads as converted into that
 * deal (status CONVERTED, converted_deal_id, closed at the deal's creation or, undated, its close), takes the
 * deal's `leadOwner` (the SDR who qualified it) when mapped, and lends the deal its source when the deal has none.
 */
import { LeadStatus } from '../../shared/enums';
import type { ImportContext } from './import-context';
import type { Section } from './section';
import type { SqlValue } from './sql-writer';

export interface LeadLink {
  leadId: number;
  /** undefined: not mapped (keep the lead's owner); null: mapped but blank or unknown. */
  ownerId?: number | null;
}

export async function linkLeads(ctx: ImportContext, section: Section, links: Array<{ dealId: number; link: LeadLink }>): Promise<void> {
  if (!links.length) return;
  const { db } = ctx;
  const ids = links.map((l) => l.link.leadId);
  const list = (values: unknown[]) => values.map(() => '?').join(', '); // a batch: at most BATCH_SIZE ids
  const [{ n }] = await db.query<{ n: number }>(`select count(*) as n from leads where status <> ? and id in (${list(ids)})`, [LeadStatus.CONVERTED, ...ids]);
  const stamp = db.ts(ctx.runStamp);
  const set = `status = '${LeadStatus.CONVERTED}', converted_deal_id = v.deal_id, owner_id = coalesce(v.owner_id, leads.owner_id),
    closed_at = coalesce(leads.closed_at, (select coalesce(d.opened_at, d.closed_at) from deals d where d.id = v.deal_id)),
    version = leads.version + 1, updated_at = ?`;
  if (db.dialect === 'postgresql') {
    await db.query(
      `update leads set ${set} from (select unnest(?::int8[]) as id, unnest(?::int8[]) as deal_id, unnest(?::int8[]) as owner_id) v where leads.id = v.id`,
      [stamp, ids, links.map((l) => l.dealId), links.map((l) => l.link.ownerId ?? null)] as unknown as SqlValue[],
    );
  } else {
    for (const { dealId, link } of links) {
      await db.query(`update leads set ${set.replace(/v\.deal_id/g, '?').replace('v.owner_id', '?')} where id = ?`,
        [dealId, link.ownerId ?? null, dealId, stamp, link.leadId]);
    }
  }
  const dealIds = links.map((l) => l.dealId);
  await db.query(`update deals set source = (select l.source from leads l where l.id = deals.source_lead_id) where source is null and id in (${list(dealIds)})`, dealIds);
  if (Number(n)) ctx.report.infer('deals', section.source.name, section.csvColumn('lead'), 'LEAD_CONVERTED_BY_DEAL', 'lead a deal came from: reads as converted into that deal', Number(n));
}
