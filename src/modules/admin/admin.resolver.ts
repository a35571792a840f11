import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { loadRef } from '../../graphql/loaders';
import { RepRole } from '../../shared/enums';
import { parseId } from '../../shared/ids';
import { AccessRole } from '../auth/identity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { AdminAuditEntry } from './admin-audit.entity';
import { CreateRepInput, CreateTeamInput } from './admin.inputs';
import * as admin from './admin.service';

/** Rep and team administration (ADMIN only), each change recorded in the audit log. */
@Resolver(() => AdminAuditEntry)
export class AdminResolver {
  @Mutation(() => Team, { description: 'ADMIN: creates a sales team.' })
  createTeam(@Arg('input') input: CreateTeamInput, @Ctx() ctx: Context) {
    return admin.createTeam(ctx.em, input, ctx.access);
  }

  @Mutation(() => Rep, { description: 'ADMIN: adds a person to the sales team (active).' })
  createRep(@Arg('input') input: CreateRepInput, @Ctx() ctx: Context) {
    return admin.createRep(ctx.em, input, ctx.access);
  }

  @Mutation(() => Rep, { description: "ADMIN: changes a rep's role; their credentials follow within the identity cache window." })
  changeRepRole(@Arg('repId', () => ID) repId: string, @Arg('role', () => RepRole) role: RepRole, @Ctx() ctx: Context) {
    return admin.changeRepRole(ctx.em, repId, role, ctx.access);
  }

  @Mutation(() => Rep, { description: 'ADMIN: moves a rep to another team (null: no team).' })
  moveRepToTeam(@Arg('repId', () => ID) repId: string, @Arg('teamId', () => ID, { nullable: true }) teamId: string | null, @Ctx() ctx: Context) {
    return admin.moveRepToTeam(ctx.em, repId, teamId ?? null, ctx.access);
  }

  @Mutation(() => Team, { description: "ADMIN: sets a team's manager (a rep's manager is its team's), an active MANAGER of that team; null clears it." })
  setTeamManager(@Arg('teamId', () => ID) teamId: string, @Arg('managerId', () => ID, { nullable: true }) managerId: string | null, @Ctx() ctx: Context) {
    return admin.setTeamManager(ctx.em, teamId, managerId ?? null, ctx.access);
  }

  @Mutation(() => Rep, { description: 'ADMIN: deactivates a rep (never deleted: history keeps its owner); their credentials stop working.' })
  deactivateRep(@Arg('repId', () => ID) repId: string, @Ctx() ctx: Context) {
    return admin.setRepActive(ctx.em, repId, false, ctx.access);
  }

  @Mutation(() => Rep, { description: 'ADMIN: reactivates a rep.' })
  reactivateRep(@Arg('repId', () => ID) repId: string, @Ctx() ctx: Context) {
    return admin.setRepActive(ctx.em, repId, true, ctx.access);
  }

  @Query(() => [AdminAuditEntry], { description: 'EXEC and ADMIN: changes to reps and teams, newest first.' })
  adminAudit(
    @Arg('repId', () => ID, { nullable: true }) repId: string | undefined,
    @Arg('teamId', () => ID, { nullable: true }) teamId: string | undefined,
    @Arg('first', () => Int, { defaultValue: 50, description: '1..500.' }) first: number,
    @Ctx() ctx: Context,
  ) {
    ctx.access.requireRole([AccessRole.EXEC, AccessRole.ADMIN], 'Reading the administration log');
    const where: Record<string, unknown> = {};
    if (repId != null) where.rep = parseId(repId, 'repId');
    if (teamId != null) where.team = parseId(teamId, 'teamId');
    return ctx.em.find(AdminAuditEntry, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: Math.min(Math.max(first, 1), 500) });
  }

  @FieldResolver(() => Date, { description: 'When the change was made.' })
  at(@Root() entry: AdminAuditEntry) {
    return entry.createdAt;
  }

  @FieldResolver(() => Rep, { nullable: true, description: 'The rep who made the change (null for a service identity: see actor).' })
  actorRep(@Root() entry: AdminAuditEntry, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, entry.actorRep);
  }

  @FieldResolver(() => Rep, { nullable: true, description: 'The rep changed (or made manager).' })
  rep(@Root() entry: AdminAuditEntry, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, entry.rep);
  }

  @FieldResolver(() => Team, { nullable: true })
  team(@Root() entry: AdminAuditEntry, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Team, entry.team);
  }
}
