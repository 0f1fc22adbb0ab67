import { connectableAddresses } from '../endpoint/verify';
import type { EndpointReport } from '../endpoint/types';
import { createFinding } from '../findings/finding';
import { probeTcp, type TcpProbeResult } from '../connection/probe';
import type { Evidence } from '../findings/types';
import type { Check, CheckContext, CheckOutcome, CheckState, TcpCheckId } from './types';

export type { TcpState } from './types';

/**
 * A TCP reach check of one port of the host `dnsCheck` resolved. Connects only to the addresses the policy allows
 * (enforce: inside --expect-cidr). A failure on the port of the transport not in use is a warning, not an error.
 */
export function tcpCheck(spec: {
  id: TcpCheckId;
  title: string;
  /** The check that resolved the host, and the report it left in the state. */
  dnsCheck: 'dps-dns' | 'hub-dns';
  endpoint: (state: CheckState) => EndpointReport | undefined;
  section: 'network' | 'hub';
  port: (ctx: CheckContext) => number;
  inUse: (ctx: CheckContext) => boolean;
  dependsOn?: readonly string[];
}): Check {
  return {
    id: spec.id,
    title: spec.title,
    section: spec.section,
    ...(spec.dependsOn ? { dependsOn: spec.dependsOn } : {}),
    // Needs only the DNS report: both ports are probed at the same time.
    after: [spec.dnsCheck],
    // No dependsOn: under --policy warn/off the port is probed even when DNS found a problem. Under enforce,
    // connectableAddresses() leaves only the addresses inside --expect-cidr, so nothing else is ever dialled.
    async run(ctx) {
      const report = spec.endpoint(ctx.state);
      if (!report) return { result: 'skipped', detail: `${spec.dnsCheck} did not resolve the name` };
      const port = spec.port(ctx);
      const allowed = connectableAddresses(report, ctx.config.policy).map((a) => a.address);
      const refused = report.addresses.map((a) => a.address).filter((a) => !allowed.includes(a));
      if (allowed.length === 0) return notDialled(ctx, report, port, refused);
      const results: TcpProbeResult[] = await Promise.all(
        allowed.map((a) => probeTcp(a, port, ctx.settings.timeoutMs, ctx.settings.connector)),
      );
      const reachable = results.filter((r) => r.ok).map((r) => r.address);
      (ctx.state.tcp ??= {})[spec.id] = { port, reachable };
      const evidence = { host: report.host, port, results, refused };
      if (reachable.length === results.length) {
        const slowest = Math.max(...results.map((r) => r.durationMs));
        return { evidence, detail: `${reachable.map((a) => `${a}:${port}`).join(', ')} (${slowest} ms)` };
      }
      // Some address did not answer: an error only when none did on the port the device uses.
      const severity = reachable.length > 0 || !spec.inUse(ctx) ? 'warning' : 'error';
      return unreachable(report.host, port, results, severity, evidence);
    },
  };
}

/** Skipped: the policy leaves no address to dial (enforce: none inside --expect-cidr). */
function notDialled(ctx: CheckContext, report: EndpointReport, port: number, refused: string[]): CheckOutcome {
  const why = refused.length
    ? `refused ${refused.join(', ')}: outside --expect-cidr ${report.expectedCidrs.join(', ')}`
    : 'no address';
  return {
    result: 'skipped',
    evidence: { host: report.host, port, refused },
    detail: `not connecting (policy ${ctx.config.policy}): ${why}`,
  };
}

/**
 * The findings for the addresses that did not connect: TCP_REFUSED for those that answered with a refusal, and
 * TCP_UNREACHABLE for the silent ones (timeout, no route); the fixes differ, so one finding for each kind.
 */
function unreachable(
  host: string,
  port: number,
  results: readonly TcpProbeResult[],
  severity: 'warning' | 'error',
  evidence: Evidence,
): CheckOutcome {
  const failed = results.filter((r) => !r.ok);
  const refused = failed.filter((r) => r.error === 'ECONNREFUSED');
  const silent = failed.filter((r) => r.error !== 'ECONNREFUSED');
  const findings = (
    [
      ['TCP_REFUSED', refused],
      ['TCP_UNREACHABLE', silent],
    ] as const
  )
    .filter(([, group]) => group.length > 0)
    .map(([code, group]) =>
      createFinding(
        code,
        {
          host,
          port,
          address: group[0]?.address,
          addresses: group.map((r) => r.address),
          detail: group.map((r) => `${r.address}: ${r.error}`).join(', '),
        },
        { severity },
      ),
    );
  return {
    findings,
    evidence,
    detail: `${failed.map((r) => `${r.address}:${port} ${r.error}`).join(', ')}`,
  };
}

/** `dps-tcp-mqtt`: TCP to DPS on 8883 (MQTT over TLS). */
export const dpsTcpMqtt = tcpCheck({
  id: 'dps-tcp-mqtt',
  title: 'DPS reachable on TCP 8883 (MQTT)',
  dnsCheck: 'dps-dns',
  endpoint: (state) => state.dpsEndpoint,
  section: 'network',
  port: (ctx) => ctx.config.port,
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `dps-tcp-websocket`: TCP to DPS on 443 (MQTT over WebSockets, HTTPS). */
export const dpsTcpWebsocket = tcpCheck({
  id: 'dps-tcp-websocket',
  title: 'DPS reachable on TCP 443 (MQTT over WebSockets)',
  dnsCheck: 'dps-dns',
  endpoint: (state) => state.dpsEndpoint,
  section: 'network',
  port: (ctx) => ctx.config.wsPort,
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});

/** The hub's WebSocket port: 443 unless a lab moved it (--hub-ws-port). */
export const HUB_WS_PORT = 443;

/** `hub-tcp-mqtt`: TCP to the assigned hub on 8883 (after --register). */
export const hubTcpMqtt = tcpCheck({
  id: 'hub-tcp-mqtt',
  title: 'Assigned hub reachable on TCP 8883 (MQTT)',
  dnsCheck: 'hub-dns',
  endpoint: (state) => state.hubEndpoint,
  section: 'hub',
  // hub-dns only runs after a registration and stores the verified hub addresses; when it reports an error (a public
  // or out-of-range hub, under any policy) this probe is skipped with that reason.
  dependsOn: ['hub-dns'],
  port: (ctx) => ctx.config.hubPort,
  // The device talks to the hub over the same transport it used for DPS; the other port failing is a warning.
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `hub-tcp-websocket`: TCP to the assigned hub on 443 (MQTT over WebSockets; after --register). */
export const hubTcpWebsocket = tcpCheck({
  id: 'hub-tcp-websocket',
  title: 'Assigned hub reachable on TCP 443 (MQTT over WebSockets)',
  dnsCheck: 'hub-dns',
  endpoint: (state) => state.hubEndpoint,
  section: 'hub',
  dependsOn: ['hub-dns'],
  port: (ctx) => ctx.settings.hubWsPort ?? HUB_WS_PORT,
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});
