/**
 * `pipewise export --snapshot`: any Pipewise database written out as a typical CRM export — the CSV files a CRM
 * gives you (reps, accounts, products, opportunities) and a mapping that re-imports them. Like a real export it
 * carries the current stage only (no stage history), lost deals with amount 0, a share of open deals without any
 * date, stale open deals as they are, and optionally HubSpot-style "Date entered <stage>" columns. Used to test
 * the importer and the estimators on history-less data built from a world whose truth is known.
 *
 * Streams page by page (keyset on id), so a million deals need no more memory than a thousand.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { knexOf } from '../../db/dialect';
import type { Em } from '../../db/orm';
import { DealStatus } from '../../shared/enums';
import { BadInputError } from '../../shared/errors';
import { csvLine, isoOrBlank, money, pickShare } from './csv-format';

export interface SnapshotOptions {
  /** Share (0..1) of open deals exported with no date at all, chosen deterministically from `seed`. Default 0.1. */
  undatedOpenShare?: number;
  /** Add one "Date entered <stage>" column per open stage (first entry, from the stage history). Default false. */
  stageDates?: boolean;
  /** Lost deals' amounts: "zero" as most CRMs export them (default), or "keep". */
  lostAmounts?: 'zero' | 'keep';
  seed?: number;
  /** Deals per page read from the database. */
  pageSize?: number;
}

export interface SnapshotSummary {
  dir: string;
  mapping: string;
  files: Array<{ entity: string; file: string; rows: number }>;
  deals: { open: number; won: number; lost: number; undatedOpen: number };
  stageDates: boolean;
  lostAmounts: 'zero' | 'keep';
  undatedOpenShare: number;
  seed: number;
}

const FILES = { reps: 'reps.csv', accounts: 'accounts.csv', products: 'products.csv', deals: 'opportunities.csv' } as const;
const key = (prefix: string, id: unknown, external: unknown) => (external ? String(external) : `pw-${prefix}-${id}`);

/** Writes the export into `dir` (created if needed): four CSV files and `mapping.json`. */
export async function writeSnapshotExport(em: Em, dir: string, options: SnapshotOptions = {}): Promise<SnapshotSummary> {
  const share = options.undatedOpenShare ?? 0.1;
  if (!(share >= 0 && share <= 1)) throw new BadInputError('undatedOpenShare', `undatedOpenShare must be between 0 and 1, got ${share}`);
  const lostAmounts = options.lostAmounts ?? 'zero';
  if (lostAmounts !== 'zero' && lostAmounts !== 'keep') throw new BadInputError('lostAmounts', 'lostAmounts must be "zero" or "keep"');
  const seed = options.seed ?? 1;
  const pageSize = options.pageSize ?? 5000;
  fs.mkdirSync(dir, { recursive: true });
  const knex = knexOf(em);
  const files: SnapshotSummary['files'] = [];

  const stages = (await knex('pipeline_stages').select('id', 'name', 'position', 'is_won', 'is_lost').orderBy('position')) as Array<{ id: number; name: string; is_won: unknown; is_lost: unknown }>;
  const openStages = stages.filter((s) => !truthy(s.is_won) && !truthy(s.is_lost));
  const stageName = new Map(stages.map((s) => [Number(s.id), s.name]));

  // Reps (with their team and its manager), accounts, products: small tables, one query each.
  const reps = await knex('reps as r').leftJoin('teams as t', 't.id', 'r.team_id').leftJoin('reps as m', 'm.id', 't.manager_id')
    .select('r.id', 'r.external_id', 'r.name', 'r.email', 'r.role', 'r.active', 'r.hired_at', 't.name as team', 't.region', 'm.name as manager').orderBy('r.id');
  const repKey = new Map(reps.map((r) => [Number(r.id), key('rep', r.id, r.external_id)]));
  files.push(writeCsv(dir, 'reps', FILES.reps, ['Rep ID', 'Name', 'Email', 'Role', 'Team', 'Manager', 'Region', 'Hired', 'Active'],
    reps.map((r) => [repKey.get(Number(r.id)), r.name, r.email, r.role, r.team, r.manager, r.region, isoOrBlank(r.hired_at), truthy(r.active) ? 'yes' : 'no'])));

  const accounts = await knex('accounts').select('id', 'external_id', 'name', 'sector', 'employees', 'annual_revenue_cents', 'country', 'segment', 'parent_id').orderBy('id');
  const accountKey = new Map(accounts.map((a) => [Number(a.id), key('account', a.id, a.external_id)]));
  files.push(writeCsv(dir, 'accounts', FILES.accounts, ['Account ID', 'Account Name', 'Industry', 'Employees', 'Annual Revenue', 'Country', 'Segment', 'Parent Account ID'],
    accounts.map((a) => [accountKey.get(Number(a.id)), a.name, a.sector, a.employees, money(a.annual_revenue_cents), a.country, a.segment, a.parent_id == null ? null : accountKey.get(Number(a.parent_id))])));

  const products = await knex('products').select('id', 'external_id', 'name', 'family', 'list_price_cents', 'unit_cost_cents').orderBy('id');
  const productKey = new Map(products.map((p) => [Number(p.id), key('product', p.id, p.external_id)]));
  files.push(writeCsv(dir, 'products', FILES.products, ['Product ID', 'Product Name', 'Product Family', 'List Price', 'Unit Cost'],
    products.map((p) => [productKey.get(Number(p.id)), p.name, p.family, money(p.list_price_cents), money(p.unit_cost_cents)])));

  // Deals, page by page.
  const stageHeaders = options.stageDates ? openStages.map((s) => `Date entered ${s.name}`) : [];
  const header = ['Deal ID', 'Deal Name', 'Owner ID', 'Account ID', 'Product ID', 'Stage', 'Created Date', 'Expected Close Date', 'Close Date',
    'Amount', 'Currency', 'Loss Reason', 'Source', ...stageHeaders];
  const out = fs.openSync(path.join(dir, FILES.deals), 'w');
  const counts = { open: 0, won: 0, lost: 0, undatedOpen: 0 };
  let rows = 0;
  try {
    fs.writeSync(out, csvLine(header));
    for (let after = 0; ;) {
      const page = await knex('deals').where('id', '>', after).orderBy('id').limit(pageSize)
        .select('id', 'external_id', 'name', 'owner_id', 'account_id', 'product_id', 'stage_id', 'status', 'opened_at', 'expected_close_date', 'closed_at',
          'amount_cents', 'currency', 'loss_reason', 'source');
      if (!page.length) break;
      after = Number(page[page.length - 1].id);
      const entered = options.stageDates ? await firstEntries(knex, page.map((d) => Number(d.id))) : new Map<string, unknown>();
      const lines: string[] = [];
      for (const d of page) {
        const id = Number(d.id);
        const status = d.status as DealStatus;
        counts[status === DealStatus.WON ? 'won' : status === DealStatus.LOST ? 'lost' : 'open']++;
        const undated = status === DealStatus.OPEN && pickShare(seed, id, share);
        if (undated) counts.undatedOpen++;
        const date = (value: unknown) => (undated ? null : isoOrBlank(value));
        const amount = status === DealStatus.LOST && lostAmounts === 'zero' ? 0 : Number(d.amount_cents);
        lines.push(csvLine([
          key('deal', id, d.external_id), d.name, d.owner_id == null ? null : repKey.get(Number(d.owner_id)),
          d.account_id == null ? null : accountKey.get(Number(d.account_id)), d.product_id == null ? null : productKey.get(Number(d.product_id)),
          stageName.get(Number(d.stage_id)), date(d.opened_at), date(d.expected_close_date), status === DealStatus.OPEN ? null : isoOrBlank(d.closed_at),
          money(amount), d.currency, d.loss_reason, d.source,
          ...openStages.filter(() => options.stageDates).map((s) => date(entered.get(`${id}:${s.id}`))),
        ]));
      }
      fs.writeSync(out, lines.join(''));
      rows += page.length;
    }
  } finally {
    fs.closeSync(out);
  }
  files.push({ entity: 'deals', file: FILES.deals, rows });

  const mapping = snapshotMapping(options.stageDates ? openStages.map((s) => s.name) : []);
  const mappingFile = path.join(dir, 'mapping.json');
  fs.writeFileSync(mappingFile, JSON.stringify(mapping, null, 2) + '\n');
  return { dir, mapping: mappingFile, files, deals: counts, stageDates: Boolean(options.stageDates), lostAmounts, undatedOpenShare: share, seed };
}

/** The mapping that re-imports the export (the files sit beside it). */
export function snapshotMapping(stagesWithDates: string[]): Record<string, unknown> {
  return {
    description: 'Pipewise snapshot export: current stage only, no stage history, lost amounts as exported, some open deals undated.',
    reps: { file: FILES.reps, columns: { externalId: 'Rep ID', name: 'Name', email: 'Email', role: 'Role', team: 'Team', manager: 'Manager', region: 'Region', hiredAt: 'Hired', active: 'Active' } },
    accounts: { file: FILES.accounts, columns: { externalId: 'Account ID', name: 'Account Name', sector: 'Industry', employees: 'Employees', annualRevenue: 'Annual Revenue', country: 'Country', segment: 'Segment', parent: 'Parent Account ID' } },
    products: { file: FILES.products, columns: { externalId: 'Product ID', name: 'Product Name', family: 'Product Family', listPrice: 'List Price', unitCost: 'Unit Cost' } },
    deals: {
      file: FILES.deals,
      columns: { externalId: 'Deal ID', name: 'Deal Name', owner: 'Owner ID', account: 'Account ID', product: 'Product ID', stage: 'Stage', createdAt: 'Created Date',
        expectedCloseDate: 'Expected Close Date', closedAt: 'Close Date', amount: 'Amount', currency: 'Currency', lossReason: 'Loss Reason', source: 'Source' },
      ...(stagesWithDates.length && { stageDates: Object.fromEntries(stagesWithDates.map((name) => [name, `Date entered ${name}`])) }),
    },
  };
}

/** First entry of each deal into each stage, keyed "dealId:stageId". */
async function firstEntries(knex: Knex, dealIds: number[]): Promise<Map<string, unknown>> {
  const rows = await knex('deal_stage_changes').whereIn('deal_id', dealIds).groupBy('deal_id', 'to_stage_id').select('deal_id', 'to_stage_id', knex.raw('min(at) as at'));
  return new Map(rows.map((r: { deal_id: unknown; to_stage_id: unknown; at: unknown }) => [`${Number(r.deal_id)}:${Number(r.to_stage_id)}`, r.at]));
}

function writeCsv(dir: string, entity: string, file: string, header: string[], rows: unknown[][]): SnapshotSummary['files'][number] {
  fs.writeFileSync(path.join(dir, file), [header, ...rows].map(csvLine).join(''));
  return { entity, file, rows: rows.length };
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 't';
