import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { InvalidOptionError } from '../errors';
import type { AddressClass } from './types';
import { describe, describeSecret, redactUserinfo } from '../redact';

/** One CIDR range, parsed. */
export interface Cidr {
  /** Normalised text form, e.g. `10.1.0.0/16`. */
  text: string;
  /** Network address and prefix length, as ipaddr.js parses them (for `match`). */
  range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

/** A DNS server to query directly. */
export interface DnsServerAddress {
  /** The string as given, used as `ResolverTrace.resolver`. */
  label: string;
  /** The server's IP address (no brackets). */
  address: string;
  /** UDP port, 1-65535; 53 when the string gave none. */
  port: number;
  /** IP version of `address`. */
  family: 4 | 6;
}

/** Parses an IP literal strictly (four-part decimal IPv4 only), unwrapping IPv4-mapped IPv6. */
function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!net.isIP(text)) return undefined;
  return ipaddr.process(text);
}

/**
 * The kind of an IP address: private (RFC 1918), shared (RFC 6598), unique-local, loopback, link-local, public, other.
 */
export function classifyAddress(ip: string): AddressClass {
  const addr = parseIp(ip);
  if (!addr) return 'other';
  const range = addr.range();
  switch (range) {
    case 'private':
      return 'private';
    case 'carrierGradeNat':
      return 'shared';
    case 'uniqueLocal':
      return 'unique-local';
    case 'loopback':
      return 'loopback';
    case 'linkLocal':
      return 'link-local';
    case 'unicast':
      return 'public';
    default:
      // multicast, unspecified, reserved, documentation/benchmarking, 6to4, teredo...: never a private endpoint.
      return 'other';
  }
}

/** The address family of an IP literal, or undefined when it is not one. */
export function ipFamily(ip: string): 4 | 6 | undefined {
  const v = net.isIP(ip);
  return v === 4 || v === 6 ? v : undefined;
}

/**
 * Parses a list of CIDRs (`10.1.0.0/16`, `fd00::/8`; a bare IP means a single address). Throws InvalidOptionError
 * naming `optionName[i]` for the first malformed entry.
 */
export function parseCidrs(list: readonly string[], optionName: string): Cidr[] {
  if (!Array.isArray(list)) {
    throw new InvalidOptionError(
      optionName,
      `expected an array of CIDR strings, got ${describe(list)}`,
      `Pass e.g. ['10.1.0.0/16'].`,
    );
  }
  return list.map((entry, i) => parseCidr(entry, `${optionName}[${i}]`));
}

function parseCidr(entry: unknown, option: string): Cidr {
  const fix = `Use a CIDR such as '10.1.0.0/16' or 'fd00:1::/64' (the address range of the VNET or subnet that holds the private endpoint).`;
  if (typeof entry !== 'string')
    throw new InvalidOptionError(option, `expected a CIDR string, got ${describe(entry)}`, fix);
  const text = entry.trim();
  const slash = text.indexOf('/');
  const ipText = slash === -1 ? text : text.slice(0, slash);
  const addr = parseIp(ipText);
  if (!addr) throw new InvalidOptionError(option, `${JSON.stringify(entry)} does not start with an IP address`, fix);
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const bitsText = text.slice(slash + 1);
    bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
    // IPv4-mapped IPv6 ranges (::ffff:10.0.0.0/104) are unwrapped to IPv4 above, so shift the prefix with them.
    if (addr.kind() === 'ipv4' && net.isIPv6(ipText) && bits >= 96) bits -= 96;
    if (!Number.isInteger(bits) || bits < 0 || bits > max) {
      throw new InvalidOptionError(
        option,
        `${JSON.stringify(entry)} has prefix length ${JSON.stringify(bitsText)}, expected 0-${max}`,
        fix,
      );
    }
  }
  const network =
    addr.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  return { text: `${network.toString()}/${bits}`, range: [network, bits] };
}

/** True when the IP is inside any of the ranges (IPv4-mapped IPv6 addresses match IPv4 ranges). */
export function isInCidrs(ip: string, cidrs: readonly Cidr[]): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  return cidrs.some((c) => c.range[0].kind() === addr.kind() && addr.match(c.range));
}

/**
 * Parses a DNS server: `'ip'`, `'ip:port'`, `'[v6]'` or `'[v6]:port'` (a bare IPv6 address means port 53).
 * Throws InvalidOptionError naming `optionName` when it is not an IP address and port.
 */
export function parseDnsServer(s: string, optionName: string): DnsServerAddress {
  const fix = `Use an IP address with an optional port: '10.1.0.4', '10.1.0.4:5353' or '[fd00::53]:53' (a host name cannot be used: it would need DNS itself).`;
  if (typeof s !== 'string') throw new InvalidOptionError(optionName, `expected a string, got ${describe(s)}`, fix);
  const text = s.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if (net.isIPv6(text)) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  const family = ipFamily(host);
  if (!family || (bracketed && family !== 6)) {
    throw new InvalidOptionError(optionName, `${JSON.stringify(s)} is not an IP address`, fix);
  }
  let port = 53;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      throw new InvalidOptionError(
        optionName,
        `${JSON.stringify(s)} has port ${JSON.stringify(portText)}, expected 1-65535`,
        fix,
      );
    }
  }
  return { label: s, address: host, port, family };
}

// The secret-safe describers live in src/redact.ts; re-exported for existing imports.
export { describe, describeSecret, redactUserinfo };
