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
export function traceFindings(
  trace: ResolverTrace,
  ctx: AnalysisContext,
  primary: boolean,
  usedResolver?: string,
): Finding[] {
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
    if (trace.error === 'timeout')
      out.push(createFinding('DNS_TIMEOUT', timeoutEvidence(trace, ctx, base, usedResolver)));
    else if (isFilteredAnswer(trace, ctx, privateLinkName)) {
      out.push(
        createFinding('DNS_PRIVATE_ANSWER_FILTERED', {
          ...base,
          ...(privateLinkName ? { privateLinkName } : {}),
          rcode: 'NOERROR',
        }),
      );
    } else if (privateLinkName && trace.rcode === 'NXDOMAIN') {
      out.push(createFinding('DNS_PRIVATELINK_RECORD_MISSING', { ...base, privateLinkName, rcode: trace.rcode }));
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
  return primary ? out : out.map((f) => asSecondary(f, usedResolver));
}

/** DNS_TIMEOUT's evidence: how long the server was waited for, and who answered instead when it was overtaken. */
function timeoutEvidence(
  trace: ResolverTrace,
  ctx: AnalysisContext,
  base: { host: string; resolver: string },
  usedResolver: string | undefined,
): { host: string; resolver: string; timeoutMs: number; answeredBy?: string } {
  if (!trace.overtaken || !usedResolver) return { ...base, timeoutMs: ctx.dnsTimeoutMs };
  return { ...base, timeoutMs: Math.round(trace.durationMs), answeredBy: usedResolver };
}

/**
 * An empty NOERROR answer where Azure never gives one: a privatelink name, or a DPS / hub name, exists whenever it is
 * asked (a record missing from a linked private zone is NXDOMAIN), so "no data" is a resolver that dropped the private
 * address from the answer — DNS-rebinding protection (dnsmasq stop-dns-rebind, OpenWrt, Unbound private-address).
 */
function isFilteredAnswer(trace: ResolverTrace, ctx: AnalysisContext, privateLinkName: string | undefined): boolean {
  if (trace.rcode !== 'NOERROR' || (trace.error !== undefined && trace.error !== 'ENODATA')) return false;
  // Without the A answer, it is not known what the resolver would have said.
  if (trace.unanswered?.includes('A')) return false;
  return privateLinkName !== undefined || ctx.hostIsPrivateLinkName || ctx.role !== 'other';
}

function asSecondary(f: Finding, usedResolver: string | undefined): Finding {
  const used = usedResolver ? `, ${usedResolver}` : '';
  // An overtaken server's DNS_TIMEOUT already says who answered instead.
  const note =
    f.evidence['answeredBy'] !== undefined
      ? ''
      : ` (not the DNS server whose answer is used${used}: the device meets this answer whenever its resolver asks this server first)`;
  return {
    ...f,
    severity: f.severity === 'error' ? 'warning' : f.severity,
    message: `${f.message}${note}`,
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
  dnsTraces.forEach((t, i) => out.push(...traceFindings(t, ctx, i === 0, primary?.resolver)));
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
  if (!primary?.fromHostsFile) {
    const override = hostsFileOverride(traces, primary, ctx, []);
    return override ? [...out, override] : out;
  }
  // The hosts file gave the very answer the other findings are about: it is their cause, so it comes first and is as
  // severe as the worst of them (a hosts entry outside the VNET is an error, not a side note).
  const caused = out.filter((f) => f.severity !== 'info');
  const override = hostsFileOverride(traces, primary, ctx, caused);
  return override ? [override, ...out] : out;
}

/**
 * DNS_HOSTS_FILE_OVERRIDE when the hosts file names the host (its own trace, or the system answer came from it), as
 * severe as the worst of the findings its answer `caused` (a warning when none).
 */
function hostsFileOverride(
  traces: readonly ResolverTrace[],
  primary: ResolverTrace | undefined,
  ctx: AnalysisContext & { hostsFile: string },
  caused: readonly Finding[],
): Finding | undefined {
  const zoneEvidence =
    ctx.cloud && ctx.role !== 'other'
      ? {
          privateLinkZone: ctx.role === 'dps' ? ctx.cloud.dpsPrivateLinkZone : ctx.cloud.hubPrivateLinkZone,
          publicZone: ctx.role === 'dps' ? ctx.cloud.dpsSuffix : ctx.cloud.hubSuffix,
        }
      : {};
  const hostsTrace = traces.find((t) => t.resolver === 'hosts-file');
  if (hostsTrace) {
    return createFinding('DNS_HOSTS_FILE_OVERRIDE', {
      host: ctx.host,
      resolver: 'hosts-file',
      hostsFile: ctx.hostsFile,
      addresses: hostsTrace.addresses.map((a) => a.address),
      ...(primary ? { dnsAddresses: primary.addresses.map((a) => a.address) } : {}),
      ...zoneEvidence,
    });
  }
  if (!primary?.fromHostsFile) return undefined;
  return createFinding(
    'DNS_HOSTS_FILE_OVERRIDE',
    {
      host: ctx.host,
      resolver: primary.resolver,
      hostsFile: ctx.hostsFile,
      addresses: primary.addresses.map((a) => a.address),
      ...zoneEvidence,
      ...(caused.length ? { causes: caused.map((f) => f.code) } : {}),
    },
    caused.some((f) => f.severity === 'error') ? { severity: 'error' } : {},
  );
}
