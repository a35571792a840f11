/**
 * Past forecasts kept across writes. A track record or a backtest forecasts past periods as of past dates from
 * what was known then; a write today seldom changes what was known then (fact-patch.ts measures it: each patch says
 * up to when every as-of view is unchanged), so a past forecast computed on an earlier generation of the same
 * fact source is reused while every patch since left its date alone. What was won in the period is read from today's
 * record and computed again each time (a late close changes it). Pure apart from the bounded map it keeps.
 */
import type { FactLineage } from './fact-source';
import type { PastForecast } from './method-choice';
import { stableJson } from '../../shared/answer-cache/answer-cache';

/** Past forecasts kept (a track record has 15, a backtest a few dozen; each is a few numbers). */
const KEPT = 2_000;

const kept = new Map<string, { generation: number; value: PastForecast }>();
export const pastForecastMemoStats = { hits: 0, misses: 0 };

/** True when no change of `lineage` after `generation` touched what a view as of `asOf` holds. */
function unchangedSince(lineage: FactLineage, generation: number, asOf: number): boolean {
  if (generation === lineage.generation) return true;
  const changes = lineage.changes;
  // the changes since must all still be listed
  if (generation > lineage.generation || !changes.length || changes[0].generation > generation + 1) return false;
  for (const c of changes) if (c.generation > generation && !(asOf <= c.stableUntil)) return false;
  return true;
}

/**
 * The past forecast `question` names, from the memo when the view of its date is unchanged since it was computed,
 * else computed; `actual` always from today's record. No lineage (a table built in a test): always computed.
 */
export function memoizedPastForecast(lineage: FactLineage | undefined, question: Record<string, unknown>, asOf: number, compute: () => PastForecast, actual: () => number): PastForecast {
  if (!lineage) return compute();
  const key = `${lineage.id}:${stableJson(question)}`;
  const entry = kept.get(key);
  if (entry && unchangedSince(lineage, entry.generation, asOf)) {
    pastForecastMemoStats.hits++;
    kept.delete(key); // most recently used last
    kept.set(key, { generation: lineage.generation, value: entry.value });
    return { ...entry.value, actual: actual() };
  }
  pastForecastMemoStats.misses++;
  const value = compute();
  if (!entry || entry.generation <= lineage.generation) {
    kept.delete(key);
    kept.set(key, { generation: lineage.generation, value });
    if (kept.size > KEPT) kept.delete(kept.keys().next().value!);
  }
  return { ...value };
}
