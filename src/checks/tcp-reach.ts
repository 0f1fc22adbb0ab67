import { connectableAddresses } from '../endpoint/verify';
import type { EndpointReport } from '../endpoint/types';
import { createFinding } from '../findings/finding';
import { probeTcp, type TcpProbeResult } from '../connection/probe';
import type { Evidence } from '../findings/types';
import type { Check, CheckContext, CheckOutcome, CheckState, TcpCheckId } from './types';

export type { TcpState } from './types';

/** The hub's WebSocket port: 443 unless a lab moved it (--hub-ws-port). */
export const HUB_WS_PORT = 443;

/** The port each TCP check probes (the TLS check of that port names it too), and the one --list shows. */
export const TCP_PORTS: Record<TcpCheckId, { default: number; port: (ctx: CheckContext) => number }> = {
  'dps-tcp-mqtt': { default: 8883, port: (ctx) => ctx.config.port },
  'dps-tcp-websocket': { default: 443, port: (ctx) => ctx.config.wsPort },
  'hub-tcp-mqtt': { default: 8883, port: (ctx) => ctx.config.hubPort },
  'hub-tcp-websocket': { default: HUB_WS_PORT, port: (ctx) => ctx.settings.hubWsPort ?? HUB_WS_PORT },
};

/**
 * A TCP reach check of one port of the host `dnsCheck` resolved. Connects only to the addresses the policy allows
 * (enforce: inside --expect-cidr). A failure on the port of the transport not in use is a warning, not an error.
 */
export function tcpCheck(spec: {
  id: TcpCheckId;
  /** The title, naming the port probed (the default one in --list). */
  title: (port: number) => string;
  /** The check that resolved the host, and the report it left in the state. */
  dnsCheck: 'dps-dns' | 'hub-dns';
  endpoint: (state: CheckState) => EndpointReport | undefined;
  section: 'network' | 'hub';
  inUse: (ctx: CheckContext) => boolean;
  dependsOn?: readonly string[];
}): Check {
  const ports = TCP_PORTS[spec.id];
  return {
    id: spec.id,
    title: spec.title(ports.default),
    titleFor: (ctx) => spec.title(ports.port(ctx)),
    section: spec.section,
    ...(spec.dependsOn ? { dependsOn: spec.dependsOn } : {}),
    // Needs only the DNS report: both ports are probed at the same time.
    after: [spec.dnsCheck],
    // No dependsOn: under --policy warn/off the port is probed even when DNS found a problem. Under enforce,
    // connectableAddresses() leaves only the addresses inside --expect-cidr, so nothing else is ever dialled.
    async run(ctx) {
      const report = spec.endpoint(ctx.state);
      if (!report) return { result: 'skipped', detail: `${spec.dnsCheck} did not resolve the name` };
      const port = ports.port(ctx);
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
  title: (port) => `DPS reachable on TCP ${port} (MQTT)`,
  dnsCheck: 'dps-dns',
  endpoint: (state) => state.dpsEndpoint,
  section: 'network',
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `dps-tcp-websocket`: TCP to DPS on 443 (MQTT over WebSockets, HTTPS). */
export const dpsTcpWebsocket = tcpCheck({
  id: 'dps-tcp-websocket',
  title: (port) => `DPS reachable on TCP ${port} (MQTT over WebSockets)`,
  dnsCheck: 'dps-dns',
  endpoint: (state) => state.dpsEndpoint,
  section: 'network',
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});

/** `hub-tcp-mqtt`: TCP to the assigned hub on 8883 (after --register). */
export const hubTcpMqtt = tcpCheck({
  id: 'hub-tcp-mqtt',
  title: (port) => `Assigned hub reachable on TCP ${port} (MQTT)`,
  dnsCheck: 'hub-dns',
  endpoint: (state) => state.hubEndpoint,
  section: 'hub',
  // hub-dns only runs after a registration and stores the verified hub addresses; when it reports an error (a public
  // or out-of-range hub, under any policy) this probe is skipped with that reason.
  dependsOn: ['hub-dns'],
  // The device talks to the hub over the same transport it used for DPS; the other port failing is a warning.
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `hub-tcp-websocket`: TCP to the assigned hub on 443 (MQTT over WebSockets; after --register). */
export const hubTcpWebsocket = tcpCheck({
  id: 'hub-tcp-websocket',
  title: (port) => `Assigned hub reachable on TCP ${port} (MQTT over WebSockets)`,
  dnsCheck: 'hub-dns',
  endpoint: (state) => state.hubEndpoint,
  section: 'hub',
  dependsOn: ['hub-dns'],
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});
