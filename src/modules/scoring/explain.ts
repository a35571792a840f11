/** Explanations of a trained model over its holdout: global importance and per-value direction of each feature. */
import { canonical, parseNumber, type FeaturePipeline, type RawRecord } from './features';

export interface FeatureEffect {
  feature: string;
  label: string;
  /** A category, or "higher" for a numeric feature. */
  value: string;
  /** Mean contribution (log-odds) of rows holding that category; for numbers, the slope sign times the mean |contribution|. */
  effect: number;
  count: number;
}

/** Mean |contribution| per raw feature (rows × groups contributions, scaled by the calibration slope), strongest first. */
export function featureImportance(pipeline: FeaturePipeline, rows: number, contrib: Float32Array, scale: number) {
  const groups = pipeline.features.length;
  return pipeline.features
    .map((f, g) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += Math.abs(contrib[r * groups + g]);
      return { feature: f.key, label: f.label, meanAbsContribution: (scale * s) / Math.max(1, rows) };
    })
    .sort((a, b) => b.meanAbsContribution - a.meanAbsContribution);
}

export function featureEffects(pipeline: FeaturePipeline, rows: Array<{ record: RawRecord }>, contrib: Float32Array, scale: number): FeatureEffect[] {
  const groups = pipeline.features.length;
  const effects: FeatureEffect[] = [];
  pipeline.features.forEach((f, g) => {
    if (f.kind === 'categorical') {
      const sums = new Map<string, { s: number; n: number }>();
      rows.forEach((e, r) => {
        const c = canonical(e.record[f.key]);
        const i = c === null ? -1 : f.categories.indexOf(c);
        const name = c === null ? '(missing)' : i >= 0 ? f.display[i] : '(other)';
        const acc = sums.get(name) ?? { s: 0, n: 0 };
        acc.s += contrib[r * groups + g];
        acc.n++;
        sums.set(name, acc);
      });
      for (const [value, { s, n }] of sums) effects.push({ feature: f.key, label: f.label, value, effect: (scale * s) / n, count: n });
    } else {
      // Direction of a numeric feature: sign of the covariance between its value and its contribution over the
      // rows that have a value; rows without one are reported as "(missing)".
      let n = 0, mx = 0, mc = 0, absSum = 0, missingSum = 0, missingCount = 0;
      const xs = rows.map((e) => parseNumber(e.record[f.key]));
      const value = (x: number) => (f.transform === 'log1p' ? Math.log1p(Math.max(0, x)) : x);
      rows.forEach((_, r) => {
        const c = contrib[r * groups + g];
        if (xs[r] === null) {
          missingSum += c;
          missingCount++;
          return;
        }
        n++;
        mx += value(xs[r]!);
        mc += c;
        absSum += Math.abs(c);
      });
      if (n > 0) {
        mx /= n;
        mc /= n;
        let cov = 0;
        rows.forEach((_, r) => {
          if (xs[r] !== null) cov += (value(xs[r]!) - mx) * (contrib[r * groups + g] - mc);
        });
        effects.push({ feature: f.key, label: f.label, value: 'higher', effect: Math.sign(cov) * ((scale * absSum) / n), count: n });
      }
      if (missingCount > 0) effects.push({ feature: f.key, label: f.label, value: '(missing)', effect: (scale * missingSum) / missingCount, count: missingCount });
    }
  });
  return effects;
}
