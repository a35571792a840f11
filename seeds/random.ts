import seedrandom from 'seedrandom';

/** Deterministic random draws (seedrandom's alea: fast, and the same sequence on every platform). */
export class Rng {
  private readonly next: () => number;
  private spare: number | null = null;

  constructor(seed: string | number) {
    this.next = seedrandom.alea(String(seed));
  }

  /** Uniform on [0, 1). */
  float(): number {
    return this.next();
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer on [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Lognormal with the given median and log-scale sigma. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Index drawn with the given (unnormalised) weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** Key of a record drawn with its values as weights. */
  weightedKey<K extends string>(weights: Readonly<Record<K, number>>): K {
    const keys = Object.keys(weights) as K[];
    return keys[this.weighted(keys.map((k) => weights[k]))];
  }
}

/** Precomputed weighted choice for hot loops: cumulative table, binary-free linear scan (few items). */
export class Choice<T> {
  private readonly cumulative: number[];
  constructor(readonly items: readonly T[], weights: readonly number[]) {
    const total = weights.reduce((a, b) => a + b, 0);
    let acc = 0;
    this.cumulative = weights.map((w) => (acc += w / total));
  }
  draw(rng: Rng): T {
    const u = rng.float();
    for (let i = 0; i < this.cumulative.length; i++) if (u < this.cumulative[i]) return this.items[i];
    return this.items[this.items.length - 1];
  }
  static of<K extends string>(weights: Readonly<Record<K, number>>): Choice<K> {
    const keys = Object.keys(weights) as K[];
    return new Choice(keys, keys.map((k) => weights[k]));
  }
}
