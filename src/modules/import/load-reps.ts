/**
 * Reps and their teams. Teams named in the file are created; a manager named in the file who is not a rep
 * row becomes a MANAGER rep. The entity requires an email and a hire date: reps without them get a
 * deterministic placeholder (`first.last@import.invalid`) and the import date, with a warning.
 */
import { RepRole } from '../../shared/enums';
import { FileDuplicates, type ImportContext } from './import-context';
import type { Row, Section } from './section';
import { normKey, placeholderEmail } from './values';

const ROLES: Record<string, RepRole> = {
  sdr: RepRole.SDR, bdr: RepRole.SDR, 'sales development': RepRole.SDR,
  ae: RepRole.AE, 'account executive': RepRole.AE, 'sales agent': RepRole.AE, sales: RepRole.AE, agent: RepRole.AE,
  manager: RepRole.MANAGER, 'sales manager': RepRole.MANAGER,
  exec: RepRole.EXEC, executive: RepRole.EXEC, vp: RepRole.EXEC, director: RepRole.EXEC,
};

interface Team { id: number; region: string; managerId: number | null }

export async function loadReps(ctx: ImportContext, section: Section): Promise<void> {
  const { db } = ctx;
  const now = new Date(ctx.runStamp);
  const emails = new Set<string>();
  const emailOwner = new Map<string, number>();
  for (const r of await db.query<{ id: number; name: string; email: string; external_id: string | null }>('select id, name, email, external_id from reps')) {
    emails.add(r.email.toLowerCase());
    emailOwner.set(r.email.toLowerCase(), Number(r.id));
  }
  const teams = new Map<string, Team>();
  for (const t of await db.query<{ id: number; name: string; region: string; manager_id: number | null }>('select id, name, region, manager_id from teams')) {
    teams.set(normKey(t.name), { id: Number(t.id), region: t.region, managerId: t.manager_id == null ? null : Number(t.manager_id) });
  }
  const uniqueEmail = (name: string) => {
    const base = placeholderEmail(name);
    let email = base;
    for (let n = 2; emails.has(email); n++) email = base.replace('@', `.${n}@`);
    return email;
  };

  const ensureTeam = async (name: string, region: string | null, row: Row): Promise<number> => {
    const key = normKey(name);
    const team = teams.get(key);
    if (team) {
      if (region && normKey(region) !== normKey(team.region)) {
        if (team.region === 'Unspecified') {
          await db.query('update teams set region = ?, updated_at = ? where id = ?', [region, db.ts(now), team.id]);
          team.region = region;
        } else section.warn(row, 'region', region, `team "${name}" already has region "${team.region}": kept`);
      }
      return team.id;
    }
    const [created] = await db.insert<{ id: number }>('teams', ['created_at', 'updated_at', 'name', 'region'],
      [[db.ts(now), db.ts(now), name, region ?? 'Unspecified']], { returning: ['id'] });
    teams.set(key, { id: Number(created.id), region: region ?? 'Unspecified', managerId: null });
    return Number(created.id);
  };

  const duplicates = new FileDuplicates('rep');
  const managers = new Map<string, { manager: string; line: number }>();

  for await (const batch of section.batches(ctx.progress)) {
    for (const row of batch) {
      const name = row.get('name');
      if (!name) {
        section.reject(row, 'name', null, 'a rep needs a name');
        continue;
      }
      const externalId = row.get('externalId');
      const email = row.get('email');
      const teamName = row.get('team') ?? row.get('manager');
      const region = row.get('region');
      const manager = row.get('manager');
      const roleText = row.get('role');
      const signature = [email, teamName, region, manager, roleText, row.get('hiredAt'), row.get('active')].map((v) => normKey(v ?? '')).join('|');
      if (duplicates.check(section, row, externalId ? `x:${normKey(externalId)}` : `n:${normKey(name)}`, signature, name)) continue;

      if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
        section.reject(row, 'email', email, 'not an email address');
        continue;
      }
      const hiredAt = section.date(row, 'hiredAt');
      let role: RepRole | null = null;
      if (roleText) {
        role = ROLES[normKey(roleText)] ?? null;
        if (!role) section.warn(row, 'role', roleText, 'unknown role: AE used');
      }
      const active = section.flag(row, 'active') ?? null;
      if (hiredAt === undefined || row.rejected) continue;

      const existingId = ctx.reps.byKey(externalId, null) ?? (email ? emailOwner.get(email.toLowerCase()) : undefined) ?? ctx.reps.byKey(null, name);
      if (email && emailOwner.has(email.toLowerCase()) && emailOwner.get(email.toLowerCase()) !== existingId) {
        section.reject(row, 'email', email, 'another rep already has this email');
        continue;
      }
      const teamId = teamName ? await ensureTeam(teamName, region, row) : null;
      if (manager && teamName) managers.set(normKey(teamName), { manager, line: row.line });

      if (existingId) {
        const sets: string[] = ['name = ?', 'updated_at = ?'];
        const params: Array<string | number | boolean | Date | null> = [name, db.ts(now)];
        const add = (column: string, value: string | number | boolean | Date | null) => {
          sets.push(`${column} = ?`);
          params.push(value);
        };
        if (email) add('email', email);
        if (teamId) add('team_id', teamId);
        if (role) add('role', role);
        if (hiredAt) add('hired_at', db.ts(hiredAt));
        if (active != null) add('active', db.bool(active));
        if (externalId) add('external_id', externalId);
        await db.query(`update reps set ${sets.join(', ')} where id = ?`, [...params, existingId]);
        ctx.reps.add(existingId, name, externalId);
        section.counts.updated++;
        continue;
      }
      if (!email) section.warn(row, 'email', null, 'no email: placeholder name@import.invalid used');
      if (!hiredAt) section.warn(row, 'hiredAt', null, 'hire date unknown: import date used');
      const repEmail = email ?? uniqueEmail(name);
      const [created] = await db.insert<{ id: number }>(
        'reps', ['created_at', 'updated_at', 'name', 'email', 'role', 'team_id', 'active', 'hired_at', 'external_id'],
        [[db.ts(hiredAt ?? now), db.ts(now), name, repEmail, role ?? RepRole.AE, teamId, db.bool(active ?? true), db.ts(hiredAt ?? now), externalId]],
        { returning: ['id'] },
      );
      emails.add(repEmail.toLowerCase());
      emailOwner.set(repEmail.toLowerCase(), Number(created.id));
      ctx.reps.add(Number(created.id), name, externalId);
      section.counts.created++;
    }
  }

  // Each team's manager: a rep of the file, an existing rep, or a new MANAGER rep.
  for (const [teamKey, { manager, line }] of managers) {
    let managerId = ctx.reps.byKey(null, manager);
    if (!managerId) {
      const email = uniqueEmail(manager);
      const [created] = await db.insert<{ id: number }>(
        'reps', ['created_at', 'updated_at', 'name', 'email', 'role', 'team_id', 'active', 'hired_at'],
        [[db.ts(now), db.ts(now), manager, email, RepRole.MANAGER, teams.get(teamKey)!.id, db.bool(true), db.ts(now)]],
        { returning: ['id'] },
      );
      managerId = Number(created.id);
      emails.add(email);
      ctx.reps.add(managerId, manager, null);
      section.counts.created++;
      section.warn({ line }, 'manager', manager, 'manager is not a row of the file: created as a MANAGER rep (placeholder email, import date as hire date)');
    }
    const t = teams.get(teamKey)!;
    if (t.managerId !== managerId) {
      await db.query('update teams set manager_id = ?, updated_at = ? where id = ?', [managerId, db.ts(now), t.id]);
      t.managerId = managerId;
    }
  }
}
