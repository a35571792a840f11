/**
 * SQLite's part of the fact load (facts.sql.ts): one id range ("chunk") of deals and their stage changes, each
 * statement packed by SQLite into one text that a tight loop parses into numbers. Returning the same values row by
 * row cost most of the load: crossing from better-sqlite3 into JavaScript is paid per row and per value (6.4 s of a
 * 1M-deal load's 7.4 s CPU, while SQLite computed them in ~2 s). The first entry into each open stage is taken here
 * from the raw stage changes (cheaper for SQLite than its group-by pivot, and the minimum is the same one).
 *
 * Exactness: a packed number is an integer's decimal digits, "n" is NULL, and a value of any other type
 * (text or a fraction in a datetime column, which no writer of ours stores) is packed as "x": the parse then gives
 * up and the caller reads that chunk the general way, value by value. Text columns are mapped to codes in SQL with
 * the very comparisons the row-by-row fill made. No database imports: a worker thread runs this on its own
 * connection (fact-chunks.worker.ts).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CATEGORY_CODES, Outcome, Revised } from './facts';

/** What this file needs of a better-sqlite3 connection. */
export interface SqliteDatabase {
  readonly memory: boolean;
  readonly name: string;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
}
interface SqliteStatement {
  pluck(on?: boolean): SqliteStatement;
  raw(on?: boolean): SqliteStatement;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

/** The statements of a chunk, built once per load (facts.sql.ts builds `changes`, the general statement's twin). */
export interface ChunkStatements {
  deals: string;
  stages: string;
  changes: string;
  /** Ids of the open stages, in the pipeline's order. */
  openStageIds: number[];
}

/** Number columns of the packed deals, in this order (then the status, category and history-known codes). */
const DEAL_NUMBERS = ['opened_at', 'closed_at', 'amount_cents', 'owner_id', 'product_id', 'expected_close_date', 'stage_id', 'stage_entered_at', 'created_at'];
const D = { id: 0, opened: 1, closed: 2, amount: 3, rep: 4, product: 5, ecd: 6, stage: 7, entered: 8, created: 9, status: 10, category: 11, known: 12 };
const DEAL_WIDTH = 13;

/**
 * An integer as its digits, NULL as "n", anything else as "x" (which no parse accepts). Never an empty text:
 * concat_ws skips empty texts as it skips NULLs, and the positions would shift.
 */
const packed = (column: string) => `case typeof(${column}) when 'integer' then ${column} when 'null' then 'n' else 'x' end`;

/** The packed statements of SQLite (every field is a non-empty text, so positions hold). */
export function packedSql(openStageIds: number[], changes: string): ChunkStatements {
  const deals = `select group_concat(concat_ws(',', d.id, ${DEAL_NUMBERS.map((c) => packed(`d.${c}`)).join(', ')},
      case d.status when 'OPEN' then 0 when 'WON' then 1 when 'LOST' then 2 else 3 end,
      case d.forecast_category when 'COMMIT' then 1 when 'BEST_CASE' then 2 when 'PIPELINE' then 3 when 'OMITTED' then 4 else 0 end,
      case when d.stage_history_known = 0 or cast(d.stage_history_known as text) = '0' then 0 else 1 end), char(10))
    from deals d where d.id >= ? and d.id < ?`;
  const stages = `select group_concat(concat_ws(',', ${packed('deal_id')}, ${packed('to_stage_id')}, ${packed('at')}), char(10))
    from deal_stage_changes where deal_id >= ? and deal_id < ?`;
  return { deals, stages, changes, openStageIds };
}

/**
 * Parses `width` integers per line ("," between fields, a newline between lines; "n" is NaN) and calls `row` with
 * them (one reused array). False when the text holds anything else.
 */
export function parsePacked(text: string, width: number, values: Float64Array, row: (values: Float64Array) => void): boolean {
  const end = text.length;
  let i = 0;
  while (i < end) {
    for (let c = 0; c < width; c++) {
      let ch = text.charCodeAt(i);
      if (ch === 110) {
        values[c] = NaN; // "n"
        i++;
      } else {
        const negative = ch === 45;
        if (negative) ch = text.charCodeAt(++i);
        const start = i;
        let v = 0;
        while (ch >= 48 && ch <= 57) {
          v = v * 10 + (ch - 48);
          ch = text.charCodeAt(++i);
        }
        if (i === start) return false;
        // past 15 digits the running sum may round: Number reads the digits as better-sqlite3 converts an int64
        if (i - start > 15) v = Number(text.slice(start, i));
        values[c] = negative ? -v : v;
      }
      if (c < width - 1 ? text.charCodeAt(i) !== 44 : i < end && text.charCodeAt(i) !== 10) return false;
      i++;
    }
    row(values);
  }
  return true;
}

/** A chunk's revisions: the general statement's rows as RevisionColumns keeps them (deal id, not yet a row). */
export interface ChunkRevisions {
  n: number;
  deal: Float64Array;
  field: Uint8Array;
  at: Float64Array;
  old: Float64Array;
}

/**
 * One id range as one connection read it: `rows` holds the deals statement's row of each deal in the table (the
 * layout of facts.sql.ts' general statement, NaN for NULL), or is null when the packed text held a value it cannot
 * carry exactly (read the range the general way).
 */
export interface ChunkRead {
  lo: number;
  hi: number;
  n: number;
  width: number;
  rows: Float64Array | null;
  revisions: ChunkRevisions | null;
}

const REVISED: Record<string, Revised> = { AMOUNT: Revised.AMOUNT, EXPECTED_CLOSE_DATE: Revised.EXPECTED_CLOSE, OWNER: Revised.OWNER, FORECAST_CATEGORY: Revised.CATEGORY };
const num = (v: unknown): number | null => (v == null ? null : Number(v));

/** A deal_changes row of the general statement (deal_id, field, at, old_value, old_ecd) as a revision's values. */
export function revisionOf(r: unknown[], out: { deal: number; field: number; at: number; old: number }): void {
  const field = REVISED[r[1] as string];
  out.deal = Number(r[0]);
  out.field = field;
  out.at = Number(r[2]);
  const old = field === Revised.EXPECTED_CLOSE ? num(r[4]) : field === Revised.CATEGORY ? Math.max(0, CATEGORY_CODES.indexOf(r[3] as never)) : num(r[3]);
  out.old = old ?? NaN;
}

/** Reads chunks through one connection, in its current read transaction (scratch arrays reused across chunks). */
export class ChunkReader {
  private readonly deals: SqliteStatement;
  private readonly stages: SqliteStatement;
  private readonly changes: SqliteStatement;
  private readonly stageIndex: Map<number, number>;
  private readonly k: number;
  private dealValues = new Float64Array(0);
  private present = new Uint8Array(0);
  private stageTimes = new Float64Array(0);

  constructor(db: SqliteDatabase, private readonly statements: ChunkStatements) {
    this.deals = db.prepare(statements.deals).pluck();
    this.stages = db.prepare(statements.stages).pluck();
    this.changes = db.prepare(statements.changes).raw(true);
    this.k = statements.openStageIds.length;
    this.stageIndex = new Map(statements.openStageIds.map((id, j) => [id, j]));
  }

  read(lo: number, hi: number): ChunkRead {
    const width = 14 + this.k;
    const rows = this.readDeals(lo, hi, width);
    if (!rows) return { lo, hi, n: 0, width, rows: null, revisions: null };
    return { lo, hi, n: rows.length / width, width, rows, revisions: this.readChanges(lo, hi) };
  }

  /** The deals of [lo, hi) that the general statement returns (a date of some kind), in id order, or null. */
  private readDeals(lo: number, hi: number, width: number): Float64Array | null {
    const span = hi - lo;
    const k = this.k;
    if (this.present.length < span) {
      this.present = new Uint8Array(span);
      this.dealValues = new Float64Array(span * DEAL_WIDTH);
      this.stageTimes = new Float64Array(span * (k + 1));
    }
    const present = this.present.fill(0, 0, span);
    const deal = this.dealValues;
    const times = this.stageTimes.fill(NaN, 0, span * (k + 1));
    let ok = parsePacked((this.deals.get(lo, hi) as string | null) ?? '', DEAL_WIDTH, new Float64Array(DEAL_WIDTH), (v) => {
      const at = v[D.id] - lo;
      present[at] = 1;
      deal.set(v, at * DEAL_WIDTH);
    });
    if (!ok) return null;
    // per deal: the first stage change of any kind, then the first entry into each open stage (min(at) in SQL)
    ok = parsePacked((this.stages.get(lo, hi) as string | null) ?? '', 3, new Float64Array(3), (v) => {
      const base = (v[0] - lo) * (k + 1);
      const at = v[2];
      if (!(times[base] <= at)) times[base] = at;
      const j = this.stageIndex.get(v[1]);
      if (j !== undefined && !(times[base + 1 + j] <= at)) times[base + 1 + j] = at;
    });
    if (!ok) return null;
    let n = 0;
    for (let i = 0; i < span; i++) if (present[i] && this.exists(deal, i * DEAL_WIDTH, times[i * (k + 1)])) n++;
    const rows = new Float64Array(n * width);
    let r = 0;
    for (let i = 0; i < span; i++) {
      const d = i * DEAL_WIDTH;
      const t = i * (k + 1);
      if (!present[i] || !this.exists(deal, d, times[t])) continue;
      rows[r] = deal[d + D.id];
      rows[r + 1] = deal[d + D.opened];
      rows[r + 2] = deal[d + D.closed];
      rows[r + 3] = deal[d + D.status] === 1 ? Outcome.WON : deal[d + D.status] === 2 ? Outcome.LOST : Outcome.OPEN;
      rows[r + 4] = deal[d + D.amount];
      rows[r + 5] = deal[d + D.rep];
      rows[r + 6] = deal[d + D.product];
      rows[r + 7] = deal[d + D.category];
      rows[r + 8] = deal[d + D.ecd];
      rows[r + 9] = deal[d + D.stage];
      rows[r + 10] = deal[d + D.entered];
      rows[r + 11] = deal[d + D.known];
      for (let s = 0; s < k; s++) rows[r + 12 + s] = times[t + 1 + s];
      rows[r + 12 + k] = deal[d + D.created];
      rows[r + 13 + k] = times[t];
      r += width;
    }
    return rows;
  }

  /** coalesce(d.opened_at, h.first_at, case when d.status = 'OPEN' then d.created_at end) is not null */
  private exists(deal: Float64Array, d: number, firstAt: number): boolean {
    return !Number.isNaN(deal[d + D.opened]) || !Number.isNaN(firstAt) || (deal[d + D.status] === 0 && !Number.isNaN(deal[d + D.created]));
  }

  private readChanges(lo: number, hi: number): ChunkRevisions {
    let size = 1024;
    let out: ChunkRevisions = { n: 0, deal: new Float64Array(size), field: new Uint8Array(size), at: new Float64Array(size), old: new Float64Array(size) };
    const one = { deal: 0, field: 0, at: 0, old: 0 };
    for (const r of this.changes.iterate(lo, hi)) {
      if (out.n === size) {
        size *= 2;
        const grown: ChunkRevisions = { n: out.n, deal: new Float64Array(size), field: new Uint8Array(size), at: new Float64Array(size), old: new Float64Array(size) };
        grown.deal.set(out.deal);
        grown.field.set(out.field);
        grown.at.set(out.at);
        grown.old.set(out.old);
        out = grown;
      }
      revisionOf(r as unknown[], one);
      const j = out.n++;
      out.deal[j] = one.deal;
      out.field[j] = one.field;
      out.at[j] = one.at;
      out.old[j] = one.old;
    }
    return out;
  }
}

/**
 * A second reader on a worker thread (fact-chunks.worker.ts): its own connection and read transaction, reading the
 * chunks it is asked for while this thread reads others. `versions` are the data versions its snapshot holds: the
 * caller uses its chunks only when they are the ones of its own snapshot.
 */
export class HelperReader {
  readonly versions: Promise<Array<{ table_name: string; version: number | string }>>;
  private readonly worker: Worker;
  private readonly waiting: Array<{ resolve(chunk: ChunkRead): void; reject(error: Error): void }> = [];
  private failure: Error | null = null;

  constructor(filename: string, statements: ChunkStatements, versionsSql: string, busyTimeoutMs: number) {
    // from dist/ the worker loads the .js file; from src/ (Jest) the .ts one through the pool's SWC register hook
    const fromSource = path.extname(__filename) === '.ts';
    this.worker = new Worker(path.join(__dirname, `fact-chunks.worker${path.extname(__filename)}`), {
      workerData: { filename, statements, versionsSql, busyTimeoutMs },
      ...(fromSource && { execArgv: [...process.execArgv, '--require', path.join(__dirname, '..', '..', 'shared', 'workers', 'ts-register.js')] }),
    });
    let first: ((rows: Array<{ table_name: string; version: number | string }>) => void) | null = null;
    let firstFailed: ((error: Error) => void) | null = null;
    this.versions = new Promise((resolve, reject) => ((first = resolve), (firstFailed = reject)));
    this.versions.catch(() => undefined); // a caller that stopped waiting does not leave it unhandled
    this.worker.on('message', (m: { versions?: Array<{ table_name: string; version: number | string }>; chunk?: ChunkRead }) => {
      if (m.versions) first!(m.versions);
      else this.waiting.shift()?.resolve(m.chunk!);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      firstFailed!(error);
      for (const w of this.waiting.splice(0)) w.reject(error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the fact load's second reader stopped (exit code ${code})`)));
  }

  /** The chunk [lo, hi), read in the reader's snapshot (requests are answered in order). */
  read(lo: number, hi: number): Promise<ChunkRead> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage({ lo, hi });
    });
  }

  /** Ends its transaction and thread (at once when it failed or its chunks are not wanted). */
  async close(): Promise<void> {
    if (this.failure || this.waiting.length) await this.worker.terminate();
    else this.worker.postMessage('done');
  }
}
