/**
 * This session's faster compute paths give what the code they replace gave, bit for bit: each reference below is
 * the replaced code, run on seeded inputs that reach its ties and edge cases.
 */
import { CATEGORY_CODES, DAY_MS, type DealFactRow, type FactRevisions, type FactTable, type OpenStage, Outcome, Revised, createFactTable, finishFactTable, revisionsOf, setFact } from '../../src/modules/forecast/facts';
import { type FactSource, addSourceRow, createFactSource, factsAt, finishFactSource } from '../../src/modules/forecast/fact-source';
import { createRng, simulate, sortByKey } from '../../src/modules/forecast/monte-carlo';
import { firstDifference } from '../helpers/first-difference';

const rng = createRng(4242);

describe('the deals to approximate, sorted by variance', () => {
  it('come in the order of the stable comparison sort they replace (ties: the lower deal first)', () => {
    for (const n of [1, 2, 3, 17, 1000, 70_000]) {
      const key = new Float64Array(n);
      for (let d = 0; d < n; d++) {
        const r = rng();
        // zeros, repeated values (ties), tiny and huge values, values differing only in their lowest bits
        key[d] = r < 0.1 ? 0 : r < 0.3 ? Math.floor(rng() * 5) : r < 0.4 ? rng() * 1e-300 : r < 0.5 ? rng() * 1e300 : r < 0.6 ? 1 + Math.floor(rng() * 4) * Number.EPSILON : rng() * 1e12;
      }
      const items = Int32Array.from({ length: n }, (_, d) => d).filter(() => rng() < 0.9);
      // one long run of keys that agree above their lowest bits, descending (the comparison sort takes over)
      if (n === 1000) for (let d = 0; d < 400; d++) key[d] = 1 + (400 - d) * Number.EPSILON;
      const reference = Array.from(items).sort((x, y) => key[x] - key[y]);
      expect(Array.from(sortByKey(items, key))).toEqual(reference);
    }
  });

  it('approximate the same deals and simulate the same totals as the comparison sort did', () => {
    // 3,000 deals x 2,000 simulations: ~2.4M draws, over a budget of 1M; many equal variances (amounts repeat)
    const own = createRng(77);
    const n = 3000;
    const probabilities = Float64Array.from({ length: n }, () => 0.05 + 0.9 * own());
    const amounts = Float64Array.from({ length: n }, (_, d) => (d % 3 === 0 ? 100_000 : Math.round(own() * 1e6)));
    probabilities[7] = 0.5;
    probabilities[8] = 0.5;
    amounts[7] = amounts[8] = 100_000;
    const r = simulate({ probabilities, amounts, groups: new Int32Array(n), groupCount: 1, simulations: 2000, seed: 9, drawBudget: 1_000_000 });
    expect(r.approximatedDeals).toBe(referenceApproximated(probabilities, amounts, 2000, 1_000_000).length);
    expect(r.approximatedDeals).toBe(1231);
    expect([r.total[0], r.total[999], r.total[1999]]).toEqual([REFERENCE_TOTALS[0], REFERENCE_TOTALS[1], REFERENCE_TOTALS[2]]);
  });
});

/** pickApproximated before the radix sort. */
function referenceApproximated(P: Float64Array, A: Float64Array, simulations: number, budget: number): number[] {
  let draws = 0;
  for (let d = 0; d < P.length; d++) if (P[d] > 0 && P[d] < 1) draws += Math.min(P[d], 1 - P[d]) * simulations;
  if (draws <= budget) return [];
  const order: number[] = [];
  const variance = new Float64Array(P.length);
  for (let d = 0; d < P.length; d++) {
    if (!(P[d] > 0 && P[d] < 1)) continue;
    order.push(d);
    variance[d] = A[d] * A[d] * P[d] * (1 - P[d]);
  }
  order.sort((x, y) => variance[x] - variance[y]);
  const out: number[] = [];
  for (const d of order) {
    if (draws <= budget) break;
    draws -= Math.min(P[d], 1 - P[d]) * simulations;
    out.push(d);
  }
  return out;
}

/** What simulate printed for the call above before the radix sort (commit 1986a91). */
const REFERENCE_TOTALS = [517516493.5525454, 550709088.5751705, 587859436.3527931];

describe('the as-of table of a fact source, column by column', () => {
  const STAGES: OpenStage[] = [0.2, 0.5, 0.8, 0.9].map((p, s) => ({ id: s + 1, name: `S${s}`, defaultProbability: p }));
  const own = createRng(31);
  const T0 = Date.UTC(2025, 0, 1);
  const n = 3000;
  const b = createFactSource(STAGES, n);
  const [row, at, field, old]: [number[], number[], Revised[], Array<number | null>] = [[], [], [], []];
  for (let i = 0; i < n; i++) {
    const created = T0 + own() * 500 * DAY_MS;
    const entries: Array<number | null> = [null, null, null, null];
    let t = created;
    // some deals with no entry at all (setFact's fallbacks: the current stage from stage_entered_at or opened_at)
    if (i % 11 !== 0) for (let s = 0; s < 4 && (s === 0 || own() < 0.6); s++) entries[s] = t += own() * 30 * DAY_MS;
    const outcome = own() < 0.3 ? Outcome.OPEN : own() < 0.5 ? Outcome.WON : Outcome.LOST;
    const r = {
      id: 1000 + i,
      openedAt: i % 7 === 0 ? null : created,
      closedAt: outcome === Outcome.OPEN || i % 29 === 0 ? null : t + own() * 20 * DAY_MS,
      outcome,
      amountCents: Math.round(own() * 1e6),
      teamId: i % 13 === 0 ? null : 1 + (i % 3),
      repId: i % 17 === 0 ? null : 1 + (i % 9),
      productId: 1 + (i % 4),
      // families by creation time: an earlier view names fewer of them, in its own first-seen order; and none
      family: i % 5 === 0 ? null : ['Zeta', 'Alpha', 'Core', 'Beta'][Math.min(3, Math.floor((created - T0) / (125 * DAY_MS)))],
      forecastCategory: i % 3 === 0 ? null : CATEGORY_CODES[1 + (i % 4)],
      expectedCloseAt: i % 4 === 0 ? null : t + own() * 90 * DAY_MS,
      currentStage: outcome === Outcome.OPEN ? Math.floor(own() * 4) : -1,
      stageEnteredAt: i % 6 === 0 ? null : t,
      entries,
      stageHistoryKnown: i % 19 !== 0,
      knownSince: i % 23 === 0 ? null : created - own() * 10 * DAY_MS,
      firstChangeAt: entries.find((e) => e != null) ?? (i % 2 ? created + DAY_MS : null),
    };
    expect(addSourceRow(b, r)).toBe(true);
    const times = Array.from({ length: own() < 0.4 ? Math.floor(own() * 5) : 0 }, () => created + own() * 600 * DAY_MS).sort((x, y) => x - y);
    for (const when of times) {
      const f = Math.floor(own() * 4) as Revised;
      row.push(i);
      at.push(when);
      field.push(f);
      // empty old values, and a category code no CATEGORY_CODES entry names (read as none)
      old.push(own() < 0.15 ? null : f === Revised.AMOUNT ? Math.round(own() * 2e6) : f === Revised.EXPECTED_CLOSE ? T0 + own() * 700 * DAY_MS : f === Revised.OWNER ? 1 + Math.floor(own() * 9) : own() < 0.2 ? 7 : Math.floor(own() * 5));
    }
  }
  const source = finishFactSource(b, revisionsOf(row, at, field, old, new Map(Array.from({ length: 9 }, (_, r) => [r + 1, 1 + (r % 3)]))));

  it('is the table the row-by-row derivation through setFact built, at dates all over the history', () => {
    let derived = 0;
    for (let day = -10; day <= 720; day += 9) {
      const asOf = T0 + day * DAY_MS;
      const got = factsAt(source, asOf);
      if (got !== source.table) derived++;
      expect([day, firstDifference(got, referenceFactsAt(source, asOf), 'table')]).toEqual([day, null]);
    }
    expect(derived).toBeGreaterThan(50);
    // the branches the table takes: deals with no date of their own, families renumbered, unknown codes restored
    const mid = factsAt(source, T0 + 300 * DAY_MS);
    expect(mid.dateUnknown.some((v) => v === 1)).toBe(true);
    expect(mid.families).not.toEqual(source.table.families);
    expect(mid.n).toBeLessThan(source.table.n);
  });
});

/** factsAt before it wrote the columns itself (commit 1986a91): a row per kept deal through setFact. */
function referenceFactsAt(s: FactSource, asOf: number): FactTable {
  const t = s.table;
  if (asOf > s.latest) return t;
  const r = t.revisions!;
  const k = t.stages.length;
  const out = createFactTable(t.stages, t.n);
  const families = new Map<string, number>();
  const dealRow: DealFactRow = {
    id: 0, openedAt: null, closedAt: null, outcome: Outcome.OPEN, amountCents: 0, teamId: null, repId: null, productId: null,
    family: null, forecastCategory: null, expectedCloseAt: null, currentStage: -1, stageEnteredAt: null, entries: new Array(k).fill(null),
  };
  const existsSince = (i: number) => (!Number.isNaN(s.opened[i]) ? s.opened[i] : s.firstChange[i] < asOf ? s.firstChange[i] : t.outcome[i] === Outcome.OPEN ? s.knownSince[i] : NaN);
  const kept: number[][] = [[], [], [], []];
  let lastAt = -Infinity;
  let n = 0;
  let j = 0;
  for (let i = 0; i < t.n; i++) {
    const from = j;
    while (j < r.n && r.row[j] === i) j++;
    if (!(existsSince(i) < asOf)) continue;
    let [amount, expectedClose, rep, team, category] = [t.amount[i], t.expectedClose[i], t.rep[i], t.team[i], t.category[i]];
    let restored = 0;
    for (let x = from; x < j; x++) {
      if (r.at[x] < asOf) {
        [n, r.at[x], r.field[x], r.old[x]].forEach((v, c) => kept[c].push(v));
        if (r.at[x] > lastAt) lastAt = r.at[x];
        continue;
      }
      const bit = 1 << r.field[x];
      if (restored & bit) continue;
      restored |= bit;
      const v = r.old[x];
      if (r.field[x] === Revised.AMOUNT) amount = Number.isNaN(v) ? 0 : v;
      else if (r.field[x] === Revised.EXPECTED_CLOSE) expectedClose = v;
      else if (r.field[x] === Revised.OWNER) [rep, team] = Number.isNaN(v) ? [0, 0] : [v, r.repTeam.get(v) ?? 0];
      else category = Number.isNaN(v) ? 0 : v;
    }
    Object.assign(dealRow, {
      id: t.id[i], openedAt: Number.isNaN(s.opened[i]) ? null : s.opened[i], closedAt: Number.isNaN(t.closed[i]) ? null : t.closed[i], outcome: t.outcome[i],
      amountCents: amount, repId: rep, teamId: team, productId: t.product[i], family: t.family[i] < 0 ? null : t.families[t.family[i]],
      forecastCategory: CATEGORY_CODES[category] ?? null, expectedCloseAt: Number.isNaN(expectedClose) ? null : expectedClose, currentStage: s.currentStage[i],
      stageEnteredAt: Number.isNaN(s.stageEnteredAt[i]) ? null : s.stageEnteredAt[i], stageHistoryKnown: t.historyKnown[i] === 1, knownSince: Number.isNaN(s.knownSince[i]) ? null : s.knownSince[i],
    });
    for (let e = 0; e < k; e++) {
      const v = s.noEntries[i] ? NaN : t.entries[i * k + e];
      dealRow.entries[e] = v < asOf ? v : null;
    }
    setFact(out, n++, dealRow, families);
  }
  const revisions: FactRevisions = {
    n: kept[0].length, row: Int32Array.from(kept[0]), at: Float64Array.from(kept[1]), field: Uint8Array.from(kept[2]), old: Float64Array.from(kept[3]), lastAt, repTeam: r.repTeam,
  };
  return finishFactTable(out, n, revisions);
}
