/**
 * A fact source brought up to date by the deals written since it was loaded: the rows of the touched deals are
 * replaced by their fresh reads (or dropped: deleted, or without a date any more), new deals are inserted in id
 * order, and every other row is copied in blocks. The result is the source a full load would give at the new data
 * versions, array for array (the fact-patch tests hold it to one), in new shared arrays: tables are never changed
 * once built, so tasks still reading the old source are unaffected. Pure: no database imports.
 */
import { type FactRevisions, type FactTable, Outcome, Revised } from './facts';
import { type FactLineage, type FactSource, existsSince, later, newLineage, shared } from './fact-source';

/** Changes a lineage keeps: a result older than that many patches is computed again. */
const LINEAGE_CHANGES = 64;

/** The row columns of a source: [array of the source, values per row]; entries hold one value per open stage. */
function columnsOf(s: FactSource): Array<[ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, number]> {
  const t = s.table;
  const k = t.stages.length;
  return [
    [t.id, 1], [t.created, 1], [t.closed, 1], [t.outcome, 1], [t.amount, 1], [t.team, 1], [t.rep, 1], [t.product, 1],
    [t.family, 1], [t.category, 1], [t.expectedClose, 1], [t.entries, k], [t.historyKnown, 1], [t.dateUnknown, 1],
    [s.opened, 1], [s.firstChange, 1], [s.stageEnteredAt, 1], [s.knownSince, 1], [s.currentStage, 1], [s.noEntries, 1],
  ];
}

type Column = ReturnType<typeof columnsOf>[number][0];

/** An empty shared array of the same kind as `like`, for `n` values. */
function sharedLike(like: Column, n: number): Column & { set(a: ArrayLike<number>, at: number): void } {
  if (like instanceof Float64Array) return shared.f64(n);
  if (like instanceof Int32Array) return shared.i32(n);
  if (like instanceof Int16Array) return shared.i16(n);
  return shared.u8(n);
}

/**
 * `held` with the deals `touched` (ascending ids) replaced by `fresh` (their rows as read now, ascending; a touched
 * deal absent from it is gone). Both sources must share the pipeline's stages and the reps' teams (a write to those
 * tables needs a full load).
 */
export function patchFactSource(held: FactSource, touched: ArrayLike<number>, fresh: FactSource): FactSource {
  const a = held.table;
  const b = fresh.table;
  // the rows of the result, in id order: a block of held rows [from, to) or one fresh row
  const runs: Array<{ from: number; to: number } | { fresh: number }> = [];
  const pairs: Array<[number, number]> = []; // per touched deal: its held row and its fresh row (-1: none)
  let i = 0;
  let f = 0;
  let x = 0;
  while (i < a.n || f < b.n) {
    const heldId = i < a.n ? a.id[i] : Infinity;
    const freshId = f < b.n ? b.id[f] : Infinity;
    while (x < touched.length && touched[x] < heldId) x++;
    if (freshId <= heldId) {
      pairs.push([freshId === heldId ? i : -1, f]);
      runs.push({ fresh: f++ });
      if (freshId === heldId) i++; // replaced
      continue;
    }
    if (x < touched.length && touched[x] === heldId) {
      pairs.push([i++, -1]); // touched and not read again: deleted, or no longer dated
      continue;
    }
    // held rows up to the next touched or fresh id
    const from = i;
    const until = Math.min(freshId, x < touched.length ? touched[x] : Infinity);
    while (i < a.n && a.id[i] < until) i++;
    runs.push({ from, to: i });
  }
  const n = runs.reduce((sum, r) => sum + ('fresh' in r ? 1 : r.to - r.from), 0);
  const heldColumns = columnsOf(held);
  const freshColumns = columnsOf(fresh);
  const out = heldColumns.map(([column, width]) => sharedLike(column, n * width));
  const rowOf = new Int32Array(a.n).fill(-1); // held row -> its row in the result
  const freshRowOf = new Int32Array(b.n);
  let at = 0;
  for (const r of runs) {
    if ('fresh' in r) {
      heldColumns.forEach(([, w], c) => out[c].set(freshColumns[c][0].subarray(r.fresh * w, (r.fresh + 1) * w), at * w));
      freshRowOf[r.fresh] = at++;
      continue;
    }
    heldColumns.forEach(([column, w], c) => out[c].set(column.subarray(r.from * w, r.to * w), at * w));
    for (let row = r.from; row < r.to; row++) rowOf[row] = at++;
  }
  const [id, created, closed, outcome, amount, team, rep, product, family, category, expectedClose, entries, historyKnown, dateUnknown, opened, firstChange, stageEnteredAt, knownSince, currentStage, noEntries] = out;
  const families = renumberFamilies(family as Int32Array, runs, a.families, b.families);
  const revisions = mergeRevisions(a.revisions, b.revisions, rowOf, freshRowOf);
  const table: FactTable = {
    stages: a.stages, n, id: id as Float64Array, created: created as Float64Array, closed: closed as Float64Array, outcome: outcome as Uint8Array,
    amount: amount as Float64Array, team: team as Int32Array, rep: rep as Int32Array, product: product as Int32Array, family: family as Int32Array,
    families, category: category as Uint8Array, expectedClose: expectedClose as Float64Array, entries: entries as Float64Array,
    historyKnown: historyKnown as Uint8Array, dateUnknown: dateUnknown as Uint8Array, ...(revisions && { revisions }),
  };
  const source: FactSource = {
    table, opened: opened as Float64Array, firstChange: firstChange as Float64Array, stageEnteredAt: stageEnteredAt as Float64Array,
    knownSince: knownSince as Float64Array, currentStage: currentStage as Int16Array, noEntries: noEntries as Uint8Array, latest: -Infinity,
  };
  source.latest = latestOf(source);
  source.lineage = nextGeneration(held.lineage, Math.min(...pairs.map(([h, r]) => stableUntil(held.table, h, fresh.table, r))));
  return source;
}

function nextGeneration(held: FactLineage | undefined, stable: number): FactLineage {
  if (!held) return newLineage();
  const generation = held.generation + 1;
  return { id: held.id, generation, changes: [...held.changes.slice(1 - LINEAGE_CHANGES), { generation, stableUntil: stable }] };
}

/** The revisions of row i (sorted by row): [from, to). */
function revisionRange(r: FactRevisions | undefined, i: number): [number, number] {
  if (!r || i < 0) return [0, 0];
  let lo = 0;
  let hi = r.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r.row[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  let to = lo;
  while (to < r.n && r.row[to] === i) to++;
  return [lo, to];
}

/**
 * A deal's row as the as-of view of `asOf` has it (factsAsOf over the table, with what is not yet known then
 * masked: creation, close, stage entries and revisions at or after asOf), or null when the view cannot see the deal
 * (neither created nor closed before asOf; row -1: not in the table).
 */
export function rowAsOf(t: FactTable, i: number, asOf: number): number[] | null {
  if (i < 0 || !(t.created[i] < asOf || t.closed[i] < asOf)) return null;
  const k = t.stages.length;
  const closed = t.closed[i] < asOf;
  const undatedClose = Number.isNaN(t.closed[i]) && t.outcome[i] !== Outcome.OPEN;
  let amount = t.amount[i];
  let expectedClose = t.expectedClose[i];
  let rep = t.rep[i];
  let team = t.team[i];
  let category = t.category[i];
  const kept: number[] = [];
  const r = t.revisions;
  const [from, to] = revisionRange(r, i);
  let restored = 0;
  for (let j = from; j < to; j++) {
    if (r!.at[j] < asOf) {
      kept.push(r!.at[j], r!.field[j], r!.old[j]);
      continue;
    }
    // as factsAsOf restores them: the old value of each field's first change at or after asOf
    const bit = 1 << r!.field[j];
    if (restored & bit) continue;
    restored |= bit;
    const old = r!.old[j];
    if (r!.field[j] === Revised.AMOUNT) amount = old || 0;
    else if (r!.field[j] === Revised.EXPECTED_CLOSE) expectedClose = old;
    else if (r!.field[j] === Revised.OWNER) {
      rep = old || 0;
      team = r!.repTeam.get(old) ?? 0;
    } else category = old || 0;
  }
  const family = t.family[i] < 0 ? -1 : familyCode(t.families[t.family[i]]);
  const row = [t.id[i], t.created[i] < asOf ? t.created[i] : NaN, closed ? t.closed[i] : NaN, closed || undatedClose ? t.outcome[i] : Outcome.OPEN, amount, expectedClose, rep, team, category, t.product[i], family, t.historyKnown[i], t.dateUnknown[i]];
  for (let s = 0; s < k; s++) row.push(t.entries[i * k + s] < asOf ? t.entries[i * k + s] : NaN);
  row.push(kept.length, ...kept);
  return row;
}

/** A family name as a number a row can hold (names compare, not their positions in a table's list). */
const familyCodes = new Map<string, number>();
const familyCode = (name: string) => {
  let code = familyCodes.get(name);
  if (code === undefined) familyCodes.set(name, (code = familyCodes.size));
  return code;
};

const sameRow = (x: number[] | null, y: number[] | null) => (x === null || y === null ? x === y : x.length === y.length && x.every((v, j) => Object.is(v, y[j])));

/**
 * The latest time up to which every as-of view sees this deal the same in `a` (row ia) and `b` (row ib): a row as
 * of d changes only as d passes one of its times, so the views are compared once per interval between them.
 * -Infinity: they differ from the start; Infinity: never.
 */
export function stableUntil(a: FactTable, ia: number, b: FactTable, ib: number): number {
  const times = new Set<number>();
  for (const [t, i] of [[a, ia], [b, ib]] as Array<[FactTable, number]>) {
    if (i < 0) continue;
    const k = t.stages.length;
    times.add(t.created[i]).add(t.closed[i]);
    for (let s = 0; s < k; s++) times.add(t.entries[i * k + s]);
    const [from, to] = revisionRange(t.revisions, i);
    for (let j = from; j < to; j++) times.add(t.revisions!.at[j]);
  }
  const ends = [...times].filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
  ends.push(Infinity);
  // a view as of d in (ends[j - 1], ends[j]] reads the row as of ends[j]
  for (let j = 0; j < ends.length; j++) if (!sameRow(rowAsOf(a, ia, ends[j]), rowAsOf(b, ib, ends[j]))) return j === 0 ? -Infinity : ends[j - 1];
  return Infinity;
}

/**
 * Family indexes as a full load numbers them: by first appearance in row order (the held and fresh rows' indexes
 * point into their own lists until then).
 */
function renumberFamilies(family: Int32Array, runs: Array<{ from: number; to: number } | { fresh: number }>, heldNames: string[], freshNames: string[]): string[] {
  const names: string[] = [];
  const index = new Map<string, number>();
  const numberOf = (name: string) => {
    let v = index.get(name);
    if (v === undefined) index.set(name, (v = names.push(name) - 1));
    return v;
  };
  let row = 0;
  for (const r of runs) {
    const count = 'fresh' in r ? 1 : r.to - r.from;
    const list = 'fresh' in r ? freshNames : heldNames;
    for (let end = row + count; row < end; row++) if (family[row] >= 0) family[row] = numberOf(list[family[row]]);
  }
  return names;
}

/** Both sources' revisions of the rows kept, renumbered to the result's rows: still sorted by row, then time. */
function mergeRevisions(held: FactRevisions | undefined, fresh: FactRevisions | undefined, rowOf: Int32Array, freshRowOf: Int32Array): FactRevisions | undefined {
  if (!held && !fresh) return undefined;
  const heldN = held?.n ?? 0;
  const freshN = fresh?.n ?? 0;
  let n = 0;
  for (let j = 0; j < heldN; j++) if (rowOf[held!.row[j]] >= 0) n++;
  n += freshN;
  const row = shared.i32(n);
  const at = shared.f64(n);
  const field = shared.u8(n);
  const old = shared.f64(n);
  let lastAt = -Infinity;
  let out = 0;
  const take = (r: FactRevisions, j: number, target: number) => {
    row[out] = target;
    at[out] = r.at[j];
    field[out] = r.field[j];
    old[out++] = r.old[j];
    if (r.at[j] > lastAt) lastAt = r.at[j];
  };
  // both lists are sorted by their rows, and rows keep their order: a merge by result row
  let h = 0;
  let f = 0;
  for (;;) {
    while (h < heldN && rowOf[held!.row[h]] < 0) h++;
    const heldRow = h < heldN ? rowOf[held!.row[h]] : Infinity;
    const freshRow = f < freshN ? freshRowOf[fresh!.row[f]] : Infinity;
    if (heldRow === Infinity && freshRow === Infinity) break;
    if (heldRow < freshRow) take(held!, h, heldRow), h++;
    else take(fresh!, f, freshRow), f++;
  }
  return { n, row, at, field, old, lastAt, repTeam: fresh?.repTeam ?? held!.repTeam };
}

/** The latest time the as-of derivation compares, as addSourceRow and finishFactSource track it while loading. */
function latestOf(s: FactSource): number {
  const t = s.table;
  const k = t.stages.length;
  let latest = -Infinity;
  for (let i = 0; i < t.n; i++) {
    if (!s.noEntries[i]) for (let e = 0; e < k; e++) latest = later(latest, t.entries[i * k + e]);
    latest = later(later(latest, existsSince(s, i, Infinity)), s.firstChange[i]);
  }
  return t.revisions?.n ? later(latest, t.revisions.lastAt) : latest;
}
