import { applyPlatt, fitPlatt, logit, sigmoid } from '../../src/modules/scoring/calibration';
import { brier, calibrationTable, expectedCalibrationError, lift, logLoss, percentileIn, prAuc, rocAuc, tierCutoffs, tierOf } from '../../src/modules/scoring/metrics';
import seedrandom from 'seedrandom';

describe('metrics computed by hand', () => {
  const p = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3];
  const y = [1, 0, 1, 1, 0, 0];

  it('ROC AUC: 7 of the 9 positive/negative pairs are ordered right', () => {
    expect(rocAuc(p, y)).toBeCloseTo(7 / 9, 12);
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('PR AUC as average precision: (1/1 + 2/3 + 3/4) / 3', () => {
    expect(prAuc(p, y)).toBeCloseTo((1 + 2 / 3 + 3 / 4) / 3, 12);
  });

  it('log loss and Brier', () => {
    expect(logLoss([0.8, 0.4], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(brier([0.8, 0.4], [1, 0])).toBeCloseTo((0.04 + 0.16) / 2, 12);
  });

  it('lift: top third holds 1 positive of 2 (50 %) over a 50 % base rate = 1; top half 2 of 3 = 4/3', () => {
    expect(lift(p, y, 1 / 3)).toBeCloseTo(1, 12);
    expect(lift(p, y, 0.5)).toBeCloseTo(4 / 3, 12);
  });

  it('calibration table bins by predicted probability', () => {
    const table = calibrationTable([0.05, 0.07, 0.55, 0.95], [0, 1, 1, 1]);
    expect(table[0].meanPredicted).toBeCloseTo(0.06, 12);
    expect(table).toEqual([
      { from: 0, to: 0.1, count: 2, meanPredicted: table[0].meanPredicted, observedRate: 0.5 },
      { from: 0.5, to: 0.6, count: 1, meanPredicted: 0.55, observedRate: 1 },
      { from: 0.9, to: 1, count: 1, meanPredicted: 0.95, observedRate: 1 },
    ]);
    expect(expectedCalibrationError(table)).toBeCloseTo((2 * 0.44 + 0.45 + 0.05) / 4, 12);
  });

  it('tiers: top 10 % A, next 20 % B, next 30 % C', () => {
    const scores = Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
    const cut = tierCutoffs(scores);
    expect(cut).toEqual({ A: 1, B: 0.8, C: 0.5 });
    expect(scores.map((s) => tierOf(s, cut)).join('')).toBe('DDDDCCCBBA');
  });

  it('percentile in the queue: the share of stored scores strictly below, to one decimal', () => {
    const sorted = Float64Array.from([0.1, 0.2, 0.2, 0.4, 0.7, 0.7, 0.9]);
    expect(percentileIn(sorted, 0.05)).toBe(0);
    expect(percentileIn(sorted, 0.1)).toBe(0); // the lowest score: nothing below it
    expect(percentileIn(sorted, 0.2)).toBe(14.3); // 1 of 7
    expect(percentileIn(sorted, 0.3)).toBe(42.9); // 3 of 7
    expect(percentileIn(sorted, 0.9)).toBe(85.7); // 6 of 7
    expect(percentileIn(sorted, 1)).toBe(100);
    expect(percentileIn(new Float64Array(0), 0.5)).toBeNull();
  });
});

describe('Platt calibration', () => {
  it('recovers a known miscalibration and lowers log loss and calibration error', () => {
    // True probability q; the model reports sigmoid(2·logit(q) + 1): overconfident and shifted.
    const rng = seedrandom('platt');
    const reported: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const q = sigmoid((rng() - 0.5) * 4);
      reported.push(sigmoid(2 * logit(q) + 1));
      labels.push(rng() < q ? 1 : 0);
    }
    const platt = fitPlatt(reported, labels);
    // Inverse map: logit(q) = (logit(p) − 1) / 2, so a ≈ 0.5 and b ≈ −0.5.
    expect(platt.a).toBeCloseTo(0.5, 1);
    expect(platt.b).toBeCloseTo(-0.5, 1);
    const calibrated = reported.map((p) => applyPlatt(platt, p));
    expect(logLoss(calibrated, labels)).toBeLessThan(logLoss(reported, labels) - 0.02);
    expect(expectedCalibrationError(calibrationTable(calibrated, labels))).toBeLessThan(0.02);
    expect(expectedCalibrationError(calibrationTable(reported, labels))).toBeGreaterThan(0.08);
  });

  it('stays finite on separable data and is the identity with one class', () => {
    const p = fitPlatt([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
    expect(Number.isFinite(p.a) && Number.isFinite(p.b)).toBe(true);
    expect(fitPlatt([0.3, 0.4], [1, 1])).toEqual({ a: 1, b: 0 });
  });
});
