/**
 * Read replica routing (DATABASE_READ_URL, PostgreSQL): the one place that decides which connection a statement
 * uses. A GraphQL query reads from the replica until it writes; from its first write on (and in every mutation,
 * transaction and background job) everything goes to the primary, so a request always reads its own writes.
 *
 * What reads the replica while a request is reading:
 * - the ORM's reads of the request's entity manager and its forks: find, findOne, count, findByCursor, populate
 *   (the pages, DataLoader batches, totalCount);
 * - `em.getConnection()` without a type: the KPI engine's SQL, the forecast and movement loaders;
 * - `em.execute()` of a statement that only reads (select / with, no insert, update, delete or `for update`);
 * - forecasts and backtests computed on the worker threads, which load their facts through `readDatabase()`.
 * What stays on the primary: `em.getKnex()` without a type (a knex builder may be a write: the scoring runtime
 * stores scores through the request's knex), every write, and anything inside a transaction.
 */
import type { ConnectionType, CountOptions, FindOneOptions, FindOptions, ForkOptions } from '@mikro-orm/core';
import { SqlEntityManager } from '@mikro-orm/knex';
import type { DatabaseConfig } from '../config';

/** Where one request's reads go; shared by its entity manager and every fork of it. */
interface ReadRoute {
  replica: boolean;
}

/** The route of the ORM's global entity manager and its plain forks (jobs, CLI, migrations): the primary. */
const PRIMARY: ReadRoute = Object.freeze({ replica: false });

const WRITE_WORDS = /\b(insert|update|delete|merge|truncate|copy|create|alter|drop|grant|revoke|vacuum|analyze|lock|call|nextval|setval|pg_advisory\w*)\b/i;

/** True for a statement that only reads (a `select ... for update` locks: it is a write). */
export function onlyReads(sql: string): boolean {
  return /^\s*\(?\s*(select|with|values|table|explain|show)\b/i.test(sql) && !WRITE_WORDS.test(sql);
}

export class ReadRoutingEntityManager extends SqlEntityManager {
  route: ReadRoute = PRIMARY;

  /** Reads go to the replica: a reading request outside a transaction. */
  get readsReplica(): boolean {
    return this.route.replica && !this.isInTransaction();
  }

  /** From now on this request reads from the primary (it wrote, or is about to). */
  wrote(): void {
    if (this.route.replica) this.route.replica = false;
  }

  override fork(options?: ForkOptions): this {
    const fork = super.fork(options) as this;
    fork.route = this.route;
    return fork;
  }

  override getConnection(type?: ConnectionType) {
    return super.getConnection(type ?? (this.readsReplica ? 'read' : 'write'));
  }

  override getKnex(type?: ConnectionType) {
    return super.getConnection(type ?? 'write').getKnex();
  }

  override async execute<T = unknown>(...args: Parameters<SqlEntityManager['execute']>): Promise<T> {
    const [query, params = [], method = 'all', loggerContext] = args;
    const sql = typeof query === 'string' ? query : (query as { toSQL(): { sql: string } }).toSQL().sql;
    if (!onlyReads(sql)) this.wrote();
    if (!this.readsReplica) return super.execute(...args) as Promise<T>;
    return this.getConnection('read').execute(query, params, method, undefined, loggerContext) as Promise<T>;
  }

  // find, findOne, count and populate pass their options through here: a reading request reads the replica.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  protected override prepareOptions(options: FindOptions<any, any, any, any> | FindOneOptions<any, any, any, any> | CountOptions<any, any>): void {
    super.prepareOptions(options);
    if (this.readsReplica) options.connectionType ??= 'read';
  }
}

// Writes (and transactions, whose statements MikroORM sends through `getConnection()`) switch the request to the
// primary before they run, so the options they prepare and the reads after them use it.
for (const name of ['flush', 'transactional', 'begin', 'insert', 'insertMany', 'upsert', 'upsertMany', 'nativeUpdate', 'nativeDelete'] as const) {
  const base = SqlEntityManager.prototype[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(ReadRoutingEntityManager.prototype, name, {
    configurable: true,
    writable: true,
    value(this: ReadRoutingEntityManager, ...args: unknown[]) {
      this.wrote();
      return base.apply(this, args);
    },
  });
}

/** ORM options for a primary with a read replica (none without DATABASE_READ_URL). */
export function replicaOptions(db: DatabaseConfig) {
  if (db.kind !== 'postgresql' || !db.readUrl) return {};
  return {
    replicas: [{ name: 'read-replica', clientUrl: db.readUrl }],
    // Nothing reads the replica unless routed here: background jobs, the CLI and mutations stay on the primary.
    preferReadReplicas: false,
    entityManager: ReadRoutingEntityManager,
  };
}

/** A request's entity manager reads from the replica until it writes (a no-op without a replica). */
export function readFromReplica<E>(em: E): E {
  if (em instanceof ReadRoutingEntityManager && em.config.get('replicas', []).length) em.route = { replica: true };
  return em;
}

/** This request reads from the primary from now on (mutations: their reads decide what they write). */
export function readFromPrimary(em: unknown): void {
  if (em instanceof ReadRoutingEntityManager) em.wrote();
}

/** The database the worker threads load forecast facts from: the replica when there is one. */
export function readDatabase(db: DatabaseConfig): DatabaseConfig {
  if (!db.readUrl) return db;
  const { readUrl, ...primary } = db;
  return { ...primary, url: readUrl };
}
