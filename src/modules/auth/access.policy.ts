import type { FilterQuery } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { RepRole, TargetScope } from '../../shared/enums';
import { BadInputError, ForbiddenError, NotFoundError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { AccessRole, SYSTEM_IDENTITY, accessRoleOf, isManagerOrAbove, seesEverything, type Identity } from './identity';

/**
 * Row- and field-level rules, in one place. Every query path (top-level lists and lookups, nested fields,
 * connections, aggregates) narrows its WHERE with these filters; mutations check them before writing.
 *
 * Rows ("R" = the reps whose work the caller sees: SDR/AE themselves, MANAGER every member of their team):
 * - SDR: leads owned by R; activities logged by R or on leads owned by R; accounts of those leads; no deals.
 * - AE: deals owned by R; leads owned by R; activities logged by R or on deals owned by R; accounts they own deals in.
 * - MANAGER: leads, deals and activities of R (the team); accounts the team has leads or deals in; the team's reps.
 * - EXEC, ADMIN: everything.
 * - Reps: R and the caller's own team (the directory a rep picks a colleague from). Teams: the caller's own team.
 *   Products and pipeline stages: everyone.
 * - Targets (quotas) and cost, spend and margin data: MANAGER and above only. MANAGER sees company targets,
 *   its team's and its members'.
 *
 * How a refusal looks, checked in this order:
 * - A whole operation the role may never use (targets for an SDR, creating a deal as an SDR) answers FORBIDDEN.
 * - Every id the caller names, in a lookup, a mutation argument or an aggregate's segment, goes through
 *   `findOrFail`: outside the slice it answers NOT_FOUND, exactly as for an id that does not exist.
 * - A row the caller can read but may not act on (assigning a deal to a colleague as an AE, another rep's KPI)
 *   answers FORBIDDEN.
 * - Lists and connections return the caller's slice (possibly empty), never an error.
 * - Sensitive fields (Product.unitCost, Product.grossMarginRate, Order.cost, ...) resolve to null below MANAGER.
 */
export class AccessScope {
  private repIdsMemo?: Promise<number[] | null>;

  constructor(
    readonly identity: Readonly<Identity>,
    private readonly em?: Em,
  ) {}

  static system(): AccessScope {
    return SYSTEM_ACCESS;
  }

  get role(): AccessRole {
    return this.identity.role;
  }

  /** EXEC and ADMIN see every row. */
  get unrestricted(): boolean {
    return seesEverything(this.identity);
  }

  /** Cost, spend, margin and quota data. */
  get seesFinancials(): boolean {
    return isManagerOrAbove(this.identity);
  }

  /**
   * Runs a lookup through `em` (inside a mutation: its transaction, so SQLite's single connection is not asked
   * for twice) or the request's entity manager.
   */
  private async rows(em: Em | undefined, build: (knex: ReturnType<Em['getKnex']>) => ReturnType<ReturnType<Em['getKnex']>>): Promise<Array<Record<string, unknown>>> {
    const db = em ?? this.em;
    if (!db) throw new Error('AccessScope needs an entity manager for a restricted identity');
    return db.execute(build(db.getKnex()));
  }

  /** The reps whose records the caller sees; null = everyone. */
  repIds(em?: Em): Promise<number[] | null> {
    this.repIdsMemo ??= (async () => {
      if (this.unrestricted) return null;
      const own = this.identity.repId == null ? [] : [this.identity.repId];
      if (this.role !== AccessRole.MANAGER || this.identity.teamId == null) return own;
      const rows = await this.rows(em, (knex) => knex('reps').select('id').where('team_id', this.identity.teamId!));
      return [...new Set([...own, ...rows.map((row) => Number(row.id))])];
    })();
    return this.repIdsMemo;
  }

  /** Owners whose deals the caller sees; null = everyone. SDRs work leads, not deals. */
  async dealOwnerIds(em?: Em): Promise<number[] | null> {
    if (this.role === AccessRole.SDR) return [];
    return this.repIds(em);
  }

  /**
   * Accounts the caller sees: those its slice has deals (AE, MANAGER) or leads (SDR, MANAGER) in, as one filter on
   * `column` (never a materialised id list: a large team's accounts would not fit SQLite's parameter limit). A
   * manager's is an OR of two IN-subqueries, not one IN over their UNION: the union is built and de-duplicated
   * whole for every statement (a page's account batch took 15 ms on the 20k world), the two lists are probed as they
   * are (under 1 ms), on both dialects. `candidates`: the account ids the statement asks for (a page's batch of
   * accounts, a lookup), which the lists are narrowed to as well: the database then reads the slice's deals and
   * leads of those accounts only, not every one of them (a manager's team at 1M deals has 200k deals and 600k
   * leads: 2.4 s for a page's 20 account names on SQLite, 0.9 ms narrowed). The answer is the same: the statement
   * keeps only those ids anyway.
   */
  private accountFilter(column: 'id' | 'account', reps: number[], em?: Em, candidates?: number[] | null): FilterQuery<object> {
    if (!reps.length) return { [column]: { $in: [] } };
    const db = em ?? this.em;
    if (!db) throw new Error('AccessScope needs an entity manager for a restricted identity');
    const knex = db.getKnex();
    const via = (table: 'deals' | 'leads') => {
      const accounts = knex(table).select('account_id').whereIn('owner_id', reps);
      if (candidates) accounts.whereIn('account_id', candidates);
      else accounts.whereNotNull('account_id');
      return { [column]: { $in: accounts } };
    };
    if (this.role === AccessRole.AE) return via('deals');
    if (this.role === AccessRole.SDR) return via('leads');
    return { $or: [via('deals'), via('leads')] };
  }

  // ---- WHERE filters per entity ({} = no restriction) ----

  async deals(em?: Em): Promise<FilterQuery<object>> {
    const owners = await this.dealOwnerIds(em);
    return owners === null ? {} : { owner: { $in: owners } };
  }

  async leads(em?: Em): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    return reps === null ? {} : { owner: { $in: reps } };
  }

  async activities(em?: Em): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    if (reps === null) return {};
    const or: object[] = [{ rep: { $in: reps } }];
    if (this.role !== AccessRole.AE) or.push({ lead: { owner: { $in: reps } } });
    if (this.role !== AccessRole.SDR) or.push({ deal: { owner: { $in: reps } } });
    return { $or: or };
  }

  async accounts(em?: Em, candidates?: number[] | null): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    if (reps === null) return {};
    return this.accountFilter('id', reps, em, candidates);
  }

  async orders(em?: Em): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    if (reps === null) return {};
    return this.accountFilter('account', reps, em);
  }

  async reps(em?: Em): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    if (reps === null) return {};
    return this.identity.teamId == null ? { id: { $in: reps } } : { $or: [{ id: { $in: reps } }, { team: this.identity.teamId }] };
  }

  async teams(em?: Em): Promise<FilterQuery<object>> {
    if (this.unrestricted) return {};
    return { id: { $in: this.identity.teamId == null ? [] : [this.identity.teamId] } };
  }

  /** Targets are quota data: FORBIDDEN below MANAGER. */
  async targets(em?: Em): Promise<FilterQuery<object>> {
    this.requireFinancials('Targets and quotas');
    if (this.unrestricted) return {};
    const reps = (await this.repIds(em)) ?? [];
    const or: object[] = [{ scope: TargetScope.COMPANY }, { rep: { $in: reps } }];
    if (this.identity.teamId != null) or.push({ team: this.identity.teamId });
    return { $or: or };
  }

  /** The filter for an entity by name; undefined for entities every caller may read. */
  async filterFor(entityName: string, em?: Em, candidates?: number[] | null): Promise<FilterQuery<object> | undefined> {
    switch (entityName) {
      case 'Deal': return this.deals(em);
      case 'Lead': return this.leads(em);
      case 'Activity': return this.activities(em);
      case 'Account': return this.accounts(em, candidates);
      case 'Order': return this.orders(em);
      case 'Rep': return this.reps(em);
      case 'Team': return this.teams(em);
      case 'Target': return this.targets(em);
      default: return undefined;
    }
  }

  /** `where` narrowed to the caller's slice of `entityName`. */
  async scoped<T>(entityName: string, where: FilterQuery<T>, em?: Em): Promise<FilterQuery<T>> {
    const scope = await this.filterFor(entityName, em, idsNamedBy(where));
    return isEmpty(scope) ? where : isEmpty(where) ? (scope as FilterQuery<T>) : ({ $and: [scope, where] } as FilterQuery<T>);
  }

  /** Loads a row the caller may see: NOT_FOUND for a missing id and for one outside the slice alike. */
  async findOrFail<T extends object>(em: Em, entity: new (...args: never[]) => T, id: string | number, field: string): Promise<T> {
    const where = await this.scoped<T>(entity.name, { id: parseId(id, field) } as FilterQuery<T>, em);
    const found = await em.findOne(entity, where);
    if (!found) throw new NotFoundError(entity.name, id);
    return found;
  }

  /** Optional reference a mutation names: undefined leaves it unchanged, null clears it. */
  async findOptional<T extends object>(em: Em, entity: new (...args: never[]) => T, id: string | null | undefined, field: string): Promise<T | null | undefined> {
    if (id === undefined) return undefined;
    if (id === null) return null;
    return this.findOrFail(em, entity, id, field);
  }

  // ---- Checks for whole operations ----

  /** FORBIDDEN below MANAGER. */
  requireFinancials(what: string): void {
    if (!this.seesFinancials) throw new ForbiddenError(`${what} are visible to managers and above only`);
  }

  requireRole(roles: AccessRole[], what: string): void {
    if (!roles.includes(this.role)) throw new ForbiddenError(`${what} is not allowed for the ${this.role} role`);
  }

  /**
   * The one owner rule, for every writer that names a rep (createLead/updateLead owner, createDeal/updateDeal
   * owner, convertLead's new deal owner, logActivity's rep):
   * 1. the rep must be one the caller can read (NOT_FOUND otherwise, as `rep(id)` would answer);
   * 2. the caller may assign to it (FORBIDDEN otherwise): EXEC and ADMIN anyone; a MANAGER its team; an SDR or
   *    AE itself, and, handing a converted lead over, the deal owners of its team;
   * 3. the rep is active and of a role that holds such records (BAD_USER_INPUT naming the field otherwise).
   */
  async resolveAssignee(em: Em, repId: string | number, kind: Assignment, field: string): Promise<Rep> {
    const rep = await this.findOrFail(em, Rep, repId, field);
    if (!this.unrestricted && rep.id !== this.identity.repId) {
      const sameTeam = this.identity.teamId != null && rep.team?.id === this.identity.teamId;
      if (!sameTeam || (this.role !== AccessRole.MANAGER && kind !== 'handoff')) {
        const whom = this.role === AccessRole.MANAGER ? 'members of your team' : kind === 'handoff' ? 'yourself or an account executive of your team' : 'yourself';
        throw new ForbiddenError(`${field}: you can only assign ${ASSIGNED[kind]} to ${whom}`);
      }
    }
    if (!rep.active) throw new BadInputError(field, `${field}: ${rep.name} is inactive and can no longer be given ${ASSIGNED[kind]}`);
    if (!HOLDERS[kind].includes(rep.role)) {
      throw new BadInputError(field, `${field}: ${ASSIGNED[kind]} go to ${HOLDERS[kind].join(' or ')} reps; ${rep.name} is ${rep.role}`);
    }
    return rep;
  }

  /** Deals are owned by AEs and managers: an SDR hands a lead over with convertLead. */
  assertMayCreateDeals(): void {
    if (this.role === AccessRole.SDR) throw new ForbiddenError('SDRs do not own deals: convert the lead to hand it to an AE');
  }

  /** Team-level data (a team KPI, a team forecast): MANAGER of that team, EXEC, ADMIN. */
  assertTeam(teamId: string | number, field: string): void {
    if (this.unrestricted) return;
    if (this.role === AccessRole.MANAGER && this.identity.teamId === parseId(teamId, field)) return;
    throw new ForbiddenError(`${field}: team-level data is visible to that team's manager and executives only`);
  }

  /** Rep-level data (a rep's KPI or forecast): that rep, their manager, EXEC, ADMIN. */
  async assertRep(repId: string | number, field: string, em?: Em): Promise<void> {
    const reps = await this.repIds(em);
    if (reps !== null && !reps.includes(parseId(repId, field))) throw new ForbiddenError(`${field}: that rep's data is not visible to you`);
  }

  /** Company-wide aggregates: EXEC and ADMIN. Others must narrow to their slice (rep or team). */
  assertCompanyWide(what: string): void {
    if (!this.unrestricted) throw new ForbiddenError(`${what} across the whole company is visible to executives only: filter by your team or rep`);
  }
}

/** What a rep is being given: a lead, a deal, a converted lead's deal (the SDR-to-AE hand-off), an activity. */
export type Assignment = 'lead' | 'deal' | 'handoff' | 'activity';

/** Roles that may hold each kind of record: EXEC (and ADMIN, which is no rep) own no leads or deals. */
const HOLDERS: Record<Assignment, RepRole[]> = {
  lead: [RepRole.SDR, RepRole.AE, RepRole.MANAGER],
  deal: [RepRole.AE, RepRole.MANAGER],
  handoff: [RepRole.AE, RepRole.MANAGER],
  activity: [RepRole.SDR, RepRole.AE, RepRole.MANAGER, RepRole.EXEC],
};
const ASSIGNED: Record<Assignment, string> = { lead: 'leads', deal: 'deals', handoff: 'deals', activity: 'activities' };

const isEmpty = (where: unknown) => where == null || (typeof where === 'object' && Object.keys(where as object).length === 0);

/** The unrestricted scope of the system identity: needs no database lookups. */
const SYSTEM_ACCESS = new AccessScope(SYSTEM_IDENTITY);

/** Identity of a rep as stored: their role and team. */
export function identityOfRep(rep: Pick<Rep, 'id' | 'role'> & { team?: { id: number } | null }): Identity {
  return { subject: `rep:${rep.id}`, role: accessRoleOf(rep.role), repId: rep.id, teamId: rep.team?.id ?? null };
}

/** At most this many ids are pushed into a filter's subqueries (a loader's batch, a lookup); more: not narrowed. */
const CANDIDATES_NARROWED = 1000;

/** The ids a WHERE asks for at its top level (`{ id: 7 }`, `{ id: { $in: [...] } }`), else null. */
function idsNamedBy(where: unknown): number[] | null {
  const id = (where as { id?: unknown } | null)?.id;
  const ids = typeof id === 'number' ? [id] : Array.isArray((id as { $in?: unknown } | null)?.$in) ? ((id as { $in: unknown[] }).$in) : null;
  return ids && ids.length <= CANDIDATES_NARROWED && ids.every((v) => Number.isSafeInteger(v)) ? (ids as number[]) : null;
}
