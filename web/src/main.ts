/**
 * The Pipewise app: a plain TypeScript client of the public GraphQL API (the reference client for frontend teams).
 * Development servers answer requests without a token as ADMIN, so the app opens directly; production asks for a
 * token or API key first and shows only what that caller may see.
 */
import './style.css';
import { ApiError, onUnauthenticated } from './api';
import { errorBox, h } from './dom';
import { getToken, setToken } from './session';
import { loadTeams, loadViewer, state } from './state';
import { forecastView } from './views/forecast';
import { kpiView } from './views/kpis';
import { movementView } from './views/movement';
import { sdrView } from './views/sdr';

type View = (root: HTMLElement) => Promise<void>;
const ROUTES: Array<{ path: string; label: string; view: View; dealOwners: boolean }> = [
  { path: 'forecast', label: 'Forecast', view: forecastView, dealOwners: true },
  { path: 'movement', label: 'Pipeline movement', view: movementView, dealOwners: true },
  { path: 'kpis', label: 'KPIs', view: kpiView, dealOwners: false },
  { path: 'sdr', label: 'SDR queue', view: sdrView, dealOwners: false },
];

const viewEl = document.getElementById('view')!;
const nav = document.getElementById('nav')!;
const who = document.getElementById('who')!;

function routes() {
  return ROUTES.filter((r) => !(r.dealOwners && state.viewer?.role === 'SDR'));
}

async function render(): Promise<void> {
  if (!state.viewer) return;
  const available = routes();
  const path = location.hash.replace(/^#\/?/, '') || (state.viewer.role === 'SDR' ? 'sdr' : 'forecast');
  const route = available.find((r) => r.path === path) ?? available[0];
  nav.replaceChildren(...available.map((r) => h('a', { href: `#/${r.path}`, class: r === route ? 'active' : '', 'data-testid': `nav-${r.path}` }, r.label)), h('a', { href: '/explorer', target: '_blank' }, 'API explorer'));
  viewEl.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    await route.view(viewEl);
  } catch (error) {
    viewEl.replaceChildren(errorBox(error));
  }
}

function signInForm(message?: string): void {
  nav.replaceChildren();
  who.replaceChildren();
  const input = h('input', { type: 'password', name: 'token', placeholder: 'Token or API key (pw_…)', 'data-testid': 'token', autocomplete: 'off', required: true });
  const status = h('p', { class: 'error', 'data-testid': 'signin-error', hidden: !message }, message ?? '');
  const form = h('form', { class: 'card signin', 'data-testid': 'signin' },
    h('h2', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste a token (', h('code', {}, 'npx pipewise token --role AE --rep <id>'), ') or an API key (', h('code', {}, 'npx pipewise apikey:create'), ').'),
    input, h('button', { type: 'submit', 'data-testid': 'signin-submit' }, 'Sign in'), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      state.viewer = await loadViewer(input.value.trim());
      setToken(input.value.trim());
      await start();
    } catch (error) {
      status.hidden = false;
      status.textContent = error instanceof ApiError && error.code === 'UNAUTHENTICATED' ? `Refused: ${error.message}` : String((error as Error).message);
    }
  });
  viewEl.replaceChildren(form);
}

async function start(): Promise<void> {
  try {
    state.viewer = await loadViewer();
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return signInForm(getToken() ? 'Your session has expired: sign in again.' : undefined);
    viewEl.replaceChildren(errorBox(error));
    return;
  }
  state.teams = await loadTeams();
  const v = state.viewer;
  who.replaceChildren(
    h('span', { 'data-testid': 'viewer' }, `${v.rep?.name ?? (getToken() ? 'Service account' : 'Development (no sign-in)')} · ${v.role}`),
    getToken()
      ? h('button', { class: 'link', onclick: () => { setToken(null); state.viewer = null; void start(); } }, 'Sign out')
      : h('button', { class: 'link', 'data-testid': 'signin-open', onclick: () => signInForm() }, 'Sign in'),
  );
  await render();
}

onUnauthenticated(() => {
  setToken(null);
  state.viewer = null;
  signInForm('Your session has expired: sign in again.');
});
window.addEventListener('hashchange', () => void render());
void start();
