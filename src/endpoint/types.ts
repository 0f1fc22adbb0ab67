import type { Sockets } from '../support/sockets';
import type { Finding } from '../findings/types';
import type { AzureCloudName } from './clouds';

import type { Policy } from '../config/types';

export type { Policy };

/** Where the device should find DPS or the hub, and how strictly to hold it to that. */
export interface NetworkOptions {
  /**
   * The VNET ranges the private endpoint must be in, e.g. `['10.1.0.0/16']`. A bare IP means /32 (/128). Required; may
   * be empty only with policy `warn` or `off` (under `enforce` an empty list would refuse every address).
   */
  expectedCidrs: string[];
  /**
   * DNS servers to ask directly instead of the system resolver: `'ip'`, `'ip:port'` or `'[v6]:port'` (port 53 by
   * default). All are asked at once; a connection uses the answer of the first one, in this order, that answers
   * (NOERROR or NXDOMAIN): a dead server is passed over, as the device's own resolver does, and costs a short grace
   * (at least 250 ms) instead of its timeout. Default: the system resolver.
   */
  dnsServers?: string[];
  /** What to do with an address outside `expectedCidrs` (see {@link Policy}). Default `'enforce'`. */
  policy?: Policy;
  /** Per-server DNS timeout in milliseconds: more than 0, at most 60000. Default 2000. */
  dnsTimeoutMs?: number;
}

/** Per-call options of {@link verifyEndpoint}. */
export interface VerifyOptions {
  /** What the host is. Default: inferred from its suffix (`dps`, `hub`, else `other`). */
  role?: 'dps' | 'hub';
  /** Cancels the lookups; the promise rejects with `AbortedError` and every socket is closed. */
  signal?: AbortSignal;
  /** Hosts file to consult. Default `/etc/hosts` (`%SystemRoot%\System32\drivers\etc\hosts` on Windows). */
  hostsFile?: string;
  /**
   * The system resolver, used when no `dnsServers` are given. Default `dns.promises.lookup(host, { all: true })`
   * (getaddrinfo: honours the hosts file). A seam for tests and for platforms with their own resolver.
   */
  systemLookup?: (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;
  /**
   * Advanced (tests, instrumentation): the sockets DNS queries go out on. Default: Node's net and dgram. A recording
   * one sees every query packet the package sends.
   */
  sockets?: Sockets;
  /**
   * Reuse verified reports within their DNS TTL (see createEndpointCache): for gateways that provision many devices
   * against the same names. Default: none, every call resolves.
   */
  cache?: EndpointCache;
}

/** The kind of address, independent of the expected ranges. `shared` is RFC 6598 (100.64.0.0/10). */
export type AddressClass = 'private' | 'shared' | 'unique-local' | 'loopback' | 'link-local' | 'public' | 'other';

/** One address from an answer, classified. */
export interface AddressInfo {
  /** The IP address as text, in one spelling per address (RFC 5952 for IPv6; IPv4-mapped keeps `::ffff:a.b.c.d`). */
  address: string;
  /** IP version: 4 or 6. */
  family: 4 | 6;
  /** Seconds, when the answer came from DNS (the system resolver does not say). */
  ttl?: number;
  /** What kind of address it is (private, public, loopback…), regardless of the expected ranges. */
  addressClass: AddressClass;
  /** Inside one of `network.expectedCidrs`. */
  inExpectedRange: boolean;
}

/** What one resolver answered for the host. */
export interface ResolverTrace {
  /**
   * `'system'`, `'hosts-file'`, `'literal'` (the host is an IP), or the DNS server as given, e.g. `'127.0.0.53:5353'`.
   */
  resolver: string;
  /** `[host, cname1, cname2, ...]` in order. */
  chain: string[];
  /** The addresses it answered at the end of the chain, in answer order (empty when it gave none). */
  addresses: AddressInfo[];
  /** DNS response code: `'NOERROR'`, `'NXDOMAIN'`, `'SERVFAIL'`, `'REFUSED'`, ... (absent when nothing answered). */
  rcode?: string;
  /** Why there is no answer: `'timeout'`, `'truncated'`, a getaddrinfo code such as `'EAI_AGAIN'`, ... */
  error?: string;
  /** The answer came from the hosts file rather than DNS. */
  fromHostsFile?: boolean;
  /**
   * Not waited for to the end: another DNS server had answered and this one was still silent when the grace for
   * comparing answers ran out (`error` is then `'timeout'` and `durationMs` how long it was waited for).
   */
  overtaken?: boolean;
  /** Query types that got no response before the timeout while the other one did (e.g. `['AAAA']`). */
  unanswered?: ('A' | 'AAAA')[];
  /** Wall time of this resolver's lookup, in milliseconds. */
  durationMs: number;
}

/**
 * The overall answer: `private-in-vnet` (every address inside the expected ranges), `private-outside-vnet` (none
 * inside, none public), `public` (none inside, all public), `mixed` (anything else), `unresolved` (no address).
 */
export type Verdict = 'private-in-vnet' | 'private-outside-vnet' | 'public' | 'mixed' | 'unresolved';

/** Everything {@link verifyEndpoint} found out about one host, without connecting to it. */
export interface EndpointReport {
  /** The host as checked (lower case, no trailing dot). */
  host: string;
  /** What the host is: from {@link VerifyOptions.role}, else inferred from its suffix. */
  role: 'dps' | 'hub' | 'other';
  /** The Azure cloud the host's suffix belongs to, when it is an Azure name. */
  cloud?: AzureCloudName;
  /** The one-word summary of `addresses` against the expected ranges (see {@link Verdict}). */
  verdict: Verdict;
  /**
   * What a device would connect to: the primary resolver's answer (the first `dnsServers` entry that answered when
   * given, else the system resolver), in answer order.
   */
  addresses: AddressInfo[];
  /** One entry per resolver asked (plus `hosts-file` when the hosts file names the host). Primary first. */
  trace: ResolverTrace[];
  /** What is wrong or worth knowing about the answers (empty when all is well), each with evidence and a fix. */
  findings: Finding[];
  /** The policy the report was made under. */
  policy: Policy;
  /** The expected ranges, normalised (`10.1.0.0/16`). */
  expectedCidrs: string[];
}

/**
 * Verified endpoint reports kept for as long as their DNS answer may be (its smallest TTL, capped): a gateway that
 * provisions many devices against one DPS and one hub resolves and classifies each name once per TTL instead of once
 * per device. Only answers from explicit DNS servers are kept (the system resolver gives no TTL), and only answers
 * that resolved; each get returns a deep copy (strings shared), so a caller that edits its report cannot change the
 * next one.
 */
export interface EndpointCache {
  /** The report for `key` while it is fresh, else undefined. */
  get(key: string): EndpointReport | undefined;
  /** Keeps `report` for `ttlSeconds`. */
  set(key: string, report: EndpointReport, ttlSeconds: number): void;
}
