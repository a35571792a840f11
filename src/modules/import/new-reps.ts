/**
 * Reps an export knows only by id (Olist's sdr_id / sr_id): with the mapping's `createReps`, an unknown value of
 * a rep reference creates that rep, named and keyed by the value, with a placeholder email and, as hire date,
 * the earliest date of the rows that name it. Created per batch before its rows resolve their references.
 */
import { RepRole } from '../../shared/enums';
import type { ImportContext } from './import-context';
import type { Row, Section } from './section';
import { parseDate, placeholderEmail } from './values';

/** Creates the reps the batch names in `createReps` fields that no rep has as external id or name. */
export async function createNamedReps(ctx: ImportContext, section: Section, batch: Row[], dateFields: string[]): Promise<void> {
  const { db } = ctx;
  for (const [field, role] of Object.entries(section.mapping.createReps) as Array<[string, RepRole]>) {
    const wanted = new Map<string, { earliest: number | null }>();
    for (const row of batch) {
      const value = row.get(field);
      if (value == null || ctx.reps.resolve(value) != null) continue;
      const seen = wanted.get(value) ?? { earliest: null };
      for (const f of dateFields) {
        const text = row.get(f);
        const parsed = text == null ? null : parseDate(text, section.dateOrders[f]);
        if (parsed?.ok) seen.earliest = Math.min(seen.earliest ?? Infinity, parsed.value.getTime());
      }
      wanted.set(value, seen);
    }
    for (const [value, seen] of wanted) {
      const email = await freeEmail(ctx, value);
      const hiredAt = new Date(seen.earliest ?? ctx.runStamp.getTime());
      const [created] = await db.insert<{ id: number }>(
        'reps', ['created_at', 'updated_at', 'name', 'email', 'role', 'active', 'hired_at', 'external_id'],
        [[db.ts(ctx.runStamp), db.ts(ctx.runStamp), value, email, role, db.bool(true), db.ts(hiredAt), value]],
        { returning: ['id'] },
      );
      ctx.reps.add(Number(created.id), value, value);
      ctx.report.infer(section.name, section.source.name, section.csvColumn(field), 'REP_FROM_ID', `rep known only by id: created as ${role} (named by the id, placeholder email, hired at the earliest date of its rows)`, 1);
    }
  }
}

async function freeEmail(ctx: ImportContext, name: string): Promise<string> {
  const base = placeholderEmail(name);
  for (let n = 1; ; n++) {
    const email = n === 1 ? base : base.replace('@', `.${n}@`);
    const taken = await ctx.db.query('select 1 as x from reps where lower(email) = ?', [email]);
    if (!taken.length) return email;
  }
}
