/** Period and scope pickers shared by the views: company, a team or a rep, as the caller's access allows. */
import { h, quarterOf, shiftQuarter } from './dom';
import { seesCompany, state } from './state';

export interface Scope {
  teamId?: string;
  repId?: string;
}

export function defaultScope(): Scope {
  const v = state.viewer!;
  if (seesCompany()) return {};
  if (v.role === 'MANAGER' && v.teamId) return { teamId: v.teamId };
  return { repId: v.repId ?? undefined };
}

export function scopeLabel(scope: Scope): string {
  if (scope.repId) return state.teams.flatMap((t) => t.members).find((m) => m.id === scope.repId)?.name ?? `Rep ${scope.repId}`;
  if (scope.teamId) return state.teams.find((t) => t.id === scope.teamId)?.name ?? `Team ${scope.teamId}`;
  return 'Company';
}

/** A <select> of the scopes the caller may look at; value "", "team:ID" or "rep:ID". */
export function scopeSelect(current: Scope, onChange: (s: Scope) => void, dealOwnersOnly = true): HTMLSelectElement {
  const v = state.viewer!;
  const options: Array<[string, string]> = [];
  if (seesCompany()) options.push(['', 'Company']);
  for (const team of state.teams) {
    const mayTeam = seesCompany() || (v.role === 'MANAGER' && v.teamId === team.id);
    if (mayTeam) options.push([`team:${team.id}`, team.name]);
    for (const m of team.members) {
      if (dealOwnersOnly && m.role === 'SDR') continue;
      if (mayTeam || m.id === v.repId) options.push([`rep:${m.id}`, `  ${m.name}`]);
    }
  }
  const value = current.repId ? `rep:${current.repId}` : current.teamId ? `team:${current.teamId}` : '';
  const select = h('select', { 'data-testid': 'scope', 'aria-label': 'Scope' }, ...options.map(([val, label]) => h('option', { value: val, selected: val === value }, label)));
  select.addEventListener('change', () => {
    const [kind, id] = select.value.split(':');
    onChange(kind === 'team' ? { teamId: id } : kind === 'rep' ? { repId: id } : {});
  });
  return select;
}

/** The current quarter, the next one and the four before it, plus the current month. */
export function periodSelect(current: string, onChange: (p: string) => void): HTMLSelectElement {
  const now = new Date();
  const q = quarterOf(now);
  const month = now.toISOString().slice(0, 7);
  const options = [shiftQuarter(q, 1), q, ...[1, 2, 3, 4].map((k) => shiftQuarter(q, -k)), month];
  const select = h('select', { 'data-testid': 'period', 'aria-label': 'Period' }, ...options.map((p) => h('option', { value: p, selected: p === current }, p)));
  select.addEventListener('change', () => onChange(select.value));
  return select;
}
