import { ReferenceKind, type EntityMetadata } from '@mikro-orm/core';
import { isLeafType, getNamedType, isObjectType } from 'graphql';
import type { Em } from '../../src/db/orm';
import { ENTITIES } from '../../src/db/entities';
import { Loaders, findRows } from '../../src/graphql/loaders';
import { MoneyScalar, toMajor } from '../../src/graphql/money.scalar';
import { Account } from '../../src/modules/account/account.entity';
import { AccessScope, identityOfRep } from '../../src/modules/auth/access.policy';
import { SYSTEM_IDENTITY, type Identity } from '../../src/modules/auth/identity';
import { Deal } from '../../src/modules/deal/deal.entity';
import type { DealFilter } from '../../src/modules/deal/deal.inputs';
import { visibleDealWhere } from '../../src/modules/deal/deal.service';
import { Lead } from '../../src/modules/lead/lead.entity';
import { PipelineStage } from '../../src/modules/pipeline/stage.entity';
import { Product } from '../../src/modules/product/product.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { Team } from '../../src/modules/team/team.entity';
import { DealStatus, RepRole } from '../../src/shared/enums';
import { DATABASES, type TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';

/**
 * Connections and DataLoader batches answer with read-only rows (src/graphql/loaders.ts `findRows`), not managed
 * entities. These tests hold the rows to what MikroORM's hydration gives, entity by entity, and the deals page's
 * answer, for every filter and role, to the same page built from entities loaded through the ORM.
 */
describe.each(DATABASES)('read-only rows on %s', (kind) => {
  let app: TestApp;
  const fork = () => app.orm.em.fork() as Em;

  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'small');
  });
  afterAll(async () => app?.close());

  /** Every column the row holds as the entity holds it, every leaf field of its GraphQL type read the same. */
  function expectRowAsEntity(meta: EntityMetadata, row: Record<string, unknown>, entity: Record<string, unknown>) {
    expect(Object.getPrototypeOf(row)).toBe(meta.prototype);
    const seen: Record<string, unknown> = {};
    const wanted: Record<string, unknown> = {};
    for (const prop of meta.props) {
      if (prop.persist === false || !prop.fieldNames?.length) continue;
      if (prop.kind === ReferenceKind.SCALAR) {
        seen[prop.name] = row[prop.name];
        wanted[prop.name] = entity[prop.name];
      } else if (prop.kind === ReferenceKind.MANY_TO_ONE) {
        seen[prop.name] = (row[prop.name] as { id: number } | null)?.id ?? null;
        wanted[prop.name] = (entity[prop.name] as { id: number } | null)?.id ?? null;
      }
    }
    const type = app.schema.getType(meta.className);
    if (isObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!isLeafType(getNamedType(field.type)) || field.args.length || !(field.name in entity)) continue;
        seen[`field ${field.name}`] = row[field.name];
        wanted[`field ${field.name}`] = entity[field.name];
      }
    }
    expect(seen).toStrictEqual(wanted);
  }

  it('hold what hydration gives, for every entity', async () => {
    let compared = 0;
    for (const entity of ENTITIES) {
      const meta = app.orm.getMetadata().find(entity.name);
      if (!meta || meta.abstract || meta.virtual) continue;
      const options = { orderBy: Object.fromEntries(meta.primaryKeys.map((pk) => [pk, 'asc'])), limit: 200 };
      const rows = await findRows(fork(), entity as never, {}, options as never);
      const entities = await fork().find(entity as never, {}, options as never);
      expect({ entity: entity.name, rows: rows.length }).toEqual({ entity: entity.name, rows: entities.length });
      rows.forEach((row, i) => expectRowAsEntity(meta, row as Record<string, unknown>, entities[i] as Record<string, unknown>));
      compared += rows.length;
    }
    expect(compared).toBeGreaterThan(1000); // the seeded world has rows in most tables
  });

  it('hold what hydration gives for the newest children of each parent (rep.deals, account.deals)', async () => {
    const em = fork();
    const busiest: Array<{ owner_id: number | string }> = await em.execute(`select owner_id from deals where owner_id is not null group by owner_id order by count(*) desc, owner_id limit 3`);
    const owners = busiest.map((row) => Number(row.owner_id));
    const loaders = new Loaders(em, AccessScope.system());
    const latest = await Promise.all(owners.map((id) => loaders.latestChildren(Deal, 'owner', 5, { status: [DealStatus.OPEN, DealStatus.WON] }).load(id)));
    for (const [i, owner] of owners.entries()) {
      const entities = await fork().find(Deal, { owner, status: { $in: [DealStatus.OPEN, DealStatus.WON] } }, { orderBy: { id: 'desc' }, limit: 5 });
      expect(entities.length).toBe(5);
      expect(latest[i].map((deal) => deal.id)).toEqual(entities.map((deal) => deal.id));
      latest[i].forEach((row, j) => expectRowAsEntity(app.orm.getMetadata().get('Deal'), row as never, entities[j] as never));
    }
  });

  const PAGE = `query($after: String, $filter: DealFilter, $sort: DealSort) {
    deals(first: 40, after: $after, filter: $filter, sort: $sort) {
      pageInfo { hasNextPage endCursor }
      edges { node {
        id name amount currency status openedAt engagedAt expectedCloseDate closedAt stageEnteredAt lossReason stageHistoryKnown
        source forecastCategory externalId version createdAt updatedAt
        owner { id name email role active hiredAt externalId team { id name region } }
        account { id name sector country employees annualRevenue segment externalId }
        product { id name family listPrice unitCost grossMarginRate externalId }
        stage { id name position defaultProbability isWon isLost isClosed }
        sourceLead { id name status budget attributes }
      } }
    }
  }`;

  type Node = Record<string, unknown>;
  const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
  const money = (cents: number | null | undefined) => (cents == null ? null : MoneyScalar.serialize(toMajor(cents)));

  /** The node the deals page must answer, from entities loaded through the ORM, its references through the caller's policy. */
  async function expectedNodes(identity: Identity, filter: DealFilter, orderBy: Record<string, 'asc' | 'desc'>): Promise<Node[]> {
    const em = fork();
    const access = new AccessScope(identity, em);
    const deals = await em.find(Deal, await visibleDealWhere(em, access, filter), { orderBy: 'id' in orderBy ? orderBy : { ...orderBy, id: 'asc' } });
    // Each reference as the caller may see it (null outside its slice), one batch per entity, through the policy.
    const visible = async <T extends { id: number }>(entity: new () => T, refs: Array<{ id: number } | null | undefined>): Promise<Map<number, T>> => {
      const ids = [...new Set(refs.filter((ref) => ref != null).map((ref) => ref!.id))];
      const rows = ids.length ? await em.find(entity, (await access.scoped(entity.name, { id: { $in: ids } })) as never) : [];
      return new Map(rows.map((row) => [row.id, row]));
    };
    const [owners, accounts, products, stages, leads] = await Promise.all([
      visible(Rep, deals.map((d) => d.owner)), visible(Account, deals.map((d) => d.account)), visible(Product, deals.map((d) => d.product)),
      visible(PipelineStage, deals.map((d) => d.stage)), visible(Lead, deals.map((d) => d.sourceLead)),
    ]);
    const teams = await visible(Team, [...owners.values()].map((rep) => rep.team));
    const financial = (value: unknown) => (access.seesFinancials ? value : null);
    const of = <T>(map: Map<number, T>, ref: { id: number } | null | undefined) => (ref ? map.get(ref.id) ?? null : null);
    return Promise.all(
      deals.map(async (d) => {
        const [owner, account, product, stage, lead] = [of(owners, d.owner), of(accounts, d.account), of(products, d.product), of(stages, d.stage), of(leads, d.sourceLead)];
        const team = owner ? of(teams, owner.team) : null;
        return {
          id: String(d.id), name: d.name, amount: money(d.amountCents), currency: d.currency, status: d.status, openedAt: iso(d.openedAt), engagedAt: iso(d.engagedAt),
          expectedCloseDate: iso(d.expectedCloseDate), closedAt: iso(d.closedAt), stageEnteredAt: iso(d.stageEnteredAt), lossReason: d.lossReason ?? null,
          stageHistoryKnown: d.stageHistoryKnown, source: d.source ?? null, forecastCategory: d.forecastCategory ?? null, externalId: d.externalId ?? null,
          version: d.version, createdAt: iso(d.createdAt), updatedAt: iso(d.updatedAt),
          owner: owner && {
            id: String(owner.id), name: owner.name, email: owner.email, role: owner.role, active: owner.active, hiredAt: iso(owner.hiredAt), externalId: owner.externalId ?? null,
            team: team && { id: String(team.id), name: team.name, region: team.region },
          },
          account: account && {
            id: String(account.id), name: account.name, sector: account.sector ?? null, country: account.country ?? null, employees: account.employees ?? null,
            annualRevenue: money(account.annualRevenueCents), segment: account.segment ?? null, externalId: account.externalId ?? null,
          },
          product: product && {
            id: String(product.id), name: product.name, family: product.family, listPrice: money(product.listPriceCents), unitCost: financial(money(product.unitCostCents)),
            grossMarginRate: financial(product.unitCostCents == null || !product.listPriceCents ? null : (product.listPriceCents - product.unitCostCents) / product.listPriceCents),
            externalId: product.externalId ?? null,
          },
          stage: stage && { id: String(stage.id), name: stage.name, position: stage.position, defaultProbability: stage.defaultProbability, isWon: stage.isWon, isLost: stage.isLost, isClosed: stage.isWon || stage.isLost },
          sourceLead: lead && { id: String(lead.id), name: lead.name, status: lead.status, budget: money(lead.budgetCents), attributes: lead.attributes },
        };
      }),
    );
  }

  /** Every page of the deals query, walked with its cursors. */
  async function walk(identity: Identity, filter: DealFilter, sort?: { field: string; direction: string }): Promise<Node[]> {
    const nodes: Node[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await app.execute<{ deals: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: Node }> } }>(PAGE, { after, filter, sort }, identity);
      expect(res.errors).toBeUndefined();
      nodes.push(...res.data!.deals.edges.map((edge) => edge.node));
      if (!res.data!.deals.pageInfo.hasNextPage) return nodes;
      after = res.data!.deals.pageInfo.endCursor!;
    }
    throw new Error('more than 100 pages');
  }

  it('answer the deals page as entities would, for every filter and role, across pages', async () => {
    const em = fork();
    const manager = (await em.findOne(Rep, { role: RepRole.MANAGER, team: { $ne: null } }, { orderBy: { id: 'asc' } }))!;
    const ae = (await em.findOne(Rep, { role: RepRole.AE, team: manager.team!.id }, { orderBy: { id: 'asc' } }))!;
    const sdr = (await em.findOne(Rep, { role: RepRole.SDR, team: manager.team!.id }, { orderBy: { id: 'asc' } }))!;
    const exec = (await em.findOne(Rep, { role: RepRole.EXEC }, { orderBy: { id: 'asc' } }))!;
    const roles: Record<string, Identity> = {
      SDR: identityOfRep(sdr), AE: identityOfRep(ae), MANAGER: identityOfRep(manager), EXEC: identityOfRep(exec), ADMIN: SYSTEM_IDENTITY,
    };
    const aeDeal = (await em.findOne(Deal, { owner: ae.id, account: { $ne: null }, product: { $ne: null }, source: { $ne: null } }, { orderBy: { id: 'asc' } }))!;
    const [stage1, stage2] = await em.find(PipelineStage, {}, { orderBy: { position: 'asc' }, limit: 2 });
    const product = (await em.findOne(Product, aeDeal.product!.id))!;
    const otherAe = (await em.findOne(Rep, { role: RepRole.AE, team: { $ne: manager.team!.id } }, { orderBy: { id: 'asc' } }))!;
    const filters: Record<string, DealFilter> = {
      none: {},
      ownerIds: { ownerIds: [String(ae.id), String(otherAe.id)] },
      teamId: { teamId: String(manager.team!.id) },
      stageIds: { stageIds: [String(aeDeal.stage.id), String(stage1.id === aeDeal.stage.id ? stage2.id : stage1.id)] },
      statusesOpen: { statuses: [DealStatus.OPEN] },
      statusesClosed: { statuses: [DealStatus.WON, DealStatus.LOST] },
      sources: { sources: [aeDeal.source!] },
      productId: { productId: String(product.id) },
      productFamily: { productFamily: product.family },
      accountId: { accountId: String(aeDeal.account!.id) },
      opened: { openedFrom: new Date('2025-06-01T00:00:00Z'), openedTo: new Date('2026-06-01T00:00:00Z') },
      closed: { closedFrom: new Date('2025-01-01T00:00:00Z'), closedTo: new Date('2026-09-01T00:00:00Z') },
      amount: { amountMin: 5000, amountMax: 40000.5 },
      search: { search: aeDeal.name.slice(0, 3).toLowerCase() },
      combined: { teamId: String(manager.team!.id), statuses: [DealStatus.OPEN, DealStatus.WON], productFamily: product.family, amountMin: 1000 },
    };
    const answered = new Map<string, number>();
    for (const [role, identity] of Object.entries(roles)) {
      for (const [name, filter] of Object.entries(filters)) {
        const got = await walk(identity, filter);
        const want = await expectedNodes(identity, filter, { id: 'desc' });
        expect({ role, filter: name, nodes: got }).toEqual({ role, filter: name, nodes: want });
        answered.set(`${role} ${name}`, got.length);
      }
    }
    // The filters narrow (a test of empty pages would prove nothing): every filter finds deals for the manager and
    // the exec, an SDR none, and the slices nest.
    for (const name of Object.keys(filters)) {
      expect({ name, exec: answered.get(`EXEC ${name}`)! > 0, manager: answered.get(`MANAGER ${name}`)! > 0, sdr: answered.get(`SDR ${name}`) }).toEqual({ name, exec: true, manager: true, sdr: 0 });
      expect(answered.get(`AE ${name}`)!).toBeLessThanOrEqual(answered.get(`MANAGER ${name}`)!);
      expect(answered.get(`MANAGER ${name}`)!).toBeLessThanOrEqual(answered.get(`EXEC ${name}`)!); // equal for its own team
      if (name !== 'none') expect(answered.get(`EXEC ${name}`)!).toBeLessThan(answered.get('EXEC none')!);
    }
    expect(answered.get('MANAGER none')!).toBeLessThan(answered.get('EXEC none')!);
    expect(answered.get('ADMIN none')).toBe(answered.get('EXEC none'));
  }, 300_000); // 75 walks through every page: minutes on a shared machine

  it('on SQLite walk the sort column\'s index where the list\'s filter matches most rows, with the same pages', async () => {
    if (kind !== 'sqlite') return;
    await fork().getConnection().execute('analyze'); // the row counts the choice reads (src/graphql/paginate.ts)
    const sql: string[] = [];
    const knex = (app.orm.em as Em).getKnex();
    const listen = (q: { sql: string }) => sql.push(q.sql);
    knex.on('query', listen);
    try {
      const em = fork();
      const ae = (await em.findOne(Rep, { role: RepRole.AE, team: { $ne: null } }, { orderBy: { id: 'asc' } }))!;
      const closed = { statuses: [DealStatus.WON, DealStatus.LOST] };
      const sort = { field: 'UPDATED_AT', direction: 'DESC' };
      const most = await walk(SYSTEM_IDENTITY, closed, sort);
      expect(most).toEqual(await expectedNodes(SYSTEM_IDENTITY, closed, { updatedAt: 'desc' }));
      expect(sql.filter((q) => q.includes('indexed by `deals_updated_at_index`')).length).toBeGreaterThan(1); // every page
      sql.length = 0;
      const few = await walk(identityOfRep(ae), closed, sort); // a rep's own deals: sorting them is the cheaper
      expect(few).toEqual(await expectedNodes(identityOfRep(ae), closed, { updatedAt: 'desc' }));
      expect(few.length).toBeGreaterThan(0);
      expect(sql.filter((q) => q.includes('indexed by'))).toEqual([]);
    } finally {
      knex.removeListener('query', listen);
    }
  });

  it.each([
    ['ID', 'ASC', { id: 'asc' }],
    ['CREATED_AT', 'DESC', { createdAt: 'desc' }],
    ['UPDATED_AT', 'ASC', { updatedAt: 'asc' }],
    ['AMOUNT', 'DESC', { amountCents: 'desc' }],
    ['NAME', 'ASC', { name: 'asc' }],
  ] as const)('answer the deals page as entities would sorted by %s %s, across pages', async (field, direction, orderBy) => {
    const em = fork();
    const manager = (await em.findOne(Rep, { role: RepRole.MANAGER, team: { $ne: null } }, { orderBy: { id: 'asc' } }))!;
    for (const identity of [identityOfRep(manager), SYSTEM_IDENTITY]) {
      const got = await walk(identity, {}, { field, direction });
      expect(got.length).toBeGreaterThan(40); // more than one page
      expect(got).toEqual(await expectedNodes(identity, {}, orderBy));
    }
  });
});
