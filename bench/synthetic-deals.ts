/**
 * The synthetic deals of the forecast bench and of the forecast golden test (test/unit/forecast-fast-paths.test.ts):
 * one generator, so the two read the same world for the same seed and sizes.
 */
import { DAY_MS, type DealFactRow, Outcome } from '../src/modules/forecast/facts';
import { createRng } from '../src/modules/forecast/monte-carlo';

/** The generator walks five open stages (the stage lists it is used with have five). */
const STAGE_COUNT = 5;

/** Deals walking the pipeline: advance 70 % at each stage after lognormal(median 10 d) days, 3 % of losses stay open. */
export function syntheticDeals(closedWanted: number, openWanted: number, asOf: number): DealFactRow[] {
  const rng = createRng(2026);
  const normal = () => Math.sqrt(-2 * Math.log(rng())) * Math.cos(2 * Math.PI * rng());
  const rows: DealFactRow[] = [];
  let closed = 0;
  let open = 0;
  while (closed < closedWanted || open < openWanted) {
    const recent = open < openWanted && (closed >= closedWanted || rng() < 0.4);
    const created = recent ? asOf - rng() * 90 * DAY_MS : asOf - (90 + rng() * 900) * DAY_MS;
    const entries: Array<number | null> = [null, null, null, null, null];
    let t = created;
    let outcome = Outcome.OPEN;
    let closedAt: number | null = null;
    let current = 0;
    for (let s = 0; s < STAGE_COUNT; s++) {
      if (t >= asOf) break;
      entries[s] = t;
      current = s;
      const duration = 10 * Math.exp(0.6 * normal()) * DAY_MS;
      if (rng() < 0.7) {
        t += duration;
        if (s === STAGE_COUNT - 1 && t < asOf) [outcome, closedAt] = [Outcome.WON, t];
      } else {
        if (rng() < 0.03) break; // stale: never closed
        t += 0.8 * duration;
        if (t < asOf) [outcome, closedAt] = [Outcome.LOST, t];
        break;
      }
    }
    const isOpen = outcome === Outcome.OPEN;
    if (isOpen ? open >= openWanted : closed >= closedWanted) continue;
    if (isOpen) open++;
    else closed++;
    rows.push({
      id: rows.length + 1,
      openedAt: created,
      closedAt,
      outcome,
      amountCents: Math.round(1_000_000 * Math.exp(0.8 * normal())),
      teamId: 1 + Math.floor(rng() * 5),
      repId: 1 + Math.floor(rng() * 100),
      productId: 1 + Math.floor(rng() * 7),
      family: ['Platform', 'Analytics', 'Services', 'Support'][Math.floor(rng() * 4)],
      forecastCategory: null,
      expectedCloseAt: null,
      currentStage: isOpen ? current : -1,
      stageEnteredAt: entries[current],
      entries: entries.map((e) => (e != null && e < asOf ? e : null)),
    });
  }
  return rows;
}
