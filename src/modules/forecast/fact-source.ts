/**
 * The facts as the database holds them (every deal with a date, every stage entry, today's values, every amount,
 * close-date, owner and category change), from which the fact table an as-of load would give for any date is
 * derived exactly: one load serves a forecast as of now, a backtest as of its last period's end and the stage
 * statistics of any date, for as long as the data versions it was loaded at hold. Pure: no database imports.
 *
 * The derivation follows the as-of SQL it replaces (facts.sql.ts before session 4), row by row: a deal exists at
 * asOf when coalesce(opened_at, first stage change before asOf, created_at if OPEN) is before it; it carries the
 * first entry into each open stage made before asOf; its amount, close date, owner (and team) and category are
 * the old value of each field's first change at or after asOf, else today's; and the revisions made before asOf.
 */
import { CATEGORY_CODES, type DealFactRow, type FactRevisions, type FactTable, Outcome, Revised, createFactTable, finishFactTable, setFact } from './facts';

export interface FactSource {
  /** The table as of a date after every recorded time (today's values, every revision). */
  table: FactTable;
  /** What setFact does not keep, per row: opened_at, the first stage change of any kind, stage_entered_at, created_at (NaN: none). */
  opened: Float64Array;
  firstChange: Float64Array;
  stageEnteredAt: Float64Array;
  knownSince: Float64Array;
  /** Index of the current stage among open stages (-1: won/lost stage). */
  currentStage: Int16Array;
  /** 1 when the deal has no recorded open-stage entry (the table's entries were filled by setFact's fallbacks). */
  noEntries: Uint8Array;
  /** Every time the derivation compares is before this: a view as of it or later is `table` itself. */
  latest: number;
  /** The loads and patches this source descends from (fact-patch.ts): what past as-of views each patch left alone. */
  lineage?: FactLineage;
}

/**
 * A full load starts a lineage; each patch adds a generation and the time up to which every as-of view is unchanged
 * by it (`stableUntil`: a view as of d <= it reads the same rows and values as before). A result computed on a view
 * of generation g still holds at a later generation when every change since has d <= stableUntil
 * (past-forecast-memo.ts).
 */
export interface FactLineage {
  id: number;
  generation: number;
  /** The most recent changes, oldest first. */
  changes: Array<{ generation: number; stableUntil: number }>;
}

/** A lineage for a fresh full load (a random id: no other load, process or database shares it). */
export function newLineage(): FactLineage {
  return { id: Math.floor(Math.random() * 2 ** 52), generation: 0, changes: [] };
}

/** A row of the load: a DealFactRow (today's values, every entry) and its first stage change of any kind. */
export interface SourceRow extends DealFactRow {
  firstChangeAt: number | null;
}

export interface FactSourceBuilder {
  source: FactSource;
  families: Map<string, number>;
  n: number;
}

/**
 * Columns in shared memory: a source handed to a worker thread (or back) is shared, not copied, so one copy serves
 * every thread (fact-cache.ts).
 */
export const shared = {
  f64: (n: number) => new Float64Array(new SharedArrayBuffer(8 * n)),
  i32: (n: number) => new Int32Array(new SharedArrayBuffer(4 * n)),
  i16: (n: number) => new Int16Array(new SharedArrayBuffer(2 * n)),
  u8: (n: number) => new Uint8Array(new SharedArrayBuffer(n)),
};

/** createFactTable's table (facts.ts), its columns in shared memory. */
function sharedFactTable(stages: FactTable['stages'], capacity: number): FactTable {
  const { f64, i32, u8 } = shared;
  const t: FactTable = {
    stages, n: capacity, id: f64(capacity), created: f64(capacity), closed: f64(capacity), outcome: u8(capacity), amount: f64(capacity), team: i32(capacity),
    rep: i32(capacity), product: i32(capacity), family: i32(capacity), families: [], category: u8(capacity), expectedClose: f64(capacity),
    entries: f64(capacity * stages.length).fill(NaN), historyKnown: u8(capacity).fill(1), dateUnknown: u8(capacity),
  };
  return t;
}

export function createFactSource(stages: FactTable['stages'], capacity: number): FactSourceBuilder {
  const { f64, i16, u8 } = shared;
  return {
    source: {
      table: sharedFactTable(stages, capacity),
      opened: f64(capacity),
      firstChange: f64(capacity),
      stageEnteredAt: f64(capacity),
      knownSince: f64(capacity),
      currentStage: i16(capacity),
      noEntries: u8(capacity),
      latest: -Infinity,
    },
    families: new Map(),
    n: 0,
  };
}

const nan = (v: number | null | undefined) => (v == null ? NaN : v);
/** The later of two times; NaN never wins. */
export const later = (a: number, b: number) => (b > a ? b : a);

/** Appends a deal (rows in id order); false when the builder is full (a deal inserted since the count). */
export function addSourceRow(b: FactSourceBuilder, r: SourceRow): boolean {
  const s = b.source;
  const i = b.n;
  if (i >= s.opened.length) return false;
  setFact(s.table, i, r, b.families);
  s.opened[i] = nan(r.openedAt);
  s.firstChange[i] = nan(r.firstChangeAt);
  s.stageEnteredAt[i] = nan(r.stageEnteredAt);
  s.knownSince[i] = nan(r.knownSince);
  s.currentStage[i] = r.currentStage;
  let any = false;
  for (const e of r.entries) {
    if (e == null) continue;
    any = true;
    s.latest = later(s.latest, e);
  }
  s.noEntries[i] = any ? 0 : 1;
  s.latest = later(s.latest, existsSince(s, i, Infinity));
  s.latest = later(s.latest, s.firstChange[i]);
  b.n++;
  return true;
}

/** The source of the rows added, with their revisions (sorted by row, then time, as FactRevisions says). */
export function finishFactSource(b: FactSourceBuilder, revisions: FactRevisions): FactSource {
  const s = b.source;
  const n = b.n;
  const latest = revisions.n ? later(s.latest, revisions.lastAt) : s.latest;
  return {
    table: finishFactTable(s.table, n, revisions),
    opened: s.opened.subarray(0, n),
    firstChange: s.firstChange.subarray(0, n),
    stageEnteredAt: s.stageEnteredAt.subarray(0, n),
    knownSince: s.knownSince.subarray(0, n),
    currentStage: s.currentStage.subarray(0, n),
    noEntries: s.noEntries.subarray(0, n),
    latest,
  };
}

/** coalesce(opened_at, first stage change before asOf, created_at when open): the deal exists at asOf when this is before it. */
export function existsSince(s: FactSource, i: number, asOf: number): number {
  if (!Number.isNaN(s.opened[i])) return s.opened[i];
  if (s.firstChange[i] < asOf) return s.firstChange[i];
  return s.table.outcome[i] === Outcome.OPEN ? s.knownSince[i] : NaN;
}

/**
 * The fact table as an as-of load at `asOf` reads it (identical arrays). Costs one pass over the deals and their
 * revisions and a new table; none when every recorded time is before asOf (the forecast as of now). Written column
 * by column with what setFact (facts.ts) makes of the row an as-of load reads, without that row: an object per deal,
 * a family name looked up and a category code searched per deal cost most of the pass at a million deals.
 */
export function factsAt(s: FactSource, asOf: number): FactTable {
  const t = s.table;
  if (asOf > s.latest) return t;
  const r = t.revisions!;
  const k = t.stages.length;
  const out = createFactTable(t.stages, t.n);
  // setFact numbers the families in the order the kept rows first name them
  const familyOf = new Int32Array(t.families.length).fill(-1);
  // the revisions kept (made before asOf), renumbered to the rows kept
  const keptRow = new Int32Array(r.n);
  const keptAt = new Float64Array(r.n);
  const keptField = new Uint8Array(r.n);
  const keptOld = new Float64Array(r.n);
  let kept = 0;
  let lastAt = -Infinity;
  let n = 0;
  let j = 0;
  for (let i = 0; i < t.n; i++) {
    const from = j;
    while (j < r.n && r.row[j] === i) j++;
    if (!(existsSince(s, i, asOf) < asOf)) continue;
    let amount = t.amount[i];
    let expectedClose = t.expectedClose[i];
    let rep = t.rep[i];
    let team = t.team[i];
    let category = t.category[i];
    let restored = 0; // bit per field already read as of asOf
    for (let x = from; x < j; x++) {
      if (r.at[x] < asOf) {
        keptRow[kept] = n;
        keptAt[kept] = r.at[x];
        keptField[kept] = r.field[x];
        keptOld[kept++] = r.old[x];
        if (r.at[x] > lastAt) lastAt = r.at[x];
        continue;
      }
      const bit = 1 << r.field[x];
      if (restored & bit) continue;
      restored |= bit;
      const old = r.old[x];
      // as the SQL read a change's old value: an empty amount is 0, an empty owner none, an unknown category none
      if (r.field[x] === Revised.AMOUNT) amount = Number.isNaN(old) ? 0 : old;
      else if (r.field[x] === Revised.EXPECTED_CLOSE) expectedClose = old;
      else if (r.field[x] === Revised.OWNER) {
        rep = Number.isNaN(old) ? 0 : old;
        team = Number.isNaN(old) ? 0 : (r.repTeam.get(old) ?? 0);
      } else category = Number.isNaN(old) ? 0 : old;
    }
    // setFact's row: the entries made before asOf (none for a deal whose entries were setFact's fallbacks)
    const opened = s.opened[i];
    const currentStage = s.currentStage[i];
    let first = NaN;
    let any = false;
    if (!s.noEntries[i]) {
      for (let e = 0; e < k; e++) {
        const at = t.entries[i * k + e];
        if (at < asOf) {
          out.entries[n * k + e] = at;
          any = true;
          if (!(at >= first)) first = at;
        }
      }
    }
    if (!any && currentStage >= 0) {
      const at = Number.isNaN(s.stageEnteredAt[i]) ? opened : s.stageEnteredAt[i];
      if (!Number.isNaN(at)) {
        out.entries[n * k + currentStage] = at;
        first = at;
      }
    }
    out.id[n] = t.id[i];
    out.created[n] = Number.isNaN(opened) ? first : opened;
    if (Number.isNaN(out.created[n]) && t.outcome[i] === Outcome.OPEN && !Number.isNaN(s.knownSince[i])) {
      out.created[n] = s.knownSince[i];
      if (currentStage >= 0) out.entries[n * k + currentStage] = s.knownSince[i];
      out.dateUnknown[n] = 1;
    }
    out.closed[n] = t.outcome[i] !== Outcome.OPEN && !Number.isNaN(t.closed[i]) ? t.closed[i] : NaN;
    out.outcome[n] = t.outcome[i];
    out.amount[n] = amount;
    out.team[n] = team;
    out.rep[n] = rep;
    out.product[n] = t.product[i];
    const f = t.family[i];
    if (f < 0) out.family[n] = -1;
    else {
      if (familyOf[f] < 0) {
        familyOf[f] = out.families.length;
        out.families.push(t.families[f]);
      }
      out.family[n] = familyOf[f];
    }
    // a category index with no code (CATEGORY_CODES) reads as none, as setFact's lookup of the code does
    out.category[n] = CATEGORY_CODES[category] != null ? category : 0;
    out.expectedClose[n] = Number.isNaN(expectedClose) ? NaN : expectedClose;
    out.historyKnown[n] = t.historyKnown[i] === 1 ? 1 : 0;
    n++;
  }
  const revisions: FactRevisions = {
    n: kept,
    row: keptRow.slice(0, kept),
    at: keptAt.slice(0, kept),
    field: keptField.slice(0, kept),
    old: keptOld.slice(0, kept),
    lastAt,
    repTeam: r.repTeam,
  };
  return finishFactTable(out, n, revisions);
}
