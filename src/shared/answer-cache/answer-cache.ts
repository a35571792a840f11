/**
 * Answers (a forecast, a backtest, stage weights, KPIs) cached by what they depend on: the question, the caller's
 * access scope, and the versions of the tables they read (src/shared/answer-cache/data-versions.ts). Kept in an
 * in-process LRU bounded by size and, when REDIS_URL is set, in Redis too, so every instance shares them. A write
 * bumps a version, so the next request computes again; an answer that depends on the current time (no `asOf`)
 * is reused for at most the configured TTL.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { approximateBytes, decodeAnswer, encodeAnswer } from './codec';
import { readVersionsSql, versionKey } from './data-versions';

/** Changes when the cached shapes or their computation change: old answers in Redis are then never read. */
const FORMAT = 'answers-v1';
const REDIS_PREFIX = 'pipewise:answer:';
/** An answer larger than this (JSON) is not sent to Redis (it stays in the process's LRU). */
const MAX_REDIS_BYTES = 32 * 2 ** 20;

export interface AnswerCacheOptions {
  /** In-process LRU size in MiB; 0 turns the cache off. */
  maxMb: number;
  /** How long an answer is reused at most, whatever the data versions (answers as of "now" age). */
  ttlMs: number;
  /** Redis shared by every instance (null: in-process only). */
  redisUrl: string | null;
  logger: Logger;
}

/** Where the versions are read: the request's entity manager (any fork of the app's ORM). */
export interface VersionReader {
  getConnection(): { execute(sql: string, params?: unknown[], method?: 'all'): Promise<unknown> };
  getMetadata(): { find(name: string): { class: unknown } | undefined };
}

export interface AnswerSpec {
  /** The question: a stable name ("forecast") and its arguments as given (no derived "now"). */
  name: string;
  args: unknown;
  /** The caller's access scope as the answer applies it (reps, team, hidden KPIs...). */
  scope: unknown;
  /** The tables the answer reads (see data-versions.ts). */
  tables: readonly string[];
}

export interface AnswerStats {
  hits: number;
  misses: number;
}

interface Entry {
  value: unknown;
  bytes: number;
  expiresAt: number;
}

interface RedisLike {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: string, mode: 'PX', ttl: number): Promise<unknown>;
  quit(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Sorted keys, so `{ a, b }` and `{ b, a }` are the same question. Dates as ISO text, sets as sorted lists. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Set) return { $set: [...v].map((x) => stableJson(x)).sort() };
    if (v instanceof Map) return { $map: [...v].map((x) => stableJson(x)).sort() };
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private lastWarning = 0;
  /** Totals since start (tests and benchmarks read them). */
  readonly stats = { hits: 0, redisHits: 0, misses: 0, computed: 0 };

  constructor(
    private readonly options: AnswerCacheOptions,
    private readonly redis: RedisLike | null = null,
  ) {
    redis?.on('error', (error) => this.warn(error));
  }

  get enabled(): boolean {
    return this.options.maxMb > 0;
  }

  /**
   * The answer to `spec` at the current data versions: from the LRU, Redis, or `compute`. Identical questions
   * computing at the same time are not merged: each counts against its caller's share of heavy work, as before.
   */
  async answer<T>(db: VersionReader, spec: AnswerSpec, compute: () => Promise<T>, stats?: AnswerStats): Promise<T> {
    if (!this.enabled) return compute();
    // Versions first, then the data (in `compute`): never an answer cached under versions newer than its data.
    const rows = (await db.getConnection().execute(readVersionsSql(spec.tables), [], 'all')) as Array<{ table_name: string; version: number | string }>;
    const key = createHash('sha256').update(stableJson([FORMAT, spec.name, spec.args, spec.scope, versionKey(spec.tables, rows)])).digest('base64url');
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) {
      this.entries.delete(key); // re-insert: the Map's order is least-recently-used first
      this.entries.set(key, entry);
      return this.hit(stats, entry.value as T);
    }
    if (entry) this.remove(key, entry);
    const fromRedis = await this.readRedis<T>(key, db);
    if (fromRedis !== undefined) {
      this.stats.redisHits++;
      this.remember(key, fromRedis, now + this.options.ttlMs);
      return this.hit(stats, fromRedis);
    }
    this.stats.misses++;
    if (stats) stats.misses++;
    const value = await compute();
    this.stats.computed++;
    this.remember(key, value, Date.now() + this.options.ttlMs);
    void this.writeRedis(key, value);
    return value;
  }

  private hit<T>(stats: AnswerStats | undefined, value: T): T {
    this.stats.hits++;
    if (stats) stats.hits++;
    return value;
  }

  /** Keeps an answer unless it alone would take more than a quarter of the LRU; evicts the least recently used. */
  private remember(key: string, value: unknown, expiresAt: number): number | null {
    const max = this.options.maxMb * 2 ** 20;
    const bytes = approximateBytes(value, max / 4);
    if (bytes > max / 4) return null;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    this.entries.set(key, { value, bytes, expiresAt });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= max) break;
      this.remove(k, e);
    }
    return bytes;
  }

  private remove(key: string, entry: Entry) {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  private async readRedis<T>(key: string, db: VersionReader): Promise<T | undefined> {
    if (!this.redis) return undefined;
    try {
      const buffer = await this.redis.getBuffer(REDIS_PREFIX + key);
      if (!buffer) return undefined;
      return decodeAnswer<T>(buffer.toString('utf8'), (className) => db.getMetadata().find(className)?.class as never);
    } catch (error) {
      this.warn(error);
      return undefined;
    }
  }

  private async writeRedis(key: string, value: unknown): Promise<void> {
    if (!this.redis) return;
    try {
      const text = encodeAnswer(value);
      if (text.length <= MAX_REDIS_BYTES) await this.redis.set(REDIS_PREFIX + key, text, 'PX', this.options.ttlMs);
    } catch (error) {
      this.warn(error);
    }
  }

  private warn(error: unknown) {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.options.logger.warn({ err: { type: (error as Error)?.name, message: (error as Error)?.message } }, 'answer cache store (Redis) unavailable: answers are computed meanwhile');
  }

  /** Forgets every answer of this process (Redis entries expire with their TTL). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  async close(): Promise<void> {
    this.clear();
    await this.redis?.quit().catch(() => undefined);
  }
}

export async function createAnswerCache(options: AnswerCacheOptions): Promise<AnswerCache> {
  if (!options.redisUrl || options.maxMb <= 0) return new AnswerCache(options);
  const { default: Redis } = await import('ioredis');
  // A slow or absent Redis costs a request at most 250 ms, then the answer is computed (and kept in the process).
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 250 });
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    redis.once('ready', done);
    redis.once('error', done);
    setTimeout(done, 2000).unref();
  });
  return new AnswerCache(options, redis as unknown as RedisLike);
}
