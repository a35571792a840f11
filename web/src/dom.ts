/** A tiny element builder and the formats every view shares. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const eur = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
export const money = (v: number | null | undefined) => (v == null ? '–' : eur.format(v));
export const pct = (v: number | null | undefined, digits = 0) => (v == null ? '–' : `${(v * 100).toFixed(digits)} %`);
export const num = (v: number | null | undefined, digits = 0) => (v == null ? '–' : v.toLocaleString('en-GB', { maximumFractionDigits: digits }));
export const day = (v: string | null | undefined) => (v ? v.slice(0, 10) : '–');

/** A figure on screen with its exact API value beside it (tests compare `data-value` with the API's answer). */
export const figure = (testid: string, value: number | null | undefined, text: string) =>
  h('span', { 'data-testid': testid, 'data-value': value == null ? '' : String(value) }, text);

export function table(head: string[], rows: Child[][], attrs: Attrs = {}): HTMLTableElement {
  return h('table', attrs, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
}

export const card = (title: string, ...children: Child[]) => h('section', { class: 'card' }, h('h2', {}, title), ...children);

export function errorBox(error: unknown): HTMLElement {
  const e = error as { message?: string; code?: string };
  return h('div', { class: 'error', role: 'alert', 'data-testid': 'error' }, `${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`);
}

/** Calendar helpers for the pickers (UTC, as the API). */
export function quarterOf(d: Date): string {
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}
export function shiftQuarter(label: string, k: number): string {
  const [y, q] = label.split('-Q').map(Number);
  const i = y * 4 + (q - 1) + k;
  return `${Math.floor(i / 4)}-Q${(i % 4) + 1}`;
}
export function quarterStart(label: string): Date {
  const [y, q] = label.split('-Q').map(Number);
  return new Date(Date.UTC(y, (q - 1) * 3, 1));
}
