import { readFileSync } from 'node:fs';
import { diagnoseConnectionError } from '../connection/diagnose';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { inspectTls, type TlsInspection } from '../connection/probe';
import { CURRENT_AZURE_ROOTS, LEGACY_ROOT, legacyRootFinding } from '../connection/peer-chain';
import { worstOf } from './runner';
import { TCP_PORTS } from './tcp-reach';
import type { Check, CheckContext, TcpCheckId, TlsCheckId } from './types';

export { CURRENT_AZURE_ROOTS, LEGACY_ROOT };

/** The --ca file as PEM (read once per run; the CLI already checked it is readable). */
export function caOf(ctx: CheckContext): string | undefined {
  const file = ctx.config.caFile;
  if (!file) return undefined;
  ctx.state.caPem ??= readFileSync(file, 'utf8');
  return ctx.state.caPem;
}

/** The finding for a chain Node did not authorise (other than a name mismatch, which has its own). */
function authorizationFinding(r: TlsInspection, error: string, now: Date): Finding {
  const target = { host: r.servername, address: r.address, port: r.port, minVersion: 'TLSv1.2' as const };
  const f = diagnoseConnectionError(Object.assign(new Error(error), { code: error }), { ...target, secured: true });
  const where = { host: r.servername, address: r.address, port: r.port };
  if (f.code === 'TLS_SERVER_CERT_EXPIRED') {
    const leaf = r.chain?.[0];
    return createFinding('TLS_SERVER_CERT_EXPIRED', {
      ...where,
      now: now.toISOString(),
      detail: `${error}: valid ${leaf?.notBefore} to ${leaf?.notAfter}`,
    });
  }
  return f.code === 'TCP_UNREACHABLE' ? createFinding('TLS_UNTRUSTED_CHAIN', { ...where, detail: error }) : f;
}

/** Turns a probe result into findings: version, hostname, trust, expiry, legacy root. */
export function tlsFindings(r: TlsInspection, now: Date): Finding[] {
  const where = { host: r.servername, address: r.address, port: r.port };
  if (!r.ok) {
    const error = Object.assign(new Error(r.error ?? 'TLS handshake failed'), { code: r.errorCode });
    return [diagnoseConnectionError(error, { ...where, minVersion: 'TLSv1.2' })];
  }
  const findings: Finding[] = [];
  if (!r.hostnameMatch) {
    const sans = r.chain?.[0]?.subjectAltName ?? 'no subjectAltName';
    const detail = `${r.hostnameError ?? 'no match'} (certificate names: ${sans})`;
    findings.push(createFinding('TLS_HOSTNAME_MISMATCH', { ...where, detail }));
  }
  // Node reports a name mismatch as authorizationError too; it is already a TLS_HOSTNAME_MISMATCH above.
  if (r.authorizationError && r.authorizationError !== 'ERR_TLS_CERT_ALTNAME_INVALID')
    findings.push(authorizationFinding(r, r.authorizationError, now));
  // The same finding the device's own connection makes, from the same function.
  const legacy = legacyRootFinding(where.host, { root: r.root, remoteAddress: where.address, remotePort: where.port });
  if (legacy) findings.push(legacy);
  return findings;
}

/** The one line next to the title: protocol, cipher, name, root (or the handshake error). */
function tlsDetail(r: TlsInspection): string {
  const trust = r.authorized ? '' : ` (${r.authorizationError})`;
  const detail = r.ok
    ? `${r.protocol} ${r.cipher}, ${r.hostnameMatch ? 'name matches' : 'NAME MISMATCH'}, root "${r.root}"${trust}`
    : `${r.errorCode}: ${r.error}`;
  return r.root === LEGACY_ROOT ? `${detail}; chain ends at the retired ${LEGACY_ROOT}` : detail;
}

/** A TLS check of one port, on the first address the TCP check of that port reached. */
export function tlsCheck(spec: {
  id: TlsCheckId;
  /** The title, naming the port of its TCP check (the default one in --list). */
  title: (port: number) => string;
  tcpCheck: TcpCheckId;
  section: 'tls' | 'hub';
  host: (ctx: CheckContext) => string;
  httpPath?: string;
  inUse: (ctx: CheckContext) => boolean;
}): Check {
  const ports = TCP_PORTS[spec.tcpCheck];
  return {
    id: spec.id,
    title: spec.title(ports.default),
    titleFor: (ctx) => spec.title(ports.port(ctx)),
    section: spec.section,
    dependsOn: [spec.tcpCheck],
    // Needs only its port's TCP result: the handshakes on 8883 and 443 overlap.
    after: [],
    async run(ctx) {
      const tcp = ctx.state.tcp?.[spec.tcpCheck];
      const address = tcp?.reachable[0];
      if (!tcp || !address) return { result: 'skipped', detail: `no address answered on TCP (${spec.tcpCheck})` };
      const ca = caOf(ctx);
      const r = await inspectTls(address, tcp.port, spec.host(ctx), {
        timeoutMs: ctx.settings.timeoutMs,
        ...(ca ? { ca } : {}),
        ...(spec.httpPath ? { httpPath: spec.httpPath } : {}),
        ...(ctx.settings.connector ? { connector: ctx.settings.connector } : {}),
      });
      (ctx.state.tls ??= {})[spec.id] = r;
      let findings = tlsFindings(r, ctx.settings.now());
      // A failure on the port of the transport not in use is a warning: the device does not need that port.
      if (!spec.inUse(ctx))
        findings = findings.map((f) => (f.severity === 'error' ? { ...f, severity: 'warning' } : f));
      const evidence = {
        ...r,
        currentAzureRoots: CURRENT_AZURE_ROOTS,
        legacyRoot: r.root === LEGACY_ROOT,
        ...(ca ? { extraCa: ctx.config.caFile } : {}),
      };
      return { result: worstOf(findings), findings, evidence, detail: tlsDetail(r) };
    },
  };
}

/** `dps-tls-mqtt`: TLS on the MQTT port. */
export const dpsTlsMqtt = tlsCheck({
  id: 'dps-tls-mqtt',
  title: (port) => `DPS TLS on ${port}: TLS 1.2+, name, chain, root, expiry`,
  tcpCheck: 'dps-tcp-mqtt',
  section: 'tls',
  host: (ctx) => ctx.config.provisioningHost as string,
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `dps-tls-websocket`: TLS on the WebSocket/HTTPS port. */
export const dpsTlsWebsocket = tlsCheck({
  id: 'dps-tls-websocket',
  title: (port) => `DPS TLS on ${port}: TLS 1.2+, name, chain, root, expiry`,
  tcpCheck: 'dps-tcp-websocket',
  section: 'tls',
  host: (ctx) => ctx.config.provisioningHost as string,
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});

/** `hub-tls-mqtt`: TLS to the assigned hub on 8883 (after --register). */
export const hubTlsMqtt = tlsCheck({
  id: 'hub-tls-mqtt',
  title: (port) => `Assigned hub TLS on ${port}: TLS 1.2+, name, chain, root, expiry`,
  tcpCheck: 'hub-tcp-mqtt',
  section: 'hub',
  host: (ctx) => ctx.state.registration?.assignedHub ?? '',
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `hub-tls-websocket`: TLS to the assigned hub on 443 (after --register). */
export const hubTlsWebsocket = tlsCheck({
  id: 'hub-tls-websocket',
  title: (port) => `Assigned hub TLS on ${port}: TLS 1.2+, name, chain, root, expiry`,
  tcpCheck: 'hub-tcp-websocket',
  section: 'hub',
  host: (ctx) => ctx.state.registration?.assignedHub ?? '',
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});
