import { type DealTimeline, type MovementWindow, MovementKind, classify, pipelineMovement, reconcile, stateAt } from '../../src/modules/movement/movement.classify';
import { foldMovementGroups } from '../../src/modules/movement/movement.sql';

const D = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
/** Q4 2026 pipeline, movement from Oct 5 to Nov 2; team A = reps 1 and 2, team B = rep 3. */
const teamA = new Set([1, 2]);
const w: MovementWindow = { from: D('2026-10-05'), to: D('2026-11-02'), periodStart: D('2026-10-01'), periodEnd: D('2027-01-01'), inScope: (o) => o != null && teamA.has(o) };

const deal = (over: Partial<DealTimeline>): DealTimeline => ({
  id: 1, createdAt: D('2026-09-01'), status: 'OPEN', closedAt: null, amount: 10_000_00, closeDate: D('2026-12-15'), owner: 1, changes: [], ...over,
});
const bars = (d: DealTimeline) => classify(d, w)?.bars ?? [];

describe('pipeline movement classification', () => {
  it('a deal pushed out of the quarter then pulled back inside the window has no bar', () => {
    const d = deal({
      changes: [
        { field: 'EXPECTED_CLOSE_DATE', at: D('2026-10-10'), old: D('2026-12-15'), new: D('2027-02-01') },
        { field: 'EXPECTED_CLOSE_DATE', at: D('2026-10-20'), old: D('2027-02-01'), new: D('2026-12-20') },
      ],
      closeDate: D('2026-12-20'),
    });
    expect(stateAt(d, D('2026-10-15')).closeDate).toBe(D('2027-02-01')); // out in between
    expect(classify(d, w)).toBeNull();
  });

  it('a deal pushed out and not pulled back leaves at its amount then', () => {
    const d = deal({ closeDate: D('2027-02-01'), changes: [{ field: 'EXPECTED_CLOSE_DATE', at: D('2026-10-10'), old: D('2026-12-15'), new: D('2027-02-01') }] });
    expect(bars(d)).toEqual([{ kind: MovementKind.PUSHED_OUT, amount: 10_000_00 }]);
  });

  it('a deal whose amount changed and that was won the same day: increased by the change, won at the new amount', () => {
    const d = deal({
      status: 'WON', closedAt: D('2026-10-21') + 15 * 3600_000, amount: 12_500_00,
      changes: [{ field: 'AMOUNT', at: D('2026-10-21') + 9 * 3600_000, old: 10_000_00, new: 12_500_00 }],
    });
    expect(bars(d)).toEqual([{ kind: MovementKind.INCREASED, amount: 2_500_00 }, { kind: MovementKind.WON, amount: 12_500_00 }]);
  });

  it('a deal reassigned to another team leaves the team pipeline as reassigned, and enters the other team as reassigned in', () => {
    const d = deal({ owner: 3, changes: [{ field: 'OWNER', at: D('2026-10-12'), old: 1, new: 3 }] });
    expect(bars(d)).toEqual([{ kind: MovementKind.REASSIGNED_OUT, amount: 10_000_00 }]);
    const teamB: MovementWindow = { ...w, inScope: (o) => o === 3 };
    expect(classify(d, teamB)!.bars).toEqual([{ kind: MovementKind.REASSIGNED_IN, amount: 10_000_00 }]);
    // a move inside the team is no movement of the team pipeline
    expect(classify(deal({ owner: 2, changes: [{ field: 'OWNER', at: D('2026-10-12'), old: 1, new: 2 }] }), w)).toBeNull();
  });

  it('new, pulled in, lost and decreased', () => {
    expect(bars(deal({ createdAt: D('2026-10-07') }))).toEqual([{ kind: MovementKind.NEW, amount: 10_000_00 }]);
    expect(bars(deal({ changes: [{ field: 'EXPECTED_CLOSE_DATE', at: D('2026-10-07'), old: null, new: D('2026-12-15') }] }))).toEqual([{ kind: MovementKind.PULLED_IN, amount: 10_000_00 }]);
    expect(bars(deal({ status: 'LOST', closedAt: D('2026-10-30') }))).toEqual([{ kind: MovementKind.LOST, amount: 10_000_00 }]);
    expect(bars(deal({ amount: 8_000_00, changes: [{ field: 'AMOUNT', at: D('2026-10-07'), old: 10_000_00, new: 8_000_00 }] }))).toEqual([{ kind: MovementKind.DECREASED, amount: 2_000_00 }]);
    // closed before the window, or created after it: not in either pipeline
    expect(classify(deal({ status: 'WON', closedAt: D('2026-10-01') }), w)).toBeNull();
    expect(classify(deal({ createdAt: D('2026-11-03') }), w)).toBeNull();
  });

  it('reconciles exactly: start + bars = end, on a mixed set', () => {
    const deals: DealTimeline[] = [
      deal({ id: 1 }),
      deal({ id: 2, createdAt: D('2026-10-07'), amount: 3_333_33 }),
      deal({ id: 3, status: 'WON', closedAt: D('2026-10-21'), amount: 12_500_01, changes: [{ field: 'AMOUNT', at: D('2026-10-20'), old: 10_000_00, new: 12_500_01 }] }),
      deal({ id: 4, owner: 3, changes: [{ field: 'OWNER', at: D('2026-10-12'), old: 1, new: 3 }] }),
      deal({ id: 5, closeDate: D('2027-02-01'), amount: 7_000_00, changes: [{ field: 'AMOUNT', at: D('2026-10-09'), old: 5_000_00, new: 7_000_00 }, { field: 'EXPECTED_CLOSE_DATE', at: D('2026-10-10'), old: D('2026-12-15'), new: D('2027-02-01') }] }),
      deal({ id: 6, status: 'LOST', closedAt: D('2026-10-30') }),
      deal({ id: 7, owner: 2, amount: 1_00, changes: [{ field: 'OWNER', at: D('2026-10-12'), old: 3, new: 2 }] }),
    ];
    const t = pipelineMovement(deals, w);
    expect(t.start).toEqual({ amount: 10_000_00 + 10_000_00 + 10_000_00 + 5_000_00 + 10_000_00, count: 5 });
    expect(t.end).toEqual({ amount: 10_000_00 + 3_333_33 + 1_00, count: 3 });
    expect(reconcile(t)).toBe(t.end.amount);
    const byKind = Object.fromEntries(t.bars.map((b) => [b.kind, [b.amount, b.count]]));
    expect(byKind).toEqual({
      NEW: [3_333_33, 1], PULLED_IN: [0, 0], REASSIGNED_IN: [1_00, 1], INCREASED: [2_500_01 + 2_000_00, 2], DECREASED: [0, 0],
      WON: [12_500_01, 1], LOST: [10_000_00, 1], PUSHED_OUT: [7_000_00, 1], REASSIGNED_OUT: [10_000_00, 1],
    });
  });
});

describe('folding the SQL groups of the movement into bars', () => {
  it('counts a deal in its change bar and its move bar, and the pipelines from the in-start and in-end groups', () => {
    const t = foldMovementGroups([
      { changeKind: 'INCREASED', moveKind: 'WON', inStart: true, inEnd: false, count: 2, startAmount: 100, endAmount: 150, changeAmount: 50 },
      { changeKind: null, moveKind: null, inStart: true, inEnd: true, count: 3, startAmount: 300, endAmount: 300, changeAmount: 0 },
      { changeKind: 'DECREASED', moveKind: null, inStart: true, inEnd: true, count: 1, startAmount: 70, endAmount: 60, changeAmount: 10 },
      { changeKind: null, moveKind: 'NEW', inStart: false, inEnd: true, count: 1, startAmount: 0, endAmount: 40, changeAmount: 40 },
    ]);
    expect(t.start).toEqual({ amount: 100 + 300 + 70, count: 6 });
    expect(t.end).toEqual({ amount: 300 + 60 + 40, count: 5 });
    expect(Object.fromEntries(t.bars)).toEqual({ INCREASED: { amount: 50, count: 2 }, WON: { amount: 150, count: 2 }, DECREASED: { amount: 10, count: 1 }, NEW: { amount: 40, count: 1 } });
    // start + increased - decreased - won + new = end
    expect(t.start.amount + 50 - 10 - 150 + 40).toBe(t.end.amount);
  });
});
