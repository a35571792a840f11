/**
 * Pipeline movement in SQL: the classification of movement.classify.ts (the reference, pure) written as one
 * common table expression, so the database adds the bars up and returns only the totals, or one page of a bar's
 * deals, instead of every candidate deal and its changes (84k deals on the 1M world: materialising them in
 * JavaScript cost more than the whole aggregate). test/integration/pipeline-movement.test.ts checks both give
 * the same answer on a seeded world.
 *
 * A field's value at T is the old value of its first change (by time, then id) at or after T, today's value if
 * none. Values are inlined as literals: dates through tsLiteral, rep and team ids as validated integers.
 */
import { type Dialect, isoTextMsSql, tsLiteral } from '../../db/dialect';
import type { MovementKind } from './movement.classify';

export interface MovementSqlWindow {
  from: Date;
  to: Date;
  periodStart: Date;
  periodEnd: Date;
  /** Whose deals: everyone's, a team's (its reps today) or one rep's. */
  scope: { teamId?: number | null; repId?: number | null };
}

const int = (value: number) => {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
};

/**
 * The `moved` table (each deal in either pipeline: its state at both ends, its change kind and move kind) as a
 * WITH clause.
 */
export function movementCte(d: Dialect, w: MovementSqlWindow): string {
  const F = tsLiteral(d, w.from);
  const T = tsLiteral(d, w.to);
  const PS = tsLiteral(d, w.periodStart);
  const PE = tsLiteral(d, w.periodEnd);
  const integer = (text: string) => `cast(${text} as ${d === 'sqlite' ? 'integer' : 'bigint'})`;
  const date = (text: string) => (d === 'sqlite' ? isoTextMsSql(d, text) : `(${text})::timestamptz`);
  const scopeReps = w.scope.repId != null ? `(${int(w.scope.repId)})` : w.scope.teamId != null ? `(select id from reps where team_id = ${int(w.scope.teamId)})` : null;
  const inScope = (owner: string) => (scopeReps ? `${owner} in ${scopeReps}` : '1 = 1');
  // Per deal and field, in time order: the first change at or after from (nth = 1), and the first at or after to
  // (the first whose predecessor, if any, came before to). One window, so one sort of the changes since from.
  const firstAt = { from: 'nth = 1', to: `at >= ${T} and (previous_at is null or previous_at < ${T})` };
  const first = (field: string, which: 'from' | 'to', what: string) => `max(case when field = '${field}' and ${firstAt[which]} then ${what} end)`;
  const fields = { AMOUNT: 'amount', EXPECTED_CLOSE_DATE: 'close', OWNER: 'owner' } as const;
  const firsts = Object.entries(fields).flatMap(([field, name]) =>
    (['from', 'to'] as const).map((which) => `${first(field, which, '1')} as ${name}_${which}_known, ${first(field, which, 'old_value')} as ${name}_${which}`),
  );
  const alive = `coalesce(opened_at, created_at) < ${T} and (status = 'OPEN' or closed_at >= ${F})`;
  const columns = `id, coalesce(opened_at, created_at) as created, status, closed_at, amount_cents, expected_close_date, owner_id`;
  const state = (t: 'from' | 'to', at: string) => {
    const p = t === 'from' ? 's' : 'e';
    return `case when c.created < ${at} then 1 else 0 end as ${p}_exists,
      case when c.status <> 'OPEN' and (c.closed_at is null or c.closed_at < ${at}) then c.status else 'OPEN' end as ${p}_status,
      case when f.amount_${t}_known = 1 then coalesce(${integer(`f.amount_${t}`)}, 0) else c.amount_cents end as ${p}_amount,
      case when f.close_${t}_known = 1 then ${date(`f.close_${t}`)} else c.expected_close_date end as ${p}_close,
      case when f.owner_${t}_known = 1 then ${integer(`f.owner_${t}`)} else c.owner_id end as ${p}_owner`;
  };
  const inPeriod = (p: 's' | 'e') => `${p}_close >= ${PS} and ${p}_close < ${PE}`;
  const inPipeline = (p: 's' | 'e') => `${p}_exists = 1 and ${p}_status = 'OPEN' and ${inPeriod(p)} and ${inScope(`${p}_owner`)}`;
  return `with changes as (
      select deal_id, field, old_value, at,
        row_number() over (partition by deal_id, field order by at, id) as nth,
        lag(at) over (partition by deal_id, field order by at, id) as previous_at
      from deal_changes where field in ('AMOUNT', 'EXPECTED_CLOSE_DATE', 'OWNER') and at >= ${F}
    ),
    firsts as (select deal_id, ${firsts.join(',\n      ')} from changes group by deal_id),
    candidates as (
      select ${columns} from deals where expected_close_date >= ${PS} and expected_close_date < ${PE} and ${alive}
      union all select ${columns} from deals where id in (select deal_id from changes where field = 'EXPECTED_CLOSE_DATE')
        and (expected_close_date is null or expected_close_date < ${PS} or expected_close_date >= ${PE}) and ${alive}
    ),
    states as (
      select c.id, ${state('from', F)}, ${state('to', T)}
      from candidates c left join firsts f on f.deal_id = c.id
      ${scopeReps ? `where c.owner_id in ${scopeReps} or f.owner_from_known = 1` : ''}
    ),
    pipe as (
      select states.*, case when ${inPipeline('s')} then 1 else 0 end as s_in, case when ${inPipeline('e')} then 1 else 0 end as e_in from states
    ),
    -- A deal in either pipeline: its amount change while in the pipeline, and how it entered or left (if it did).
    moved as (
      select pipe.*,
        case when s_in = 1 and e_amount <> s_amount then case when e_amount > s_amount then 'INCREASED' else 'DECREASED' end end as change_kind,
        case when s_in = 0 and e_in = 1 then case when s_exists = 0 then 'NEW' when s_status = 'OPEN' and ${inPeriod('s')} and not (${inScope('s_owner')}) then 'REASSIGNED_IN' else 'PULLED_IN' end
             when s_in = 1 and e_in = 0 then case when e_status = 'WON' then 'WON' when e_status = 'LOST' then 'LOST' when not (${inScope('e_owner')}) then 'REASSIGNED_OUT' else 'PUSHED_OUT' end
        end as move_kind
      from pipe where s_in = 1 or e_in = 1
    )`;
}

/** One row per (change kind, move kind, in start, in end) with its deals and their amounts: see foldMovementGroups. */
export const movementTotalsSql = (d: Dialect, w: MovementSqlWindow) => `${movementCte(d, w)}
  select change_kind, move_kind, s_in, e_in, count(*) as n, sum(s_amount) as s_amount, sum(e_amount) as e_amount, sum(abs(e_amount - s_amount)) as change_amount
  from moved group by change_kind, move_kind, s_in, e_in`;

export interface MovementGroup {
  changeKind: string | null;
  moveKind: string | null;
  inStart: boolean;
  inEnd: boolean;
  count: number;
  startAmount: number;
  endAmount: number;
  changeAmount: number;
}

/** The two pipelines and the bars (by kind) from the groups: a deal counts in its change bar and its move bar. */
export function foldMovementGroups(groups: MovementGroup[]) {
  const start = { amount: 0, count: 0 };
  const end = { amount: 0, count: 0 };
  const bars = new Map<string, { amount: number; count: number }>();
  const add = (kind: string, amount: number, count: number) => {
    const bar = bars.get(kind) ?? { amount: 0, count: 0 };
    bars.set(kind, { amount: bar.amount + amount, count: bar.count + count });
  };
  for (const g of groups) {
    if (g.inStart) Object.assign(start, { amount: start.amount + g.startAmount, count: start.count + g.count });
    if (g.inEnd) Object.assign(end, { amount: end.amount + g.endAmount, count: end.count + g.count });
    if (g.changeKind) add(g.changeKind, g.changeAmount, g.count);
    if (g.moveKind) add(g.moveKind, g.endAmount, g.count);
  }
  return { start, end, bars };
}

/**
 * One page of a bar's deals, largest contribution first (then by id), after the deal `afterId` of that bar;
 * `limit` rows at most. With a cursor, its own row comes first (`is_cursor` = 1) when it is in the bar, so the
 * caller can tell a cursor of another bar from the end of this one; the bar's rows are ranked once (a window)
 * rather than read twice to find the cursor's place.
 */
export function movementPageSql(d: Dialect, w: MovementSqlWindow, kind: MovementKind, limit: number, afterId: number | null): string {
  const change = kind === 'INCREASED' || kind === 'DECREASED';
  const cte = movementCte(d, w);
  const bar = `select id, ${change ? 'abs(e_amount - s_amount)' : 'e_amount'} as amount, s_amount, e_amount, s_close, e_close, s_owner, e_owner, e_status, s_in, e_in
    from moved where ${change ? 'change_kind' : 'move_kind'} = '${kind}'`;
  if (afterId == null) return `${cte}
  ${bar}
  order by amount desc, id limit ${int(limit)}`;
  return `${cte}
  select * from (
    select ranked.*, case when id = ${int(afterId)} then 1 else 0 end as is_cursor,
      max(case when id = ${int(afterId)} then position end) over () as cursor_position
    from (select bar.*, row_number() over (order by amount desc, id) as position from (${bar}) bar) ranked
  ) paged
  where position >= cursor_position
  order by position limit ${int(limit + 1)}`;
}
