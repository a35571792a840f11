import { patchFactSource } from '../../src/modules/forecast/fact-patch';
import { type FactSource, type SourceRow, addSourceRow, createFactSource, factsAt, finishFactSource, newLineage } from '../../src/modules/forecast/fact-source';
import { type OpenStage, Outcome, Revised, revisionsOf } from '../../src/modules/forecast/facts';
import { firstDifference } from '../helpers/first-difference';

const STAGES: OpenStage[] = [
  { id: 1, name: 'Qualify', defaultProbability: 0.2 },
  { id: 2, name: 'Propose', defaultProbability: 0.6 },
];
const day = (d: number) => Date.UTC(2026, 0, 1) + d * 86_400_000;

function row(id: number, values: Partial<SourceRow> = {}): SourceRow {
  return {
    id, openedAt: day(id), closedAt: null, outcome: Outcome.OPEN, amountCents: 1000 * id, teamId: 1, repId: 10 + (id % 3), productId: 1,
    family: 'Core', forecastCategory: null, expectedCloseAt: day(id + 60), currentStage: 0, stageEnteredAt: day(id), entries: [day(id), null],
    firstChangeAt: day(id), knownSince: day(id), ...values,
  };
}

interface Change {
  id: number;
  field: Revised;
  at: number;
  old: number | null;
}

/** The source a full load of these rows and changes gives (rows in id order; changes by deal, then time). */
function sourceOf(rows: SourceRow[], changes: Change[]): FactSource {
  const b = createFactSource(STAGES, rows.length);
  rows.forEach((r) => addSourceRow(b, r));
  const kept = changes.filter((c) => rows.some((r) => r.id === c.id)).sort((x, y) => x.id - y.id || x.at - y.at);
  const rowIndex = (id: number) => rows.findIndex((r) => r.id === id);
  const revisions = revisionsOf(kept.map((c) => rowIndex(c.id)), kept.map((c) => c.at), kept.map((c) => c.field), kept.map((c) => c.old), new Map([[10, 1], [11, 1], [12, 2]]));
  return { ...finishFactSource(b, revisions), lineage: newLineage() };
}

describe('a fact source patched with the deals written since', () => {
  it('equals the full load of the new rows: replaced, removed and new deals, revisions and family numbers', () => {
    const before = [row(1, { family: 'Legacy' }), row(2, { firstChangeAt: day(500) }), row(3, { family: 'Add-on' }), row(5), row(8)];
    const changes: Change[] = [
      { id: 2, field: Revised.AMOUNT, at: day(20), old: 1500 },
      { id: 3, field: Revised.OWNER, at: day(30), old: 12 },
      { id: 8, field: Revised.CATEGORY, at: day(40), old: null },
    ];
    const held = sourceOf(before, changes);
    // deal 1 leaves the only 'Legacy' product (the full load lists families in first-appearance order), deal 3 is
    // deleted, 4 and 9 are new, 5 is won with a changed amount, 8 loses its date (no longer in the source)
    const after = [row(1, { family: 'Add-on' }), row(2, { firstChangeAt: day(500) }), row(4, { family: 'Beta' }), row(5, { outcome: Outcome.WON, closedAt: day(90), currentStage: -1, amountCents: 9999 }), row(9, { entries: [null, null], currentStage: 1, openedAt: null, firstChangeAt: null })];
    const newChanges = [...changes, { id: 5, field: Revised.AMOUNT, at: day(89), old: 5000 }, { id: 4, field: Revised.EXPECTED_CLOSE, at: day(10), old: day(50) }];
    const touched = [1, 3, 4, 5, 8, 9];
    const fresh = sourceOf(after.filter((r) => touched.includes(r.id)), newChanges);
    const patched = patchFactSource(held, touched, fresh);
    const reference = sourceOf(after, newChanges);
    expect(firstDifference(patched, reference, 'source')).toBeNull();
    expect(patched.table.families).toEqual(['Add-on', 'Core', 'Beta']);
    for (const asOf of [day(0), day(25), day(70), day(200)]) expect(firstDifference(factsAt(patched, asOf), factsAt(reference, asOf), `asOf ${asOf}`)).toBeNull();
    // deal 1's family differs as soon as it exists: every view after its creation changed
    expect(patched.lineage).toEqual({ id: held.lineage!.id, generation: 1, changes: [{ generation: 1, stableUntil: day(1) }] });
    // the held source is not changed
    expect(firstDifference(held, sourceOf(before, changes), 'held')).toBeNull();
  });

  it('keeps every row when the touched deals are unchanged, and the latest time of a shrunk source', () => {
    const rows = [row(1), row(2), row(3, { stageEnteredAt: day(300), entries: [day(3), day(300)] })];
    const held = sourceOf(rows, []);
    expect(firstDifference(patchFactSource(held, [2], sourceOf([rows[1]], [])), held, 'source')).toBeNull();
    const shrunk = patchFactSource(held, [3], sourceOf([], []));
    expect(shrunk.latest).toBe(sourceOf(rows.slice(0, 2), []).latest);
    expect(shrunk.latest).toBeLessThan(held.latest);
  });

  it('says up to when every past view is unchanged: a change today leaves the views before it alone', () => {
    const rows = [row(1), row(2), row(3)];
    const held = sourceOf(rows, []);
    // deal 2 won on day 90, its amount raised on day 89 (the revision keeps the old amount for the views before)
    const won = row(2, { outcome: Outcome.WON, closedAt: day(90), currentStage: -1, amountCents: 7777 });
    const once = patchFactSource(held, [2], sourceOf([won], [{ id: 2, field: Revised.AMOUNT, at: day(89), old: 2000 }]));
    expect(once.lineage!.changes).toEqual([{ generation: 1, stableUntil: day(89) }]);
    // nothing any view holds changed (a renamed deal): never
    const twice = patchFactSource(once, [3], sourceOf([rows[2]], []));
    expect(twice.lineage).toEqual({ id: held.lineage!.id, generation: 2, changes: [{ generation: 1, stableUntil: day(89) }, { generation: 2, stableUntil: Infinity }] });
  });
});
