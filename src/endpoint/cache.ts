import type { ResolvedNetwork } from './options';
import type { EndpointReport } from './types';

/**
 * Verified endpoint reports kept for as long as their DNS answer may be (its smallest TTL, capped): a gateway that
 * provisions many devices against one DPS and one hub resolves and classifies each name once per TTL instead of once
 * per device. Only answers from explicit DNS servers are kept (the system resolver gives no TTL), and only answers
 * that resolved; each get returns a copy, so a caller that edits its report cannot change the next one.
 */
export interface EndpointCache {
  /** The report for `key` while it is fresh, else undefined. */
  get(key: string): EndpointReport | undefined;
  /** Keeps `report` for `ttlSeconds`. */
  set(key: string, report: EndpointReport, ttlSeconds: number): void;
}

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
      return structuredClone(entry.report);
    },
    set(key, report, ttlSeconds) {
      const seconds = Math.min(ttlSeconds, maxTtl);
      if (!(seconds > 0)) return;
      entries.set(key, { report: structuredClone(report), until: now() + seconds * 1000 });
    },
  };
}

/** What a report depends on: the name, its role and every network setting that changes the answer or its verdict. */
export function endpointCacheKey(name: string, role: string, network: ResolvedNetwork): string {
  const servers = network.dnsServers.map((s) => s.label).join(',');
  const cidrs = network.cidrs.map((c) => c.text).join(',');
  return `${role}|${name}|${servers}|${cidrs}|${network.policy}`;
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
