/**
 * Recalibration of the pipeline part on recent past periods. Durations say how long deals take, not which part of
 * the calendar they land in, and reps bunch signatures at quarter end: a deal that "should" close mid-August often
 * signs in late September; stage weights learned on closed deals also drift from what open deals do. Per stage,
 * the ratio of what deals open at the start of the most recent past periods of the same kind (for a month: the
 * same month of the quarter) actually won inside those periods, to what the model predicted for them, corrects
 * each deal's in-period probability (shrunk toward 1, bounded). The same past periods measure the model's own
 * error, which widens the simulated range. Uses only deals closed before asOf. Pure.
 */
import { type FactTable, Outcome, earliestCreated, openRowsAt } from './facts';
import { type HistoryModel, type WinProbabilityFn, emptyOutlook, outlookInStage, pipelineAmount } from './model';
import { type Period, shiftPeriod } from '../../shared/period';

export interface CalendarOptions {
  /** Past periods at the same seasonal position to compare with. */
  analogues: number;
  /** Pseudo-weight of "no correction" (ratio 1), as a share of the expected amount. */
  shrinkage: number;
  bounds: [number, number];
}
export const DEFAULT_CALENDAR_OPTIONS: CalendarOptions = { analogues: 4, shrinkage: 0.25, bounds: [0.2, 3] };

export interface CalendarCorrection {
  /** Per open stage: multiplier of the in-period probability. */
  ratio: Float64Array;
  periods: number;
  /**
   * Root-mean-square log error of the (corrected) pipeline model over those past periods: the model's own
   * uncertainty, which the deal-by-deal simulation alone does not see (it only knows the dice, not whether the
   * probabilities are right). Null with fewer than 2 periods.
   */
  modelLogError: number | null;
}

export function calendarCorrection(
  t: FactTable,
  model: HistoryModel,
  period: Period,
  asOf: number,
  include: (i: number) => boolean,
  winFn?: WinProbabilityFn,
  options: CalendarOptions = DEFAULT_CALENDAR_OPTIONS,
): CalendarCorrection {
  const k = t.stages.length;
  const expected = new Float64Array(k);
  const actual = new Float64Array(k);
  const perPeriod: Array<{ expected: Float64Array; actual: Float64Array; variance: number }> = [];
  const earliest = earliestCreated(t);
  const key = calendarKey(period);
  const offset = Math.max(0, asOf - period.start);
  let used = 0;
  const scratch = emptyOutlook();
  for (let step = 1; step <= 48 && used < options.analogues; step++) {
    const a = shiftPeriod(period, step);
    if (a.start < earliest) break;
    if (a.end > asOf || calendarKey(a) !== key) continue;
    used++;
    const from = a.start + offset;
    const mine = { expected: new Float64Array(k), actual: new Float64Array(k), variance: 0 };
    const open = openRowsAt(t, from);
    for (let j = 0; j < open.rows.length; j++) {
      const i = open.rows[j];
      if (!include(i)) continue;
      const o = outlookInStage(t, model, i, open.stage[j], open.enteredAt[j], from, a.end, winFn, from, scratch);
      const s = calendarStage(model, o.stage);
      const amount = pipelineAmount(t, model, i);
      mine.expected[s] += o.probability * amount;
      mine.variance += amount * amount * o.probability * (1 - o.probability);
      if (t.outcome[i] === Outcome.WON && t.closed[i] >= from && t.closed[i] < a.end) mine.actual[s] += t.amount[i];
    }
    for (let s = 0; s < k; s++) {
      expected[s] += mine.expected[s];
      actual[s] += mine.actual[s];
    }
    perPeriod.push(mine);
  }
  const [lo, hi] = options.bounds;
  const ratio = Float64Array.from(expected, (e, s) => {
    if (!(e > 0)) return 1;
    const r = (actual[s] + options.shrinkage * e) / (e * (1 + options.shrinkage));
    return Math.min(hi, Math.max(lo, r));
  });
  // Out-of-period check of the corrected model: squared log(actual / predicted) per past period, minus the part
  // deal-by-deal chance explains (relative variance of a sum of Bernoullis), which the simulation already draws.
  const terms = perPeriod
    .map(({ expected: e, actual: a, variance }) => {
      const predicted = e.reduce((sum, v, s) => sum + v * ratio[s], 0);
      const won = a.reduce((sum, v) => sum + v, 0);
      return predicted > 0 && won > 0 ? Math.log(won / predicted) ** 2 - variance / (predicted * predicted) : null;
    })
    .filter((x): x is number => x != null);
  const modelLogError = terms.length >= 2 ? Math.sqrt(Math.max(0, terms.reduce((sum, x) => sum + x, 0) / terms.length)) : null;
  return { ratio, periods: used, modelLogError };
}

/**
 * The ratio slot of a deal's stage. Without usable stage history (model.stageless) all deals share one: a stage
 * then only tells which deals are still open at the export (they entered it at creation), which no past period
 * may learn from.
 */
export const calendarStage = (model: HistoryModel, stage: number) => (model.stageless ? 0 : stage);

/** Months differ by their place in the quarter (quarter-end bunching); quarters and years are alike. */
const calendarKey = (p: Period) => (p.kind === 'MONTH' ? new Date(p.start).getUTCMonth() % 3 : null);
