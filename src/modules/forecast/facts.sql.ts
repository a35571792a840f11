/**
 * The forecast's SQL: the fact source (fact-source.ts), read per range of deal ids: each deal with its owner's team,
 * product family and the first time it entered each open stage (a pivot of deal_stage_changes aggregated in the
 * database), today's values, and every amount, close-date, owner and category change; the table of any date is then
 * derived in pure code (factsAt), so one load serves every as-of date. Dates come back as epoch milliseconds on both
 * dialects (src/db/dialect.ts). SQLite packs each chunk's deals and stage changes into one text per statement
 * (fact-chunks.ts) and, on a database file, reads every other chunk on a second thread in a snapshot of the same
 * data versions.
 */
import { type Dialect, dialectOf, epochMsSql, isoTextMsSql, knexOf } from '../../db/dialect';
import { StringDecoder } from 'node:string_decoder';
import type { Em } from '../../db/orm';
import { PipelineStage } from '../pipeline/stage.entity';
import { STAGE_STATS_TABLES, readVersionsSql, touchRanges, touchedDeals, touchesSql, versionKey } from '../../shared/answer-cache/data-versions';
import { patchFactSource } from './fact-patch';
import { type ChunkRead, ChunkReader, HelperReader, type SqliteDatabase, packedSql, revisionOf } from './fact-chunks';
import { type FactSource, type SourceRow, addSourceRow, createFactSource, factsAt, finishFactSource, newLineage, shared } from './fact-source';
import { CATEGORY_CODES, type FactRevisions, type FactTable, type OpenStage, Outcome, Revised } from './facts';

export interface PipelineShape {
  open: OpenStage[];
  /** stage id -> index among open stages, or -1 for won/lost stages. */
  indexById: Map<number, number>;
}

export async function loadPipeline(em: Em): Promise<PipelineShape> {
  const stages = await em.find(PipelineStage, {}, { orderBy: { position: 'asc', id: 'asc' } });
  const open = stages.filter((s) => !s.isWon && !s.isLost);
  const indexById = new Map(stages.map((s) => [s.id, open.indexOf(s)]));
  return { open: open.map((s) => ({ id: s.id, name: s.name, defaultProbability: s.defaultProbability })), indexById };
}

const AS_OF_FIELDS = ['AMOUNT', 'EXPECTED_CLOSE_DATE', 'OWNER', 'FORECAST_CATEGORY'] as const;

/**
 * Deal ids per statement: each reads one id range of deals, deal_stage_changes and deal_changes through their
 * deal id indexes, so a statement's cost stays the same however many deals there are (one statement over every
 * change passed PostgreSQL's 30 s statement timeout at 4M deals).
 */
const LOAD_CHUNK = 100_000;

/** Deal ids per statement when reading the deals a write touched (fact-patch.ts). */
const ID_LIST = 500;

const num = (v: unknown): number | null => (v == null ? null : Number(v));

/**
 * A datetime column as epoch ms. PostgreSQL: extract(epoch) is numeric there, and its arithmetic was about half of
 * the facts statement's time (ten datetimes per deal); date_part is float8 and, between 1900 and 2100, rounding it
 * to whole microseconds gives them exactly (its error stays under 0.25 µs), so the division by 1,000 returns the
 * very float (extract(epoch) * 1000)::float8 does (a correctly rounded division of the same integer). Outside those
 * years, the numeric path. SQLite stores epoch ms.
 */
export function epochMsFastSql(dialect: Dialect, column: string): string {
  if (dialect === 'sqlite') return column;
  return `case when ${column} >= '1900-01-01Z' and ${column} < '2100-01-01Z' then round(date_part('epoch', ${column}) * 1e6) / 1000 else ${epochMsSql(dialect, column)} end`;
}

/** Deals created before asOf, with only the stage history recorded before asOf (factsAt over a fresh source). */
export async function loadFacts(em: Em, asOf: Date, pipeline?: PipelineShape): Promise<FactTable> {
  return factsAt((await loadFactSource(em, { pipeline })).source, asOf.getTime());
}

export interface SourceLoad {
  source: FactSource;
  /** The data versions of `versionTables`, read in the same snapshot as the facts (answer-cache/data-versions.ts). */
  versions: string | null;
  /** Set when `previous` was patched instead of a full load: the deals read again. */
  patchedDeals?: number;
}

/**
 * Every deal with a date, with all its stage entries, today's values and every amount, close-date, owner and
 * category change: the facts of any date derive from it (fact-source.ts). Read in one snapshot (a read-only
 * repeatable-read transaction on PostgreSQL, a read transaction on SQLite), with the data versions of
 * `versionTables` when given, so a cache keyed by them never holds data of other versions.
 */
export async function loadFactSource(em: Em, options: LoadOptions = {}): Promise<SourceLoad> {
  const dialect = dialectOf(em);
  return inSnapshot(em, dialect, async (read) => {
    const versions = options.versionTables ? await readVersions(read, options.versionTables) : null;
    const shape = options.pipeline ?? pipelineOf(await read.all('select id, name, default_probability, is_won, is_lost from pipeline_stages order by position, id'));
    const touched = options.previous?.versions && versions ? await touchedSince(read, options.previous.versions, versions) : null;
    if (touched) {
      const source = touched.length ? patchFactSource(options.previous!.source, touched, await readSource(read, dialect, shape, options, touched)) : options.previous!.source;
      return { source, versions, patchedDeals: touched.length };
    }
    return { source: { ...(await readSource(read, dialect, shape, options)), lineage: newLineage() }, versions };
  });
}

export interface LoadOptions {
  pipeline?: PipelineShape;
  versionTables?: readonly string[];
  /**
   * A source loaded earlier with `versionTables`: when only the deal tables moved since and every bump listed the
   * deals it wrote (data_version_touches), those deals are read and patched in (fact-patch.ts) instead of a full load.
   */
  previous?: SourceLoad;
  /** Deal ids per statement (tests: small chunks, so a small world has several). */
  chunkIds?: number;
  /** Tests: SQLite reads every chunk value by value, as PostgreSQL does (the packed text's reference). */
  valueByValue?: boolean;
  /** 1: one reader, even where a second one could read half of the chunks (SQLite database files). */
  readers?: 1 | 2;
  /** Tests: runs once this load's snapshot is taken, before the second reader takes its own. */
  beforeSecondSnapshot?: () => Promise<void> | void;
}

/** The data versions two readers compare: equal ones mean they read the same data (writers bump them as they write). */
const SNAPSHOT_TABLES = STAGE_STATS_TABLES;

/** The stages as loadPipeline reads them (booleans are 0/1 on SQLite). */
function pipelineOf(rows: Array<Record<string, unknown>>): PipelineShape {
  const closed = (r: Record<string, unknown>) => r.is_won === true || r.is_won === 1 || r.is_lost === true || r.is_lost === 1;
  const open = rows.filter((r) => !closed(r));
  const indexById = new Map(rows.map((r) => [Number(r.id), open.indexOf(r)]));
  return { open: open.map((r) => ({ id: Number(r.id), name: String(r.name), defaultProbability: Number(r.default_probability) })), indexById };
}

/** Every deal's facts, or (`only`: ascending ids) those deals' facts alone, value by value. */
async function readSource(read: SnapshotReader, dialect: Dialect, shape: PipelineShape, options: LoadOptions, only?: number[]): Promise<FactSource> {
  const k = shape.open.length;
  const ms = (column: string) => epochMsFastSql(dialect, column);
  const pivots = shape.open.map((s, j) => `min(case when to_stage_id = ${Number(s.id)} then at end) as s${j}`).join(', ');
  // the deals of an id range (bound by ?, ?) or of a list of ids
  const dealsSqlOf = (where: (column: string) => string) => `
    with h as (
      select deal_id, min(at) as first_at${pivots ? `, ${pivots}` : ''}
      from deal_stage_changes where ${where('deal_id')} group by deal_id
    )
    select d.id, ${ms('d.opened_at')} as opened, ${ms('d.closed_at')} as closed, d.status,
      d.amount_cents as amount, d.owner_id as rep, d.product_id as product, d.forecast_category as fc, ${ms('d.expected_close_date')} as ecd,
      d.stage_id as stage, ${ms('d.stage_entered_at')} as entered, d.stage_history_known as known
      ${shape.open.map((_, j) => `, ${ms(`h.s${j}`)} as s${j}`).join('')}, ${ms('d.created_at')} as since, ${ms('h.first_at')} as first_at
    from deals d left join h on h.deal_id = d.id
    where ${where('d.id')} and coalesce(d.opened_at, h.first_at, case when d.status = 'OPEN' then d.created_at end) is not null
    order by d.id`;
  // in (deal, time, id) order, as FactRevisions wants them (SQLite's deal_id, at index ends with the rowid, the id)
  const changesSqlOf = (where: (column: string) => string) => `select deal_id, field, ${ms('at')} as at, case when field <> 'EXPECTED_CLOSE_DATE' then old_value end as old_value,
      ${isoTextMsSql(dialect, "(case when field = 'EXPECTED_CLOSE_DATE' then old_value end)")} as old_ecd
    from deal_changes where ${where('deal_id')} and field in (${AS_OF_FIELDS.map((f) => `'${f}'`).join(', ')}) order by deal_id, at, id`;
  const inRange = (column: string) => `${column} >= ? and ${column} < ?`;
  const dealsSql = dealsSqlOf(inRange);
  const changesSql = changesSqlOf(inRange);
  const [ids] = only ? [{ n: only.length }] : await read.all('select count(*) as n, min(id) as lo, max(id) as hi from deals');
  // teams and product families from their (small) tables: joined in the query they cost PostgreSQL a sort of every row
  const repTeam = new Map<number, number>();
  await read.each('select id, team_id from reps where team_id is not null', [], (r) => repTeam.set(Number(r[0]), Number(r[1])));
  const productFamily = new Map<number, string>();
  await read.each('select id, family from products where family is not null', [], (r) => productFamily.set(Number(r[0]), String(r[1])));
  const b = createFactSource(shape.open, Number(ids.n));
  // one reused row: a million short-lived objects cost more in garbage collection than the query itself
  const row: SourceRow = {
    id: 0, openedAt: null, closedAt: null, outcome: Outcome.OPEN, amountCents: 0, teamId: null, repId: null, productId: null,
    family: null, forecastCategory: null, expectedCloseAt: null, currentStage: -1, stageEnteredAt: null, entries: new Array(k).fill(null), firstChangeAt: null,
  };
  const fill = (r: unknown[]) => {
    row.id = Number(r[0]);
    row.openedAt = num(r[1]);
    row.closedAt = num(r[2]);
    row.outcome = r[3] === 'WON' ? Outcome.WON : r[3] === 'LOST' ? Outcome.LOST : Outcome.OPEN;
    row.amountCents = Number(r[4]);
    row.repId = num(r[5]);
    row.teamId = row.repId == null ? null : (repTeam.get(row.repId) ?? null);
    row.productId = num(r[6]);
    row.family = row.productId == null ? null : (productFamily.get(row.productId) ?? null);
    row.forecastCategory = (r[7] as string | null) ?? null;
    row.expectedCloseAt = num(r[8]);
    row.currentStage = shape.indexById.get(Number(r[9])) ?? -1;
    row.stageEnteredAt = num(r[10]);
    // false / 0 (SQLite stores booleans as integers): the stages it reached are unknown
    row.stageHistoryKnown = !(r[11] === false || r[11] === 0 || r[11] === '0');
    for (let s = 0; s < k; s++) row.entries[s] = num(r[12 + s]);
    row.knownSince = num(r[12 + k]);
    row.firstChangeAt = num(r[13 + k]);
    addSourceRow(b, row);
  };
  const dealKinds = `nnntnnntnnnb${'n'.repeat(k)}nn`;
  const revisions = new RevisionColumns();
  const one = { deal: 0, field: 0, at: 0, old: 0 };
  /** A chunk read value by value (PostgreSQL; SQLite when the packed text cannot carry a value exactly). */
  const readRows = async (lo: number, hi: number) => {
    const first = b.n;
    await read.each(dealsSql, [lo, hi, lo, hi], fill, dealKinds);
    revisions.startChunk(b.source.table.id, first, b.n);
    await read.each(changesSql, [lo, hi], (r) => {
      revisionOf(r, one);
      revisions.add(one.deal, one.field, one.at, one.old);
    }, 'ntntn');
  };
  const addChunk = async (chunk: ChunkRead) => {
    if (!chunk.rows || !chunk.revisions) return readRows(chunk.lo, chunk.hi);
    const first = b.n;
    for (let r = 0; r < chunk.n; r++) fillPacked(chunk.rows, r * chunk.width);
    revisions.startChunk(b.source.table.id, first, b.n);
    const c = chunk.revisions;
    for (let j = 0; j < c.n; j++) revisions.add(c.deal[j], c.field[j], c.at[j], c.old[j]);
  };
  const fillPacked = (v: Float64Array, o: number) => {
    const orNull = (x: number) => (Number.isNaN(x) ? null : x);
    row.id = v[o];
    row.openedAt = orNull(v[o + 1]);
    row.closedAt = orNull(v[o + 2]);
    row.outcome = v[o + 3];
    row.amountCents = Number.isNaN(v[o + 4]) ? 0 : v[o + 4]; // Number(null), as fill reads it
    row.repId = orNull(v[o + 5]);
    row.teamId = row.repId == null ? null : (repTeam.get(row.repId) ?? null);
    row.productId = orNull(v[o + 6]);
    row.family = row.productId == null ? null : (productFamily.get(row.productId) ?? null);
    row.forecastCategory = CATEGORY_CODES[v[o + 7]];
    row.expectedCloseAt = orNull(v[o + 8]);
    row.currentStage = shape.indexById.get(v[o + 9]) ?? -1;
    row.stageEnteredAt = orNull(v[o + 10]);
    row.stageHistoryKnown = v[o + 11] !== 0;
    for (let s = 0; s < k; s++) row.entries[s] = orNull(v[o + 12 + s]);
    row.knownSince = orNull(v[o + 12 + k]);
    row.firstChangeAt = orNull(v[o + 13 + k]);
    addSourceRow(b, row);
  };
  if (only) {
    for (let from = 0; from < only.length; from += ID_LIST) {
      const list = only.slice(from, from + ID_LIST).join(', ');
      const inList = (column: string) => `${column} in (${list})`;
      const first = b.n;
      await read.each(dealsSqlOf(inList), [], fill, dealKinds);
      revisions.startChunk(b.source.table.id, first, b.n);
      await read.each(changesSqlOf(inList), [], (r) => {
        revisionOf(r, one);
        revisions.add(one.deal, one.field, one.at, one.old);
      }, 'ntntn');
    }
    return finishFactSource(b, revisions.finish(repTeam));
  }
  const size = options.chunkIds ?? LOAD_CHUNK;
  const chunks: Array<[number, number]> = [];
  for (let from = Number(ids.lo); from <= Number(ids.hi); from += size) chunks.push([from, from + size]);
  if (!read.sqlite || options.valueByValue) {
    const other = options.readers !== 1 && chunks.length > 1 && read.second ? await read.second() : null;
    if (!other) {
      for (const [lo, hi] of chunks) await readRows(lo, hi);
      return finishFactSource(b, revisions.finish(repTeam));
    }
    // PostgreSQL: a second connection in the same snapshot runs every other chunk's statements (at most two ahead),
    // their COPY text kept until this one has added the chunks before
    let helping = true; // until the second connection fails: then this one reads the chunks it had
    try {
      const asked = new Map<number, Promise<[Buffer[], Buffer[]]>>();
      const ask = (from: number) => {
        for (let c = from; helping && c < chunks.length && asked.size < 2; c++) {
          if (c % 2 === 0 || asked.has(c)) continue;
          const [lo, hi] = chunks[c];
          const texts = (async () => [await other.copy(dealsSql, [lo, hi, lo, hi]), await other.copy(changesSql, [lo, hi])] as [Buffer[], Buffer[]])();
          texts.catch(() => undefined); // awaited in turn below
          asked.set(c, texts);
        }
      };
      for (let c = 0; c < chunks.length; c++) {
        ask(c);
        const texts = c % 2 === 1 && helping ? await asked.get(c)!.catch(() => null) : null;
        asked.delete(c);
        if (!texts) {
          if (c % 2 === 1) helping = false;
          await readRows(...chunks[c]);
          continue;
        }
        const [deals, changes] = texts;
        const first = b.n;
        await parseCopy(deals, dealKinds, fill);
        revisions.startChunk(b.source.table.id, first, b.n);
        await parseCopy(changes, 'ntntn', (r) => {
          revisionOf(r, one);
          revisions.add(one.deal, one.field, one.at, one.old);
        });
      }
    } finally {
      await other.close();
    }
    return finishFactSource(b, revisions.finish(repTeam));
  }
  const statements = packedSql(shape.open.map((s) => Number(s.id)), changesSql);
  const mine = new ChunkReader(read.sqlite, statements);
  const helper = await secondReader(read, statements, chunks.length, options);
  try {
    // the second reader takes every other chunk, at most two ahead of the one added (its results wait in memory);
    // when it fails, this connection (same snapshot) reads the chunks it had
    let helping = helper !== null;
    const theirs = (c: number) => helping && c % 2 === 1;
    const asked = new Map<number, Promise<ChunkRead | null>>();
    const ask = (from: number) => {
      for (let c = from; c < chunks.length && asked.size < 2; c++) if (theirs(c) && !asked.has(c)) asked.set(c, helper!.read(...chunks[c]).catch(() => null));
    };
    for (let c = 0; c < chunks.length; c++) {
      ask(c);
      const chunk = theirs(c) ? await asked.get(c)! : null;
      asked.delete(c);
      if (!chunk && c % 2 === 1) helping = false;
      await addChunk(chunk ?? mine.read(...chunks[c]));
    }
  } finally {
    await helper?.close();
  }
  return finishFactSource(b, revisions.finish(repTeam));
}

/**
 * A second SQLite reader when it can help and see the same data: a database file (not in memory), this load's own
 * read transaction (not a caller's, whose writes only its connection sees), several chunks, and a snapshot with the
 * same data versions as ours; otherwise (or when it cannot start) null, and this connection reads every chunk.
 */
async function secondReader(read: SnapshotReader, statements: ReturnType<typeof packedSql>, chunks: number, options: LoadOptions): Promise<HelperReader | null> {
  const db = read.sqlite!;
  if (options.readers === 1 || chunks < 2 || db.memory || !read.ownSnapshot) return null;
  const ours = await readVersions(read, SNAPSHOT_TABLES);
  await options.beforeSecondSnapshot?.();
  const helper = new HelperReader(db.name, statements, readVersionsSql(SNAPSHOT_TABLES), 5000);
  try {
    if (versionKey(SNAPSHOT_TABLES, await helper.versions) === ours) return helper;
  } catch {
    // no second thread or connection (e.g. the file moved): this one reads it all
  }
  await helper.close();
  return null;
}

/**
 * Amount, close-date, owner and category changes of the table's deals, column-wise in growing typed arrays (a 4M
 * world has millions: arrays of numbers would cost four times the memory while loading).
 */
class RevisionColumns {
  n = 0;
  row = new Int32Array(1024);
  at = new Float64Array(1024);
  field = new Uint8Array(1024);
  old = new Float64Array(1024);
  lastAt = -Infinity;
  private ids: Float64Array = new Float64Array(0);
  private p = 0;
  private end = 0;

  /** The rows [first, end) of the table hold this chunk's deals (ascending ids). */
  startChunk(ids: Float64Array, first: number, end: number) {
    this.ids = ids;
    this.p = first;
    this.end = end;
  }

  add(id: number, field: number, at: number, old: number) {
    while (this.p < this.end && this.ids[this.p] < id) this.p++;
    if (this.p >= this.end || this.ids[this.p] !== id) return; // a deal the table does not hold (no date at all)
    if (this.n === this.row.length) this.grow();
    const j = this.n++;
    this.row[j] = this.p;
    this.at[j] = at;
    if (this.at[j] > this.lastAt) this.lastAt = this.at[j];
    this.field[j] = field;
    this.old[j] = old;
  }

  private grow() {
    const size = this.row.length * 2;
    const bigger = <A extends Int32Array | Float64Array | Uint8Array>(a: A, make: (n: number) => A) => {
      const b = make(size);
      b.set(a as never);
      return b;
    };
    this.row = bigger(this.row, (n) => new Int32Array(n));
    this.at = bigger(this.at, (n) => new Float64Array(n));
    this.field = bigger(this.field, (n) => new Uint8Array(n));
    this.old = bigger(this.old, (n) => new Float64Array(n));
  }

  finish(repTeam: Map<number, number>): FactRevisions {
    const n = this.n;
    const row = shared.i32(n);
    const at = shared.f64(n);
    const field = shared.u8(n);
    const old = shared.f64(n);
    row.set(this.row.subarray(0, n));
    at.set(this.at.subarray(0, n));
    field.set(this.field.subarray(0, n));
    old.set(this.old.subarray(0, n));
    return { n, row, at, field, old, lastAt: this.lastAt, repTeam };
  }
}

interface SnapshotReader {
  /** SQLite: the connection (chunks are read packed, fact-chunks.ts). */
  sqlite?: SqliteDatabase;
  /** The snapshot is this load's own read transaction (not a caller's transaction). */
  ownSnapshot: boolean;
  /** PostgreSQL: a second connection in this snapshot, or null when the pool has none to spare. */
  second?(): Promise<SecondConnection | null>;
  all(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /**
   * Rows as arrays (columns in SELECT order). With `kinds` (a letter per column: n number, b boolean, t text) and
   * numeric parameters, PostgreSQL streams them with COPY and they are parsed here: the driver's generic row parsing
   * was the load's largest cost (4 s of a 1M-deal load's CPU), and its rows arrived a chunk at a time.
   */
  each(sql: string, params: unknown[], fn: (row: unknown[]) => void, kinds?: string): Promise<void>;
}

/** More deals than this written since a load: a full load again (a patch reads them by id). */
const MAX_PATCHED_DEALS = 50_000;

/** The deals written between two version keys, as the touch rows in this snapshot list them; null: a full load. */
async function touchedSince(read: SnapshotReader, held: string, wanted: string): Promise<number[] | null> {
  const ranges = touchRanges(held, wanted);
  if (!ranges) return null;
  if (!ranges.length) return [];
  const touched = touchedDeals(ranges, (await read.all(touchesSql(ranges))) as Array<{ table_name: string; version: number; deal_ids: string }>);
  return touched && touched.length <= MAX_PATCHED_DEALS ? touched : null;
}

async function readVersions(read: SnapshotReader, tables: readonly string[]): Promise<string> {
  return versionKey(tables, (await read.all(readVersionsSql(tables))) as Array<{ table_name: string; version: number | string }>);
}

/**
 * Runs `fn` on one connection inside a read-only snapshot. SQLite: better-sqlite3's raw iterator, so a million deals
 * never exist as a million objects; PostgreSQL: the driver's rows in array mode (no object per row, no key lookups).
 */
async function inSnapshot<T>(em: Em, dialect: Dialect, fn: (read: SnapshotReader) => Promise<T>): Promise<T> {
  const knex = knexOf(em);
  if (dialect === 'sqlite') {
    const db = await knex.client.acquireConnection();
    try {
      const read: SnapshotReader = {
        sqlite: db,
        ownSnapshot: !db.inTransaction,
        all: async (sql, params = []) => db.prepare(sql).all(...params),
        each: async (sql, params, each) => {
          for (const r of db.prepare(sql).raw(true).iterate(...params)) each(r as unknown[]);
        },
      };
      if (db.inTransaction) return await fn(read);
      db.exec('begin');
      try {
        return await fn(read);
      } finally {
        db.exec('commit');
      }
    } finally {
      await knex.client.releaseConnection(db);
    }
  }
  const client = (await knex.client.acquireConnection()) as PgClient;
  const native = (sql: string, params: unknown[]) => knex.raw(sql, params as never[]).toSQL().toNative();
  const read: SnapshotReader = {
    ownSnapshot: true,
    second: async () => {
      // the pool's other connections serve other requests: take one only where there are several
      if (!(Number((knex.client as { pool?: { max?: number } }).pool?.max) >= 2)) return null;
      const [{ snapshot }] = (await client.query('select pg_export_snapshot() as snapshot')).rows as Array<{ snapshot: string }>;
      // none free in time (the pool serves requests too): this connection reads every chunk
      const other = (await knex.client.acquireConnection().catch(() => null)) as PgClient | null;
      if (!other) return null;
      try {
        await other.query('begin isolation level repeatable read read only');
        await other.query(`set transaction snapshot '${snapshot.replace(/'/g, "''")}'`);
      } catch {
        await knex.client.releaseConnection(other);
        return null;
      }
      return {
        copy: async (sql, params) => {
          const chunks: Buffer[] = [];
          for await (const chunk of other.query(copyTo(`copy (${knex.raw(sql, params as never[]).toQuery()}) to stdout`))) chunks.push(chunk as Buffer);
          return chunks;
        },
        close: async () => {
          try {
            await other.query('commit');
          } finally {
            await knex.client.releaseConnection(other);
          }
        },
      };
    },
    all: async (sql, params = []) => {
      const q = native(sql, params);
      return (await client.query({ text: q.sql, values: q.bindings as unknown[] })).rows as Array<Record<string, unknown>>;
    },
    each: async (sql, params, each, kinds) => {
      if (kinds && params.every((p) => typeof p === 'number' && Number.isSafeInteger(p))) {
        await copyRows(client, knex.raw(sql, params as never[]).toQuery(), kinds, each);
        return;
      }
      const q = native(sql, params);
      const { rows } = await client.query({ text: q.sql, values: q.bindings as unknown[], rowMode: 'array' });
      for (const r of rows as unknown[][]) each(r);
    },
  };
  try {
    await client.query('begin isolation level repeatable read read only');
    try {
      return await fn(read);
    } finally {
      await client.query('commit');
    }
  } finally {
    await knex.client.releaseConnection(client);
  }
}

interface SecondConnection {
  /** A statement's COPY text (numeric parameters), as it arrives. */
  copy(sql: string, params: number[]): Promise<Buffer[]>;
  close(): Promise<void>;
}

interface PgClient {
  query(q: string | { text: string; values: unknown[]; rowMode?: 'array' }): Promise<{ rows: unknown[] }>;
  query<S extends NodeJS.ReadableStream>(stream: S): S;
}

// pg-copy-streams ships no types; `to` builds a COPY TO STDOUT query node-postgres streams.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { to: copyTo } = require('pg-copy-streams') as { to(sql: string): NodeJS.ReadableStream };

/**
 * COPY (query) TO STDOUT in text format, parsed by column kind: "\N" is null; numbers are PostgreSQL's shortest
 * round-trip text (Number reads back the same float8, int4 or int8 value the driver gave); booleans t/f; text with
 * COPY's backslash escapes undone.
 */
async function copyRows(client: PgClient, sql: string, kinds: string, each: (row: unknown[]) => void): Promise<void> {
  await parseCopy(client.query(copyTo(`copy (${sql}) to stdout`)), kinds, each);
}

async function parseCopy(chunks: AsyncIterable<unknown> | Iterable<unknown>, kinds: string, each: (row: unknown[]) => void): Promise<void> {
  const decoder = new StringDecoder('utf8'); // a chunk may end inside a character
  const row = new Array<unknown>(kinds.length);
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk as Buffer);
    let start = 0;
    for (let end = text.indexOf('\n', start); end >= 0; end = text.indexOf('\n', start)) {
      let from = start;
      for (let c = 0; c < kinds.length; c++) {
        let to = c === kinds.length - 1 ? end : text.indexOf('\t', from);
        if (to < 0 || to > end) to = end;
        const field = text.slice(from, to);
        row[c] = field === '\\N' ? null : kinds[c] === 'n' ? Number(field) : kinds[c] === 'b' ? field === 't' : field.includes('\\') ? unescapeCopy(field) : field;
        from = to + 1;
      }
      each(row);
      start = end + 1;
    }
    rest = text.slice(start);
  }
}

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeCopy(field: string): string {
  return field.replace(/\\(?:([bfnrtv])|([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/g, (_m, letter: string, octal: string, hex: string, other: string) =>
    letter ? COPY_ESCAPES[letter] : octal ? String.fromCharCode(parseInt(octal, 8)) : hex ? String.fromCharCode(parseInt(hex, 16)) : other,
  );
}
