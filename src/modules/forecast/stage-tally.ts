/**
 * A history model's per-date counting of closed deals (model.ts): the company's and each segment's (team, product
 * family, size band) per-stage reached and won sums. Pure.
 */
import { DAY_MS, type FactTable, reachedMax } from './facts';
import { type Apportioner, type StageCounts, sizeBandOf } from './stage-weights';

/** One date's counting of closed deals: its cut-offs and apportioner, and the sums it adds to. */
export interface StageTally {
  k: number;
  asOf: number;
  cutoff: Float64Array;
  ap: Apportioner;
  company: StageCounts;
  team: Slots;
  family: Slots;
  band: Slots | null;
  bandBounds: [number, number];
  /** The walk's regular deals and their highest stage reached (closed-walk.ts), when the model has its part. */
  regular?: Uint8Array;
  top?: Int16Array;
}

/**
 * Closed deal i's stage counts (addStageCounts, addWonDaysInStage) added straight to the company's sums and to its
 * team's, family's and size band's, in one loop over its stages: each stage gets at most one addition per deal, the
 * same value in the same deal order as learnStageWeights' pass and the per-deal sums this replaces, so the sums are
 * the same bit for bit.
 */
export function tallyClosedDeal(t: FactTable, i: number, isWon: number, x: StageTally): void {
  const { k, cutoff, company } = x;
  const teamRow = x.team.row(t.team[i], k);
  const familyRow = x.family.row(t.family[i], k);
  const bandRow = x.band ? x.band.row(sizeBandOf(t.amount[i], x.bandBounds), k) : -1;
  // the sums as they are once the rows are open (opening a row may grow them)
  const { reached: teamReached, won: teamWon } = x.team;
  const { reached: familyReached, won: familyWon } = x.family;
  const bandReached = x.band ? x.band.reached : null;
  const bandWon = x.band ? x.band.won : null;
  const created = t.created[i];
  const base = i * k;
  const top = x.regular && x.regular[i] === 1 ? x.top![i] : reachedMax(t, i, x.asOf);
  for (let s = 0; s <= top; s++) {
    const e = t.entries[base + s];
    // reachedAt: the entry, or the creation when the history does not say
    if (!((Number.isNaN(e) ? created : e) < cutoff[s])) continue;
    company.reached[s]++;
    company.won[s] += isWon;
    teamReached[teamRow + s] += 1;
    teamWon[teamRow + s] += isWon;
    familyReached[familyRow + s] += 1;
    familyWon[familyRow + s] += isWon;
    if (bandReached) {
      bandReached[bandRow + s] += 1;
      bandWon![bandRow + s] += isWon;
    }
    if (isWon) {
      // daysInStage (facts.ts) until the close: to the next entry after this one, or to the close
      let d = NaN;
      if (!Number.isNaN(e)) {
        let next = t.closed[i];
        for (let j = 0; j < k; j++) {
          const y = t.entries[base + j];
          if (j !== s && y > e && y < next) next = y;
        }
        d = (next - e) / DAY_MS;
      }
      if (!(d <= company.maxWon[s])) company.maxWon[s] = d;
    }
  }
  if (t.historyKnown[i] || top === k - 1) return;
  const share = x.ap.share[isWon ? 0 : 1][top];
  for (let s = top + 1; s < k; s++) {
    if (!share) {
      company.unidentified[s]++;
      continue;
    }
    if (!(created < cutoff[s]) || !(share[s] > 0)) continue;
    const v = share[s];
    const w = isWon * v;
    company.reached[s] += v;
    company.won[s] += w;
    company.apportioned[s] += v;
    teamReached[teamRow + s] += v;
    teamWon[teamRow + s] += w;
    familyReached[familyRow + s] += v;
    familyWon[familyRow + s] += w;
    if (bandReached) {
      bandReached[bandRow + s] += v;
      bandWon![bandRow + s] += w;
    }
  }
}

/**
 * Per-stage (reached, won) sums per segment key, keys numbered in the order first seen: a typed array indexed by
 * small non-negative keys (team ids, bands), a map for the others (no family, large ids).
 */
export class Slots {
  keys: number[] = [];
  reached = new Float64Array(0);
  won = new Float64Array(0);
  private small = new Int32Array(0);
  private other = new Map<number, number>();

  /** Where the key's k sums start (read `reached` and `won` after: a new key may grow them). */
  row(key: number, k: number): number {
    const slot = key >= 0 && key < this.small.length ? this.small[key] - 1 : (this.other.get(key) ?? -1);
    return (slot < 0 ? this.open(key, k) : slot) * k;
  }

  private open(key: number, k: number): number {
    const slot = this.keys.length;
    this.keys.push(key);
    if (key >= 0 && key < 1 << 20) {
      if (key >= this.small.length) {
        const grown = new Int32Array(Math.max(key + 1, 2 * this.small.length, 16));
        grown.set(this.small);
        this.small = grown;
      }
      this.small[key] = slot + 1;
    } else this.other.set(key, slot);
    if ((slot + 1) * k > this.reached.length) {
      const size = Math.max((slot + 1) * k, 2 * this.reached.length);
      const reached = new Float64Array(size);
      const won = new Float64Array(size);
      reached.set(this.reached);
      won.set(this.won);
      [this.reached, this.won] = [reached, won];
    }
    return slot;
  }
}
