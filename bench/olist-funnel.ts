/**
 * The Olist marketing funnel read straight from its two CSVs (8,000 marketing-qualified leads; the 842 that
 * signed are in the closed-deals file), described with the keys the product's lead loader gives a lead:
 * source (origin), the landing page as a custom field, and the date parts of the first contact. For the
 * bench and the tests; the product reads the same data through `pipewise import` and the database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { LEAD_LABELS, labelsFor, leadDateParts } from '../src/modules/scoring/dataset';
import type { Example, TrainSettings } from '../src/modules/scoring/trainer';

/** ../shared beside the checkout (dist/bench/ is one level deeper than bench/). */
const OLIST_DIRS = [path.resolve(__dirname, '../../shared/data/olist-marketing-funnel'), path.resolve(__dirname, '../../../shared/data/olist-marketing-funnel')];
export const CLOSED_DEAL_COLUMNS = ['business_segment', 'lead_type', 'lead_behaviour_profile', 'has_company', 'has_gtin', 'average_stock', 'business_type', 'declared_product_catalog_size', 'declared_monthly_revenue'];

/** Day-first dates of the Olist copy: "01-02-2018" or "26-02-2018 19:58" (UTC). */
const dayFirst = (text: string) => {
  const m = /^(\d{2})-(\d{2})-(\d{4})(?: (\d{2}):(\d{2}))?/.exec(text.trim());
  if (!m) throw new Error(`not a day-first date: ${text}`);
  return Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0));
};

/** The Olist funnel read straight from its CSVs, described with the keys the product's lead loader uses. */
export function olistExamples(leaky: boolean): { examples: Example[]; settings: Omit<TrainSettings, 'kind'> } {
  const dir = OLIST_DIRS.find((d) => fs.existsSync(d)) ?? OLIST_DIRS[0];
  const read = (file: string) => parse(fs.readFileSync(path.join(dir, file)), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  const leads = read('olist_marketing_qualified_leads_dataset.csv');
  const won = new Map(read('olist_closed_deals_dataset.csv').map((r) => [r.mql_id, r]));
  const examples = leads.map((l, i): Example => {
    const at = dayFirst(l.first_contact_date);
    const deal = won.get(l.mql_id);
    const record: Example['record'] = { source: l.origin || null, 'attr.landing_page_id': l.landing_page_id, ...leadDateParts(at) };
    if (leaky && deal) for (const c of CLOSED_DEAL_COLUMNS) record[`attr.${c}`] = deal[c] === '' ? null : deal[c];
    return { id: i + 1, record, label: deal ? 1 : 0, at };
  });
  const keys = ['source', 'created.month', 'created.weekday', 'attr.landing_page_id', ...(leaky ? CLOSED_DEAL_COLUMNS.map((c) => `attr.${c}`) : [])];
  return { examples, settings: { keys, labels: labelsFor(keys, LEAD_LABELS), baselineKey: 'source' } };
}

