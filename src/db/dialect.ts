import type { Knex } from '@mikro-orm/knex';
import type { DatabaseKind } from '../config';
import type { Em } from './orm';

/**
 * Everything that differs between the two SQL dialects we run on, in one place.
 * Dates: SQLite keeps MikroORM datetimes as epoch milliseconds (integers), PostgreSQL as timestamptz.
 * Booleans: SQLite 1/0, PostgreSQL true/false. JSON: SQLite text, PostgreSQL jsonb.
 */
export type Dialect = DatabaseKind;

/** The dialect an entity manager talks; the one answer, read from the connected driver's platform. */
export function dialectOf(em: Em): Dialect {
  return em.getPlatform().constructor.name.startsWith('PostgreSql') ? 'postgresql' : 'sqlite';
}

/** The entity manager's knex builder, typed (MikroORM types it loosely as its own re-export). */
export function knexOf(em: Em): Knex {
  return em.getKnex() as unknown as Knex;
}

/** A Date as the value a raw insert or parameter binds for a datetime column. */
export function dateValue(d: Dialect, date: Date | number): number | Date {
  const ms = typeof date === 'number' ? date : date.getTime();
  return d === 'sqlite' ? ms : new Date(ms);
}

/** A Date as an SQL literal of a datetime column. */
export const tsLiteral = (d: Dialect, date: Date) =>
  d === 'sqlite' ? String(date.getTime()) : `'${date.toISOString()}'::timestamptz`;

/** A datetime column as epoch milliseconds (a float8 on PostgreSQL, the stored integer on SQLite). */
export const epochMsSql = (d: Dialect, column: string) =>
  d === 'sqlite' ? column : `(extract(epoch from ${column}) * 1000)::float8`;

/** An ISO 8601 text column (e.g. a field-history value) as epoch milliseconds. */
export const isoTextMsSql = (d: Dialect, column: string) =>
  d === 'sqlite'
    ? `cast(round((julianday(${column}) - 2440587.5) * 86400000) as integer)`
    : `(extract(epoch from ${column}::timestamptz) * 1000)::float8`;

/** A boolean as an SQL literal. */
export const boolLiteral = (d: Dialect, value: boolean) => (d === 'sqlite' ? (value ? '1' : '0') : value ? 'true' : 'false');

/** A value read from a datetime column (epoch ms, digits, ISO text or Date, by dialect and driver) as epoch ms. */
export function readEpochMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && !/^\d+$/.test(value)) return Date.parse(value);
  return Number(value);
}

/** A count or sum as a number: PostgreSQL's driver returns bigint and numeric aggregates as strings. */
export const readNumber = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

/** Case-insensitive LIKE operator. */
export const ilikeOperator = (d: Dialect) => (d === 'postgresql' ? 'ilike' : 'like');

/** A JSON column as read by a raw query: text on SQLite, already parsed on PostgreSQL (jsonb). */
export function readJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
