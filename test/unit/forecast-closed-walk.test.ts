/**
 * The history models a track record builds from one walk over the closed deals (closed-walk.ts) equal, bit for bit,
 * the models built from scratch for each date, on a world with the irregular cases the walk leaves to the per-date
 * pass: stage entries after the close, a creation after the close, unknown stage histories, closed deals without a
 * close date, open deals without any date; and with amount / owner revisions (as-of views).
 */
import { DAY_MS, type DealFactRow, type OpenStage, Outcome, Revised, buildFactTable, factsAsOf, revisionsOf } from '../../src/modules/forecast/facts';
import { buildHistoryModel } from '../../src/modules/forecast/model';
import { closedWalk } from '../../src/modules/forecast/closed-walk';
import { createRng } from '../../src/modules/forecast/monte-carlo';
import { pastForecast } from '../../src/modules/forecast/track-record';
import { computeForecast } from '../../src/modules/forecast/engine';
import { parsePeriod, shiftPeriod } from '../../src/shared/period';

const STAGES: OpenStage[] = [
  { id: 1, name: 'Prospecting', defaultProbability: 0.1 },
  { id: 2, name: 'Qualification', defaultProbability: 0.25 },
  { id: 3, name: 'Proposal', defaultProbability: 0.6 },
  { id: 4, name: 'Negotiation', defaultProbability: 0.85 },
];
const START = Date.UTC(2024, 0, 1);
const END = Date.UTC(2026, 9, 1);

function world(n: number) {
  const rng = createRng(99);
  const rows: DealFactRow[] = [];
  for (let id = 1; id <= n; id++) {
    const created = START + rng() * (END - START - 30 * DAY_MS);
    const entries: Array<number | null> = [null, null, null, null];
    let t = created;
    let top = 0;
    for (let s = 0; s < 4; s++) {
      if (s > 0 && rng() < 0.3) continue; // a skipped stage
      entries[s] = t;
      top = s;
      t += (1 + rng() * 40) * DAY_MS;
      if (rng() < 0.35) break;
    }
    const roll = rng();
    const outcome = roll < 0.15 ? Outcome.OPEN : top === 3 && roll < 0.7 ? Outcome.WON : roll < 0.5 ? Outcome.WON : Outcome.LOST;
    let closedAt: number | null = outcome === Outcome.OPEN ? null : t;
    const odd = rng();
    if (outcome !== Outcome.OPEN && odd < 0.05) entries[Math.min(3, top + 1)] = t + 5 * DAY_MS; // an entry after the close
    if (outcome !== Outcome.OPEN && odd >= 0.05 && odd < 0.07) closedAt = null; // closed, nobody knows when
    const openedAt = outcome !== Outcome.OPEN && odd >= 0.07 && odd < 0.1 ? t + 2 * DAY_MS : odd >= 0.1 && odd < 0.12 ? null : created;
    rows.push({
      id,
      openedAt,
      closedAt,
      outcome,
      amountCents: odd < 0.2 ? 0 : Math.round(100_000 * Math.exp(rng())),
      teamId: 1 + Math.floor(rng() * 3),
      repId: 1 + Math.floor(rng() * 6),
      productId: 1,
      family: ['A', 'B', null][Math.floor(rng() * 3)],
      forecastCategory: null,
      expectedCloseAt: null,
      currentStage: outcome === Outcome.OPEN ? top : -1,
      stageEnteredAt: entries[top],
      entries: odd >= 0.12 && odd < 0.14 ? [null, null, null, null] : entries,
      stageHistoryKnown: outcome === Outcome.LOST && rng() < 0.25 ? false : true,
      knownSince: odd >= 0.12 && odd < 0.14 ? created : null,
    });
  }
  const t = buildFactTable(STAGES, rows);
  // amount and owner revisions: the as-of views differ in amounts, size bands and teams
  const row: number[] = [];
  const at: number[] = [];
  const field: Revised[] = [];
  const old: Array<number | null> = [];
  for (let i = 0; i < t.n; i += 7) {
    row.push(i, i);
    at.push(t.created[i] + 10 * DAY_MS || START, t.created[i] + 50 * DAY_MS || START);
    field.push(Revised.AMOUNT, Revised.OWNER);
    old.push(t.amount[i] * 3, 1 + (i % 6));
  }
  t.revisions = revisionsOf(row, at, field, old, new Map([1, 2, 3, 4, 5, 6].map((r) => [r, 1 + (r % 3)])));
  return t;
}

describe('history models from one walk over the closed deals', () => {
  const t = world(4000);
  const dates = Array.from({ length: 10 }, (_, j) => Date.UTC(2024, 6 + 3 * j, 1) + j * 3 * DAY_MS);

  it('equal the models built for each date on its own (dates in order, then out of order)', () => {
    const at = closedWalk(t, dates);
    for (const d of [...dates, dates[3], dates[1], dates[9]]) {
      const known = factsAsOf(t, d);
      expect(buildHistoryModel(known, d, undefined, at(d))).toEqual(buildHistoryModel(known, d));
    }
  });

  it('gives the same past forecasts (candidates, actuals) as without it', () => {
    const period = parsePeriod('2026-Q3')!;
    const options = { simulations: 200, seed: 3, topDeals: 0 };
    const periods = [1, 2, 3, 4, 5].map((k) => shiftPeriod(period, k)).reverse();
    const at = closedWalk(t, periods.map((p) => p.start));
    for (const p of periods) {
      const plain = pastForecast(t, p, p.start, () => true, options, START, true);
      expect(pastForecast(t, p, p.start, () => true, options, START, true, at(p.start))).toEqual(plain);
    }
  });

  it("leaves a plain forecast's own model (counted by a one-date walk) as a pass over every deal makes it", () => {
    const period = parsePeriod('2026-Q3')!;
    const options = { simulations: 200, seed: 3, topDeals: 3 };
    for (const d of [period.start, period.start + 17 * DAY_MS]) {
      const known = factsAsOf(t, d);
      const own = computeForecast(known, period, d, (i) => known.team[i], () => true, options);
      expect(own).toEqual(computeForecast(known, period, d, (i) => known.team[i], () => true, options, buildHistoryModel(known, d)));
      expect(own.model.closedDeals).toBeGreaterThan(1000);
    }
  });

  it('refuses a date it was not given', () => {
    expect(() => closedWalk(t, dates)(dates[0] + 1)).toThrow('not one of its dates');
  });
});
