import type { Sockets } from '../support/sockets';
import type { EndpointCache } from './cache';
import { networkOf, normaliseHost, type ResolvedNetwork } from './options';
import { verifyHost } from './verify';
import { cloudOf } from './clouds';
import type { EndpointReport, NetworkOptions } from './types';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';

/** The assigned hub's endpoint report plus the hand-off findings (HUB_*). */
export interface HubVerification {
  report: EndpointReport;
  findings: Finding[];
}

/**
 * Verifies the hub DPS assigned exactly like the DPS endpoint (same DNS servers, ranges and policy), without
 * connecting, and adds the hand-off findings: HUB_PUBLIC_ADDRESS, HUB_OUTSIDE_VNET, HUB_UNRESOLVED, HUB_CROSS_CLOUD.
 * Severities do not depend on the policy (the same rule as verifyEndpoint): a public hub address is an error under
 * `warn` too; the policy only decides whether createHubClient connects anyway.
 */
export async function verifyAssignedHub(
  hub: string,
  dpsHost: string,
  network: NetworkOptions | ResolvedNetwork,
  options: { signal?: AbortSignal; sockets?: Sockets; cache?: EndpointCache } = {},
): Promise<HubVerification> {
  // The same ranges, servers and policy as DPS: validated once at the caller's door when it passes them resolved.
  const report = await verifyHost(normaliseHost(hub), networkOf(network), {
    role: 'hub',
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.sockets ? { sockets: options.sockets } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
  });
  const findings: Finding[] = [];
  const evidence = {
    hub: report.host,
    addresses: report.addresses.map((a) => a.address),
    expectedCidrs: report.expectedCidrs,
  };
  const outside = report.addresses.filter((a) => !a.inExpectedRange);
  if (report.verdict === 'unresolved') {
    findings.push(createFinding('HUB_UNRESOLVED', { hub: report.host, detail: unresolvedDetail(report) }));
  } else if (outside.length > 0 && (outside.some((a) => a.addressClass === 'public') || viaPublicPath(report))) {
    findings.push(createFinding('HUB_PUBLIC_ADDRESS', { ...evidence, addresses: outside.map((a) => a.address) }));
  } else if (outside.length > 0) {
    findings.push(createFinding('HUB_OUTSIDE_VNET', { ...evidence, addresses: outside.map((a) => a.address) }));
  }
  const dpsCloud = cloudOf(dpsHost);
  const hubCloud = cloudOf(report.host);
  if (dpsCloud && hubCloud && dpsCloud !== hubCloud) {
    findings.push(createFinding('HUB_CROSS_CLOUD', { dps: dpsHost, dpsCloud, hub: report.host, hubCloud }));
  }
  return { report, findings: [...findings, ...report.findings] };
}

/** Why the hub has no address, in a few words: a bare "NOERROR" would read as if all were well. */
function unresolvedDetail(report: EndpointReport): string {
  if (report.findings.some((f) => f.code === 'DNS_PRIVATE_ANSWER_FILTERED')) {
    return 'NOERROR with no address, the resolver filters private answers (DNS_PRIVATE_ANSWER_FILTERED)';
  }
  return report.trace[0]?.rcode ?? report.trace[0]?.error ?? 'no address';
}

/**
 * True when the primary answer came the way Azure's public resolution goes: the address hangs off a name outside the
 * privatelink zone (e.g. `<hub>.privatelink.azure-devices.net` → CNAME `….cloudapp.azure.com` → A), not off the
 * privatelink name itself as in a linked private zone.
 */
function viaPublicPath(report: EndpointReport): boolean {
  const chain = report.trace[0]?.chain ?? [];
  const last = chain[chain.length - 1];
  return chain.length > 1 && last !== undefined && !last.includes('.privatelink.');
}
