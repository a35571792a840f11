import type { Dialect } from '../../db/dialect';
import { ActivityOutcome, DealStatus, OUTBOUND_ACTIVITY_TYPES } from '../../shared/enums';
import { KpiDimension } from './kpi.enums';

/**
 * Dialect-neutral SQL fragments of the KPI engine and the tables its facts read (pure strings, no database
 * access; the facts themselves are in kpi.facts.ts). Dates: SQLite stores epoch milliseconds, PostgreSQL
 * timestamptz; bucket bounds arrive as literals of the right kind (tsLiteral, src/db/dialect.ts) in the `kb`
 * CTE (bk, bs, be, ae, bsy, aey), so the same fact SQL runs on both.
 */

/** (b - a) in days as a float. */
export const days = (d: Dialect, a: string, b: string) =>
  d === 'sqlite' ? `(((${b}) - (${a})) / 86400000.0)` : `(extract(epoch from (${b}) - (${a})) / 86400.0)`;
/** (b - a) in hours as a float. */
export const hours = (d: Dialect, a: string, b: string) =>
  d === 'sqlite' ? `(((${b}) - (${a})) / 3600000.0)` : `(extract(epoch from (${b}) - (${a})) / 3600.0)`;
export const greatest = (d: Dialect, a: string, b: string) => (d === 'sqlite' ? `max(${a}, ${b})` : `greatest(${a}, ${b})`);
export const least = (d: Dialect, a: string, b: string) => (d === 'sqlite' ? `min(${a}, ${b})` : `least(${a}, ${b})`);
const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

export const OUTBOUND = list(OUTBOUND_ACTIVITY_TYPES);
export const RESPONSES = list([ActivityOutcome.REPLIED, ActivityOutcome.CONNECTED, ActivityOutcome.MEETING_BOOKED]);
export const WON = `'${DealStatus.WON}'`;
export const LOST = `'${DealStatus.LOST}'`;
export const OPEN = `'${DealStatus.OPEN}'`;

export interface DimExpr {
  expr: string;
  joins: string[];
}

/** A table the facts read, with the joins and expressions each dimension needs. */
export interface SourceDef {
  from: string;
  /** Ordered: a join may rely on the ones before it. */
  joins: Array<[name: string, sql: string]>;
  dims: Partial<Record<KpiDimension, DimExpr>>;
  /** Column holding the responsible rep, used for team/region filters and access scopes. */
  repColumn?: string;
}

const dealDims = (alias: string): SourceDef => ({
  from: `deals ${alias}`,
  joins: [
    ['r', `left join reps r on r.id = ${alias}.owner_id`],
    ['t', 'left join teams t on t.id = r.team_id'],
    ['p', `left join products p on p.id = ${alias}.product_id`],
    ['a', `left join accounts a on a.id = ${alias}.account_id`],
  ],
  dims: {
    [KpiDimension.REP]: { expr: `${alias}.owner_id`, joins: [] },
    [KpiDimension.TEAM]: { expr: 'r.team_id', joins: ['r'] },
    [KpiDimension.REGION]: { expr: 't.region', joins: ['r', 't'] },
    [KpiDimension.PRODUCT]: { expr: `${alias}.product_id`, joins: [] },
    [KpiDimension.PRODUCT_FAMILY]: { expr: 'p.family', joins: ['p'] },
    [KpiDimension.SOURCE]: { expr: `${alias}.source`, joins: [] },
    [KpiDimension.SEGMENT]: { expr: 'a.segment', joins: ['a'] },
    [KpiDimension.SECTOR]: { expr: 'a.sector', joins: ['a'] },
    [KpiDimension.STAGE]: { expr: `${alias}.stage_id`, joins: [] },
    [KpiDimension.LOSS_REASON]: { expr: `${alias}.loss_reason`, joins: [] },
  },
  repColumn: `${alias}.owner_id`,
});

export const DEALS = dealDims('d');
export const STAGE_EXITS: SourceDef = {
  ...DEALS,
  // One row per stage left: the change out of a stage joined to the change into it.
  from: 'deal_stage_changes sx join deal_stage_changes se on se.deal_id = sx.deal_id and se.to_stage_id = sx.from_stage_id join deals d on d.id = sx.deal_id',
  dims: { ...DEALS.dims, [KpiDimension.STAGE]: { expr: 'sx.from_stage_id', joins: [] } },
};
export const ACTIVITIES: SourceDef = {
  from: 'activities x',
  joins: [
    ['r', 'left join reps r on r.id = x.rep_id'],
    ['t', 'left join teams t on t.id = r.team_id'],
    ['dd', 'left join deals dd on dd.id = x.deal_id'],
    ['ll', 'left join leads ll on ll.id = x.lead_id'],
    ['p', 'left join products p on p.id = dd.product_id'],
    ['a', 'left join accounts a on a.id = coalesce(dd.account_id, ll.account_id)'],
  ],
  dims: {
    [KpiDimension.REP]: { expr: 'x.rep_id', joins: [] },
    [KpiDimension.TEAM]: { expr: 'r.team_id', joins: ['r'] },
    [KpiDimension.REGION]: { expr: 't.region', joins: ['r', 't'] },
    [KpiDimension.PRODUCT]: { expr: 'dd.product_id', joins: ['dd'] },
    [KpiDimension.PRODUCT_FAMILY]: { expr: 'p.family', joins: ['dd', 'p'] },
    [KpiDimension.SOURCE]: { expr: 'coalesce(dd.source, ll.source)', joins: ['dd', 'll'] },
    [KpiDimension.SEGMENT]: { expr: 'a.segment', joins: ['dd', 'll', 'a'] },
    [KpiDimension.SECTOR]: { expr: 'a.sector', joins: ['dd', 'll', 'a'] },
  },
  repColumn: 'x.rep_id',
};
export const LEADS: SourceDef = {
  from: 'leads l',
  joins: [
    ['r', 'left join reps r on r.id = l.owner_id'],
    ['t', 'left join teams t on t.id = r.team_id'],
    ['a', 'left join accounts a on a.id = l.account_id'],
  ],
  dims: {
    [KpiDimension.REP]: { expr: 'l.owner_id', joins: [] },
    [KpiDimension.TEAM]: { expr: 'r.team_id', joins: ['r'] },
    [KpiDimension.REGION]: { expr: 't.region', joins: ['r', 't'] },
    [KpiDimension.SOURCE]: { expr: 'l.source', joins: [] },
    [KpiDimension.SEGMENT]: { expr: 'a.segment', joins: ['a'] },
    [KpiDimension.SECTOR]: { expr: 'a.sector', joins: ['a'] },
  },
  repColumn: 'l.owner_id',
};
export const ORDERS: SourceDef = {
  from: 'orders o',
  joins: [
    ['p', 'left join products p on p.id = o.product_id'],
    ['a', 'left join accounts a on a.id = o.account_id'],
  ],
  dims: {
    [KpiDimension.PRODUCT]: { expr: 'o.product_id', joins: [] },
    [KpiDimension.PRODUCT_FAMILY]: { expr: 'p.family', joins: ['p'] },
    [KpiDimension.SEGMENT]: { expr: 'a.segment', joins: ['a'] },
    [KpiDimension.SECTOR]: { expr: 'a.sector', joins: ['a'] },
  },
};
export const ACCOUNTS: SourceDef = {
  from: 'accounts a',
  joins: [],
  dims: {
    [KpiDimension.SEGMENT]: { expr: 'a.segment', joins: [] },
    [KpiDimension.SECTOR]: { expr: 'a.sector', joins: [] },
  },
};
export const SPEND: SourceDef = {
  from: 'spend s',
  joins: [],
  dims: { [KpiDimension.SOURCE]: { expr: 's.channel', joins: [] } },
};
