/** Writing CSV values as a CRM export does (RFC 4180 quoting, ISO dates, money in major units). Pure. */

export function csvCell(value: unknown): string {
  if (value == null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (values: unknown[]): string => values.map(csvCell).join(',') + '\n';

/**
 * A datetime column as read back from either database (a Date, SQLite epoch milliseconds, or PostgreSQL text
 * through MikroORM) as ISO 8601 UTC; blank when null.
 */
export function isoOrBlank(value: unknown): string | null {
  if (value == null) return null;
  const ms = value instanceof Date ? value.getTime()
    : typeof value === 'string' && !/^\d+$/.test(value) ? Date.parse(value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'))
    : Number(value);
  if (!Number.isFinite(ms)) throw new Error(`unreadable datetime from the database: ${String(value)}`);
  return new Date(ms).toISOString();
}

/** Integer cents as a plain decimal amount ("1234.50"); blank when null. */
export function money(cents: unknown): string | null {
  if (cents == null) return null;
  const n = Number(cents);
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Deterministic choice of a share of ids: a 32-bit hash of (seed, id) below share × 2^32. The same seed picks the
 * same deals on every run and on both databases.
 */
export function pickShare(seed: number, id: number, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(id | 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h < share * 2 ** 32;
}
