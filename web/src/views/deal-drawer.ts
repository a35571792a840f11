/** Deal drawer: the stage timeline, the field changes, and the win probability with its factors. */
import { gql } from '../api';
import { day, errorBox, figure, h, money, pct, table } from '../dom';

export const DEAL_QUERY = `query Deal($id: ID!) {
  deal(id: $id) {
    id name amount status expectedCloseDate openedAt closedAt lossReason forecastCategory
    stage { name } owner { name } account { name }
    stageHistory { at inferred fromStage { name } toStage { name } by { name } }
    changes { field oldLabel newLabel at source by { name } }
    winProbability { probability score tier method note factors { label contribution } }
  }
}`;

const FIELD_LABELS: Record<string, string> = { AMOUNT: 'Amount', EXPECTED_CLOSE_DATE: 'Expected close', STAGE: 'Stage', OWNER: 'Owner', STATUS: 'Status', FORECAST_CATEGORY: 'Forecast category' };

const drawer = () => document.getElementById('drawer')!;

export function closeDeal(): void {
  drawer().hidden = true;
  drawer().replaceChildren();
}

export async function openDeal(id: string): Promise<void> {
  const el = drawer();
  el.hidden = false;
  el.replaceChildren(h('p', { class: 'muted' }, 'Loading deal…'));
  try {
    const { deal: d } = await gql(DEAL_QUERY, { id });
    const close = h('button', { class: 'close', 'aria-label': 'Close', 'data-testid': 'drawer-close', onclick: closeDeal }, '×');
    const wp = d.winProbability;
    const timeline = h('ol', { class: 'timeline', 'data-testid': 'stage-timeline' }, ...d.stageHistory.map((s: any) =>
      h('li', {}, h('strong', {}, s.toStage.name), ` ${day(s.at)}`, s.by ? h('span', { class: 'muted' }, ` · ${s.by.name}`) : null, s.inferred ? h('span', { class: 'muted' }, ' (inferred)') : null)));
    const changes = d.changes.length
      ? table(['When', 'Field', 'From', 'To', 'By'], [...d.changes].reverse().map((c: any) => [h('span', { class: 'nowrap' }, day(c.at)), FIELD_LABELS[c.field] ?? c.field, c.field === 'AMOUNT' ? money(Number(c.oldLabel)) : c.oldLabel ?? '–', c.field === 'AMOUNT' ? money(Number(c.newLabel)) : c.newLabel ?? '–', c.by?.name ?? (c.source === 'API' ? 'system' : c.source.toLowerCase())]), { 'data-testid': 'field-changes' })
      : h('p', { class: 'muted', 'data-testid': 'field-changes' }, 'No field changes recorded.');
    const maxAbs = Math.max(0.0001, ...(wp?.factors ?? []).map((f: any) => Math.abs(f.contribution)));
    const factors = wp
      ? h('div', { 'data-testid': 'win-probability' },
          h('p', {}, h('strong', {}, 'Win probability '), figure('win-probability-value', wp.probability, pct(wp.probability)), ` · score ${wp.score} · tier ${wp.tier}`, h('span', { class: 'muted' }, ` · ${wp.method.toLowerCase().replace('_', ' ')}`)),
          wp.note ? h('p', { class: 'muted' }, wp.note) : null,
          h('ul', { class: 'factors' }, ...wp.factors.map((f: any) => h('li', {},
            h('span', { class: 'factor-label' }, f.label),
            h('span', { class: `bar ${f.contribution >= 0 ? 'pos' : 'neg'}`, style: `width:${Math.round((Math.abs(f.contribution) / maxAbs) * 120)}px` }),
            h('span', { class: 'muted' }, `${f.contribution >= 0 ? '+' : ''}${f.contribution.toFixed(2)}`)))))
      : h('p', { class: 'muted', 'data-testid': 'win-probability' }, d.status === 'OPEN' ? 'Not scored yet.' : `Closed ${d.status.toLowerCase()}: no win probability.`);
    el.replaceChildren(
      close,
      h('h2', { 'data-testid': 'drawer-title' }, d.name),
      h('p', {}, figure('drawer-amount', d.amount, money(d.amount)), ` · ${d.stage.name} · ${d.status}`, d.lossReason ? ` (${d.lossReason})` : ''),
      h('p', { class: 'muted' }, `${d.account?.name ?? 'No account'} · owner ${d.owner?.name ?? 'none'} · opened ${day(d.openedAt)} · expected close ${day(d.expectedCloseDate)}`),
      h('h3', {}, 'Win probability'), factors,
      h('h3', {}, 'Stage timeline'), timeline,
      h('h3', {}, 'Field changes'), changes,
    );
  } catch (error) {
    el.replaceChildren(h('button', { class: 'close', onclick: closeDeal }, '×'), errorBox(error));
  }
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') closeDeal();
});
