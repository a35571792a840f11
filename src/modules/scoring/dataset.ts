/**
 * Reads leads and deals into raw feature records, in id-ordered chunks (never the whole table at once).
 * Handles both dialects: SQLite returns datetimes as epoch ms and booleans as 0/1, PostgreSQL returns Date,
 * booleans and bigint sums as strings.
 *
 * No leakage: nothing known only after the outcome is used. Lead engagement counts only activities before
 * qualification (the qualifying meeting is part of the outcome) and before closing; deals are described as
 * they stood at a snapshot time strictly before they closed (stage, time in stage, age, activities so far).
 */
import seedrandom from 'seedrandom';
import type { Knex } from '@mikro-orm/knex';
import { knexOf, readEpochMs, readJson } from '../../db/dialect';
import type { Em } from '../../db/orm';
import type { RawRecord } from './features';

export const DAY_MS = 86_400_000;
export const OPEN_LEAD_STATUSES = ['NEW', 'CONTACTED', 'QUALIFIED'];

export const LEAD_LABELS: Record<string, string> = {
  source: 'Lead source',
  title: 'Job title',
  owner: 'SDR',
  'account.sector': 'Sector',
  'account.country': 'Country',
  'account.segment': 'Segment',
  'account.employees': 'Employees',
  'account.revenue': 'Annual revenue',
  'bant.budget': 'Budget',
  'bant.hasAuthority': 'Decision maker identified',
  'bant.hasNeed': 'Need confirmed',
  'bant.timelineMonths': 'Decision timeline (months)',
  'act.calls': 'Calls',
  'act.emails': 'Emails',
  'act.meetings': 'Meetings',
  'act.demos': 'Demos',
  'act.replies': 'Replies',
  'act.connected': 'Conversations',
  'created.month': 'Month of first contact',
  'created.weekday': 'Weekday of first contact',
};

export const DEAL_LABELS: Record<string, string> = {
  source: 'Lead source',
  owner: 'Account executive',
  'account.sector': 'Sector',
  'account.country': 'Country',
  'account.segment': 'Segment',
  'account.employees': 'Employees',
  'account.revenue': 'Annual revenue',
  'product.family': 'Product family',
  'product.name': 'Product',
  amount: 'Amount',
  'stage.name': 'Stage',
  'stage.daysInStage': 'Days in stage',
  'deal.ageDays': 'Deal age (days)',
  'act.calls': 'Calls',
  'act.emails': 'Emails',
  'act.meetings': 'Meetings',
  'act.demos': 'Demos',
};

/** Owner ids are labels, not quantities. */
export const FORCE_CATEGORICAL = ['owner'];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * Date parts of a lead's first contact (UTC): seasonality and the working week. An import without dates
 * stamps one instant on every lead, which makes these constant: the feature pipeline then drops them.
 */
export function leadDateParts(createdAt: number): RawRecord {
  const d = new Date(createdAt);
  return { 'created.month': MONTHS[d.getUTCMonth()], 'created.weekday': WEEKDAYS[d.getUTCDay()] };
}

const toNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const toBool = (v: unknown): boolean | null => (v === null || v === undefined ? null : v === true || v === 1 || v === '1' || v === 't');

export interface LeadRow {
  id: number;
  status: string;
  ownerId: number | null;
  teamId: number | null;
  source: string | null;
  createdAt: number;
  /** Earliest of creation, first contact and MQL date. */
  arrivedAt: number;
  closedAt: number | null;
  updatedAt: number;
  record: RawRecord;
}

export interface DealRow {
  id: number;
  /** Closed deals: the deal at several moments of its life (training examples). */
  snapshots?: RawRecord[];
  status: string;
  ownerId: number | null;
  teamId: number | null;
  stageId: number | null;
  createdAt: number;
  /** Opening time (creation time when the import had none). */
  openedAt: number;
  closedAt: number | null;
  updatedAt: number;
  record: RawRecord;
}

export type Selection = { statuses: string[]; ids?: undefined } | { ids: number[]; statuses?: undefined };

/** Restricts a lead or deal query (table alias `alias`) to the selection and one keyset page in id order. */
function selectPage(q: Knex.QueryBuilder, alias: string, selection: Selection, afterId: number, newestFirst: boolean): void {
  if (selection.ids) q.whereIn(`${alias}.id`, selection.ids);
  else q.whereIn(`${alias}.status`, selection.statuses);
  if (newestFirst) q.orderBy(`${alias}.id`, 'desc').modify((b) => (afterId ? b.where(`${alias}.id`, '<', afterId) : b));
  else q.where(`${alias}.id`, '>', afterId).orderBy(`${alias}.id`, 'asc');
}

/** Leads of the given statuses (or ids), `limit` rows after `afterId` in id order. */
export async function loadLeadRows(em: Em, selection: Selection, afterId = 0, limit = 5000, newestFirst = false): Promise<LeadRow[]> {
  const knex = knexOf(em);
  const q = knex('leads as l')
    .leftJoin('accounts as a', 'a.id', 'l.account_id')
    .leftJoin('reps as r', 'r.id', 'l.owner_id')
    .select(
      'l.id', 'l.status', 'l.source', 'l.title', 'l.owner_id', 'r.team_id', 'l.budget_cents', 'l.has_authority', 'l.has_need',
      'l.timeline_months', 'l.attributes', 'l.sql_at', 'l.closed_at', 'l.created_at', 'l.updated_at', 'l.first_contacted_at', 'l.mql_at',
      'a.sector', 'a.country', 'a.segment', 'a.employees', 'a.annual_revenue_cents',
    )
    .limit(limit);
  selectPage(q, 'l', selection, afterId, newestFirst);
  const rows: Array<Record<string, unknown>> = await q;
  if (rows.length === 0) return [];
  const engagement = await leadEngagement(knex, rows.map((r) => Number(r.id)));
  return rows.map((r) => {
    const id = Number(r.id);
    const attributes = readJson<Record<string, unknown>>(r.attributes, {});
    const act = engagement.get(id);
    // The lead's first known moment: an export that dates leads only by first contact or MQL date is loaded
    // at the import time, which is then later than those dates.
    const arrivedAt = Math.min(...[r.created_at, r.first_contacted_at, r.mql_at].map(readEpochMs).filter((t): t is number => t !== null));
    const record: RawRecord = {
      source: r.source as string | null,
      title: r.title as string | null,
      owner: r.owner_id == null ? null : String(r.owner_id),
      'account.sector': r.sector as string | null,
      'account.country': r.country as string | null,
      'account.segment': r.segment as string | null,
      'account.employees': toNum(r.employees),
      'account.revenue': r.annual_revenue_cents == null ? null : Number(r.annual_revenue_cents) / 100,
      'bant.budget': r.budget_cents == null ? null : Number(r.budget_cents) / 100,
      'bant.hasAuthority': toBool(r.has_authority),
      'bant.hasNeed': toBool(r.has_need),
      'bant.timelineMonths': toNum(r.timeline_months),
      'act.calls': act?.calls ?? 0,
      'act.emails': act?.emails ?? 0,
      'act.meetings': act?.meetings ?? 0,
      'act.demos': act?.demos ?? 0,
      'act.replies': act?.replies ?? 0,
      'act.connected': act?.connected ?? 0,
      ...leadDateParts(arrivedAt),
    };
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) record[`attr.${key}`] = value as RawRecord[string];
    }
    return {
      id,
      status: String(r.status),
      ownerId: toNum(r.owner_id),
      teamId: toNum(r.team_id),
      source: (r.source as string | null) ?? null,
      createdAt: readEpochMs(r.created_at)!,
      arrivedAt,
      closedAt: readEpochMs(r.closed_at),
      updatedAt: readEpochMs(r.updated_at)!,
      record,
    };
  });
}

interface Engagement {
  calls: number;
  emails: number;
  meetings: number;
  demos: number;
  replies: number;
  connected: number;
}

async function leadEngagement(knex: Knex, ids: number[]): Promise<Map<number, Engagement>> {
  const count = (condition: string) => knex.raw(`sum(case when ${condition} then 1 else 0 end)`);
  const rows: Array<Record<string, unknown>> = await knex('activities as act')
    .join('leads as l', 'l.id', 'act.lead_id')
    .whereIn('act.lead_id', ids)
    .where((b) => b.whereNull('l.sql_at').orWhere('act.at', '<', knex.ref('l.sql_at')))
    .where((b) => b.whereNull('l.closed_at').orWhere('act.at', '<=', knex.ref('l.closed_at')))
    .groupBy('act.lead_id')
    .select({
      lead_id: 'act.lead_id',
      calls: count(`act.type = 'CALL'`),
      emails: count(`act.type = 'EMAIL'`),
      meetings: count(`act.type = 'MEETING'`),
      demos: count(`act.type = 'DEMO'`),
      replies: count(`act.outcome = 'REPLIED'`),
      connected: count(`act.outcome = 'CONNECTED'`),
    });
  return new Map(
    rows.map((r) => [
      Number(r.lead_id),
      { calls: Number(r.calls), emails: Number(r.emails), meetings: Number(r.meetings), demos: Number(r.demos), replies: Number(r.replies), connected: Number(r.connected) },
    ]),
  );
}

export interface StageInfo {
  id: number;
  name: string;
  position: number;
  defaultProbability: number;
  closed: boolean;
}

export async function loadStages(em: Em): Promise<Map<number, StageInfo>> {
  const rows: Array<Record<string, unknown>> = await knexOf(em)('pipeline_stages').select('id', 'name', 'position', 'default_probability', 'is_won', 'is_lost');
  return new Map(
    rows.map((r) => [
      Number(r.id),
      { id: Number(r.id), name: String(r.name), position: Number(r.position), defaultProbability: Number(r.default_probability), closed: Boolean(toBool(r.is_won) || toBool(r.is_lost)) },
    ]),
  );
}

/** A deterministic point in (5 %, 95 %) of a closed deal's life: where the training snapshot is taken. */
export const snapshotFraction = (dealId: number) => 0.05 + 0.9 * seedrandom(`snapshot-${dealId}`)();

/**
 * Deals of the given statuses (or ids). Open deals are described now (`asOf`); closed deals at their snapshot
 * time, with the stage they were in then (from the stage history).
 */
export async function loadDealRows(em: Em, selection: Selection, stages: Map<number, StageInfo>, asOf: number, afterId = 0, limit = 5000, newestFirst = false): Promise<DealRow[]> {
  const knex = knexOf(em);
  const q = knex('deals as d')
    .leftJoin('accounts as a', 'a.id', 'd.account_id')
    .leftJoin('products as p', 'p.id', 'd.product_id')
    .leftJoin('reps as r', 'r.id', 'd.owner_id')
    .select(
      'd.id', 'd.status', 'd.source', 'd.owner_id', 'r.team_id', 'd.stage_id', 'd.stage_entered_at', 'd.amount_cents', 'd.opened_at',
      'd.closed_at', 'd.created_at', 'd.updated_at', 'a.sector', 'a.country', 'a.segment', 'a.employees', 'a.annual_revenue_cents',
      { product_name: 'p.name' }, { product_family: 'p.family' },
    )
    .limit(limit);
  selectPage(q, 'd', selection, afterId, newestFirst);
  const rows: Array<Record<string, unknown>> = await q;
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.id));
  const [changes, activities] = await Promise.all([
    knex('deal_stage_changes').whereIn('deal_id', ids).orderBy([{ column: 'deal_id' }, { column: 'at' }, { column: 'id' }]).select('deal_id', 'to_stage_id', 'at'),
    knex('activities').whereIn('deal_id', ids).select('deal_id', 'type', 'at'),
  ]);
  const historyOf = groupBy(changes as Array<Record<string, unknown>>);
  const activitiesOf = groupBy(activities as Array<Record<string, unknown>>);
  return rows.map((r) => {
    const id = Number(r.id);
    const status = String(r.status);
    const start = readEpochMs(r.opened_at) ?? readEpochMs(r.created_at)!;
    const closedAt = readEpochMs(r.closed_at);
    const history = (historyOf.get(id) ?? []).filter((c) => !stages.get(Number(c.to_stage_id))?.closed);
    const describe = (at: number, stageId: number | null, enteredAt: number): RawRecord => {
      const stage = stageId == null ? undefined : stages.get(stageId);
      const before = (activitiesOf.get(id) ?? []).filter((a) => readEpochMs(a.at)! < at);
      const countType = (type: string) => before.filter((a) => a.type === type).length;
      return {
        source: r.source as string | null,
        owner: r.owner_id == null ? null : String(r.owner_id),
        'account.sector': r.sector as string | null,
        'account.country': r.country as string | null,
        'account.segment': r.segment as string | null,
        'account.employees': toNum(r.employees),
        'account.revenue': r.annual_revenue_cents == null ? null : Number(r.annual_revenue_cents) / 100,
        'product.family': (r.product_family as string | null) ?? null,
        'product.name': (r.product_name as string | null) ?? null,
        amount: Number(r.amount_cents) / 100,
        'stage.name': stage?.name ?? null,
        'stage.daysInStage': Math.max(0, Math.round((at - enteredAt) / DAY_MS)),
        'stage.defaultProbability': stage?.defaultProbability ?? null,
        'deal.ageDays': Math.max(0, Math.round((at - start) / DAY_MS)),
        'act.calls': countType('CALL'),
        'act.emails': countType('EMAIL'),
        'act.meetings': countType('MEETING'),
        'act.demos': countType('DEMO'),
      };
    };
    /** A closed deal as it stood at `at`: the stage it was in then, from its history. */
    const snapshot = (at: number) => {
      const current = history.filter((c) => readEpochMs(c.at)! <= at).at(-1) ?? history[0];
      return describe(at, current ? Number(current.to_stage_id) : null, current ? Math.min(readEpochMs(current.at)!, at) : start);
    };
    let record: RawRecord;
    let snapshots: RawRecord[] | undefined;
    if (status !== 'OPEN' && closedAt != null) {
      // One snapshot per started month of the deal's life (at most 6): the open pipeline at any moment holds
      // long deals in proportion to their length, so training examples must too.
      const life = Math.max(0, closedAt - start);
      const k = Math.min(6, Math.max(1, Math.ceil(life / (30 * DAY_MS))));
      const u = snapshotFraction(id);
      snapshots = Array.from({ length: k }, (_, i) => snapshot(start + ((i + u * 0.9 + 0.05) / k) * life));
      record = snapshots[0];
    } else record = describe(asOf, toNum(r.stage_id), readEpochMs(r.stage_entered_at) ?? start);
    return {
      id,
      status,
      ownerId: toNum(r.owner_id),
      teamId: toNum(r.team_id),
      stageId: toNum(r.stage_id),
      createdAt: readEpochMs(r.created_at)!,
      openedAt: start,
      closedAt,
      updatedAt: readEpochMs(r.updated_at)!,
      record,
      snapshots,
    };
  });
}

function groupBy(rows: Array<Record<string, unknown>>): Map<number, Array<Record<string, unknown>>> {
  const map = new Map<number, Array<Record<string, unknown>>>();
  for (const row of rows) {
    const id = Number(row.deal_id);
    const list = map.get(id);
    if (list) list.push(row);
    else map.set(id, [row]);
  }
  return map;
}

/** Keys of the model: the fixed ones plus every custom attribute seen in the rows (at most 100). */
export function leadKeys(rows: Array<{ record: RawRecord }>): string[] {
  const attributes = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row.record)) if (key.startsWith('attr.')) attributes.add(key);
  return [...Object.keys(LEAD_LABELS), ...[...attributes].sort().slice(0, 100)];
}

export function labelsFor(keys: string[], base: Record<string, string>): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, base[k] ?? (k.startsWith('attr.') ? k.slice(5) : k)]));
}
