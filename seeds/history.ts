/**
 * The demo world's deal field history, written in bulk SQL after the deals and their stage history exist, in the
 * encoding of src/modules/deal/deal-history.ts (amounts in cents, dates ISO 8601, ids, enum names):
 * - every stage move of the stage history is a STAGE change, and every close a STATUS change (same time, same rep);
 * - revisions that real pipelines show, by a fixed rule so the world stays deterministic: every 4th deal that
 *   reached Discovery/Demo had its expected close date pushed 21 days when it got there, and every 5th deal that
 *   reached Proposal had its amount raised from 90 % (rounded to whole euros) when it got there.
 * Deal rows hold the values after these changes, so forecasts and pipeline movement as of a past date see the
 * earlier ones.
 */
import type { Sink } from './sink';

export const SEED_REVISIONS = { pushEvery: 4, pushDays: 21, pushAtStage: 2, raiseEvery: 5, raiseShare: 0.9, raiseAtStage: 3 } as const;

/** Returns the number of rows written. `stageIds` in pipeline order: 5 open stages, then won, then lost. */
export async function writeSeedDealChanges(sink: Sink, stageIds: number[]): Promise<number> {
  const pg = sink.kind === 'postgresql';
  const iso = (col: string) => (pg ? `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `strftime('%Y-%m-%dT%H:%M:%fZ', ${col} / 1000.0, 'unixepoch')`);
  const minusDays = (col: string, days: number) => (pg ? `(${col} - interval '${days} days')` : `(${col} - ${days * 86_400_000})`);
  const text = (col: string) => (pg ? `${col}::text` : `cast(${col} as text)`);
  const cols = `created_at, updated_at, deal_id, field, old_value, new_value, at, by_id, source`;
  const [won, lost] = [stageIds[5], stageIds[6]];
  const r = SEED_REVISIONS;
  const statements = [
    `insert into deal_changes (${cols})
       select at, at, deal_id, 'STAGE', ${text('from_stage_id')}, ${text('to_stage_id')}, at, by_id, 'SEED'
       from deal_stage_changes where from_stage_id is not null`,
    `insert into deal_changes (${cols})
       select at, at, deal_id, 'STATUS', 'OPEN', case when to_stage_id = ${won} then 'WON' else 'LOST' end, at, by_id, 'SEED'
       from deal_stage_changes where to_stage_id in (${won}, ${lost})`,
    `insert into deal_changes (${cols})
       select s.at, s.at, d.id, 'EXPECTED_CLOSE_DATE', ${iso(minusDays('d.expected_close_date', r.pushDays))}, ${iso('d.expected_close_date')}, s.at, s.by_id, 'SEED'
       from deals d join deal_stage_changes s on s.deal_id = d.id and s.to_stage_id = ${stageIds[r.pushAtStage]}
       where d.id % ${r.pushEvery} = 0 and d.expected_close_date is not null`,
    `insert into deal_changes (${cols})
       select s.at, s.at, d.id, 'AMOUNT', ${text(`cast(round(d.amount_cents * ${r.raiseShare} / 100) * 100 as bigint)`)}, ${text('d.amount_cents')}, s.at, s.by_id, 'SEED'
       from deals d join deal_stage_changes s on s.deal_id = d.id and s.to_stage_id = ${stageIds[r.raiseAtStage]}
       where d.id % ${r.raiseEvery} = 0`,
  ];
  for (const sql of statements) await sink.exec(sql);
  const [{ n }] = (await sink.exec('select count(*) as n from deal_changes')) as Array<{ n: number | string }>;
  return Number(n);
}
