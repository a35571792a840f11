import type { Logger } from 'pino';

export interface RateDecision {
  allowed: boolean;
  /** When the next request would be allowed (0 when allowed now). */
  retryAfterMs: number;
  /** The bucket's size (the burst), what is left of it after this request, and when it is full again. */
  limit: number;
  remaining: number;
  resetMs: number;
}

/** What a bucket holding `tokens` (after this request) tells the client. */
function decision(allowed: boolean, tokens: number, burst: number, perMs: number): RateDecision {
  return {
    allowed,
    retryAfterMs: allowed ? 0 : Math.ceil((1 - tokens) / perMs),
    limit: burst,
    remaining: Math.max(0, Math.floor(tokens)),
    resetMs: Math.ceil((burst - tokens) / perMs),
  };
}

/** RateLimit-Limit / -Remaining / -Reset (IETF httpapi-ratelimit-headers; seconds), and Retry-After on a refusal. */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': String(d.remaining),
    'ratelimit-reset': String(Math.ceil(d.resetMs / 1000)),
    ...(!d.allowed && { 'retry-after': String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))) }),
  };
}

/** Per-caller token bucket: `perMinute` sustained, bursts up to `burst`. */
export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
  close(): Promise<void>;
}

/** One process: a bucket per key in memory. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  async take(key: string): Promise<RateDecision> {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.delete(key); // re-insert: the Map's order becomes least-recently-used first
    this.buckets.set(key, bucket);
    if (this.buckets.size > 50_000) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return decision(true, bucket.tokens, this.burst, this.perMs);
    }
    return decision(false, bucket.tokens, this.burst, this.perMs);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/** The same bucket kept in Redis (atomic Lua script, Redis clock), so the limit holds across instances. */
const TOKEN_BUCKET_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 1000)
return { allowed, tostring(tokens) }
`;

interface RedisLike {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  quit(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly perMs: number;
  private lastWarning = 0;

  constructor(
    private readonly redis: RedisLike,
    perMinute: number,
    private readonly burst: number,
    private readonly logger: Logger,
    private readonly prefix = 'pipewise:rate:',
  ) {
    this.perMs = perMinute / 60_000;
    redis.on('error', (error) => this.warn(error));
  }

  private warn(error: unknown) {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: { type: (error as Error)?.name, message: (error as Error)?.message } }, 'rate limit store (Redis) unavailable: requests are not limited meanwhile');
  }

  async take(key: string): Promise<RateDecision> {
    try {
      const [allowed, tokens] = (await this.redis.eval(TOKEN_BUCKET_LUA, 1, this.prefix + key, String(this.perMs), String(this.burst))) as [number, string];
      return decision(allowed === 1, Number(tokens), this.burst, this.perMs);
    } catch (error) {
      // Availability over strictness: a Redis outage must not take the API down with it.
      this.warn(error);
      return decision(true, this.burst, this.burst, this.perMs);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

export async function createRateLimiter(options: { perMinute: number; burst: number; redisUrl: string | null; logger: Logger }): Promise<RateLimiter | null> {
  if (options.perMinute <= 0) return null;
  if (!options.redisUrl) return new MemoryRateLimiter(options.perMinute, options.burst);
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
  // Wait briefly for the connection so the first requests are limited too; a Redis that is down fails open.
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    redis.once('ready', done);
    redis.once('error', done);
    setTimeout(done, 2000).unref();
  });
  return new RedisRateLimiter(redis as unknown as RedisLike, options.perMinute, options.burst, options.logger);
}
