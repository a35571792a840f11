/**
 * Answers as text for Redis, and back: JSON that keeps what the resolvers below an answer rely on: dates stay
 * Dates, entities (a forecast's adjustments, their author reference) come back as instances of their class (its
 * getters, e.g. `amount`, still work), references as `{ id }` of their class. Also a cheap size estimate for the
 * in-process LRU. Pure.
 */

type Classes = (className: string) => (new (...args: never[]) => object) | undefined;

interface EntityLike {
  __meta?: { className: string; primaryKeys: string[] };
  __helper?: { __initialized?: boolean };
}

function entityMeta(value: object): EntityLike['__meta'] | undefined {
  const meta = (value as EntityLike).__meta;
  return meta && typeof meta.className === 'string' && (value as EntityLike).__helper ? meta : undefined;
}

export function encodeAnswer(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, encoded: unknown) {
    const raw = this[key]; // before Date#toJSON
    if (raw instanceof Date) return { $d: raw.getTime() };
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      const meta = entityMeta(raw);
      if (meta) {
        const initialized = (raw as EntityLike).__helper?.__initialized !== false;
        const props: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(raw)) {
          if (k.startsWith('__') || typeof v === 'function' || v === undefined) continue;
          if (!initialized && !meta.primaryKeys.includes(k)) continue;
          props[k] = v;
        }
        return { $e: meta.className, v: props };
      }
    }
    return encoded;
  });
}

export function decodeAnswer<T>(text: string, classes: Classes): T {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const v = value as { $d?: number; $e?: string; v?: Record<string, unknown> };
      if (typeof v.$d === 'number' && Object.keys(v).length === 1) return new Date(v.$d);
      if (typeof v.$e === 'string' && v.v && Object.keys(v).length === 2) {
        const cls = classes(v.$e);
        return cls ? Object.assign(Object.create(cls.prototype) as object, v.v) : v.v;
      }
    }
    return value;
  }) as T;
}

/**
 * Approximate bytes an answer holds in memory (what the LRU counts); stops counting past `cap`. Entities count
 * their own fields only (what they reference is shared with the ORM's identity map of their request, now gone).
 */
export function approximateBytes(value: unknown, cap = Number.POSITIVE_INFINITY): number {
  let bytes = 0;
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length && bytes <= cap) {
    const v = stack.pop();
    if (v == null) bytes += 8;
    else if (typeof v === 'string') bytes += 16 + 2 * v.length;
    else if (typeof v !== 'object') bytes += 8;
    else if (v instanceof Date) bytes += 32;
    else if (!seen.has(v)) {
      seen.add(v);
      if (Array.isArray(v)) {
        bytes += 16 + 8 * v.length;
        for (let i = 0; i < v.length; i++) stack.push(v[i]);
      } else {
        const isEntity = entityMeta(v) !== undefined;
        bytes += 32;
        for (const [k, child] of Object.entries(v)) {
          if (k.startsWith('__')) continue;
          bytes += 16;
          if (!isEntity || child === null || typeof child !== 'object') stack.push(child);
        }
      }
    }
  }
  return bytes;
}
