import { performance } from 'node:perf_hooks';
import type { Sockets } from '../support/sockets';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { AbortedError, InvalidOptionError } from '../errors';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { logger } from '../log';
import { classifyAddress, describe, isInCidrs, type Cidr, type DnsServerAddress } from './address';
import { analyseTraces, verdictOf } from './analyse';
import { identifyHost, isGlobalDpsEndpoint } from './clouds';
import { queryDnsServer, type DnsServerAnswer } from './dns-client';
import { defaultHostsFile, hostsFileAddresses } from './hosts-file';
import { cacheableSeconds } from './cache';
import { normaliseHost, resolveNetworkOptions, type ResolvedNetwork } from './options';
import { defaultSystemLookup, querySystem } from './system-resolver';
import type { AddressInfo, EndpointReport, NetworkOptions, Policy, ResolverTrace, VerifyOptions } from './types';

const log = logger('endpoint');

/**
 * Resolves `host` the way a device would and says, without connecting, whether it leads to a private endpoint inside
 * `network.expectedCidrs` — and if not, why (findings with evidence and the fix).
 *
 * With `network.dnsServers`, every server is asked directly and at once (A and AAAA together: one round trip per
 * server, cut at `network.dnsTimeoutMs`), so the report shows the CNAME chain, TTLs and response codes. The answer a
 * connection uses is that of the first server, in the order given, that answers (NOERROR or NXDOMAIN), as the device's
 * resolver falls over to the next server; a server that is still silent a short grace after that answer is reported,
 * not waited for. Without, the system resolver (getaddrinfo) answers. Either way the hosts file is read to
 * show an override. Throws InvalidOptionError for a malformed host or option and AbortedError when `options.signal`
 * fires; resolution failures are findings, never exceptions.
 *
 * @example
 * const report = await verifyEndpoint('my-dps.azure-devices-provisioning.net', {
 *   expectedCidrs: ['10.1.0.0/16'], dnsServers: ['10.1.0.4'] });
 * if (report.verdict !== 'private-in-vnet') console.log(report.findings);
 */
export function verifyEndpoint(
  host: string,
  network: NetworkOptions,
  options: VerifyOptions = {},
): Promise<EndpointReport> {
  try {
    return verifyHost(normaliseHost(host), resolveNetworkOptions(network), checkVerifyOptions(options));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * What the host name alone says, before any lookup: an IP literal (ENDPOINT_IS_IP_ADDRESS), the global endpoint
 * (ENDPOINT_GLOBAL_WITH_PRIVATE_LINK), a privatelink name (ENDPOINT_PRIVATELINK_NAME). The one place these are made:
 * verifyEndpoint reports them and dps-check's dps-host shows them.
 */
export function hostNameFindings(name: string, cidrs: readonly Cidr[]): Finding[] {
  if (net.isIP(name)) {
    const info = toAddressInfo(name, cidrs);
    return [
      createFinding('ENDPOINT_IS_IP_ADDRESS', {
        host: name,
        addressClass: info.addressClass,
        inExpectedRange: info.inExpectedRange,
      }),
    ];
  }
  const identity = identifyHost(name);
  const cloud = identity.cloud;
  if (isGlobalDpsEndpoint(name)) {
    const suffix = cloud?.dpsSuffix ?? 'azure-devices-provisioning.net';
    return [
      createFinding('ENDPOINT_GLOBAL_WITH_PRIVATE_LINK', {
        host: name,
        serviceEndpointExample: `<your-dps-name>.${suffix}`,
      }),
    ];
  }
  if (identity.isPrivateLinkName) {
    const serviceName = cloud
      ? name
          .replace(`.${cloud.dpsPrivateLinkZone}`, `.${cloud.dpsSuffix}`)
          .replace(`.${cloud.hubPrivateLinkZone}`, `.${cloud.hubSuffix}`)
      : name.replace('.privatelink.', '.');
    return [createFinding('ENDPOINT_PRIVATELINK_NAME', { host: name, serviceName })];
  }
  return [];
}

/** What a report depends on: the name, its role and every network setting that changes the answer or its verdict. */
export function endpointCacheKey(name: string, role: string, network: ResolvedNetwork): string {
  const servers = network.dnsServers.map((s) => s.label).join(',');
  const cidrs = network.cidrs.map((c) => c.text).join(',');
  return `${role}|${name}|${servers}|${cidrs}|${network.policy}`;
}

/**
 * {@link verifyEndpoint} for callers that validated at their own door: `name` normalised, `resolved` from
 * resolveNetworkOptions, `opts` checked. Nothing is validated again here.
 */
export async function verifyHost(
  name: string,
  resolved: ResolvedNetwork,
  opts: VerifyOptions,
): Promise<EndpointReport> {
  if (opts.signal?.aborted) throw new AbortedError(`verifying ${name}`, opts.signal.reason);
  if (!opts.cache) return verifyUncached(name, resolved, opts);
  const key = endpointCacheKey(name, opts.role ?? identifyHost(name).role, resolved);
  const cached = opts.cache.get(key);
  if (cached) return cached;
  const report = await verifyUncached(name, resolved, opts);
  opts.cache.set(key, report, cacheableSeconds(report));
  return report;
}

async function verifyUncached(name: string, resolved: ResolvedNetwork, opts: VerifyOptions): Promise<EndpointReport> {
  const identity = identifyHost(name);
  const role = opts.role ?? identity.role;
  const expectedCidrs = resolved.cidrs.map((c) => c.text);
  const head = {
    host: name,
    role,
    ...(identity.cloud ? { cloud: identity.cloud.name } : {}),
    policy: resolved.policy,
    expectedCidrs,
  };

  const nameFindings = hostNameFindings(name, resolved.cidrs);
  if (net.isIP(name)) {
    const info = toAddressInfo(name, resolved.cidrs);
    const trace: ResolverTrace = { resolver: 'literal', chain: [name], addresses: [info], durationMs: 0 };
    return finish({ ...head, addresses: [info], trace: [trace], findings: nameFindings });
  }

  const hostsFile = opts.hostsFile ?? defaultHostsFile();
  const timing: Timing = {
    timeoutMs: resolved.dnsTimeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.sockets ? { sockets: opts.sockets } : {}),
  };
  const hostsPromise = hostsFileAddresses(name, hostsFile);
  const traces =
    resolved.dnsServers.length > 0
      ? await traceDnsServers(name, resolved.dnsServers, resolved.cidrs, timing, hostsPromise)
      : await traceSystem(name, opts.systemLookup ?? defaultSystemLookup, resolved.cidrs, timing, hostsPromise);

  const analysis = analyseTraces(traces, {
    host: name,
    role,
    ...(identity.cloud ? { cloud: identity.cloud } : {}),
    hostIsPrivateLinkName: identity.isPrivateLinkName,
    expectedCidrs,
    dnsTimeoutMs: resolved.dnsTimeoutMs,
    hostsFile,
  });
  const primary = traces[0] as ResolverTrace;
  return finish({ ...head, addresses: primary.addresses, trace: traces, findings: [...nameFindings, ...analysis] });
}

type Timing = { timeoutMs: number; signal?: AbortSignal; sockets?: Sockets };

/** Every DNS server asked at once ({@link askDnsServers}); then a `hosts-file` trace when the hosts file names it. */
async function traceDnsServers(
  name: string,
  servers: readonly DnsServerAddress[],
  cidrs: readonly Cidr[],
  timing: Timing,
  hostsPromise: Promise<string[]>,
): Promise<ResolverTrace[]> {
  const traces = await askDnsServers(name, servers, cidrs, timing);
  const hostsEntries = await hostsPromise;
  if (hostsEntries.length > 0) {
    // The device's own getaddrinfo (and the unmodified SDK) would take these instead of asking the DNS servers.
    traces.push({
      resolver: 'hosts-file',
      chain: [name],
      addresses: hostsEntries.map((a) => toAddressInfo(a, cidrs)),
      fromHostsFile: true,
      durationMs: 0,
    });
  }
  return traces;
}

/**
 * After the first usable answer, how long the other servers still have to answer to be compared with it (ms): this,
 * or the time the first answer took when that was longer (a slow link slows every server alike).
 */
export const COMPARE_GRACE_MS = 250;

/** An answer a device's resolver would stop at: the name exists with these records, or it does not exist. */
function isUsable(answer: DnsServerAnswer): boolean {
  return answer.error === undefined && (answer.rcode === 'NOERROR' || answer.rcode === 'NXDOMAIN');
}

/**
 * Asks every server at once, the way a device's resolver falls over from a dead server to the next without the
 * device noticing: the trace used (first) is the first server, in the order given, with a usable answer; the others
 * follow in order. Servers still silent {@link COMPARE_GRACE_MS} after the first usable answer are not waited for
 * (`overtaken`), so a dead server costs that grace, not its timeout. With no usable answer, every server gets its
 * whole timeout and the first server's trace stays first.
 */
function askDnsServers(
  name: string,
  servers: readonly DnsServerAddress[],
  cidrs: readonly Cidr[],
  timing: Timing,
): Promise<ResolverTrace[]> {
  const outer = timing.signal;
  if (outer?.aborted) return Promise.reject(new AbortedError(`resolving ${name}`, outer.reason));
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  // Aborting it closes the sockets of the servers no longer waited for. A lone server is always waited for, so it
  // gets the caller's signal alone: AbortSignal.any and an abort per call were ~5 % of a verification's CPU.
  const stop = new AbortController();
  const signal = servers.length === 1 ? outer : outer ? AbortSignal.any([outer, stop.signal]) : stop.signal;
  const answers: (DnsServerAnswer | undefined)[] = servers.map(() => undefined);
  const durations: number[] = servers.map(() => 0);
  return new Promise<ResolverTrace[]>((resolve, reject) => {
    let grace: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      outer?.removeEventListener('abort', onAbort);
      // Only when a server is still being waited for: an abort builds a DOMException (a stack trace) every time.
      if (answers.includes(undefined)) stop.abort();
      if (err !== undefined) reject(err);
      else resolve(orderTraces(name, servers, answers, durations, elapsed(), cidrs));
    };
    const onAbort = (): void => finish(new AbortedError(`resolving ${name}`, outer?.reason));
    outer?.addEventListener('abort', onAbort, { once: true });
    servers.forEach((server, i) => {
      queryDnsServer(server, name, { ...timing, ...(signal ? { signal } : {}) }).then(
        (answer) => {
          if (settled) return;
          answers[i] = answer;
          durations[i] = elapsed();
          if (answers.every((a) => a !== undefined)) finish();
          else if (grace === undefined && isUsable(answer)) {
            grace = setTimeout(finish, Math.max(COMPARE_GRACE_MS, elapsed()));
          }
        },
        // Only an abort (handled above) or a bug rejects; either way the whole lookup ends.
        (err: unknown) => finish(err),
      );
    });
  });
}

/** The traces, the one a connection uses first (see {@link askDnsServers}), the rest in the order given. */
function orderTraces(
  name: string,
  servers: readonly DnsServerAddress[],
  answers: readonly (DnsServerAnswer | undefined)[],
  durations: readonly number[],
  waitedMs: number,
  cidrs: readonly Cidr[],
): ResolverTrace[] {
  const traces = servers.map((server, i): ResolverTrace => {
    const answer = answers[i];
    if (!answer) {
      return {
        resolver: server.label,
        chain: [name],
        addresses: [],
        error: 'timeout',
        overtaken: true,
        durationMs: waitedMs,
      };
    }
    const trace: ResolverTrace = {
      resolver: server.label,
      chain: answer.chain,
      addresses: answer.records.map((r) => toAddressInfo(r.address, cidrs, r.ttl)),
      durationMs: durations[i] as number,
    };
    if (answer.rcode !== undefined) trace.rcode = answer.rcode;
    if (answer.error !== undefined) trace.error = answer.error;
    if (answer.unanswered) trace.unanswered = answer.unanswered;
    return trace;
  });
  const used = answers.findIndex((a) => a !== undefined && isUsable(a));
  if (used <= 0) return traces;
  return [traces[used] as ResolverTrace, ...traces.filter((_, i) => i !== used)];
}

/** The system resolver's answer, marked `fromHostsFile` when the hosts file holds exactly what it returned. */
async function traceSystem(
  name: string,
  lookup: NonNullable<VerifyOptions['systemLookup']>,
  cidrs: readonly Cidr[],
  timing: Timing,
  hostsPromise: Promise<string[]>,
): Promise<ResolverTrace[]> {
  const started = performance.now();
  const [answer, hostsEntries] = await Promise.all([querySystem(name, lookup, timing), hostsPromise]);
  const addresses = answer.addresses.map((a) => toAddressInfo(a.address, cidrs));
  const trace: ResolverTrace = {
    resolver: 'system',
    chain: [name],
    addresses,
    durationMs: performance.now() - started,
  };
  if (answer.rcode !== undefined) trace.rcode = answer.rcode;
  if (answer.error !== undefined) trace.error = answer.error;
  const hostsSet = new Set(hostsEntries.map(normaliseIp));
  trace.fromHostsFile = addresses.length > 0 && hostsSet.size > 0 && addresses.every((a) => hostsSet.has(a.address));
  return [trace];
}

function finish(report: Omit<EndpointReport, 'verdict'>): EndpointReport {
  const out: EndpointReport = { ...report, verdict: verdictOf(report.addresses) };
  log(
    '%s (%s): %s via %s, %d finding(s)',
    out.host,
    out.role,
    out.verdict,
    out.trace[0]?.resolver,
    out.findings.length,
  );
  return out;
}

/**
 * The addresses a connection may use under a policy: `enforce` → only those inside the expected ranges; `warn` and
 * `off` → all of them. Answer order is kept (the resolver's preference).
 */
export function connectableAddresses(report: EndpointReport, policy: Policy): AddressInfo[] {
  if (policy !== 'enforce' && policy !== 'warn' && policy !== 'off') {
    throw new InvalidOptionError('policy', `${describe(policy)} is not a policy`, `Use 'enforce', 'warn' or 'off'.`);
  }
  return policy === 'enforce' ? report.addresses.filter((a) => a.inExpectedRange) : [...report.addresses];
}

/** Classifies one address against the expected ranges. */
export function toAddressInfo(address: string, cidrs: readonly Cidr[], ttl?: number): AddressInfo {
  const normalised = normaliseIp(address);
  const info: AddressInfo = {
    address: normalised,
    family: net.isIPv6(normalised) ? 6 : 4,
    addressClass: classifyAddress(normalised),
    inExpectedRange: isInCidrs(normalised, cidrs),
  };
  if (ttl !== undefined) info.ttl = ttl;
  return info;
}

/** One spelling per address (RFC 5952 for IPv6), so answers from different sources compare equal. */
function normaliseIp(address: string): string {
  if (!net.isIPv6(address)) return address;
  const v6 = ipaddr.IPv6.parse(address);
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad (::ffff:10.1.2.3).
  return v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String();
}

function checkVerifyOptions(options: VerifyOptions): VerifyOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(
      'options',
      `expected an object, got ${describe(options)}`,
      'Pass e.g. { role: "dps" } or leave it out.',
    );
  }
  if (options.role !== undefined && options.role !== 'dps' && options.role !== 'hub') {
    throw new InvalidOptionError(
      'options.role',
      `${describe(options.role)} is not a role`,
      `Use 'dps' or 'hub', or leave it out to infer it from the host name.`,
    );
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidOptionError(
      'options.signal',
      `expected an AbortSignal, got ${describe(options.signal)}`,
      'Pass AbortController.signal or AbortSignal.timeout(ms).',
    );
  }
  if (options.hostsFile !== undefined && (typeof options.hostsFile !== 'string' || options.hostsFile === '')) {
    throw new InvalidOptionError(
      'options.hostsFile',
      `expected a file path, got ${describe(options.hostsFile)}`,
      'Pass the path of a hosts file, or leave it out for the system one.',
    );
  }
  if (options.systemLookup !== undefined && typeof options.systemLookup !== 'function') {
    throw new InvalidOptionError(
      'options.systemLookup',
      `expected a function, got ${describe(options.systemLookup)}`,
      'Pass (host) => Promise<{ address, family }[]>, or leave it out for getaddrinfo.',
    );
  }
  return options;
}
