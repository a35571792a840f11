import { getNamedType, isInputObjectType, isListType, isNonNullType, type GraphQLInputType, type GraphQLArgument, type GraphQLInputField } from 'graphql';
import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import type { Identity } from '../../src/modules/auth/identity';
import { ENTITIES } from '../../src/db/entities';

type Role = 'SDR' | 'AE' | 'MANAGER' | 'EXEC' | 'ADMIN';
const ROLES: Role[] = ['SDR', 'AE', 'MANAGER', 'EXEC', 'ADMIN'];
type Entity = 'Deal' | 'Lead' | 'Account' | 'Rep' | 'Team' | 'Target' | 'Product' | 'PipelineStage';
const MISSING = '999999';

/** Which record an ID argument names, by its name; `id` by the mutation. A new name fails the walk until listed. */
const ENTITY_OF_FIELD: Record<string, Entity> = {
  accountId: 'Account', ownerId: 'Rep', repId: 'Rep', managerId: 'Rep', leadId: 'Lead', dealId: 'Deal',
  productId: 'Product', stageId: 'PipelineStage', teamId: 'Team',
};
const ENTITY_OF_ID: Record<string, Entity> = { updateDeal: 'Deal', updateLead: 'Lead', qualifyLead: 'Lead', disqualifyLead: 'Lead', updateTarget: 'Target' };

/** Operations a role may never use: refused FORBIDDEN before any id is looked at, for a missing id alike. */
const ADMIN_OPS = ['createRep', 'changeRepRole', 'moveRepToTeam', 'setTeamManager', 'deactivateRep', 'reactivateRep'];
const ROLE_FORBIDDEN: Record<Role, string[]> = {
  SDR: ['createDeal', 'adjustForecast', 'overrideDealForecastCategory', 'createTarget', 'updateTarget', ...ADMIN_OPS],
  AE: ['createTarget', 'updateTarget', ...ADMIN_OPS],
  MANAGER: ADMIN_OPS,
  EXEC: ADMIN_OPS,
  ADMIN: ['adjustForecast', 'overrideDealForecastCategory'], // signed by a rep; the ADMIN service identity is none
};

/**
 * The schema walk over mutations: every argument of every mutation whose type is ID (at any depth of its input
 * objects) is found from the schema, then tried for every role with an id outside the role's slice and with an
 * id that does not exist. Both must answer alike (no existence leak) and, unless the role may not use the
 * mutation at all, NOT_FOUND, exactly as a read of that id answers. Nothing may be written.
 * World (test/helpers/security.ts): team A = MA, a1, a2, s1; team B = MB, b1, s2; X = EXEC.
 */
describe.each(DATABASES)('the mutation walk: every id argument, every role, on %s', (kind) => {
  let app: SecurityTestApp;
  let w: AccessWorld;

  beforeAll(async () => {
    app = await createSecurityTestApp(kind);
    w = await createAccessWorld(app.orm.em as Em);
  });
  afterAll(async () => app?.close());

  /** ID paths of one argument: ['input', 'accountId'], ['repId'], ... */
  function idPaths(arg: GraphQLArgument | GraphQLInputField, prefix: string[] = [], seen = new Set<string>()): string[][] {
    const named = getNamedType(arg.type as GraphQLInputType);
    const path = [...prefix, arg.name];
    if (named.name === 'ID') return [path];
    if (!isInputObjectType(named) || seen.has(named.name)) return [];
    return Object.values(named.getFields()).flatMap((field) => idPaths(field, path, new Set([...seen, named.name])));
  }

  /** Valid arguments for `role`, each id inside its slice, so that only the probed id can fail. */
  function baseVariables(role: Role, mutation: string, path: string[]): Record<string, unknown> | undefined {
    const id = w.id;
    const own = { SDR: w.reps.s1, AE: w.reps.a1, MANAGER: w.reps.MA, EXEC: w.reps.X, ADMIN: w.reps.a1 }[role];
    const deal = id(w.deals.d1);
    const lead = id(role === 'AE' ? w.leads.l3 : w.leads.l1);
    const account = id(role === 'SDR' ? w.accounts.acc4 : w.accounts.acc1);
    const holder = id(role === 'SDR' ? w.reps.s1 : w.reps.a1); // a rep the role may give a lead
    const dealOwner = id(w.reps.a1);
    const team = id(w.teams.teamA);
    const product = id(w.product);
    const stage = String(w.stages[1].id);
    const probed = path[path.length - 1];
    const period = { periodStart: '2027-01-01T00:00:00Z', periodEnd: '2027-04-01T00:00:00Z' };
    const bases: Record<string, () => Record<string, unknown>> = {
      createDeal: () => ({ input: { name: 'Walk', accountId: account, ownerId: dealOwner, productId: product, stageId: stage, amount: 1 } }),
      updateDeal: () => ({ id: deal, version: 1, input: { accountId: account, ownerId: dealOwner, productId: product } }),
      moveDealStage: () => ({ input: { dealId: deal, version: 1, stageId: stage } }),
      closeDeal: () => ({ input: { dealId: deal, version: 1, won: false, lossReason: 'walk' } }),
      createLead: () => ({ input: { name: 'Walk', accountId: account, ownerId: holder } }),
      updateLead: () => ({ id: lead, version: 1, input: { accountId: account, ownerId: holder } }),
      qualifyLead: () => ({ id: lead, version: 1 }),
      disqualifyLead: () => ({ id: lead, version: 1, reason: 'walk' }),
      convertLead: () => ({ input: { leadId: lead, version: 1, ownerId: dealOwner, productId: product, amount: 1 } }),
      logActivity: () => ({ input: { type: 'NOTE', repId: id(own), leadId: lead, ...(role !== 'SDR' && { dealId: deal }) } }),
      createTarget: () => ({ input: { kpiKey: 'revenue', ...period, value: 1, ...(probed === 'repId' ? { scope: 'REP', repId: id(w.reps.a1) } : { scope: 'TEAM', teamId: team }) } }),
      updateTarget: () => ({ id: id(w.targets.tTeamA), version: 1, input: { value: 2 } }),
      adjustForecast: () => ({ input: { period: '2026-Q1', amount: 1, note: 'walk', ...(probed === 'repId' ? { scope: 'REP', repId: id(w.reps.a1) } : { scope: 'TEAM', teamId: team }) } }),
      overrideDealForecastCategory: () => ({ input: { dealId: deal, version: 1, category: 'COMMIT', period: '2026-Q1', note: 'walk' } }),
      createRep: () => ({ input: { name: 'Walk', email: 'walk@example.com', role: 'AE', teamId: team } }),
      changeRepRole: () => ({ repId: id(w.reps.a2), role: 'MANAGER' }),
      moveRepToTeam: () => ({ repId: id(w.reps.a2), teamId: id(w.teams.teamB) }),
      setTeamManager: () => ({ teamId: team, managerId: id(w.reps.MA) }),
      deactivateRep: () => ({ repId: id(w.reps.a2) }),
      reactivateRep: () => ({ repId: id(w.reps.a2) }),
    };
    return bases[mutation]?.();
  }

  function outOfSlice(role: Role, entity: Entity): string | null {
    if (role === 'EXEC' || role === 'ADMIN' || entity === 'Product' || entity === 'PipelineStage') return null; // everything is readable
    const rows: Record<Entity, { id: number } | null> = {
      Deal: role === 'SDR' ? w.deals.d1 : w.deals.d3,
      Lead: role === 'AE' ? w.leads.l1 : w.leads.l2,
      Account: w.accounts.acc3,
      Rep: w.reps.b1,
      Team: w.teams.teamB,
      Target: w.targets.tTeamB,
      Product: null,
      PipelineStage: null,
    };
    return rows[entity] && w.id(rows[entity]!);
  }

  const setAt = (value: Record<string, unknown>, path: string[], id: string) => {
    const copy = structuredClone(value);
    let node = copy as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]] = id;
    return copy;
  };

  it('answers every out-of-slice id in every mutation as a read of it would, and writes nothing', async () => {
    const mutationType = app.schema.getMutationType()!;
    const problems: string[] = [];
    const em = () => app.orm.em.fork() as Em;
    // Scores are written by the server's background scoring of the fresh world, not by requests.
    const counts = async () => Object.fromEntries(await Promise.all(ENTITIES.filter((e) => !['BaseEntity', 'LeadScore', 'DealScore'].includes(e.name)).map(async (e) => [e.name, await em().count(e as never, {})])));
    const before = await counts();
    let probes = 0;
    const reads: Record<string, string> = { Deal: 'deal', Lead: 'lead', Account: 'account', Rep: 'rep', Team: 'team' };

    for (const field of Object.values(mutationType.getFields())) {
      const paths = field.args.flatMap((arg) => idPaths(arg));
      for (const path of paths) {
        const last = path[path.length - 1];
        const entity = last === 'id' ? ENTITY_OF_ID[field.name] : ENTITY_OF_FIELD[last];
        if (!entity) {
          problems.push(`${field.name}(${path.join('.')}): unknown record type; list it in ENTITY_OF_FIELD / ENTITY_OF_ID`);
          continue;
        }
        for (const role of ROLES) {
          const base = baseVariables(role, field.name, path);
          if (!base) {
            problems.push(`${field.name}: no base variables; add the mutation to the walk`);
            break;
          }
          const given = field.args.filter((arg) => arg.name in base || isNonNullType(arg.type));
          const defs = given.map((arg) => `$${arg.name}: ${arg.type}`).join(', ');
          const args = given.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
          const selection = isListType(field.type) || getNamedType(field.type).toString() === 'Boolean' ? '' : ' { __typename }';
          const query = `mutation(${defs}) { ${field.name}(${args})${selection} }`;
          const answer = async (id: string) => {
            const res = await app.execute(query, setAt(base, path, id), w.identities[role] as Identity);
            probes++;
            if (!res.errors) return 'WRITTEN';
            return String(res.errors[0].extensions?.code);
          };
          const expected = ROLE_FORBIDDEN[role].includes(field.name) ? 'FORBIDDEN' : 'NOT_FOUND';
          const missing = await answer(MISSING);
          if (missing !== expected) problems.push(`${role} ${field.name}(${path.join('.')}: missing id) -> ${missing}, expected ${expected}`);
          const outside = outOfSlice(role, entity);
          if (outside == null) continue;
          const got = await answer(outside);
          if (got !== expected) problems.push(`${role} ${field.name}(${path.join('.')}: ${entity} ${outside}) -> ${got}, expected ${expected}`);
          // The read of that id answers the same (for the records that have a lookup by id).
          if (reads[entity] && expected === 'NOT_FOUND') {
            const read = await app.execute(`query($id: ID!) { ${reads[entity]}(id: $id) { id } }`, { id: outside }, w.identities[role] as Identity);
            if (read.errors?.[0]?.extensions?.code !== 'NOT_FOUND') problems.push(`${role} ${reads[entity]}(${outside}) is readable: the fixture's out-of-slice id is wrong`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(probes).toBeGreaterThan(250); // 20 mutations, ~35 id arguments, 5 roles
    expect(await counts()).toEqual(before);
  });
});
