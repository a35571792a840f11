import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import type { Em } from '../db/orm';
import type { AccessScope } from '../modules/auth/access.policy';

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
        const rows = await this.em.find(entity, (await this.scoped(entity, { id: { $in: [...ids] } })) as never);
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
        const rows = await this.em.find(entity, (await this.scoped(entity, { [fk]: { $in: [...parentIds] } })) as never, {
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
          groups.get(Number(row[fkColumn]))?.push(this.em.map(entity, row));
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
