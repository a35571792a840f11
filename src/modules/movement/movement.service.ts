/**
 * Pipeline movement between two instants: the bars (one SQL statement adding them up) and one page of a bar's
 * deals (one statement returning only that page). The classification is movement.sql.ts, the SQL form of
 * movement.classify.ts.
 */
import { dialectOf, readEpochMs, readNumber } from '../../db/dialect';
import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { periodOrFail } from '../../shared/period';
import type { AggregateScope } from '../auth/aggregate.policy';
import { MOVEMENT_ORDER, type MovementKind } from './movement.classify';
import { type MovementSqlWindow, foldMovementGroups, movementPageSql, movementTotalsSql } from './movement.sql';

export interface MovementQuery {
  from: Date;
  to: Date;
  period: string;
  scope: AggregateScope;
}

export interface MovementBarTotal {
  kind: MovementKind;
  sign: 1 | -1;
  /** Cents, positive: the sign says the direction. */
  amount: number;
  count: number;
}

export interface MovementResult {
  periodLabel: string;
  periodStart: Date;
  periodEnd: Date;
  from: Date;
  to: Date;
  /** The two pipelines, in cents. */
  start: { amount: number; count: number };
  end: { amount: number; count: number };
  bars: MovementBarTotal[];
}

/** One deal behind a bar, with its values at both ends (cents, epoch ms, rep ids). */
export interface MovementPageItem {
  dealId: number;
  amount: number;
  amountFrom: number;
  amountTo: number;
  closeDateFrom: number | null;
  closeDateTo: number | null;
  ownerFrom: number | null;
  ownerTo: number | null;
  statusTo: 'OPEN' | 'WON' | 'LOST';
  inStart: boolean;
  inEnd: boolean;
}

export interface MovementPage {
  items: MovementPageItem[];
  hasNextPage: boolean;
}

function movementWindow(q: MovementQuery): MovementSqlWindow & { periodLabel: string } {
  if (!(q.from < q.to)) throw new BadInputError('to', 'to must be after from');
  if (q.to.getTime() > Date.now() + 60_000) throw new BadInputError('to', 'to cannot be in the future: movement compares what was known at two instants');
  const period = periodOrFail(q.period);
  return { from: q.from, to: q.to, periodStart: new Date(period.start), periodEnd: new Date(period.end), periodLabel: period.label, scope: q.scope };
}

/** Checks the window and period (BAD_USER_INPUT) without reading anything. */
export const checkMovementQuery = (q: MovementQuery): void => void movementWindow(q);

export async function getPipelineMovement(em: Em, q: MovementQuery): Promise<MovementResult> {
  const w = movementWindow(q);
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(movementTotalsSql(dialectOf(em), w));
  const { start, end, bars } = foldMovementGroups(
    rows.map((r) => ({
      changeKind: r.change_kind as string | null,
      moveKind: r.move_kind as string | null,
      inStart: Number(r.s_in) === 1,
      inEnd: Number(r.e_in) === 1,
      count: readNumber(r.n),
      startAmount: readNumber(r.s_amount),
      endAmount: readNumber(r.e_amount),
      changeAmount: readNumber(r.change_amount),
    })),
  );
  return {
    periodLabel: w.periodLabel,
    periodStart: w.periodStart,
    periodEnd: w.periodEnd,
    from: q.from,
    to: q.to,
    start,
    end,
    bars: MOVEMENT_ORDER.map(({ kind, sign }) => ({ kind, sign, ...(bars.get(kind) ?? { amount: 0, count: 0 }) })),
  };
}

/** `first` deals of one bar after the deal `afterId` (a deal of that bar, else BAD_USER_INPUT on `after`). */
export async function getMovementPage(em: Em, q: MovementQuery, kind: MovementKind, first: number, afterId: number | null): Promise<MovementPage> {
  const w = movementWindow(q);
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(movementPageSql(dialectOf(em), w, kind, first + 1, afterId));
  if (afterId != null && Number(rows[0]?.is_cursor) !== 1) throw new BadInputError('after', 'after is not a cursor of this bar');
  const page = rows.slice(afterId == null ? 0 : 1);
  const id = (v: unknown) => (v == null ? null : Number(v));
  return {
    hasNextPage: page.length > first,
    items: page.slice(0, first).map((r) => ({
      dealId: Number(r.id),
      amount: readNumber(r.amount),
      amountFrom: readNumber(r.s_amount),
      amountTo: readNumber(r.e_amount),
      closeDateFrom: readEpochMs(r.s_close),
      closeDateTo: readEpochMs(r.e_close),
      ownerFrom: id(r.s_owner),
      ownerTo: id(r.e_owner),
      statusTo: r.e_status as MovementPageItem['statusTo'],
      inStart: Number(r.s_in) === 1,
      inEnd: Number(r.e_in) === 1,
    })),
  };
}
