/**
 * The first value (path and index) where two loaded structures differ, or null: typed arrays value by value (NaN
 * equals NaN, 0 and -0 differ), maps by their entries, objects key by key. The fact-source and fact-load tests
 * hold loads and as-of tables to their references with it. A source's `lineage` (which loads and patches it comes
 * from, fact-source.ts) is not what it holds: it is left out.
 */
export function firstDifference(x: unknown, y: unknown, path: string): string | null {
  if (ArrayBuffer.isView(x)) {
    const xs = x as unknown as ArrayLike<number>;
    const ys = y as unknown as ArrayLike<number>;
    if (xs.length !== ys.length) return `${path}: ${xs.length} vs ${ys.length} values`;
    for (let i = 0; i < xs.length; i++) if (!Object.is(xs[i], ys[i])) return `${path}[${i}]: ${xs[i]} vs ${ys[i]}`;
    return null;
  }
  if (x instanceof Map) return JSON.stringify([...x]) === JSON.stringify([...(y as Map<unknown, unknown>)]) ? null : `${path}: maps differ`;
  if (x && typeof x === 'object') {
    const keysOf = (o: object) => Object.keys(o).filter((key) => key !== 'lineage').sort();
    const keys = keysOf(x);
    if (keys.join() !== keysOf(y as object).join()) return `${path}: keys ${keys} vs ${keysOf(y as object)}`;
    for (const key of keys) {
      const d = firstDifference((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key], `${path}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(x, y) ? null : `${path}: ${String(x)} vs ${String(y)}`;
}
