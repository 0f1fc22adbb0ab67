import { verifyEndpoint } from '../endpoint/verify';
import type { EndpointReport } from '../endpoint/types';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { HOST_FORM_CODES } from './dps-host';
import type { Check, CheckContext } from './types';

/** Resolves a host for a check: the configured DNS servers (or the system resolver), under the configured policy. */
export function resolveFor(ctx: CheckContext, host: string, role: 'dps' | 'hub'): Promise<EndpointReport> {
  const { config, settings } = ctx;
  return verifyEndpoint(
    host,
    {
      expectedCidrs: config.expectedCidrs,
      policy: config.policy,
      dnsTimeoutMs: Math.min(settings.timeoutMs, 60_000),
      ...(config.dnsServers.length ? { dnsServers: config.dnsServers } : {}),
    },
    {
      role,
      ...(settings.signal ? { signal: settings.signal } : {}),
      ...(settings.connector ? { sockets: settings.connector } : {}),
    },
  );
}

/** Evidence of a report, per resolver: chain, addresses with class and TTL, response code. */
export function traceEvidence(report: EndpointReport): Record<string, unknown> {
  return {
    host: report.host,
    verdict: report.verdict,
    policy: report.policy,
    expectedCidrs: report.expectedCidrs,
    addresses: report.addresses,
    resolvers: report.trace.map((t) => ({
      resolver: t.resolver,
      chain: t.chain,
      addresses: t.addresses.map((a) => {
        const ttl = a.ttl !== undefined ? ` ttl=${a.ttl}` : '';
        return `${a.address}${ttl} ${a.addressClass}${a.inExpectedRange ? ' in-vnet' : ''}`;
      }),
      ...(t.rcode ? { rcode: t.rcode } : {}),
      ...(t.error ? { error: t.error } : {}),
      ...(t.fromHostsFile ? { fromHostsFile: true } : {}),
      durationMs: Math.round(t.durationMs * 10) / 10,
    })),
  };
}

/** One line: `a.b → cname → 10.1.0.5 (private, in VNET)` for the primary resolver. */
export function traceLine(report: EndpointReport): string {
  const t = report.trace[0];
  const chain = t?.chain.join(' → ') ?? report.host;
  const addrs = report.addresses
    .map((a) => `${a.address} (${a.addressClass}${a.inExpectedRange ? ', in VNET' : ''})`)
    .join(', ');
  const answer = addrs ? ` → ${addrs}` : ` : ${t?.rcode ?? t?.error ?? 'no answer'}`;
  return `${chain}${answer} via ${t?.resolver ?? '?'} [${report.verdict}]`;
}

/** The DPS name through getaddrinfo, as the plain SDK (and anything else on the device) resolves it. */
function resolveWithSystem(ctx: CheckContext, host: string): Promise<EndpointReport> {
  return verifyEndpoint(
    host,
    {
      expectedCidrs: ctx.config.expectedCidrs,
      policy: ctx.config.policy,
      dnsTimeoutMs: Math.min(ctx.settings.timeoutMs, 60_000),
    },
    {
      role: 'dps',
      ...(ctx.settings.systemLookup ? { systemLookup: ctx.settings.systemLookup } : {}),
      ...(ctx.settings.signal ? { signal: ctx.settings.signal } : {}),
    },
  );
}

/**
 * What --compare-system adds: DNS_RESOLVERS_DISAGREE when getaddrinfo answers other addresses than the configured
 * servers, and its own failure (EAI_AGAIN, NXDOMAIN, no answer…) when it answers none — the plain SDK and every other
 * client on the device would fail there. Warnings: what this library connects to comes from the configured servers.
 */
function compareWithSystem(report: EndpointReport, system: EndpointReport): Finding[] {
  const ours = report.addresses.map((a) => a.address).sort();
  const theirs = system.addresses.map((a) => a.address).sort();
  if (theirs.length === 0) {
    return system.findings
      .filter((f) => f.evidence['resolver'] === 'system' && !HOST_FORM_CODES.has(f.code))
      .map((f) => ({
        ...f,
        severity: f.severity === 'error' ? 'warning' : f.severity,
        message:
          `${f.message} The plain SDK and every other client on the device that resolves through getaddrinfo fail ` +
          `here; dps-check resolved ${report.host} through the configured DNS servers instead.`,
      }));
  }
  if (ours.join(',') === theirs.join(',')) return [];
  return [
    createFinding('DNS_RESOLVERS_DISAGREE', {
      host: report.host,
      resolver: 'system',
      addresses: theirs,
      primary: report.trace[0]?.resolver ?? 'dns-server',
      primaryAddresses: ours,
    }),
  ];
}

/** `dps-dns`: the DPS name resolves to a private endpoint address inside the VNET, per resolver. */
export const dpsDns: Check = {
  id: 'dps-dns',
  title: 'DPS name resolves to a private address inside the VNET',
  section: 'dns',
  async run(ctx) {
    const host = ctx.config.provisioningHost as string;
    const report = await resolveFor(ctx, host, 'dps');
    ctx.state.dpsEndpoint = report;
    const findings: Finding[] = report.findings.filter((f) => !HOST_FORM_CODES.has(f.code));
    const evidence = traceEvidence(report);
    if (ctx.settings.compareSystem && ctx.config.dnsServers.length > 0) {
      const system = await resolveWithSystem(ctx, host);
      evidence['system'] = traceEvidence(system)['resolvers'];
      findings.push(...compareWithSystem(report, system));
    }
    return { findings, evidence, detail: traceLine(report) };
  },
};
