/**
 * Per-deal facts the forecast works on, held column-wise (typed arrays) so a million deals fit in memory, and the
 * as-of views that make backtests honest: at `asOf` a deal exists if it was created before, is closed only if it
 * closed before, and sits in the stage it had most recently entered before. Pure: no database imports.
 */

export const DAY_MS = 86_400_000;

export interface OpenStage {
  id: number;
  name: string;
  /** Textbook probability (the fixed-weight baseline, and the fallback when history is too thin). */
  defaultProbability: number;
}

export enum Outcome { OPEN = 0, WON = 1, LOST = 2 }
export const CATEGORY_CODES = [null, 'COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED'] as const;

/** One deal as loaded from the database (times in epoch ms; entries = first entry time per open stage, or null). */
export interface DealFactRow {
  id: number;
  openedAt: number | null;
  closedAt: number | null;
  outcome: Outcome;
  amountCents: number;
  teamId: number | null;
  repId: number | null;
  productId: number | null;
  family: string | null;
  forecastCategory: string | null;
  expectedCloseAt: number | null;
  /** Index of the current stage among open stages, or -1 when the deal is in a won/lost stage. */
  currentStage: number;
  stageEnteredAt: number | null;
  entries: Array<number | null>;
  /**
   * False when the export did not say which stages the deal reached (column deals.stage_history_known): its entries
   * hold only what is known, and the estimators treat the stages beyond them as unknown, not as never reached.
   * Absent: known.
   */
  stageHistoryKnown?: boolean;
  /**
   * When the system first held the deal (its row's creation, e.g. the import): an open deal without any date of its
   * own exists from then on, so a forecast made after it counts its pipeline. Absent: not used.
   */
  knownSince?: number | null;
}

export interface FactTable {
  stages: OpenStage[];
  n: number;
  id: Float64Array;
  /** Creation time: openedAt, else the first stage entry; NaN when the deal has no date at all. */
  created: Float64Array;
  closed: Float64Array;
  outcome: Uint8Array;
  amount: Float64Array;
  team: Int32Array;
  rep: Int32Array;
  product: Int32Array;
  family: Int32Array;
  families: string[];
  category: Uint8Array;
  expectedClose: Float64Array;
  /** n x stages.length first-entry times (NaN = never entered, as far as the history knows). */
  entries: Float64Array;
  /** 1 when the stages a deal reached are known; 0 when only its recorded entries are (see DealFactRow). */
  historyKnown: Uint8Array;
  /** 1 for an open deal with no date of its own: created and its stage entry are when it was first recorded. */
  dateUnknown: Uint8Array;
  /** Amount, expected-close, owner and forecast-category changes made before the table's as-of date (absent: none recorded). */
  revisions?: FactRevisions;
}

export enum Revised { AMOUNT = 0, EXPECTED_CLOSE = 1, OWNER = 2, CATEGORY = 3 }

/**
 * The deal field history of `amount`, `expectedClose`, `owner` and `forecastCategory` (deal_changes), column-wise,
 * sorted by deal row, then time: what an as-of view of an earlier date (factsAsOf) needs to restore the values
 * known then.
 */
export interface FactRevisions {
  n: number;
  /** The deal's row in the table. */
  row: Int32Array;
  at: Float64Array;
  field: Uint8Array;
  /** The value before the change (cents, epoch ms for a close date, rep id, CATEGORY_CODES index); NaN: none then. */
  old: Float64Array;
  /** The latest `at` (a view as of a later date needs no copy). */
  lastAt: number;
  /** Each rep's team (a restored owner brings its team: reps' team history is not recorded). */
  repTeam: Map<number, number>;
}

/** Revisions from columns already sorted by row, then time (old: null or NaN when the field had no value). */
export function revisionsOf(
  row: ArrayLike<number>,
  at: ArrayLike<number>,
  field: ArrayLike<Revised>,
  old: ArrayLike<number | null>,
  repTeam: Map<number, number> = new Map(),
): FactRevisions {
  let lastAt = -Infinity;
  for (let j = 0; j < at.length; j++) if (at[j] > lastAt) lastAt = at[j];
  return { n: row.length, row: Int32Array.from(row), at: Float64Array.from(at), field: Uint8Array.from(field), old: Float64Array.from(old, (v) => v ?? NaN), lastAt, repTeam };
}

/**
 * The table as known at `asOf` (no later than the date it was loaded as of): amounts, expected close dates, owners
 * (with their teams) and forecast categories as they stood then, the old value of each field's first change at or
 * after asOf (a change exactly at asOf is not yet known, as for stage moves). Existence, stages and closes are
 * already as-of through the predicates below. A past period forecast from today's amounts would see the outcome (an
 * amount raised once the deal was won), and one from today's owners would count a team's deals by who holds them
 * now: every backtest and track record reads its period through this. Copies a column only when something in it
 * changed since; one pass over the revisions.
 */
export function factsAsOf(t: FactTable, asOf: number): FactTable {
  const r = t.revisions;
  if (!r || !(r.lastAt >= asOf)) return t;
  let amount: Float64Array | null = null;
  let expectedClose: Float64Array | null = null;
  let rep: Int32Array | null = null;
  let team: Int32Array | null = null;
  let category: Uint8Array | null = null;
  let row = -1;
  let restored = 0; // bit per field already restored for `row`
  for (let j = 0; j < r.n; j++) {
    if (r.at[j] < asOf) continue;
    if (r.row[j] !== row) {
      row = r.row[j];
      restored = 0;
    }
    const bit = 1 << r.field[j];
    if (restored & bit) continue;
    restored |= bit;
    const old = r.old[j];
    if (r.field[j] === Revised.AMOUNT) (amount ??= t.amount.slice())[row] = old || 0; // NaN: no amount then, read as 0 (as factsAt does)
    else if (r.field[j] === Revised.EXPECTED_CLOSE) (expectedClose ??= t.expectedClose.slice())[row] = old;
    else if (r.field[j] === Revised.OWNER) {
      (rep ??= t.rep.slice())[row] = old || 0; // NaN: no owner then
      (team ??= t.team.slice())[row] = r.repTeam.get(old) ?? 0;
    } else (category ??= t.category.slice())[row] = old || 0;
  }
  return { ...t, amount: amount ?? t.amount, expectedClose: expectedClose ?? t.expectedClose, rep: rep ?? t.rep, team: team ?? t.team, category: category ?? t.category };
}

export function buildFactTable(stages: OpenStage[], rows: DealFactRow[]): FactTable {
  const t = createFactTable(stages, rows.length);
  const families = new Map<string, number>();
  rows.forEach((r, i) => setFact(t, i, r, families));
  return t;
}

/** An empty table with room for `capacity` deals (fill with setFact, then finishFactTable). */
export function createFactTable(stages: OpenStage[], capacity: number): FactTable {
  return {
    stages,
    n: capacity,
    id: new Float64Array(capacity),
    created: new Float64Array(capacity),
    closed: new Float64Array(capacity),
    outcome: new Uint8Array(capacity),
    amount: new Float64Array(capacity),
    team: new Int32Array(capacity),
    rep: new Int32Array(capacity),
    product: new Int32Array(capacity),
    family: new Int32Array(capacity),
    families: [],
    category: new Uint8Array(capacity),
    expectedClose: new Float64Array(capacity),
    entries: new Float64Array(capacity * stages.length).fill(NaN),
    historyKnown: new Uint8Array(capacity).fill(1),
    dateUnknown: new Uint8Array(capacity),
  };
}

/** The first n rows of a table filled with setFact (views, no copy). */
export function finishFactTable(t: FactTable, n: number, revisions?: FactRevisions): FactTable {
  if (n === t.n) return revisions ? { ...t, revisions } : t;
  const k = t.stages.length;
  return {
    ...t,
    n,
    id: t.id.subarray(0, n),
    created: t.created.subarray(0, n),
    closed: t.closed.subarray(0, n),
    outcome: t.outcome.subarray(0, n),
    amount: t.amount.subarray(0, n),
    team: t.team.subarray(0, n),
    rep: t.rep.subarray(0, n),
    product: t.product.subarray(0, n),
    family: t.family.subarray(0, n),
    category: t.category.subarray(0, n),
    expectedClose: t.expectedClose.subarray(0, n),
    entries: t.entries.subarray(0, n * k),
    historyKnown: t.historyKnown.subarray(0, n),
    dateUnknown: t.dateUnknown.subarray(0, n),
    ...(revisions && { revisions }),
  };
}

/** Writes deal row r at position i. `familyIndex` maps family names to indexes in t.families (shared across rows). */
export function setFact(t: FactTable, i: number, r: DealFactRow, familyIndex: Map<string, number>): void {
  const k = t.stages.length;
  t.id[i] = r.id;
  let first = NaN;
  let any = false;
  for (let s = 0; s < k; s++) {
    const e = r.entries[s];
    t.entries[i * k + s] = e ?? NaN;
    if (e != null) {
      any = true;
      if (!(e >= first)) first = e;
    }
  }
  // A deal whose history holds no open stage (imported with only its current stage): use what the row says.
  if (!any && r.currentStage >= 0) {
    const at = r.stageEnteredAt ?? r.openedAt;
    if (at != null) {
      t.entries[i * k + r.currentStage] = at;
      first = at;
    }
  }
  t.created[i] = r.openedAt ?? first;
  t.dateUnknown[i] = 0;
  if (Number.isNaN(t.created[i]) && r.outcome === Outcome.OPEN && r.knownSince != null) {
    // no date at all: open since it was first recorded, new in its current stage as far as anyone can tell
    t.created[i] = r.knownSince;
    if (r.currentStage >= 0) t.entries[i * k + r.currentStage] = r.knownSince;
    t.dateUnknown[i] = 1;
  }
  t.closed[i] = r.outcome !== Outcome.OPEN && r.closedAt != null ? r.closedAt : NaN;
  t.outcome[i] = r.outcome;
  t.amount[i] = r.amountCents;
  t.team[i] = r.teamId ?? 0;
  t.rep[i] = r.repId ?? 0;
  t.product[i] = r.productId ?? 0;
  if (r.family == null) t.family[i] = -1;
  else {
    let f = familyIndex.get(r.family);
    if (f === undefined) {
      f = t.families.length;
      familyIndex.set(r.family, f);
      t.families.push(r.family);
    }
    t.family[i] = f;
  }
  t.category[i] = Math.max(0, CATEGORY_CODES.indexOf(r.forecastCategory as never));
  t.expectedClose[i] = r.expectedCloseAt ?? NaN;
  t.historyKnown[i] = r.stageHistoryKnown === false ? 0 : 1;
}

/** Known at asOf: created strictly before it. Deals with no date at all are never part of an as-of view. */
export const existsAt = (t: FactTable, i: number, asOf: number) => t.created[i] < asOf;

/** Closed (won or lost) strictly before asOf. A closed deal without a close date is never "closed before" anything. */
export const closedBefore = (t: FactTable, i: number, asOf: number) => t.closed[i] < asOf;

/** Open at asOf: created before it and not closed before it (whatever happened later). */
export function isOpenAt(t: FactTable, i: number, asOf: number): boolean {
  if (!existsAt(t, i, asOf) || closedBefore(t, i, asOf)) return false;
  // closed, but we do not know when: cannot be placed in time
  return !(t.outcome[i] !== Outcome.OPEN && Number.isNaN(t.closed[i]));
}

/** The deals open at one date, ascending, with their stage then (stageAt). */
export interface OpenRows {
  rows: Int32Array;
  stage: Int32Array;
  enteredAt: Float64Array;
}

/**
 * The deals open at asOf (isOpenAt) and their stages. Kept per table and date: a track record asks for the same few
 * dates many times (each past forecast's own date and its calendar analogues), and its as-of views (factsAsOf)
 * share the columns this reads, so they share the lists too. Tables are not changed once built.
 */
export function openRowsAt(t: FactTable, asOf: number): OpenRows {
  let kept = openRowsKept.get(t.created);
  if (!kept || kept.closed !== t.closed || kept.outcome !== t.outcome || kept.entries !== t.entries) {
    openRowsKept.set(t.created, (kept = { closed: t.closed, outcome: t.outcome, entries: t.entries, byDate: new Map() }));
  }
  let open = kept.byDate.get(asOf);
  if (open) {
    // most recently used last, so the bound below drops the date asked longest ago
    kept.byDate.delete(asOf);
    kept.byDate.set(asOf, open);
  } else {
    let m = 0;
    const all = new Int32Array(t.n);
    for (let i = 0; i < t.n; i++) if (isOpenAt(t, i, asOf)) all[m++] = i;
    const rows = all.slice(0, m);
    const stage = new Int32Array(m);
    const enteredAt = new Float64Array(m);
    const k = t.stages.length;
    for (let j = 0; j < m; j++) {
      // stageAt without an object per deal
      const i = rows[j];
      let st = -1;
      let at = -Infinity;
      for (let s = 0; s < k; s++) {
        const e = t.entries[i * k + s];
        if (e < asOf && e >= at) {
          st = s;
          at = e;
        }
      }
      stage[j] = st < 0 ? 0 : st;
      enteredAt[j] = st < 0 ? t.created[i] : at;
    }
    kept.byDate.set(asOf, (open = { rows, stage, enteredAt }));
    // A shared fact source (fact-cache.ts) lives across requests, and every forecast as of "now" asks a new date:
    // without a bound the lists would pile up (16 bytes per open deal and date) until the next write.
    for (const date of kept.byDate.keys()) {
      if (kept.byDate.size <= OPEN_ROWS_DATES_KEPT) break;
      kept.byDate.delete(date);
    }
  }
  return open;
}
/** Dates kept per table: more than a 12-period backtest asks (each period's date and its 4 calendar analogues). */
export const OPEN_ROWS_DATES_KEPT = 96;
const openRowsKept = new WeakMap<Float64Array, { closed: Float64Array; outcome: Uint8Array; entries: Float64Array; byDate: Map<number, OpenRows> }>();

/** The earliest creation time (Infinity when no deal has one), kept per table: every estimator of every date asks. */
export function earliestCreated(t: FactTable): number {
  let earliest = earliestKept.get(t.created);
  if (earliest === undefined) {
    earliest = Infinity;
    for (let i = 0; i < t.n; i++) if (t.created[i] < earliest) earliest = t.created[i];
    earliestKept.set(t.created, earliest);
  }
  return earliest;
}
const earliestKept = new WeakMap<Float64Array, number>();

/** Stage index and entry time of the stage most recently entered before asOf (stage 0 from creation if none). */
export function stageAt(t: FactTable, i: number, asOf: number): { stage: number; enteredAt: number } {
  const k = t.stages.length;
  let stage = -1;
  let enteredAt = -Infinity;
  for (let s = 0; s < k; s++) {
    const e = t.entries[i * k + s];
    if (e < asOf && e >= enteredAt) {
      stage = s;
      enteredAt = e;
    }
  }
  return stage < 0 ? { stage: 0, enteredAt: t.created[i] } : { stage, enteredAt };
}

/**
 * Highest stage a deal reached before asOf. Imports often lack full history; a deal seen in stage j is taken to
 * have passed every earlier stage (pipelines are ordered), and every deal is taken to have reached the first one.
 * For a deal whose history is unknown (historyKnown 0) this is only a lower bound.
 */
export function reachedMax(t: FactTable, i: number, asOf: number): number {
  const k = t.stages.length;
  for (let s = k - 1; s > 0; s--) if (t.entries[i * k + s] < asOf) return s;
  return 0;
}

/** Days spent in stage s by a closed deal (entry to next entry or close); NaN when the entry time is unknown. */
export function daysInStage(t: FactTable, i: number, s: number, until: number): number {
  const k = t.stages.length;
  const e = t.entries[i * k + s];
  if (Number.isNaN(e)) return NaN;
  let next = until;
  for (let j = 0; j < k; j++) {
    const x = t.entries[i * k + j];
    if (j !== s && x > e && x < next) next = x;
  }
  return (next - e) / DAY_MS;
}

/** The earliest of a deal's first `m` stage entries after entry `a` (Infinity: `a` was the last stage it entered). */
export function nextEntryAfter(entered: Float64Array, m: number, a: number): number {
  const e = entered[a];
  let next = Infinity;
  for (let b = 0; b < m; b++) {
    const x = entered[b];
    if (b !== a && x > e && x < next) next = x;
  }
  return next;
}
