/** Forecast: the period's call as a fan chart, the categories with the manager's call, the track record, top deals. */
import { gql } from '../api';
import { chart, compact } from '../charts';
import { card, day, errorBox, figure, h, money, pct, quarterOf, quarterStart, shiftQuarter, table } from '../dom';
import { defaultScope, periodSelect, scopeLabel, scopeSelect, type Scope } from '../scope-picker';
import { state } from '../state';
import { openDeal } from './deal-drawer';
import { METHOD_FIELDS, methodPanel } from './forecast-method';

export const FORECAST_QUERY = `query Forecast($period: String!, $teamId: ID, $repId: ID) {
  forecast(period: $period, teamId: $teamId, repId: $repId) {
    period periodStart periodEnd asOf ${METHOD_FIELDS}
    total { expected p10 p50 p90 closedWon quota gapToQuota pipeline newBusiness openPipeline openDeals pipelineCoverage calledAmount
      categoriesWithOverrides { category deals amount expected }
      adjustments { amount note category createdAt author { name } deal { id name } }
      topDeals { dealId name stage amount winProbability timingProbability expectedValue expectedCloseDate repCategory modelCategory } }
  }
  forecastCall(period: $period, teamId: $teamId, repId: $repId) { weeks { week weekStart asOf expected p10 p50 p90 closedWon calledAmount } }
}`;

export const BACKTEST_QUERY = `query Backtest($from: DateTimeISO!, $to: DateTimeISO!, $teamId: ID, $repId: ID) {
  forecastBacktest(from: $from, to: $to, interval: QUARTER, teamId: $teamId, repId: $repId) {
    periods { period actual expected p10 p90 runRate fixedWeight }
    model { wape bias coverage periods } runRate { wape bias } fixedWeight { wape bias }
  }
}`;

const CATEGORY_LABELS: Record<string, string> = { COMMIT: 'Commit', BEST_CASE: 'Best case', PIPELINE: 'Pipeline', OMITTED: 'Omitted' };

let period = quarterOf(new Date());
let scope: Scope | null = null;

export async function forecastView(root: HTMLElement): Promise<void> {
  scope ??= defaultScope();
  const rerender = () => void forecastView(root);
  const controls = h('div', { class: 'controls' },
    h('label', {}, 'Period ', periodSelect(period, (p) => { period = p; rerender(); })),
    h('label', {}, 'Scope ', scopeSelect(scope, (s) => { scope = s; rerender(); })));
  root.replaceChildren(controls, h('p', { class: 'muted' }, `Forecasting ${period} for ${scopeLabel(scope)}…`));

  const { forecast: f, forecastCall } = await gql(FORECAST_QUERY, { period, ...scope });
  const t = f.total;
  const fan = h('div', { class: 'chart', 'data-testid': 'fan-chart' });
  const headline = h('div', { class: 'tiles' },
    tile('Expected', figure('forecast-expected', t.expected, money(t.expected)), `P50 ${money(t.p50)}`),
    tile('Range P10–P90', h('span', { class: 'range' }, figure('forecast-p10', t.p10, money(t.p10)), ' – ', figure('forecast-p90', t.p90, money(t.p90))), `${f.simulations.toLocaleString('en-GB')} simulations`),
    tile('Closed won', figure('forecast-closed-won', t.closedWon, money(t.closedWon)), `as of ${day(f.asOf)}`),
    h('span', { hidden: true, 'data-testid': 'forecast-as-of', 'data-value': f.asOf }),
    tile('Quota', figure('forecast-quota', t.quota, money(t.quota)), t.gapToQuota == null ? 'no quota set' : `gap ${money(t.gapToQuota)}`),
    tile('Open pipeline', figure('forecast-open-pipeline', t.openPipeline, money(t.openPipeline)), `${t.openDeals} deals · coverage ${t.pipelineCoverage == null ? '–' : `${t.pipelineCoverage.toFixed(1)}×`}`));

  const categories = table(['Category', 'Deals', 'Amount', 'Expected'], [
    [h('strong', {}, 'Closed won'), '', figure('category-CLOSED', t.closedWon, money(t.closedWon)), money(t.closedWon)],
    ...t.categoriesWithOverrides.filter((c: any) => c.category !== 'OMITTED' || c.deals > 0).map((c: any) => [CATEGORY_LABELS[c.category] ?? c.category, String(c.deals), figure(`category-${c.category}`, c.amount, money(c.amount)), money(c.expected)]),
  ], { 'data-testid': 'categories' });
  const calls = t.adjustments.filter((a: any) => a.amount != null);
  const latest = calls[0];
  const managerCall = h('div', { class: 'call' },
    h('p', {}, h('strong', {}, "Manager's call: "), figure('called-amount', t.calledAmount, money(t.calledAmount)),
      latest ? h('span', { class: 'muted' }, ` — “${latest.note}” (${latest.author?.name ?? 'unknown'}, ${day(latest.createdAt)})`) : h('span', { class: 'muted' }, ' — no call recorded')),
    callForm(t.expected, rerender));
  const overrides = t.adjustments.filter((a: any) => a.category != null || a.deal);
  const overrideList = overrides.length
    ? h('ul', { class: 'notes' }, ...overrides.slice(0, 5).map((a: any) => h('li', {}, `${a.deal?.name ?? 'Deal'} → ${CATEGORY_LABELS[a.category] ?? 'cleared'}: “${a.note}” (${a.author?.name ?? ''})`)))
    : null;

  const weeks = forecastCall.weeks as any[];
  const callTable = table(['Week', 'Snapshot', 'Expected', 'P10 – P90', 'Closed won', 'Called'], weeks.map((w) => [
    `W${w.week} (${day(w.weekStart)})`, w.asOf ? day(w.asOf) : 'none', w.expected == null ? '–' : figure(`call-week-${w.week}`, w.expected, money(w.expected)),
    w.p10 == null ? '–' : `${money(w.p10)} – ${money(w.p90)}`, money(w.closedWon), money(w.calledAmount),
  ]), { 'data-testid': 'call-by-week' });

  const topDeals = table(['Deal', 'Stage', 'Amount', 'P(win)', 'P(in period)', 'Expected value', 'Close', 'Category'], t.topDeals.map((d: any) => [
    h('a', { href: `#deal-${d.dealId}`, 'data-testid': 'top-deal', onclick: (e: Event) => { e.preventDefault(); void openDeal(d.dealId); } }, d.name),
    d.stage, money(d.amount), pct(d.winProbability), pct(d.timingProbability), money(d.expectedValue), day(d.expectedCloseDate), CATEGORY_LABELS[d.repCategory ?? d.modelCategory],
  ]), { 'data-testid': 'top-deals' });

  const backtest = h('div', { 'data-testid': 'backtest' }, h('p', { class: 'muted' }, 'Replaying past quarters…'));
  root.replaceChildren(
    controls,
    headline,
    card(`The call for ${f.period}: ${scopeLabel(scope)}`, fan, h('p', { class: 'muted' }, 'Band: P10–P90 of each weekly snapshot; line: P50; green: closed won to date; dashed: quota. The last point is the live forecast.')),
    h('div', { class: 'grid2' }, card('Categories', categories, managerCall, overrideList), card('The call week by week', callTable)),
    card('Method and track record', methodPanel(f), backtest),
    card('Top deals', topDeals),
  );
  drawFan(fan, weeks, t);
  void loadBacktest(backtest);
}

function tile(label: string, value: Node, sub: string): HTMLElement {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), h('div', { class: 'tile-sub' }, sub));
}

function drawFan(el: HTMLElement, weeks: any[], t: any): void {
  const points = weeks.filter((w) => w.expected != null).map((w) => ({ label: `W${w.week}`, p10: w.p10, p50: w.p50, p90: w.p90, won: w.closedWon }));
  points.push({ label: 'Now', p10: t.p10, p50: t.p50, p90: t.p90, won: t.closedWon });
  chart(el, {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => money(v) },
    legend: { data: ['P50', 'P10–P90', 'Closed won'], bottom: 0 },
    grid: { left: 60, right: 20, top: 20, bottom: 50 },
    xAxis: { type: 'category', boundaryGap: false, data: points.map((p) => p.label) },
    yAxis: { type: 'value', axisLabel: { formatter: compact }, min: 0, max: (v: { max: number }) => Math.ceil((Math.max(v.max, t.quota ?? 0) * 1.08) / 1e5) * 1e5 },
    series: [
      { name: 'P10', type: 'line', stack: 'band', data: points.map((p) => p.p10), lineStyle: { opacity: 0 }, symbol: 'none', tooltip: { show: false } },
      { name: 'P10–P90', type: 'line', stack: 'band', data: points.map((p) => p.p90 - p.p10), lineStyle: { opacity: 0 }, symbol: 'none', areaStyle: { color: 'rgba(59,130,246,0.22)' }, itemStyle: { color: 'rgba(59,130,246,0.45)' } },
      { name: 'P50', type: 'line', data: points.map((p) => p.p50), itemStyle: { color: '#1d4ed8' },
        markLine: t.quota == null ? undefined : { symbol: 'none', lineStyle: { type: 'dashed', color: '#b91c1c' }, label: { position: 'insideEndTop', formatter: `Quota ${compact(t.quota)}` }, data: [{ yAxis: t.quota }] } },
      { name: 'Closed won', type: 'line', data: points.map((p) => p.won), itemStyle: { color: '#15803d' } },
    ],
  });
}

async function loadBacktest(el: HTMLElement): Promise<void> {
  const current = quarterOf(new Date());
  const from = quarterStart(shiftQuarter(current, -6)).toISOString();
  const to = quarterStart(current).toISOString();
  try {
    const { forecastBacktest: b } = await gql(BACKTEST_QUERY, { from, to, ...scope });
    el.replaceChildren(
      h('p', {}, 'Past quarters forecast as of their first day, against what closed won (WAPE: lower is better). ',
        h('strong', {}, 'Model '), figure('backtest-wape-model', b.model.wape, pct(b.model.wape, 1)),
        ' · run-rate ', figure('backtest-wape-runrate', b.runRate.wape, pct(b.runRate.wape, 1)),
        ' · fixed stage weights ', figure('backtest-wape-fixed', b.fixedWeight.wape, pct(b.fixedWeight.wape, 1)),
        ` · actual inside P10–P90 in ${pct(b.model.coverage)} of quarters`),
      table(['Quarter', 'Forecast', 'P10 – P90', 'Actual', 'Run-rate', 'Fixed weights'], b.periods.map((p: any) => [p.period, money(p.expected), `${money(p.p10)} – ${money(p.p90)}`, h('strong', {}, money(p.actual)), money(p.runRate), money(p.fixedWeight)])),
    );
  } catch (error) {
    el.replaceChildren(errorBox(error));
  }
}

function callForm(suggested: number, done: () => void): HTMLElement | null {
  const v = state.viewer!;
  if (!v.repId || (v.role !== 'MANAGER' && v.role !== 'EXEC' && v.role !== 'AE')) return null;
  const s = scope!;
  const target = s.repId ? { scope: 'REP', repId: s.repId } : s.teamId ? { scope: 'TEAM', teamId: s.teamId } : { scope: 'COMPANY' };
  const amount = h('input', { type: 'number', name: 'amount', value: String(Math.round(suggested)), step: '1000', 'aria-label': 'Called amount' });
  const note = h('input', { type: 'text', name: 'note', placeholder: 'Why (at least 3 characters)', 'aria-label': 'Note' });
  const status = h('span', { class: 'muted' });
  const form = h('form', { class: 'inline' }, amount, note, h('button', { type: 'submit' }, 'Record my call'), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await gql(`mutation($input: AdjustForecastInput!) { adjustForecast(input: $input) { id } }`, { input: { period, ...target, amount: Number(amount.value), note: note.value } });
      done();
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  });
  return form;
}
