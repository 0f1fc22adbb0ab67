import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { isInZone, privateLinkZonesFor, type AzureCloud } from './clouds';
import type { AddressInfo, ResolverTrace, Verdict } from './types';

/** What the analysis needs to know besides the trace. */
export interface AnalysisContext {
  host: string;
  role: 'dps' | 'hub' | 'other';
  cloud?: AzureCloud;
  /** The host itself is a privatelink name. */
  hostIsPrivateLinkName: boolean;
  expectedCidrs: string[];
  dnsTimeoutMs: number;
}

/** The verdict over the addresses a device would use (see `Verdict`). */
export function verdictOf(addresses: readonly AddressInfo[]): Verdict {
  if (addresses.length === 0) return 'unresolved';
  const inside = addresses.filter((a) => a.inExpectedRange);
  if (inside.length === addresses.length) return 'private-in-vnet';
  if (inside.length > 0) return 'mixed';
  const publicCount = addresses.filter((a) => a.addressClass === 'public').length;
  if (publicCount === addresses.length) return 'public';
  if (publicCount === 0) return 'private-outside-vnet';
  return 'mixed';
}

/**
 * The findings one resolver's answer calls for. Findings from a secondary resolver are at most warnings: the device
 * connects to what the primary answers, but may meet the secondary's answer when the primary is slow.
 */
export function traceFindings(trace: ResolverTrace, ctx: AnalysisContext, primary: boolean): Finding[] {
  const zones = privateLinkZonesFor(ctx.role, ctx.cloud);
  const base = {
    host: ctx.host,
    resolver: trace.resolver,
    chain: trace.chain,
    ...(ctx.cloud && ctx.role !== 'other'
      ? {
          privateLinkZone: ctx.role === 'dps' ? ctx.cloud.dpsPrivateLinkZone : ctx.cloud.hubPrivateLinkZone,
          publicZone: ctx.role === 'dps' ? ctx.cloud.dpsSuffix : ctx.cloud.hubSuffix,
        }
      : {}),
  };
  // getaddrinfo and the hosts file show no CNAMEs, so chain-based findings need a DNS server's answer.
  const seesChain = trace.resolver !== 'system' && trace.resolver !== 'hosts-file';
  const privateLinkName = seesChain ? trace.chain.find((n) => isInZone(n, zones)) : undefined;
  const out: Finding[] = [];

  if (trace.addresses.length === 0) {
    if (trace.error === 'timeout') out.push(createFinding('DNS_TIMEOUT', { ...base, timeoutMs: ctx.dnsTimeoutMs }));
    else if (privateLinkName && (trace.rcode === 'NXDOMAIN' || trace.rcode === 'NOERROR')) {
      out.push(
        createFinding('DNS_PRIVATELINK_RECORD_MISSING', {
          ...base,
          privateLinkName,
          ...(trace.rcode ? { rcode: trace.rcode } : {}),
        }),
      );
    } else if (trace.rcode === 'NXDOMAIN') out.push(createFinding('DNS_NXDOMAIN', base));
    else if (trace.rcode === 'SERVFAIL') out.push(createFinding('DNS_SERVFAIL', base));
    else {
      out.push(
        createFinding('DNS_QUERY_FAILED', {
          ...base,
          ...(trace.rcode ? { rcode: trace.rcode } : {}),
          ...(trace.error ? { error: trace.error } : {}),
        }),
      );
    }
  } else {
    const inside = trace.addresses.filter((a) => a.inExpectedRange).map((a) => a.address);
    const outside = trace.addresses.filter((a) => !a.inExpectedRange);
    const outsidePublic = outside.filter((a) => a.addressClass === 'public').map((a) => a.address);
    const outsideOther = outside.filter((a) => a.addressClass !== 'public').map((a) => a.address);
    if (inside.length > 0 && outside.length > 0) {
      out.push(
        createFinding('DNS_MIXED_ANSWERS', {
          ...base,
          inRange: inside,
          outOfRange: outside.map((a) => a.address),
          expectedCidrs: ctx.expectedCidrs,
        }),
      );
    } else if (inside.length === 0) {
      // In a linked private zone the privatelink name answers an A record itself; a CNAME onward to a name outside
      // the zone (Azure's cloudapp name) is the public resolution path, whatever class the final address has.
      const last = trace.chain[trace.chain.length - 1] as string;
      const publicPath = privateLinkName !== undefined && last !== privateLinkName && !isInZone(last, zones);
      if (privateLinkName && (outsidePublic.length > 0 || publicPath)) {
        const publicAddresses = publicPath ? outside.map((a) => a.address) : outsidePublic;
        out.push(createFinding('DNS_PRIVATELINK_NOT_PRIVATE', { ...base, privateLinkName, publicAddresses }));
      } else if (outsidePublic.length > 0) {
        out.push(createFinding('DNS_PUBLIC_ADDRESS', { ...base, publicAddresses: outsidePublic }));
      }
      if (outsideOther.length > 0 && !publicPath) {
        out.push(
          createFinding('DNS_OUTSIDE_VNET', { ...base, addresses: outsideOther, expectedCidrs: ctx.expectedCidrs }),
        );
      }
    }
    if (seesChain && ctx.role !== 'other' && !privateLinkName && !ctx.hostIsPrivateLinkName) {
      out.push(
        createFinding('DNS_NO_PRIVATELINK_CNAME', { ...base, addresses: trace.addresses.map((a) => a.address) }),
      );
    }
  }
  // The policy decides what a connection may use (connectableAddresses), not how bad a finding is: a public answer
  // is an error under 'warn' too (dps-check relies on this).
  return primary ? out : out.map(asSecondary);
}

function asSecondary(f: Finding): Finding {
  return {
    ...f,
    severity: f.severity === 'error' ? 'warning' : f.severity,
    message: `${f.message} (secondary DNS server: the device meets this answer whenever the first server does not answer in time)`,
    evidence: { ...f.evidence, secondary: true },
  };
}

/** The same set of addresses, regardless of order and notation. */
export function sameAddresses(a: readonly AddressInfo[], b: readonly AddressInfo[]): boolean {
  const key = (l: readonly AddressInfo[]): string =>
    [...new Set(l.map((x) => x.address.toLowerCase()))].sort().join(',');
  return key(a) === key(b);
}

/**
 * Every finding the traces call for: the primary resolver's at full severity, secondaries' as warnings, the hosts
 * file override, and disagreement between DNS servers.
 */
export function analyseTraces(
  traces: readonly ResolverTrace[],
  ctx: AnalysisContext & { hostsFile: string },
): Finding[] {
  const dnsTraces = traces.filter((t) => t.resolver !== 'hosts-file');
  const primary = dnsTraces[0];
  const out: Finding[] = [];
  dnsTraces.forEach((t, i) => out.push(...traceFindings(t, ctx, i === 0)));
  for (const t of dnsTraces.slice(1)) {
    if (
      primary &&
      primary.addresses.length > 0 &&
      t.addresses.length > 0 &&
      !sameAddresses(primary.addresses, t.addresses)
    ) {
      out.push(
        createFinding('DNS_RESOLVERS_DISAGREE', {
          host: ctx.host,
          resolver: t.resolver,
          addresses: t.addresses.map((a) => a.address),
          primary: primary.resolver,
          primaryAddresses: primary.addresses.map((a) => a.address),
        }),
      );
    }
  }
  const zoneEvidence =
    ctx.cloud && ctx.role !== 'other'
      ? {
          privateLinkZone: ctx.role === 'dps' ? ctx.cloud.dpsPrivateLinkZone : ctx.cloud.hubPrivateLinkZone,
          publicZone: ctx.role === 'dps' ? ctx.cloud.dpsSuffix : ctx.cloud.hubSuffix,
        }
      : {};
  const hostsTrace = traces.find((t) => t.resolver === 'hosts-file');
  if (hostsTrace) {
    out.push(
      createFinding('DNS_HOSTS_FILE_OVERRIDE', {
        host: ctx.host,
        resolver: 'hosts-file',
        hostsFile: ctx.hostsFile,
        addresses: hostsTrace.addresses.map((a) => a.address),
        ...(primary ? { dnsAddresses: primary.addresses.map((a) => a.address) } : {}),
        ...zoneEvidence,
      }),
    );
  } else if (primary?.fromHostsFile) {
    out.push(
      createFinding('DNS_HOSTS_FILE_OVERRIDE', {
        host: ctx.host,
        resolver: primary.resolver,
        hostsFile: ctx.hostsFile,
        addresses: primary.addresses.map((a) => a.address),
        ...zoneEvidence,
      }),
    );
  }
  return out;
}
