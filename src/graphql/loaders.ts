import DataLoader from 'dataloader';
import { QueryHelper, ReferenceKind, Utils, type EntityData, type EntityMetadata, type EntityName, type FindOptions, type FilterQuery } from '@mikro-orm/core';
import type { Em } from '../db/orm';
import type { AccessScope } from '../modules/auth/access.policy';

/**
 * Read-only rows for GraphQL reads: objects of the entity's class (its getters, `amount`, `isClosed`, work) holding
 * the values MikroORM's hydration would give them, each many-to-one as `{ id }`, outside the identity map. A page of
 * 50 deals hydrated as entities made 300 managed entities (each deal and its five references), with change-tracking
 * snapshots and property re-definitions (ensurePropagation): about half of the page's CPU. Field resolvers read
 * fields and reference ids only; a mutation loads the entity it writes through the entity manager as before.
 */
export async function findRows<T extends object>(
  em: Em,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  options: Pick<FindOptions<T>, 'orderBy' | 'first' | 'after' | 'overfetch' | 'limit' | 'indexHint'> = {},
): Promise<T[]> {
  const entityName = Utils.className(entity);
  const meta = em.getMetadata().get<T>(entityName);
  const findOptions: FindOptions<T> = { ...options, ctx: em.getTransactionContext() };
  // What em.find does before it queries, but hydration: the request's read route (src/db/read-routing.ts) and
  // logger context, and the where in the driver's form. No entity has filters or discriminators.
  (em as unknown as { prepareOptions(options: object): void }).prepareOptions(findOptions);
  const processed = QueryHelper.processWhere({ where, entityName, metadata: em.getMetadata(), platform: em.getPlatform(), aliased: true });
  const rows = await em.getDriver().find<T>(entityName, processed as never, findOptions as never);
  return rows.map(readMapper(em, meta));
}

type ReadMapper<T> = (data: EntityData<T>) => T;
const readMappers = new WeakMap<EntityMetadata, ReadMapper<never>>();

/** Maps the driver's data of one row (property names, dates parsed) to a read-only row, as the hydrator would. */
function readMapper<T extends object>(em: Em, meta: EntityMetadata<T>): ReadMapper<T> {
  const known = readMappers.get(meta as EntityMetadata);
  if (known) return known as unknown as ReadMapper<T>;
  const platform = em.getPlatform();
  const columns = meta.props.filter(
    (prop) => prop.persist !== false && prop.fieldNames?.length && (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)),
  );
  const mapper: ReadMapper<T> = (data) => {
    // Filled as a plain object first: on the entity's prototype every assignment would run MikroORM's
    // change-tracking setter (propagationOnPrototype), which defines the property again on the instance.
    const row: Record<string, unknown> = {};
    for (const prop of columns) {
      const value = (data as Record<string, unknown>)[prop.name];
      if (value === undefined) continue;
      if (value === null) row[prop.name] = null;
      else if (prop.kind !== ReferenceKind.SCALAR) row[prop.name] = { id: value };
      else if (prop.customType) row[prop.name] = prop.customType.convertToJSValue(value, platform, { mode: 'serialization' });
      else if (prop.runtimeType === 'boolean') row[prop.name] = !!value;
      else if (prop.runtimeType === 'Date' && !(value instanceof Date)) row[prop.name] = new Date(value as string);
      else row[prop.name] = value;
    }
    return Object.setPrototypeOf(row, meta.prototype) as T;
  };
  readMappers.set(meta as EntityMetadata, mapper as unknown as ReadMapper<never>);
  return mapper;
}

/**
 * Per-request batching: every `load(id)` made while resolving one level of a query becomes one
 * `WHERE id IN (...)` statement, so a page of 50 deals with owner, account and product costs 3 queries, not 150.
 * Every statement is narrowed to the caller's slice (`AccessScope`): a reference to a row the caller may not
 * see resolves to null, a child list leaves such rows out.
 */
export class Loaders {
  private readonly byIdLoaders = new Map<unknown, DataLoader<number, unknown>>();
  private readonly groupLoaders = new Map<string, DataLoader<number, unknown[]>>();
  private readonly latestLoaders = new Map<string, DataLoader<number, unknown[]>>();

  constructor(
    private readonly em: Em,
    private readonly access?: AccessScope,
  ) {}

  private async scoped<T extends object>(entity: EntityName<T>, where: Record<string, unknown>): Promise<object> {
    if (!this.access) return where;
    return this.access.scoped(typeof entity === 'function' ? entity.name : String(entity), where as object);
  }

  /** Loads entities by primary key; unknown ids resolve to null. */
  byId<T extends object>(entity: EntityName<T>): DataLoader<number, T | null> {
    let loader = this.byIdLoaders.get(entity);
    if (!loader) {
      loader = new DataLoader<number, unknown>(async (ids) => {
        const rows = await findRows(this.em, entity, (await this.scoped(entity, { id: { $in: [...ids] } })) as never);
        const byId = new Map(rows.map((row) => [(row as unknown as { id: number }).id, row]));
        return ids.map((id) => byId.get(id) ?? null);
      });
      this.byIdLoaders.set(entity, loader);
    }
    return loader as DataLoader<number, T | null>;
  }

  /**
   * Loads the children of many parents in one statement (e.g. the stage history of every deal on a page),
   * grouped by the foreign key `fk` and ordered by `orderBy`.
   */
  children<T extends object>(entity: EntityName<T>, fk: string, orderBy: Record<string, 'asc' | 'desc'>): DataLoader<number, T[]> {
    const key = `${String(typeof entity === 'function' ? entity.name : entity)}.${fk}`;
    let loader = this.groupLoaders.get(key);
    if (!loader) {
      loader = new DataLoader<number, unknown[]>(async (parentIds) => {
        const rows = await findRows(this.em, entity, (await this.scoped(entity, { [fk]: { $in: [...parentIds] } })) as never, {
          orderBy: { ...orderBy, id: 'asc' } as never,
        });
        const groups = new Map<number, unknown[]>(parentIds.map((id) => [id, []]));
        for (const row of rows) {
          const parent = (row as Record<string, { id: number } | null>)[fk];
          if (parent) groups.get(parent.id)?.push(row);
        }
        return parentIds.map((id) => groups.get(id) ?? []);
      });
      this.groupLoaders.set(key, loader);
    }
    return loader as DataLoader<number, T[]>;
  }

  /**
   * The newest `limit` children of each parent (e.g. the 10 latest deals of every rep on a page) in one
   * statement, using ROW_NUMBER() per parent so the cost does not grow with the number of parents.
   * `where` holds column equalities or IN lists; callers put the caller's slice in it (e.g. `owner: [ids]`).
   */
  latestChildren<T extends object>(
    entity: new (...args: never[]) => T,
    fk: string,
    limit: number,
    where: Record<string, unknown> = {},
  ): DataLoader<number, T[]> {
    const key = `${entity.name}.${fk}.${limit}.${JSON.stringify(where)}`;
    let loader = this.latestLoaders.get(key);
    if (!loader) {
      loader = new DataLoader<number, unknown[]>(async (parentIds) => {
        const meta = this.em.getMetadata().get(entity.name);
        const toRow = readMapper<T>(this.em, meta as never);
        const fkColumn = meta.properties[fk].fieldNames[0];
        const knex = this.em.getKnex();
        const ranked = knex(meta.tableName)
          .select('*', knex.raw('row_number() over (partition by ?? order by ?? desc) as pw_rank', [fkColumn, 'id']))
          .whereIn(fkColumn, [...parentIds]);
        for (const [prop, value] of Object.entries(where)) {
          const column = meta.properties[prop].fieldNames[0];
          if (Array.isArray(value)) ranked.whereIn(column, value);
          else ranked.where(column, value as never);
        }
        const rows: Array<Record<string, unknown>> = await knex.select('*').from(ranked.as('ranked')).where('pw_rank', '<=', limit);
        const groups = new Map<number, unknown[]>(parentIds.map((id) => [id, []]));
        for (const { pw_rank: _rank, ...row } of rows.sort((a, b) => Number(a.pw_rank) - Number(b.pw_rank))) {
          groups.get(Number(row[fkColumn]))?.push(toRow(this.em.getDriver().mapResult(row, meta)! as EntityData<T>));
        }
        return parentIds.map((id) => groups.get(id) ?? []);
      });
      this.latestLoaders.set(key, loader);
    }
    return loader as DataLoader<number, T[]>;
  }
}

/** Loads a many-to-one reference through the batched loader. */
export async function loadRef<T extends object>(
  loaders: Loaders,
  entity: EntityName<T>,
  ref: { id: number } | null | undefined,
): Promise<T | null> {
  return ref ? loaders.byId(entity).load(ref.id) : null;
}
