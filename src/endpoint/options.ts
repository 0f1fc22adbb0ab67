import net from 'node:net';
import { InvalidOptionError } from '../errors';
import { describe, parseCidrs, parseDnsServer, type Cidr, type DnsServerAddress } from './address';
import type { NetworkOptions, Policy } from './types';
import { BoundedMap } from '../support/bounded-map';

/** Defaults of {@link NetworkOptions}, in one place. */
export const NETWORK_DEFAULTS = { policy: 'enforce' as Policy, dnsTimeoutMs: 2000 };

const POLICIES: readonly Policy[] = ['enforce', 'warn', 'off'];
const MAX_DNS_TIMEOUT_MS = 60_000;

/** {@link NetworkOptions}, checked once at the door and normalised. */
export interface ResolvedNetwork {
  readonly cidrs: readonly Cidr[];
  readonly dnsServers: readonly DnsServerAddress[];
  readonly policy: Policy;
  readonly dnsTimeoutMs: number;
}

/**
 * The caller's options object as its own enumerable properties only, on a null prototype: what another library put on
 * `Object.prototype` (`Object.prototype.policy = 'off'`, `.dnsServers`, `.cache`) can never stand in for an option
 * the caller left out. Anything that is not a plain options object (undefined, a primitive, an array) is returned as
 * it is, for the caller's own type check. Shallow: nested option objects are read through this again.
 */
export function ownOptions<T>(value: T): T {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const own = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) own[key] = (value as Record<string, unknown>)[key];
  return own as T;
}

/** Checks a policy name, naming the option. */
export function checkPolicy(v: unknown, name: string): Policy {
  if (POLICIES.includes(v as Policy)) return v as Policy;
  throw new InvalidOptionError(name, `${describe(v)} is not a policy`, `Use 'enforce' (default), 'warn' or 'off'.`);
}

/** Every {@link ResolvedNetwork} this module made: the layers below the door trust these without checking again. */
const RESOLVED = new WeakSet<ResolvedNetwork>();

/** `network` as validated: a {@link ResolvedNetwork} made here passes as it is, anything else is validated now. */
export function networkOf(network: NetworkOptions | ResolvedNetwork, optionName = 'network'): ResolvedNetwork {
  return RESOLVED.has(network as ResolvedNetwork)
    ? (network as ResolvedNetwork)
    : resolveNetworkOptions(network as NetworkOptions, optionName);
}

/**
 * Validates `network` (never mutating it). Throws InvalidOptionError naming the option, e.g. `network.dnsServers[1]`.
 */
export function resolveNetworkOptions(input: NetworkOptions, optionName = 'network'): ResolvedNetwork {
  const network = ownOptions(input);
  const key = memoKey(network);
  const known = key === undefined ? undefined : resolvedByValue.get(key);
  if (known) return known;
  const resolved = checkNetwork(network, optionName);
  if (key !== undefined) resolvedByValue.set(key, resolved);
  return resolved;
}

/**
 * Valid network options already seen, by value: a gateway passes the same ranges and servers with every device, and
 * parsing them again (ipaddr.js, a few regular expressions) was a tenth of a registration's option checks. Only
 * options that passed are kept, so an invalid one is checked (and reported) every time.
 */
const resolvedByValue = new BoundedMap<string, ResolvedNetwork>(32);

/** A key that fixes the resolved options completely, or undefined when a part is not of the plain type it must be. */
function memoKey(network: NetworkOptions | undefined): string | undefined {
  if (!network || typeof network !== 'object' || Array.isArray(network)) return undefined;
  const { expectedCidrs, dnsServers, policy, dnsTimeoutMs } = network;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!strings(expectedCidrs) || (dnsServers !== undefined && !strings(dnsServers))) return undefined;
  if (
    (policy !== undefined && typeof policy !== 'string') ||
    (dnsTimeoutMs !== undefined && !Number.isFinite(dnsTimeoutMs))
  )
    return undefined;
  // JSON keeps each list's boundaries: no two different inputs give one key.
  return JSON.stringify([expectedCidrs, dnsServers ?? null, policy ?? null, dnsTimeoutMs ?? null]);
}

function checkNetwork(network: NetworkOptions, optionName: string): ResolvedNetwork {
  if (!network || typeof network !== 'object' || Array.isArray(network)) {
    throw new InvalidOptionError(
      optionName,
      `expected an object, got ${describe(network)}`,
      `Pass e.g. { expectedCidrs: ['10.1.0.0/16'] }.`,
    );
  }
  const policy = checkPolicy(network.policy ?? NETWORK_DEFAULTS.policy, `${optionName}.policy`);
  if (network.expectedCidrs === undefined && policy === 'off') {
    // With the policy off the ranges only label addresses, so they may be left out.
  } else if (!Array.isArray(network.expectedCidrs)) {
    throw new InvalidOptionError(
      `${optionName}.expectedCidrs`,
      `expected an array of CIDR strings, got ${describe(network.expectedCidrs)}`,
      `Pass the VNET range of the private endpoint, e.g. ['10.1.0.0/16'].`,
    );
  }
  const cidrs = parseCidrs(network.expectedCidrs ?? [], `${optionName}.expectedCidrs`);
  if (cidrs.length === 0 && policy === 'enforce') {
    throw new InvalidOptionError(
      `${optionName}.expectedCidrs`,
      `is empty, so the 'enforce' policy would refuse every address`,
      `Pass the VNET range of the private endpoint, e.g. ['10.1.0.0/16'], or set ${optionName}.policy to 'warn'.`,
    );
  }
  if (network.dnsServers !== undefined && !Array.isArray(network.dnsServers)) {
    throw new InvalidOptionError(
      `${optionName}.dnsServers`,
      `expected an array of 'ip' or 'ip:port' strings, got ${describe(network.dnsServers)}`,
      `Pass e.g. ['10.1.0.4'], or leave it out to use the system resolver.`,
    );
  }
  const dnsServers = (network.dnsServers ?? []).map((s, i) => parseDnsServer(s, `${optionName}.dnsServers[${i}]`));
  const dnsTimeoutMs = network.dnsTimeoutMs ?? NETWORK_DEFAULTS.dnsTimeoutMs;
  if (
    typeof dnsTimeoutMs !== 'number' ||
    !Number.isFinite(dnsTimeoutMs) ||
    dnsTimeoutMs <= 0 ||
    dnsTimeoutMs > MAX_DNS_TIMEOUT_MS
  ) {
    throw new InvalidOptionError(
      `${optionName}.dnsTimeoutMs`,
      `${describe(dnsTimeoutMs)} is not a timeout`,
      `Use a number of milliseconds between 1 and ${MAX_DNS_TIMEOUT_MS} (default 2000).`,
    );
  }
  const resolved: ResolvedNetwork = Object.freeze({ cidrs, dnsServers, policy, dnsTimeoutMs });
  RESOLVED.add(resolved);
  return resolved;
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * Validates a host name and returns it lower case without a trailing dot. IP literals pass (the caller reports
 * ENDPOINT_IS_IP_ADDRESS); `[v6]` is unwrapped. URLs, ports and spaces are refused with the fix.
 */
export function normaliseHost(host: string, optionName = 'host'): string {
  const fix = `Pass the DNS name only, e.g. 'my-dps.azure-devices-provisioning.net' (no scheme, port or path).`;
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidOptionError(optionName, `expected a host name, got ${describe(host)}`, fix);
  }
  const unbracketed = /^\[(.+)\]$/.exec(host)?.[1] ?? host;
  if (net.isIP(unbracketed)) return unbracketed.toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    throw new InvalidOptionError(optionName, `${describe(host)} is a URL`, fix);
  }
  const h = host.toLowerCase().replace(/\.$/, '');
  const labels = h.split('.');
  if (h.length > 253 || labels.some((l) => !LABEL.test(l))) {
    throw new InvalidOptionError(optionName, `${describe(host)} is not a valid DNS name`, fix);
  }
  return h;
}
