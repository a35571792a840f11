/** The forecast's method as the API served it: which method, why, how its range was made, and where data is thin. */
import { figure, h, pct, table } from '../dom';

/** The fields of `Forecast` this panel reads. */
export const METHOD_FIELDS = `closedDealsInHistory newBusinessPeriods simulations
  method { method judgedPeriods blendWeight rangeSource rangePeriods candidates { method periods mape wape bias } record { periods mape wape bias coverage } }
  thin { kind subject sample message }`;

export const METHOD_LABELS: Record<string, string> = {
  PIPELINE: 'Pipeline model',
  BLEND: 'Blend of the pipeline model and the run-rate',
  RUN_RATE: 'Run-rate (mean of the last 3 closed periods)',
  DEAL_MODEL: 'Deal-win model',
};

const RANGE_TEXT: Record<string, [string, string]> = {
  CONFORMAL: ["split-conformal on the served method's last ", ' out-of-sample errors'],
  SMALL_SAMPLE: ['only ', ' past error(s) of the served method: a small-sample interval (Student-t), joined with the simulated range'],
  SIMULATION: ['', ' past errors of the served method, none to measure it by: the simulated range (deal-by-deal chance), widened by the spread of past actuals when there are any'],
};

const THIN_LABELS: Record<string, string> = {
  STAGE_WEIGHT: 'Stage weight', STAGE_HISTORY: 'Stage history', DEAL_SIZE: 'Deal size', DEAL_DATES: 'Deal dates', NEW_BUSINESS: 'New business',
  TRACK_RECORD: 'Track record', RANGE: 'Range', SIMULATION: 'Simulation', STALE_DEALS: 'Stale deals',
};

export function methodPanel(f: any): HTMLElement {
  const m = f.method;
  const why = m.judgedPeriods > 0
    ? ['chosen for the lowest WAPE over ', figure('method-judged-periods', m.judgedPeriods, String(m.judgedPeriods)), ' closed period(s), each forecast as of its own start']
    : ['served without a track record (', figure('method-judged-periods', m.judgedPeriods, '0'), ' closed periods to judge the methods by)'];
  const blend = m.blendWeight == null ? null
    : h('span', {}, ' · blend weight on the pipeline model ', figure('method-blend-weight', m.blendWeight, pct(m.blendWeight)));
  const usesPipeline = m.method === 'PIPELINE' || m.method === 'BLEND';
  const candidates = table(['Method', 'Periods', 'MAPE', 'WAPE', 'Bias'], [
    ...m.candidates.map((c: any) => [
      c.method === m.method ? h('strong', {}, METHOD_LABELS[c.method] ?? c.method) : METHOD_LABELS[c.method] ?? c.method,
      String(c.periods), pct(c.mape, 1), figure(`method-wape-${c.method}`, c.wape, pct(c.wape, 1)), pct(c.bias, 1),
    ]),
    [h('em', {}, 'Served, replayed'), String(m.record.periods), pct(m.record.mape, 1), figure('method-record-wape', m.record.wape, pct(m.record.wape, 1)), pct(m.record.bias, 1)],
  ], { 'data-testid': 'method-candidates' });
  return h('div', { 'data-testid': 'forecast-method-panel' },
    h('p', {}, h('strong', { 'data-testid': 'forecast-method', 'data-value': m.method }, METHOD_LABELS[m.method] ?? m.method), ': ', ...why, blend, '.'),
    h('p', {}, 'P10–P90: ', h('span', { 'data-testid': 'method-range-source', 'data-value': m.rangeSource },
      RANGE_TEXT[m.rangeSource]?.[0] ?? `${m.rangeSource}: `, figure('method-range-periods', m.rangePeriods, String(m.rangePeriods)), RANGE_TEXT[m.rangeSource]?.[1] ?? ' past errors'), '.'),
    usesPipeline
      ? h('p', { class: 'muted' }, `Pipeline model: P(win | stage, age, segment) learned from ${f.closedDealsInHistory.toLocaleString('en-GB')} closed deals, timing from time-in-stage curves, plus new business from ${f.newBusinessPeriods} comparable periods, simulated ${f.simulations.toLocaleString('en-GB')} times.`)
      : null,
    m.candidates.length ? candidates : null,
    f.thin.length
      ? h('ul', { class: 'notes', 'data-testid': 'forecast-thin' }, ...f.thin.map((x: any) =>
        h('li', { class: 'warning', 'data-kind': x.kind }, h('strong', {}, `${THIN_LABELS[x.kind] ?? x.kind} (${x.subject}, n = ${x.sample}): `), h('span', { 'data-testid': 'thin-message' }, x.message))))
      : null,
  );
}
