/**
 * Platt scaling: p' = sigmoid(a · logit(p) + b), fitted by Newton's method on held-out data so that a
 * score of 0.3 means about 30 %. Training with class weights shifts raw outputs; this undoes it.
 */

export interface Platt {
  a: number;
  b: number;
}

export const IDENTITY: Platt = { a: 1, b: 0 };

const EPS = 1e-7;
export const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};
export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Fits a, b by maximum likelihood with Platt's smoothed targets ((N+ + 1)/(N+ + 2), 1/(N- + 2)),
 * which keeps the fit finite on separable data. Falls back to identity when there is one class only.
 */
export function fitPlatt(p: ArrayLike<number>, y: ArrayLike<number>, iterations = 50): Platt {
  const n = p.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i];
  const neg = n - pos;
  if (pos === 0 || neg === 0) return IDENTITY;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const z = Array.from(p, logit);
  let a = 1;
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    // Gradient and Hessian of the negative log-likelihood in (a, b).
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (let i = 0; i < n; i++) {
      const t = y[i] === 1 ? hi : lo;
      const q = sigmoid(a * z[i] + b);
      const d = q - t;
      const w = Math.max(q * (1 - q), 1e-12);
      ga += d * z[i];
      gb += d;
      haa += w * z[i] * z[i];
      hab += w * z[i];
      hbb += w;
    }
    haa += 1e-9;
    hbb += 1e-9;
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-18) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return Number.isFinite(a) && Number.isFinite(b) ? { a, b } : IDENTITY;
}

export const applyPlatt = (c: Platt, p: number) => sigmoid(c.a * logit(p) + c.b);
