/** SDR queue: open leads ranked by score with tier and top reasons; a call or an email is logged from the row. */
import { gql } from '../api';
import { card, day, errorBox, figure, h, pct } from '../dom';
import { state } from '../state';

export const QUEUE_QUERY = `query Queue($owner: ID, $team: ID, $after: String) {
  leadQueue(first: 25, owner: $owner, team: $team, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name company source status version owner { id name } activities { type at outcome } }
      score { score tier probability percentile method factors { label contribution } } }
  }
}`;
const LOG_ACTIVITY = `mutation Log($input: LogActivityInput!) { logActivity(input: $input) { id type outcome at } }`;

let owner: string | null | undefined;

export async function sdrView(root: HTMLElement): Promise<void> {
  const v = state.viewer!;
  const sdrs = state.teams.flatMap((t) => t.members.filter((m) => m.role === 'SDR').map((m) => ({ ...m, team: t.name })));
  if (owner === undefined) owner = v.role === 'SDR' ? v.repId : null;
  const rerender = () => void sdrView(root);
  const controls = h('div', { class: 'controls' });
  if (v.role !== 'SDR') {
    const select = h('select', { 'data-testid': 'sdr-owner', 'aria-label': 'Queue of' },
      h('option', { value: '' }, v.role === 'MANAGER' ? 'My team' : 'Everyone'),
      ...sdrs.map((s) => h('option', { value: s.id, selected: s.id === owner }, `${s.name} (${s.team})`)));
    select.addEventListener('change', () => { owner = select.value || null; rerender(); });
    controls.append(h('label', {}, 'Queue of ', select));
  } else controls.append(h('span', { class: 'muted' }, `Your queue, ${v.rep?.name ?? ''}`));
  root.replaceChildren(controls, h('p', { class: 'muted' }, 'Ranking leads…'));

  const vars = { owner: owner ?? undefined, team: !owner && v.role === 'MANAGER' ? v.teamId : undefined };
  const body = h('tbody');
  const list = h('table', { 'data-testid': 'lead-queue' }, h('thead', {}, h('tr', {}, ...['#', 'Lead', 'Source', 'Owner', 'Score', 'Tier', 'Top reasons', 'Log'].map((c) => h('th', {}, c)))), body);
  const more = h('div');
  let rank = 0;
  const load = async (after?: string) => {
    const { leadQueue } = await gql(QUEUE_QUERY, { ...vars, after });
    for (const edge of leadQueue.edges) body.append(leadRow(++rank, edge.node, edge.score));
    more.replaceChildren(leadQueue.pageInfo.hasNextPage ? h('button', { 'data-testid': 'queue-more', onclick: () => void load(leadQueue.pageInfo.endCursor) }, 'Next 25') : h('span', { class: 'muted' }, rank ? 'End of the queue.' : 'No open leads in this queue.'));
  };
  await load();
  root.replaceChildren(controls, card('Leads to work, best first', list, more));
}

function leadRow(rank: number, lead: any, score: any): HTMLTableRowElement {
  const last = lead.activities.at(-1);
  const lastTouch = h('div', { class: 'muted', 'data-testid': 'last-touch' }, last ? `last: ${last.type.toLowerCase()} ${day(last.at)}` : 'not contacted yet');
  const outcome = h('select', { 'aria-label': 'Outcome', 'data-testid': 'log-outcome' }, ...['NO_ANSWER', 'CONNECTED', 'REPLIED', 'MEETING_BOOKED', 'NONE'].map((o) => h('option', { value: o }, o.replace('_', ' ').toLowerCase())));
  const log = async (type: 'CALL' | 'EMAIL') => {
    try {
      const repId = state.viewer!.role === 'SDR' ? state.viewer!.repId : lead.owner?.id;
      if (!repId) throw new Error('This lead has no owner to log the activity for');
      const { logActivity: a } = await gql(LOG_ACTIVITY, { input: { type, leadId: lead.id, repId, outcome: outcome.value } });
      lastTouch.textContent = `logged: ${a.type.toLowerCase()} (${a.outcome.replace('_', ' ').toLowerCase()}) ${day(a.at)}`;
      lastTouch.setAttribute('data-logged', a.id);
    } catch (error) {
      lastTouch.replaceChildren(errorBox(error));
    }
  };
  const reasons = [...score.factors].sort((a: any, b: any) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, 3);
  return h('tr', { 'data-testid': 'lead-row', 'data-lead-id': lead.id, 'data-owner-id': lead.owner?.id ?? '' },
    h('td', {}, String(rank)),
    h('td', {}, h('strong', {}, lead.name), h('div', { class: 'muted' }, lead.company ?? '')),
    h('td', {}, lead.source ?? '–'),
    h('td', {}, lead.owner?.name ?? '–'),
    h('td', {}, figure('lead-score', score.score, String(score.score)), h('div', { class: 'muted' }, `${pct(score.probability)}${score.percentile != null ? ` · top ${Math.max(0.1, 100 - score.percentile).toFixed(1)} %` : ''}`)),
    h('td', {}, h('span', { class: `tier tier-${score.tier}`, 'data-testid': 'lead-tier' }, score.tier)),
    h('td', {}, h('ul', { class: 'reasons' }, ...reasons.map((f: any) => h('li', { class: f.contribution >= 0 ? 'pos' : 'neg' }, `${f.contribution >= 0 ? '▲' : '▼'} ${f.label}`)))),
    h('td', { class: 'actions' }, outcome, h('button', { 'data-testid': 'log-call', onclick: () => void log('CALL') }, 'Call'), h('button', { 'data-testid': 'log-email', onclick: () => void log('EMAIL') }, 'Email'), lastTouch),
  );
}
