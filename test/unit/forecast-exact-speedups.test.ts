/**
 * This session's faster compute paths give what the code they replace gave, bit for bit: each reference below is
 * the replaced code, run on seeded inputs that reach its ties and edge cases.
 */
import { createRng, simulate, sortByKey } from '../../src/modules/forecast/monte-carlo';

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
