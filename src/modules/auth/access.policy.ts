import type { FilterQuery } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { TargetScope } from '../../shared/enums';
import { ForbiddenError, NotFoundError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { AccessRole, SYSTEM_IDENTITY, isManagerOrAbove, seesEverything, type Identity } from './identity';

/**
 * Row- and field-level rules, in one place. Every query path (top-level lists and lookups, nested fields,
 * connections, aggregates) narrows its WHERE with these filters; mutations check them before writing.
 *
 * Rows ("R" = the reps whose work the caller sees: SDR/AE themselves, MANAGER every member of their team):
 * - SDR: leads owned by R; activities logged by R or on leads owned by R; accounts of those leads; no deals.
 * - AE: deals owned by R; leads owned by R; activities logged by R or on deals owned by R; accounts they own deals in.
 * - MANAGER: leads, deals and activities of R (the team); accounts the team has leads or deals in; the team's reps.
 * - EXEC, ADMIN: everything.
 * - Reps: R. Teams: the caller's own team. Products and pipeline stages: everyone.
 * - Targets (quotas) and cost, spend and margin data: MANAGER and above only. MANAGER sees company targets,
 *   its team's and its members'.
 *
 * How a refusal looks:
 * - Lists and connections return the caller's slice (possibly empty), never an error.
 * - A lookup by id of a row outside the slice answers NOT_FOUND, exactly as for an id that does not exist.
 * - A whole query or argument the role may never use (targets for an SDR, a team KPI for another team,
 *   assigning a record to a rep outside R) answers FORBIDDEN.
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
   * Accounts the caller sees: those its slice has deals (AE, MANAGER) or leads (SDR, MANAGER) in, as a subquery
   * (never a materialised id list: a large team's accounts would not fit SQLite's parameter limit).
   */
  private accountSubquery(reps: number[], em?: Em) {
    const db = em ?? this.em;
    if (!db) throw new Error('AccessScope needs an entity manager for a restricted identity');
    const knex = db.getKnex();
    const viaDeals = knex('deals').select('account_id').whereIn('owner_id', reps).whereNotNull('account_id');
    const viaLeads = knex('leads').select('account_id').whereIn('owner_id', reps).whereNotNull('account_id');
    if (this.role === AccessRole.AE) return viaDeals;
    if (this.role === AccessRole.SDR) return viaLeads;
    return viaDeals.union(viaLeads);
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

  async accounts(em?: Em): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    if (reps === null) return {};
    return { id: { $in: reps.length ? this.accountSubquery(reps, em) : [] } } as FilterQuery<object>;
  }

  async orders(em?: Em): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    if (reps === null) return {};
    return { account: { $in: reps.length ? this.accountSubquery(reps, em) : [] } } as FilterQuery<object>;
  }

  async reps(em?: Em): Promise<FilterQuery<object>> {
    const reps = await this.repIds(em);
    return reps === null ? {} : { id: { $in: reps } };
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
  async filterFor(entityName: string, em?: Em): Promise<FilterQuery<object> | undefined> {
    switch (entityName) {
      case 'Deal': return this.deals(em);
      case 'Lead': return this.leads(em);
      case 'Activity': return this.activities(em);
      case 'Account': return this.accounts(em);
      case 'Order': return this.orders(em);
      case 'Rep': return this.reps(em);
      case 'Team': return this.teams(em);
      case 'Target': return this.targets(em);
      default: return undefined;
    }
  }

  /** `where` narrowed to the caller's slice of `entityName`. */
  async scoped<T>(entityName: string, where: FilterQuery<T>, em?: Em): Promise<FilterQuery<T>> {
    const scope = await this.filterFor(entityName, em);
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

  /** A record may be assigned (owner, activity rep) only to a rep in the caller's slice. */
  async assertCanAssign(repId: string | number, field: string, em?: Em): Promise<void> {
    const reps = await this.repIds(em);
    if (reps !== null && !reps.includes(parseId(repId, field))) {
      throw new ForbiddenError(`${field}: you can only assign records to ${this.role === AccessRole.MANAGER ? 'members of your team' : 'yourself'}`);
    }
  }

  /** Deals are owned by AEs and above: an SDR hands a lead over with convertLead. */
  async assertCanOwnDeals(ownerId: string | number, field: string): Promise<void> {
    if (this.role === AccessRole.SDR) throw new ForbiddenError('SDRs do not own deals: convert the lead to hand it to an AE');
    await this.assertCanAssign(ownerId, field);
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

const isEmpty = (where: unknown) => where == null || (typeof where === 'object' && Object.keys(where as object).length === 0);

/** The unrestricted scope of the system identity: needs no database lookups. */
const SYSTEM_ACCESS = new AccessScope(SYSTEM_IDENTITY);

/** Identity of a rep as stored: their role and team. */
export function identityOfRep(rep: Pick<Rep, 'id' | 'role'> & { team?: { id: number } | null }): Identity {
  return { subject: `rep:${rep.id}`, role: rep.role as unknown as AccessRole, repId: rep.id, teamId: rep.team?.id ?? null };
}
