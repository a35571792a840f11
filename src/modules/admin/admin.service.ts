import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { RepRole } from '../../shared/enums';
import { BadInputError, ConflictError } from '../../shared/errors';
import { requiredText } from '../../shared/validation';
import type { AccessScope } from '../auth/access.policy';
import { AccessRole } from '../auth/identity';
import { forgetRep } from '../auth/rep-identity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { AdminAction, AdminAuditEntry } from './admin-audit.entity';
import type { CreateRepInput, CreateTeamInput } from './admin.inputs';

/**
 * The sales organisation, managed by ADMIN: teams, reps, their role, team and activity. Every change is one
 * transaction with its audit entry (who, when, before, after). Reps are never deleted: deals, leads, activities
 * and forecast calls keep their owner and author; a deactivated rep's credentials stop working (at once on
 * this server, within AUTH_IDENTITY_CACHE_MS on others).
 */
async function change<T>(em: Em, access: AccessScope, action: AdminAction, write: (tx: Em) => Promise<{ result: T; rep?: Rep | null; team?: Team | null; before?: Record<string, unknown> | null; after: Record<string, unknown> }>): Promise<T> {
  access.requireRole([AccessRole.ADMIN], 'Managing reps and teams');
  const done = await em.transactional(async (tx) => {
    const outcome = await write(tx);
    await tx.flush(); // ids of created rows for the entry
    tx.create(AdminAuditEntry, {
      action,
      actor: access.identity.subject,
      actorRep: access.identity.repId == null ? null : tx.getReference(Rep, access.identity.repId),
      rep: outcome.rep ?? null,
      team: outcome.team ?? null,
      before: outcome.before ?? null,
      after: outcome.after,
    });
    return outcome;
  }).catch((error) => {
    if (error instanceof UniqueConstraintViolationException) throw new ConflictError('A team with this name or a rep with this email already exists');
    throw error;
  });
  if (done.rep) forgetRep(em, done.rep.id);
  return done.result;
}

const teamIdOf = (rep: Rep) => rep.team?.id ?? null;

/** A rep who manages a team keeps the MANAGER role, its team and its activity until the team has another manager. */
async function assertManagesNoTeam(em: Em, rep: Rep, what: string): Promise<void> {
  const managed = await em.findOne(Team, { manager: rep.id });
  if (managed) throw new ConflictError(`${rep.name} manages team "${managed.name}": give the team another manager first (setTeamManager), then ${what}`);
}

export function createTeam(em: Em, input: CreateTeamInput, access: AccessScope): Promise<Team> {
  const name = requiredText(input.name, 'input.name', 120);
  const region = requiredText(input.region, 'input.region', 60);
  return change(em, access, AdminAction.CREATE_TEAM, async (tx) => {
    if (await tx.findOne(Team, { name })) throw new ConflictError(`A team named "${name}" already exists`, { field: 'input.name' });
    const team = tx.create(Team, { name, region });
    return { result: team, team, after: { name, region } };
  });
}

export function createRep(em: Em, input: CreateRepInput, access: AccessScope): Promise<Rep> {
  const name = requiredText(input.name, 'input.name', 160);
  const email = input.email.trim().toLowerCase();
  return change(em, access, AdminAction.CREATE_REP, async (tx) => {
    const team = input.teamId == null ? null : await access.findOrFail(tx, Team, input.teamId, 'input.teamId');
    if (await tx.findOne(Rep, { email })) throw new ConflictError(`A rep with the email ${email} already exists`, { field: 'input.email' });
    const rep = tx.create(Rep, { name, email, role: input.role, team, active: true, hiredAt: input.hiredAt ?? new Date() });
    return { result: rep, rep, team, after: { name, email, role: input.role, teamId: team?.id ?? null, active: true } };
  });
}

export function changeRepRole(em: Em, repId: string, role: RepRole, access: AccessScope): Promise<Rep> {
  return change(em, access, AdminAction.CHANGE_REP_ROLE, async (tx) => {
    const rep = await access.findOrFail(tx, Rep, repId, 'repId');
    if (rep.role === role) throw new BadInputError('role', `${rep.name} already is ${role}`);
    if (role !== RepRole.MANAGER) await assertManagesNoTeam(tx, rep, 'change the role');
    const before = { role: rep.role };
    rep.role = role;
    return { result: rep, rep, before, after: { role } };
  });
}

export function moveRepToTeam(em: Em, repId: string, teamId: string | null, access: AccessScope): Promise<Rep> {
  return change(em, access, AdminAction.MOVE_REP_TO_TEAM, async (tx) => {
    const rep = await access.findOrFail(tx, Rep, repId, 'repId');
    const team = teamId == null ? null : await access.findOrFail(tx, Team, teamId, 'teamId');
    if (teamIdOf(rep) === (team?.id ?? null)) throw new BadInputError('teamId', `${rep.name} already is in that team`);
    await assertManagesNoTeam(tx, rep, 'move the rep');
    const before = { teamId: teamIdOf(rep) };
    rep.team = team;
    return { result: rep, rep, team, before, after: { teamId: team?.id ?? null } };
  });
}

/** A rep's manager is its team's manager: an active MANAGER who is a member of the team (or none). */
export function setTeamManager(em: Em, teamId: string, managerId: string | null, access: AccessScope): Promise<Team> {
  return change(em, access, AdminAction.SET_TEAM_MANAGER, async (tx) => {
    const team = await access.findOrFail(tx, Team, teamId, 'teamId');
    const manager = managerId == null ? null : await access.findOrFail(tx, Rep, managerId, 'managerId');
    if (manager) {
      if (manager.role !== RepRole.MANAGER) throw new BadInputError('managerId', `${manager.name} is ${manager.role}: make them MANAGER first (changeRepRole)`);
      if (!manager.active) throw new BadInputError('managerId', `${manager.name} is inactive`);
      if (teamIdOf(manager) !== team.id) throw new BadInputError('managerId', `${manager.name} is not a member of "${team.name}": move them first (moveRepToTeam)`);
    }
    const before = { managerId: team.manager?.id ?? null };
    team.manager = manager;
    return { result: team, team, rep: manager, before, after: { managerId: manager?.id ?? null } };
  });
}

export function setRepActive(em: Em, repId: string, active: boolean, access: AccessScope): Promise<Rep> {
  return change(em, access, active ? AdminAction.REACTIVATE_REP : AdminAction.DEACTIVATE_REP, async (tx) => {
    const rep = await access.findOrFail(tx, Rep, repId, 'repId');
    if (rep.active === active) throw new ConflictError(`${rep.name} is already ${active ? 'active' : 'inactive'}`);
    if (!active) await assertManagesNoTeam(tx, rep, 'deactivate the rep');
    rep.active = active;
    return { result: rep, rep, before: { active: !active }, after: { active } };
  });
}
