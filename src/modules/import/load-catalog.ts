/**
 * Accounts and products: matched to existing records by external id, else by name (case-insensitive), so
 * "Google" and "google" are one account. Account parents resolve once the whole file is in.
 */
import { AccountSegment } from '../../shared/enums';
import { FileDuplicates, type ImportContext } from './import-context';
import type { Section } from './section';
import type { SqlValue } from './sql-writer';
import { normKey } from './values';

type Values = Record<string, SqlValue>;

/** Updates the given columns of one row (only those with a value: a blank cell never erases data). */
async function updateRow(ctx: ImportContext, table: string, id: number, values: Values): Promise<void> {
  const entries = Object.entries(values).filter(([, v]) => v !== null);
  const sets = [...entries.map(([c]) => `"${c}" = ?`), 'updated_at = ?'];
  await ctx.db.query(`update "${table}" set ${sets.join(', ')} where id = ?`, [...entries.map(([, v]) => v), ctx.db.ts(ctx.runStamp), id]);
}

async function insertRow(ctx: ImportContext, table: string, values: Values, createdAt: Date): Promise<number> {
  const columns = ['created_at', 'updated_at', ...Object.keys(values)];
  const [row] = await ctx.db.insert<{ id: number }>(table, columns, [[ctx.db.ts(createdAt), ctx.db.ts(ctx.runStamp), ...Object.values(values)]], { returning: ['id'] });
  return Number(row.id);
}

export async function loadAccounts(ctx: ImportContext, section: Section): Promise<void> {
  const duplicates = new FileDuplicates('account');
  const parents: Array<{ id: number; parent: string; line: number }> = [];
  // New accounts go in one multi-row INSERT per batch (a round trip per account made 20,000 accounts cost 20 s on
  // PostgreSQL). Their names and external ids are distinct (a row matching a pending one flushes it first), so the
  // returned names say which id is whose.
  const pending: Array<{ values: Values; parent: string | null; line: number }> = [];
  const pendingKeys = new Set<string>();
  const flush = async () => {
    if (!pending.length) return;
    const columns = ['created_at', 'updated_at', ...Object.keys(pending[0].values)];
    const rows = pending.map((p) => [ctx.db.ts(ctx.runStamp), ctx.db.ts(ctx.runStamp), ...Object.values(p.values)]);
    const created = await ctx.db.insert<{ id: number; name: string }>('accounts', columns, rows, { returning: ['id', 'name'] });
    const idByName = new Map(created.map((r) => [r.name, Number(r.id)]));
    for (const { values, parent, line } of pending) {
      const id = idByName.get(values.name as string)!;
      ctx.accounts.add(id, values.name as string, values.external_id as string | null);
      if (parent) parents.push({ id, parent, line });
    }
    pending.length = 0;
    pendingKeys.clear();
  };
  for await (const batch of section.batches(ctx.progress)) {
    for (const row of batch) {
      const name = row.get('name');
      if (!name) {
        section.reject(row, 'name', null, 'an account needs a name');
        continue;
      }
      const externalId = row.get('externalId');
      const employees = section.integer(row, 'employees');
      const revenue = section.money(row, 'annualRevenue');
      const segmentText = row.get('segment');
      const segment = segmentText ? (AccountSegment as Record<string, string>)[segmentText.toUpperCase()] ?? undefined : null;
      if (segment === undefined) section.reject(row, 'segment', segmentText, 'segment must be A, B or C');
      if (row.rejected) continue;
      const values: Values = {
        name,
        sector: row.get('sector'),
        country: row.get('country'),
        employees: employees ?? null,
        annual_revenue_cents: revenue ?? null,
        segment: segment ?? null,
        external_id: externalId,
      };
      const parent = row.get('parent');
      const signature = JSON.stringify([values.sector, values.country, employees, revenue, segment, parent].map((v) => (typeof v === 'string' ? normKey(v) : v)));
      if (duplicates.check(section, row, externalId ? `x:${normKey(externalId)}` : `n:${normKey(name)}`, signature, name)) continue;

      const keys = [`n:${normKey(name)}`, ...(externalId ? [`x:${normKey(externalId)}`] : [])];
      if (keys.some((k) => pendingKeys.has(k))) await flush(); // its match may be a pending account
      const id = ctx.accounts.byKey(externalId, externalId ? null : name) ?? (externalId ? ctx.accounts.byKey(null, name) : null);
      if (id) {
        await updateRow(ctx, 'accounts', id, values);
        section.counts.updated++;
        ctx.accounts.add(id, name, externalId);
        if (parent) parents.push({ id, parent, line: row.line });
      } else {
        pending.push({ values, parent, line: row.line });
        for (const k of keys) pendingKeys.add(k);
        section.counts.created++;
      }
    }
    await flush();
  }
  parents.sort((a, b) => a.line - b.line); // in file order, as the rows came
  for (const { id, parent, line } of parents) {
    const parentId = ctx.accounts.resolve(parent);
    if (parentId == null || parentId < 0) {
      section.warn({ line }, 'parent', parent, parentId == null ? 'unknown parent account: left empty' : 'several accounts have this name: parent left empty');
    } else if (parentId === id) {
      section.warn({ line }, 'parent', parent, 'an account cannot be its own parent: left empty');
    } else {
      await ctx.db.query('update accounts set parent_id = ? where id = ?', [parentId, id]);
    }
  }
}

export async function loadProducts(ctx: ImportContext, section: Section): Promise<void> {
  const duplicates = new FileDuplicates('product');
  const names = new Map((await ctx.db.query<{ id: number; name: string }>('select id, name from products')).map((p) => [normKey(p.name), Number(p.id)]));
  for await (const batch of section.batches(ctx.progress)) {
    for (const row of batch) {
      const name = row.get('name');
      if (!name) {
        section.reject(row, 'name', null, 'a product needs a name');
        continue;
      }
      const externalId = row.get('externalId');
      const listPrice = section.money(row, 'listPrice');
      const unitCost = section.money(row, 'unitCost');
      if (row.rejected) continue;
      const family = row.get('family');
      const signature = JSON.stringify([family && normKey(family), listPrice, unitCost]);
      if (duplicates.check(section, row, externalId ? `x:${normKey(externalId)}` : `n:${normKey(name)}`, signature, name)) continue;

      const id = ctx.products.byKey(externalId, null) ?? names.get(normKey(name)) ?? null;
      const values: Values = { name, family, list_price_cents: listPrice ?? null, unit_cost_cents: unitCost ?? null, external_id: externalId };
      if (id) {
        await updateRow(ctx, 'products', id, values);
        ctx.products.add(id, name, externalId);
        section.counts.updated++;
        continue;
      }
      if (listPrice == null) {
        section.reject(row, 'listPrice', null, 'a new product needs a list price');
        continue;
      }
      if (!family) section.warn(row, 'family', null, 'no product family: "Unspecified" used');
      const newId = await insertRow(ctx, 'products', { ...values, family: family ?? 'Unspecified' }, ctx.runStamp);
      names.set(normKey(name), newId);
      ctx.products.add(newId, name, externalId);
      section.counts.created++;
    }
  }
}
