/** KPIs: the role dashboard as tiles (value, target, attainment, pace, health, trend), the funnel, the leaderboard. */
import { gql } from '../api';
import { chart } from '../charts';
import { card, figure, h, money, num, pct, quarterOf, quarterStart, shiftQuarter, table } from '../dom';
import { defaultScope, scopeSelect, type Scope } from '../scope-picker';
import { state } from '../state';

export const DASHBOARD_QUERY = `query Dashboard($role: DashboardRole!, $scope: DashboardScopeInput, $period: KpiPeriodInput!) {
  dashboard(role: $role, scope: $scope, period: $period) {
    kpis { key definition { label unit direction } rows { value reason health target { value attainment pace status } comparison { pctChange } } }
  }
}`;
const TREND_QUERY = `query Trend($keys: [String!]!, $period: KpiPeriodInput!, $filter: KpiFilterInput) {
  kpis(keys: $keys, period: $period, groupBy: [MONTH], filter: $filter) { key rows { value bucket { key } } }
}`;
const FUNNEL_QUERY = `query Funnel($period: KpiPeriodInput!, $filter: KpiFilterInput) {
  funnel(cohort: DEALS, period: $period, filter: $filter) { steps { key label count conversionFromPrevious conversionFromStart medianDays p75Days } }
}`;
const LEADERBOARD_QUERY = `query Leaderboard($kpi: String!, $period: KpiPeriodInput!, $teamId: ID) {
  leaderboard(kpi: $kpi, period: $period, teamId: $teamId, limit: 15) { definition { label unit } entries { rank teamName tenureMonths rep { id name } row { value } } }
}`;

type Role = 'EXEC' | 'MANAGER' | 'AE' | 'SDR';
let role: Role | null = null;
let scope: Scope | null = null;

export function formatKpi(value: number | null | undefined, unit: string): string {
  if (value == null) return '–';
  switch (unit) {
    case 'MONEY': return money(value);
    case 'RATIO': return pct(value, 1);
    case 'DAYS': return `${num(value, 1)} d`;
    case 'HOURS': return `${num(value, 1)} h`;
    case 'MULTIPLE': return `${num(value, 2)}×`;
    case 'MONEY_PER_DAY': return `${money(value)}/day`;
    default: return num(value, 1);
  }
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

export async function kpiView(root: HTMLElement): Promise<void> {
  const v = state.viewer!;
  role ??= v.role === 'ADMIN' ? 'EXEC' : (v.role as Role);
  scope ??= v.role === 'SDR' ? { repId: v.repId ?? undefined } : defaultScope();
  const rerender = () => void kpiView(root);
  const roles: Role[] = v.role === 'SDR' ? ['SDR'] : v.role === 'AE' ? ['AE'] : ['EXEC', 'MANAGER', 'AE', 'SDR'];
  const roleSelect = h('select', { 'data-testid': 'dashboard-role', 'aria-label': 'Dashboard' }, ...roles.map((r) => h('option', { value: r, selected: r === role }, r)));
  roleSelect.addEventListener('change', () => { role = roleSelect.value as Role; rerender(); });
  const q = quarterOf(new Date());
  const period = { from: iso(quarterStart(q)), to: iso(quarterStart(shiftQuarter(q, 1))) };
  const trendPeriod = { from: iso(quarterStart(shiftQuarter(q, -2))), to: period.to };
  const filter = scope.repId ? { repIds: [scope.repId] } : scope.teamId ? { teamIds: [scope.teamId] } : undefined;
  const controls = h('div', { class: 'controls' }, h('label', {}, 'Dashboard ', roleSelect), h('label', {}, 'Scope ', scopeSelect(scope, (s) => { scope = s; rerender(); }, role !== 'SDR')), h('span', { class: 'muted' }, `${q} (${period.from} – ${period.to})`));
  root.replaceChildren(controls, h('p', { class: 'muted' }, 'Computing KPIs…'));

  const { dashboard } = await gql(DASHBOARD_QUERY, { role, scope, period });
  const keys = dashboard.kpis.map((k: any) => k.key);
  const [trend, funnel, board] = await Promise.all([
    gql(TREND_QUERY, { keys, period: trendPeriod, filter }).catch(() => null),
    role === 'SDR' ? Promise.resolve(null) : gql(FUNNEL_QUERY, { period, filter }),
    gql(LEADERBOARD_QUERY, { kpi: role === 'SDR' ? 'meetingsBooked' : 'revenue', period, teamId: scope.teamId }).catch(() => null),
  ]);
  const trendByKey = new Map<string, number[]>((trend?.kpis ?? []).map((k: any) => [k.key, k.rows.map((r: any) => r.value ?? 0)]));

  const tiles = h('div', { class: 'tiles kpi-tiles', 'data-testid': 'kpi-tiles' });
  for (const k of dashboard.kpis) {
    const row = k.rows[0] ?? {};
    const spark = h('div', { class: 'spark' });
    tiles.append(h('div', { class: `tile health-${(row.health ?? 'none').toLowerCase()}`, 'data-testid': `kpi-${k.key}` },
      h('div', { class: 'tile-label' }, k.definition.label),
      h('div', { class: 'tile-value' }, figure(`kpi-value-${k.key}`, row.value, formatKpi(row.value, k.definition.unit))),
      h('div', { class: 'tile-sub' }, row.target ? `target ${formatKpi(row.target.value, k.definition.unit)} · ${pct(row.target.attainment)} · projected ${formatKpi(row.target.pace, k.definition.unit)} · ${row.target.status?.replace('_', ' ').toLowerCase() ?? ''}` : row.reason ?? 'no target'),
      h('div', { class: 'tile-sub' }, [row.health ? `health ${row.health.toLowerCase()}` : '', row.comparison?.pctChange != null ? `${row.comparison.pctChange >= 0 ? '▲' : '▼'} ${pct(Math.abs(row.comparison.pctChange), 1)} vs previous` : ''].filter(Boolean).join(' · ')),
      spark));
    const series = trendByKey.get(k.key);
    if (series?.length) queueMicrotask(() => chart(spark, { grid: { left: 2, right: 2, top: 4, bottom: 2 }, xAxis: { type: 'category', show: false, data: series.map((_, i) => i) }, yAxis: { type: 'value', show: false, scale: true }, series: [{ type: 'line', data: series, symbol: 'none', lineStyle: { width: 1.5, color: '#1d4ed8' }, areaStyle: { opacity: 0.08 } }] }));
  }

  const sections: HTMLElement[] = [controls, card(`${role} dashboard`, tiles)];
  const row2 = h('div', { class: 'grid2' });
  if (funnel) {
    const steps = funnel.funnel.steps;
    const el = h('div', { class: 'chart', 'data-testid': 'funnel-chart' });
    row2.append(card('Funnel (deals opened this quarter)', el, table(['Stage', 'Reached', 'From previous', 'Median days', 'p75 days'], steps.map((s: any) => [s.label, figure(`funnel-${s.key}`, s.count, num(s.count)), pct(s.conversionFromPrevious, 1), num(s.medianDays, 1), num(s.p75Days, 1)]), { 'data-testid': 'funnel' })));
    queueMicrotask(() => chart(el, { tooltip: { trigger: 'item' }, series: [{ type: 'funnel', sort: 'none', left: '5%', width: '58%', top: 10, bottom: 10, label: { formatter: '{b}: {c}' }, data: steps.map((s: any) => ({ name: s.label, value: s.count })) }] }));
  }
  if (board) {
    const unit = board.leaderboard.definition.unit;
    row2.append(card(`Leaderboard: ${board.leaderboard.definition.label}`, table(['#', 'Rep', 'Team', 'Tenure', board.leaderboard.definition.label], board.leaderboard.entries.map((e: any) => [String(e.rank ?? '–'), e.rep.name, e.teamName ?? '–', `${e.tenureMonths} mo`, figure(`leader-${e.rep.id}`, e.row.value, formatKpi(e.row.value, unit))]), { 'data-testid': 'leaderboard' })));
  }
  sections.push(row2);
  root.replaceChildren(...sections);
}
