/** Hand-made fact rows for the pure forecast tests: three open stages, days counted from 2025-01-01. */
import { DAY_MS, type DealFactRow, type OpenStage, Outcome } from '../../src/modules/forecast/facts';

export const STAGES: OpenStage[] = [
  { id: 1, name: 'Qualify', defaultProbability: 0.2 },
  { id: 2, name: 'Propose', defaultProbability: 0.5 },
  { id: 3, name: 'Negotiate', defaultProbability: 0.8 },
];
export const T0 = Date.UTC(2025, 0, 1);
export const day = (d: number) => T0 + d * DAY_MS;

/** A deal of 10.00 (team 1, rep 1, product 1, family Core) that entered stage s on day entries[s]; open deals sit in their last entered stage. */
export function factRow(id: number, entries: Array<number | null>, outcome = Outcome.OPEN, closedDay: number | null = null, extra: Partial<DealFactRow> = {}): DealFactRow {
  return {
    id,
    openedAt: entries[0] == null ? null : day(entries[0]),
    closedAt: closedDay == null ? null : day(closedDay),
    outcome,
    amountCents: 1000,
    teamId: 1,
    repId: 1,
    productId: 1,
    family: 'Core',
    forecastCategory: null,
    expectedCloseAt: null,
    currentStage: outcome === Outcome.OPEN ? entries.reduce<number>((top, e, s) => (e == null ? top : s), 0) : -1,
    stageEnteredAt: null,
    entries: entries.map((e) => (e == null ? null : day(e))),
    ...extra,
  };
}
