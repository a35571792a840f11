/**
 * Pipeline movement, pure: which deals were in a period's pipeline at two instants, and why the total moved.
 * The pipeline of a period at instant T = deals that existed and were open at T, expected (as known at T) to close
 * inside the period, and owned (as known at T) inside the scope, at their amount known at T.
 * Each deal in either pipeline gets its bars so that, exactly, in cents:
 *   start + new + pulled in + reassigned in + increased − decreased − won − lost − pushed out − reassigned out = end.
 * Entering deals count at their end amount; leaving deals first move by their amount change (increased or
 * decreased), then leave at their amount at `to`, so "raised then won" shows both. A deal that entered and left
 * inside the window is in neither pipeline and has no bar (this is a comparison of two snapshots).
 * No writer deletes deals (a deleted row takes its history with it), so the leaving-by-ownership bar is the only
 * "removed" one.
 */

export enum MovementKind {
  NEW = 'NEW',
  PULLED_IN = 'PULLED_IN',
  REASSIGNED_IN = 'REASSIGNED_IN',
  INCREASED = 'INCREASED',
  DECREASED = 'DECREASED',
  WON = 'WON',
  LOST = 'LOST',
  PUSHED_OUT = 'PUSHED_OUT',
  REASSIGNED_OUT = 'REASSIGNED_OUT',
}

/** Waterfall order; the sign says whether a bar adds to or takes from the pipeline. */
export const MOVEMENT_ORDER: ReadonlyArray<{ kind: MovementKind; sign: 1 | -1 }> = [
  { kind: MovementKind.NEW, sign: 1 },
  { kind: MovementKind.PULLED_IN, sign: 1 },
  { kind: MovementKind.REASSIGNED_IN, sign: 1 },
  { kind: MovementKind.INCREASED, sign: 1 },
  { kind: MovementKind.DECREASED, sign: -1 },
  { kind: MovementKind.WON, sign: -1 },
  { kind: MovementKind.LOST, sign: -1 },
  { kind: MovementKind.PUSHED_OUT, sign: -1 },
  { kind: MovementKind.REASSIGNED_OUT, sign: -1 },
];

export type TrackedField = 'AMOUNT' | 'EXPECTED_CLOSE_DATE' | 'OWNER';

/** One change after the window start, values decoded: cents, epoch ms, rep id (null = unset). */
export interface TimelineChange {
  field: TrackedField;
  at: number;
  old: number | null;
  new: number | null;
}

/** A deal as stored today plus its changes since the window start (sorted by time). */
export interface DealTimeline {
  id: number;
  /** When the deal came to exist (opened, or created when the open date is unknown), epoch ms. */
  createdAt: number;
  status: 'OPEN' | 'WON' | 'LOST';
  /** Null for a closed deal imported without a close date (closed at any instant we know of). */
  closedAt: number | null;
  amount: number;
  closeDate: number | null;
  owner: number | null;
  changes: TimelineChange[];
}

export interface DealState {
  exists: boolean;
  open: boolean;
  status: 'OPEN' | 'WON' | 'LOST';
  amount: number;
  closeDate: number | null;
  owner: number | null;
}

/** A field's value at T: the old value of its first change at or after T, today's value if none (as in the forecast loader). */
function valueAt(d: DealTimeline, field: TrackedField, t: number, current: number | null): number | null {
  for (const c of d.changes) if (c.field === field && c.at >= t) return c.old;
  return current;
}

export function stateAt(d: DealTimeline, t: number): DealState {
  const closed = d.status !== 'OPEN' && (d.closedAt == null || d.closedAt < t);
  return {
    exists: d.createdAt < t,
    open: !closed,
    status: closed ? d.status : 'OPEN',
    amount: valueAt(d, 'AMOUNT', t, d.amount) ?? 0,
    closeDate: valueAt(d, 'EXPECTED_CLOSE_DATE', t, d.closeDate),
    owner: valueAt(d, 'OWNER', t, d.owner),
  };
}

export interface MovementWindow {
  from: number;
  to: number;
  /** The period whose expected closes count, [start, end). */
  periodStart: number;
  periodEnd: number;
  /** Whether a deal owned by this rep (null = unowned) belongs to the scope. */
  inScope: (owner: number | null) => boolean;
}

const inPeriod = (w: MovementWindow, closeDate: number | null) => closeDate != null && closeDate >= w.periodStart && closeDate < w.periodEnd;
export const inPipeline = (w: MovementWindow, s: DealState) => s.exists && s.open && inPeriod(w, s.closeDate) && w.inScope(s.owner);

export interface MovementEntry {
  dealId: number;
  start: DealState;
  end: DealState;
  inStart: boolean;
  inEnd: boolean;
  /** Bars this deal contributes to, with their (positive) amounts in cents. */
  bars: Array<{ kind: MovementKind; amount: number }>;
}

/** The bars of one deal; null when it is in neither pipeline or in both unchanged. */
export function classify(d: DealTimeline, w: MovementWindow): MovementEntry | null {
  const start = stateAt(d, w.from);
  const end = stateAt(d, w.to);
  const inStart = inPipeline(w, start);
  const inEnd = inPipeline(w, end);
  if (!inStart && !inEnd) return null;
  const bars: MovementEntry['bars'] = [];
  const delta = (by: number) => {
    if (by > 0) bars.push({ kind: MovementKind.INCREASED, amount: by });
    if (by < 0) bars.push({ kind: MovementKind.DECREASED, amount: -by });
  };
  if (inStart && inEnd) delta(end.amount - start.amount);
  else if (inEnd) {
    const kind = !start.exists ? MovementKind.NEW : start.open && inPeriod(w, start.closeDate) && !w.inScope(start.owner) ? MovementKind.REASSIGNED_IN : MovementKind.PULLED_IN;
    bars.push({ kind, amount: end.amount });
  } else {
    delta(end.amount - start.amount);
    const kind = end.status === 'WON' ? MovementKind.WON : end.status === 'LOST' ? MovementKind.LOST : !w.inScope(end.owner) ? MovementKind.REASSIGNED_OUT : MovementKind.PUSHED_OUT;
    bars.push({ kind, amount: end.amount });
  }
  if (!bars.length) return null;
  return { dealId: d.id, start, end, inStart, inEnd, bars };
}

export interface MovementTotals {
  start: { amount: number; count: number };
  end: { amount: number; count: number };
  bars: Array<{ kind: MovementKind; sign: 1 | -1; amount: number; count: number; entries: MovementEntry[] }>;
}

/** Classifies every candidate and adds up the bars; `start`/`end` are the two pipelines themselves. */
export function pipelineMovement(deals: Iterable<DealTimeline>, w: MovementWindow): MovementTotals {
  const start = { amount: 0, count: 0 };
  const end = { amount: 0, count: 0 };
  const bars = new Map(MOVEMENT_ORDER.map(({ kind, sign }) => [kind, { kind, sign, amount: 0, count: 0, entries: [] as MovementEntry[] }]));
  for (const d of deals) {
    const s = stateAt(d, w.from);
    const e = stateAt(d, w.to);
    if (inPipeline(w, s)) { start.amount += s.amount; start.count++; }
    if (inPipeline(w, e)) { end.amount += e.amount; end.count++; }
    const entry = classify(d, w);
    if (!entry) continue;
    for (const { kind, amount } of entry.bars) {
      const bar = bars.get(kind)!;
      bar.amount += amount;
      bar.count++;
      bar.entries.push(entry);
    }
  }
  return { start, end, bars: [...bars.values()] };
}

/** start + Σ sign × bar; equals `end` by construction (checked by the tests). */
export const reconcile = (t: MovementTotals) => t.start.amount + t.bars.reduce((s, b) => s + b.sign * b.amount, 0);
