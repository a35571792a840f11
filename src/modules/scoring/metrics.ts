/** Evaluation metrics for binary probability scores. Pure functions over plain arrays. */

export interface CalibrationBin {
  /** Lower and upper edge of the predicted-probability bin. */
  from: number;
  to: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

export interface BinaryMetrics {
  count: number;
  positives: number;
  positiveRate: number;
  auc: number;
  prAuc: number;
  logLoss: number;
  brier: number;
  /** Positive rate in the top 10 % / 20 % of scores divided by the overall positive rate. */
  lift10: number;
  lift20: number;
  /** Expected calibration error over the ten bins of `calibration`. */
  calibrationError: number;
  calibration: CalibrationBin[];
}

const EPS = 1e-7;
const clip = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));

/** ROC AUC by the rank-sum (Mann–Whitney) formula; ties count one half. NaN without both classes. */
export function rocAuc(p: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = p.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]] === p[order[i]]) j++;
    const avgRank = (i + j + 2) / 2; // 1-based ranks i+1..j+1
    for (let k = i; k <= j; k++) {
      if (y[order[k]] === 1) {
        positives++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Area under the precision–recall curve as average precision (step-wise, ties processed together). */
export function prAuc(p: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = p.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  let total = 0;
  for (let i = 0; i < n; i++) total += y[i] === 1 ? 1 : 0;
  if (total === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let tpGroup = 0;
    while (j < n && p[order[j]] === p[order[i]]) {
      if (y[order[j]] === 1) tpGroup++;
      j++;
    }
    tp += tpGroup;
    seen += j - i;
    ap += (tpGroup / total) * (tp / seen);
    i = j;
  }
  return ap;
}

export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = clip(p[i]);
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

export function brier(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] - y[i]) ** 2;
  return s / p.length;
}

/** Ten (or `bins`) equal-width bins of predicted probability; empty bins are omitted. */
export function calibrationTable(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p[i] * bins)));
    count[b]++;
    sumP[b] += p[i];
    sumY[b] += y[i];
  }
  const table: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    table.push({ from: b / bins, to: (b + 1) / bins, count: count[b], meanPredicted: sumP[b] / count[b], observedRate: sumY[b] / count[b] });
  }
  return table;
}

/** Expected calibration error: count-weighted mean |predicted − observed| over the calibration bins. */
export function expectedCalibrationError(table: CalibrationBin[]): number {
  const n = table.reduce((s, b) => s + b.count, 0);
  return n ? table.reduce((s, b) => s + (b.count / n) * Math.abs(b.meanPredicted - b.observedRate), 0) : NaN;
}

/** Positive rate among the top `fraction` of scores over the overall positive rate. */
export function lift(p: ArrayLike<number>, y: ArrayLike<number>, fraction: number): number {
  const n = p.length;
  const k = Math.max(1, Math.round(n * fraction));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  let top = 0;
  let all = 0;
  for (let i = 0; i < n; i++) all += y[i];
  for (let i = 0; i < k; i++) top += y[order[i]];
  return all === 0 ? NaN : top / k / (all / n);
}

export function evaluate(p: ArrayLike<number>, y: ArrayLike<number>): BinaryMetrics {
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i];
  const table = calibrationTable(p, y);
  return {
    count: p.length,
    positives,
    positiveRate: p.length ? positives / p.length : NaN,
    auc: rocAuc(p, y),
    prAuc: prAuc(p, y),
    logLoss: logLoss(p, y),
    brier: brier(p, y),
    lift10: lift(p, y, 0.1),
    lift20: lift(p, y, 0.2),
    calibrationError: expectedCalibrationError(table),
    calibration: table,
  };
}

/** Cut-offs on probability splitting a score distribution into tiers A (top 10 %), B (next 20 %), C (next 30 %), D. */
export function tierCutoffs(p: ArrayLike<number>): { A: number; B: number; C: number } {
  const sorted = Array.from(p).sort((a, b) => b - a);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))] ?? 1;
  return { A: at(0.1), B: at(0.3), C: at(0.6) };
}

export function tierOf(probability: number, cut: { A: number; B: number; C: number }): 'A' | 'B' | 'C' | 'D' {
  if (probability >= cut.A) return 'A';
  if (probability >= cut.B) return 'B';
  if (probability >= cut.C) return 'C';
  return 'D';
}

/** Percentile (0..100, one decimal) of `probability` in ascending `sorted`: the share strictly below it. */
export function percentileIn(sorted: Float64Array, probability: number): number | null {
  if (sorted.length === 0) return null;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < probability) lo = mid + 1;
    else hi = mid;
  }
  return Math.round((1000 * lo) / sorted.length) / 10;
}
