/** Pipeline movement: the waterfall between two dates for a period's pipeline; a bar opens its deals. */
import { gql } from '../api';
import { chart, compact } from '../charts';
import { card, day, errorBox, figure, h, money, quarterOf, quarterStart, table } from '../dom';
import { defaultScope, periodSelect, scopeLabel, scopeSelect, type Scope } from '../scope-picker';
import { openDeal } from './deal-drawer';

export const MOVEMENT_QUERY = `query Movement($from: DateTimeISO!, $to: DateTimeISO!, $period: String!, $teamId: ID, $repId: ID) {
  pipelineMovement(from: $from, to: $to, period: $period, teamId: $teamId, repId: $repId) {
    period from to start { amount count } end { amount count } bars { kind label sign amount count }
  }
}`;

export const BAR_DEALS_QUERY = `query BarDeals($from: DateTimeISO!, $to: DateTimeISO!, $period: String!, $teamId: ID, $repId: ID, $kind: MovementKind!, $after: String) {
  pipelineMovement(from: $from, to: $to, period: $period, teamId: $teamId, repId: $repId) {
    bar(kind: $kind) { label count amount deals(first: 25, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { dealId amount amountFrom amountTo closeDateFrom closeDateTo statusTo deal { name stage { name } } ownerFrom { name } ownerTo { name } } } } }
  }
}`;

let period = quarterOf(new Date());
let scope: Scope | null = null;
let from = '';
let to = '';

const todayIso = () => new Date().toISOString().slice(0, 10);

export async function movementView(root: HTMLElement): Promise<void> {
  scope ??= defaultScope();
  if (!from) {
    from = quarterStart(period).toISOString().slice(0, 10);
    to = todayIso();
  }
  const rerender = () => void movementView(root);
  const date = (value: string, testid: string, set: (v: string) => void) => {
    const input = h('input', { type: 'date', value, max: todayIso(), 'data-testid': testid });
    input.addEventListener('change', () => { set(input.value); rerender(); });
    return input;
  };
  const controls = h('div', { class: 'controls' },
    h('label', {}, 'Deals expected to close in ', periodSelect(period, (p) => { period = p; rerender(); })),
    h('label', {}, 'From ', date(from, 'movement-from', (v) => (from = v))),
    h('label', {}, 'to ', date(to, 'movement-to', (v) => (to = v))),
    h('label', {}, 'Scope ', scopeSelect(scope, (s) => { scope = s; rerender(); })));
  root.replaceChildren(controls, h('p', { class: 'muted' }, 'Comparing the two pipelines…'));

  const vars = { from: `${from}T00:00:00.000Z`, to: to === todayIso() ? new Date().toISOString() : `${to}T00:00:00.000Z`, period, ...scope };
  const { pipelineMovement: m } = await gql(MOVEMENT_QUERY, vars);
  const el = h('div', { class: 'chart tall', 'data-testid': 'waterfall' });
  const deals = h('div', { 'data-testid': 'bar-deals' }, h('p', { class: 'muted' }, 'Click a bar to see its deals.'));
  const summary = h('p', {},
    'Start ', figure('movement-start', m.start.amount, money(m.start.amount)), ` (${m.start.count} deals) → end `,
    figure('movement-end', m.end.amount, money(m.end.amount)), ` (${m.end.count} deals)`);
  const legend = table(['Bar', 'Deals', 'Amount'], m.bars.map((b: any) => [
    h('a', { href: '#', 'data-testid': `bar-${b.kind}`, onclick: (e: Event) => { e.preventDefault(); void showBar(deals, vars, b.kind); } }, b.label),
    String(b.count), figure(`bar-amount-${b.kind}`, b.amount, `${b.amount === 0 ? '' : b.sign > 0 ? '+' : '−'}${money(b.amount)}`),
  ]), { 'data-testid': 'movement-bars' });
  root.replaceChildren(controls, card(`What moved in the ${m.period} pipeline of ${scopeLabel(scope)}, ${day(m.from)} → ${day(m.to)}`, summary, el, h('div', { class: 'grid2' }, legend, deals)));

  // Waterfall: an invisible base bar under each step, the step itself coloured by direction.
  const labels = ['Start', ...m.bars.map((b: any) => b.label), 'End'];
  const base: number[] = [0];
  const value: Array<{ value: number; itemStyle: { color: string } }> = [{ value: m.start.amount, itemStyle: { color: '#1d4ed8' } }];
  let level = m.start.amount;
  for (const b of m.bars) {
    const next = level + b.sign * b.amount;
    base.push(Math.min(level, next));
    value.push({ value: b.amount, itemStyle: { color: b.sign > 0 ? '#15803d' : '#b91c1c' } });
    level = next;
  }
  base.push(0);
  value.push({ value: m.end.amount, itemStyle: { color: '#1d4ed8' } });
  const c = chart(el, {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps: any[]) => `${ps[1].name}: ${money(ps[1].value)}` },
    grid: { left: 60, right: 20, top: 20, bottom: 40 },
    xAxis: { type: 'category', data: labels, axisLabel: { interval: 0 } },
    yAxis: { type: 'value', axisLabel: { formatter: compact } },
    series: [
      { type: 'bar', stack: 'w', data: base, itemStyle: { color: 'transparent' }, emphasis: { disabled: true }, silent: true },
      { type: 'bar', stack: 'w', data: value, label: { show: true, position: 'top', formatter: (p: any) => compact(p.value) } },
    ],
  });
  // A click anywhere in a bar's column opens it (thin bars are hard to hit).
  c.getZr().on('click', (e: { offsetX: number; offsetY: number }) => {
    if (!c.containPixel('grid', [e.offsetX, e.offsetY])) return;
    const [index] = c.convertFromPixel({ seriesIndex: 1 }, [e.offsetX, e.offsetY]) as number[];
    const i = Math.round(index) - 1;
    if (i >= 0 && i < m.bars.length) void showBar(deals, vars, m.bars[i].kind);
  });
  el.dataset.categories = JSON.stringify(labels);
}

async function showBar(el: HTMLElement, vars: Record<string, unknown>, kind: string, after?: string, rows: any[] = []): Promise<void> {
  if (!after) el.replaceChildren(h('p', { class: 'muted' }, 'Loading the deals…'));
  try {
    const { pipelineMovement: { bar } } = await gql(BAR_DEALS_QUERY, { ...vars, kind, after });
    rows.push(...bar.deals.edges.map((e: any) => e.node));
    const more = bar.deals.pageInfo.hasNextPage
      ? h('button', { 'data-testid': 'bar-deals-more', onclick: () => void showBar(el, vars, kind, bar.deals.pageInfo.endCursor, rows) }, `Load more (${rows.length} of ${bar.deals.totalCount})`)
      : null;
    el.replaceChildren(
      h('h3', { 'data-testid': 'bar-deals-title', 'data-kind': kind }, `${bar.label}: ${bar.deals.totalCount} deals, ${money(bar.amount)}`),
      table(['Deal', 'Amount in bar', 'Amount', 'Expected close', 'Owner'], rows.map((n) => [
        n.deal ? h('a', { href: '#', 'data-testid': 'bar-deal', 'data-deal-id': n.dealId, onclick: (e: Event) => { e.preventDefault(); void openDeal(n.dealId); } }, n.deal.name) : h('span', { 'data-testid': 'bar-deal', 'data-deal-id': n.dealId, class: 'muted' }, `Deal ${n.dealId} (not visible to you now)`),
        h('span', { 'data-testid': 'bar-deal-amount', 'data-value': String(n.amount) }, money(n.amount)),
        n.amountFrom === n.amountTo ? money(n.amountTo) : `${money(n.amountFrom)} → ${money(n.amountTo)}`,
        day(n.closeDateFrom) === day(n.closeDateTo) ? day(n.closeDateTo) : `${day(n.closeDateFrom)} → ${day(n.closeDateTo)}`,
        n.ownerFrom?.name === n.ownerTo?.name ? (n.ownerTo?.name ?? '–') : `${n.ownerFrom?.name ?? '–'} → ${n.ownerTo?.name ?? '–'}`,
      ])),
      more ?? '',
    );
  } catch (error) {
    el.replaceChildren(errorBox(error));
  }
}
