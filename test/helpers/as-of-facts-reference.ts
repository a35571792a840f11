/**
 * The fact load as it was before session 4 (src/modules/forecast/facts.sql.ts at 3afdbe8): one as-of SQL statement
 * per id range (stage pivot before asOf, the as-of values of deal_changes in the database) and the revisions before
 * asOf. Kept as the reference the derived as-of tables (fact-source.ts) must equal, column for column.
 */
import { type Dialect, dateValue, dialectOf, epochMsSql, isoTextMsSql, knexOf } from '../../src/db/dialect';
import type { Em } from '../../src/db/orm';
import { PipelineStage } from '../../src/modules/pipeline/stage.entity';
import { CATEGORY_CODES, type DealFactRow, type FactRevisions, type FactTable, type OpenStage, Outcome, Revised, createFactTable, finishFactTable, revisionsOf, setFact } from '../../src/modules/forecast/facts';

interface PipelineShape {
  open: OpenStage[];
  /** stage id -> index among open stages, or -1 for won/lost stages. */
  indexById: Map<number, number>;
}

async function loadPipeline(em: Em): Promise<PipelineShape> {
  const stages = await em.find(PipelineStage, {}, { orderBy: { position: 'asc', id: 'asc' } });
  const open = stages.filter((s) => !s.isWon && !s.isLost);
  const indexById = new Map(stages.map((s) => [s.id, open.indexOf(s)]));
  return { open: open.map((s) => ({ id: s.id, name: s.name, defaultProbability: s.defaultProbability })), indexById };
}

/**
 * Amount, expected close date, owner and forecast category as known at asOf (deal field history): the old value of
 * a deal's first change at or after asOf, when there is one; today's value otherwise. Today's amount of a deal
 * closed since would leak the outcome into a past forecast, and today's owner would put it in another team.
 */
const AS_OF_FIELDS = ['AMOUNT', 'EXPECTED_CLOSE_DATE', 'OWNER', 'FORECAST_CATEGORY'] as const;
const AS_OF_VALUES_CTE = `c as (
      select deal_id, field, old_value, row_number() over (partition by deal_id, field order by at, id) as rn
      from deal_changes where field in (${AS_OF_FIELDS.map((f) => `'${f}'`).join(', ')}) and at >= ? and deal_id >= ? and deal_id < ?
    ),
    v as (
      select deal_id,
        ${AS_OF_FIELDS.map((f, k) => `max(case when field = '${f}' then 1 end) as has${k}, max(case when field = '${f}' then old_value end) as old${k}`).join(', ')}
      from c where rn = 1 group by deal_id
    )`;

/** Deal ids per load statement. */
const LOAD_CHUNK = 100_000;

const num = (v: unknown): number | null => (v == null ? null : Number(v));

/** Deals created before asOf, with only the stage history recorded before asOf. */
export async function loadFactsReference(em: Em, asOf: Date, pipeline?: PipelineShape): Promise<FactTable> {
  const dialect = dialectOf(em);
  const shape = pipeline ?? (await loadPipeline(em));
  const pivots = shape.open.map((s, k) => `min(case when to_stage_id = ${Number(s.id)} then at end) as s${k}`).join(', ');
  const at = dateValue(dialect, asOf);
  const sql = `
    with h as (
      select deal_id, min(at) as first_at${pivots ? `, ${pivots}` : ''}
      from deal_stage_changes where at < ? and deal_id >= ? and deal_id < ? group by deal_id
    ),
    ${AS_OF_VALUES_CTE}
    select d.id, ${epochMsSql(dialect, 'd.opened_at')} as opened, ${epochMsSql(dialect, 'd.closed_at')} as closed, d.status,
      case when v.has0 = 1 then ${dialect === 'sqlite' ? 'cast(v.old0 as integer)' : 'v.old0::bigint'} else d.amount_cents end as amount, case when v.has2 = 1 then cast(v.old2 as integer) else d.owner_id end as rep, d.product_id as product,
      case when v.has3 = 1 then v.old3 else d.forecast_category end as fc, case when v.has1 = 1 then ${isoTextMsSql(dialect, 'v.old1')} else ${epochMsSql(dialect, 'd.expected_close_date')} end as ecd, d.stage_id as stage,
      ${epochMsSql(dialect, 'd.stage_entered_at')} as entered, d.stage_history_known as known
      ${shape.open.map((_, k) => `, ${epochMsSql(dialect, `h.s${k}`)} as s${k}`).join('')}, ${epochMsSql(dialect, 'd.created_at')} as since
    from deals d
      left join h on h.deal_id = d.id
      left join v on v.deal_id = d.id
    where d.id >= ? and d.id < ? and coalesce(d.opened_at, h.first_at, case when d.status = 'OPEN' then d.created_at end) < ?
    order by d.id`;
  const k = shape.open.length;
  const [ids] = await em.getConnection().execute<Array<Record<'n' | 'lo' | 'hi', number | string | null>>>('select count(*) as n, min(id) as lo, max(id) as hi from deals', [], 'all');
  const t = createFactTable(shape.open, Number(ids.n));
  const families = new Map<string, number>();
  // one reused row: a million short-lived objects cost more in garbage collection than the query itself
  const row: DealFactRow = {
    id: 0, openedAt: null, closedAt: null, outcome: Outcome.OPEN, amountCents: 0, teamId: null, repId: null, productId: null,
    family: null, forecastCategory: null, expectedCloseAt: null, currentStage: -1, stageEnteredAt: null, entries: new Array(k).fill(null),
  };
  // teams and product families from their (small) tables: joined in the query they cost PostgreSQL a sort of every row
  const repTeam = await keyedValues(em, dialect, 'select id, team_id from reps where team_id is not null', Number);
  const productFamily = await keyedValues(em, dialect, 'select id, family from products where family is not null', String);
  let n = 0;
  const fill = (r: unknown[]) => {
    if (n >= t.n) return; // a deal inserted between the count and the query: the next call will see it
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
    setFact(t, n++, row, families);
  };
  // in ranges of ids: the driver then never holds a million rows at once (PostgreSQL returns a statement's rows together)
  for (let from = Number(ids.lo); from <= Number(ids.hi); from += LOAD_CHUNK) {
    const range = [from, from + LOAD_CHUNK];
    await forEachRow(em, dialect, sql, [at, ...range, at, ...range, ...range, at], fill);
  }
  return finishFactTable(t, n, await loadRevisions(em, dialect, at, t.id.subarray(0, n), repTeam));
}

/**
 * The amount, expected-close, owner and forecast-category changes made before asOf to the deals of the table (`ids`,
 * ascending), and each rep's team, for the as-of views of earlier dates a backtest or track record reads (factsAsOf in
 * facts.ts).
 */
async function loadRevisions(em: Em, dialect: Dialect, at: unknown, ids: Float64Array, repTeam: Map<number, number>): Promise<FactRevisions> {
  const fields: Record<string, Revised> = { AMOUNT: Revised.AMOUNT, EXPECTED_CLOSE_DATE: Revised.EXPECTED_CLOSE, OWNER: Revised.OWNER, FORECAST_CATEGORY: Revised.CATEGORY };
  const sql = `select c.deal_id, c.field, ${epochMsSql(dialect, 'c.at')} as at, case when c.field <> 'EXPECTED_CLOSE_DATE' then c.old_value end as old_value,
      ${isoTextMsSql(dialect, "(case when c.field = 'EXPECTED_CLOSE_DATE' then c.old_value end)")} as old_ecd
    from deal_changes c where c.field in (${AS_OF_FIELDS.map((f) => `'${f}'`).join(', ')}) and c.at < ? order by c.deal_id, c.at, c.id`;
  const rows: number[] = [];
  const ats: number[] = [];
  const kinds: Revised[] = [];
  const olds: Array<number | null> = [];
  let p = 0;
  await forEachRow(em, dialect, sql, [at], (r) => {
    const id = Number(r[0]);
    while (p < ids.length && ids[p] < id) p++;
    if (ids[p] !== id) return; // a deal the table does not hold (created after asOf)
    const field = fields[r[1] as string];
    rows.push(p);
    ats.push(Number(r[2]));
    kinds.push(field);
    olds.push(field === Revised.EXPECTED_CLOSE ? num(r[4]) : field === Revised.CATEGORY ? Math.max(0, CATEGORY_CODES.indexOf(r[3] as never)) : num(r[3]));
  });
  return revisionsOf(rows, ats, kinds, olds, repTeam);
}

/** id -> value of a two-column query (ids as numbers). */
async function keyedValues<V>(em: Em, dialect: Dialect, sql: string, value: (x: unknown) => V): Promise<Map<number, V>> {
  const out = new Map<number, V>();
  await forEachRow(em, dialect, sql, [], (r) => out.set(Number(r[0]), value(r[1])));
  return out;
}

/**
 * Streams rows as arrays (columns in SELECT order). SQLite: better-sqlite3's raw iterator, so a million deals never
 * exist as a million objects; PostgreSQL: the driver's rows in array mode.
 */
async function forEachRow(em: Em, dialect: Dialect, sql: string, params: unknown[], fn: (row: unknown[]) => void): Promise<void> {
  if (dialect === 'sqlite') {
    const knex = knexOf(em);
    const db = await knex.client.acquireConnection();
    try {
      for (const r of db.prepare(sql).raw(true).iterate(...params)) fn(r as unknown[]);
    } finally {
      await knex.client.releaseConnection(db);
    }
    return;
  }
  // PostgreSQL: the driver's rows as arrays (no object per row, no key lookups)
  const knex = knexOf(em);
  const client = (await knex.client.acquireConnection()) as { query(q: { text: string; values: unknown[]; rowMode: 'array' }): Promise<{ rows: unknown[][] }> };
  try {
    const native = knex.raw(sql, params as never[]).toSQL().toNative();
    const { rows } = await client.query({ text: native.sql, values: native.bindings as unknown[], rowMode: 'array' });
    for (const r of rows) fn(r);
  } finally {
    await knex.client.releaseConnection(client);
  }
}
