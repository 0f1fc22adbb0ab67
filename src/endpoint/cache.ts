import type { EndpointCache, EndpointReport } from './types';

export type { EndpointCache };

/** Options of {@link createEndpointCache}. */
export interface EndpointCacheOptions {
  /** Upper bound on how long a report is kept, in seconds, whatever the TTL says. Default 300. */
  maxTtlSeconds?: number;
  /** The clock, in milliseconds (a seam for tests). Default `Date.now`. */
  now?: () => number;
}

/** Builds an {@link EndpointCache}; pass it as `endpointCache` to every provisionDevice call that should share it. */
export function createEndpointCache(options: EndpointCacheOptions = {}): EndpointCache {
  const maxTtl = options.maxTtlSeconds ?? 300;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { report: EndpointReport; until: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (now() >= entry.until) {
        entries.delete(key);
        return undefined;
      }
      return copyOf(entry.report);
    },
    set(key, report, ttlSeconds) {
      const seconds = Math.min(ttlSeconds, maxTtl);
      if (!(seconds > 0)) return;
      entries.set(key, { report: copyOf(report), until: now() + seconds * 1000 });
    },
  };
}

/**
 * A deep copy of a report: new arrays and objects, the same strings and numbers (immutable, so shared safely). A
 * report is plain data; structuredClone copied it too, but at ~10× the CPU and with a fresh copy of every string,
 * which a gateway with a hundred registrations in flight then carries through its young-generation collections.
 * Anything that is not a plain object or array (none today) is still given to structuredClone.
 */
function copyOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyOf) as T;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyOf((value as Record<string, unknown>)[key]);
  return copy as T;
}

/**
 * How long a report may be kept: the smallest TTL of its primary answer; 0 (never) for failures and the system
 * resolver.
 */
export function cacheableSeconds(report: EndpointReport): number {
  const primary = report.trace[0];
  if (!primary || primary.error || primary.resolver === 'system' || primary.addresses.length === 0) return 0;
  const ttls = primary.addresses.map((a) => a.ttl ?? 0);
  return Math.min(...ttls);
}
