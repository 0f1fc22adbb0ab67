import { readFileSync } from 'node:fs';
import { diagnoseConnectionError } from '../connection/diagnose';
import { catalogue } from '../findings/catalogue';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { tlsProbe, type TlsProbeResult } from './probe';
import type { TcpState } from './tcp-reach';
import type { ProvisioningResult } from '../provision/types';
import { stateOf, type Check, type CheckContext } from './types';

/** Roots Azure DPS and IoT Hub chain to today. */
export const CURRENT_AZURE_ROOTS = ['DigiCert Global Root G2', 'Microsoft RSA Root CA 2017'];
/** Retired for Azure IoT in 2024; a device that only trusts it fails once the service certificate rolls. */
export const LEGACY_ROOT = 'Baltimore CyberTrust Root';

/** The --ca file as PEM (read once per run; the CLI already checked it is readable). */
export function caOf(ctx: CheckContext): string | undefined {
  const file = ctx.config.caFile;
  if (!file) return undefined;
  const cached = ctx.state.get('ca-pem');
  if (typeof cached === 'string') return cached;
  const pem = readFileSync(file, 'utf8');
  ctx.state.set('ca-pem', pem);
  return pem;
}

/** Turns a probe result into findings: version, hostname, trust, expiry, legacy root. */
export function tlsFindings(r: TlsProbeResult, now: Date): Finding[] {
  const target = { host: r.servername, address: r.address, port: r.port, minVersion: 'TLSv1.2' as const };
  if (!r.ok) return [diagnoseConnectionError(Object.assign(new Error(r.error ?? 'TLS handshake failed'), { code: r.errorCode }), target)];
  const findings: Finding[] = [];
  if (!r.hostnameMatch) {
    const sans = r.chain?.[0]?.subjectAltName ?? 'no subjectAltName';
    findings.push(createFinding('TLS_HOSTNAME_MISMATCH', { host: r.servername, address: r.address, port: r.port, detail: `${r.hostnameError ?? 'no match'} (certificate names: ${sans})` }));
  }
  // Node reports a name mismatch as authorizationError too; it is already a TLS_HOSTNAME_MISMATCH above.
  if (r.authorizationError && r.authorizationError !== 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const f = diagnoseConnectionError(Object.assign(new Error(r.authorizationError), { code: r.authorizationError }), { ...target, secured: true });
    if (f.code === 'TLS_SERVER_CERT_EXPIRED') {
      const leaf = r.chain?.[0];
      findings.push(createFinding('TLS_SERVER_CERT_EXPIRED', { host: r.servername, address: r.address, port: r.port, now: now.toISOString(), detail: `${r.authorizationError}: valid ${leaf?.notBefore} to ${leaf?.notAfter}` }));
    } else {
      findings.push(f.code === 'TCP_UNREACHABLE' ? createFinding('TLS_UNTRUSTED_CHAIN', { host: r.servername, address: r.address, port: r.port, detail: r.authorizationError }) : f);
    }
  }
  if (r.root === LEGACY_ROOT && 'TLS_LEGACY_ROOT' in catalogue) {
    const spec = (catalogue as Record<string, { severity: Finding['severity']; message: (e: object) => string; remediation: (e: object) => string }>)['TLS_LEGACY_ROOT'];
    const evidence = { host: r.servername, address: r.address, port: r.port, root: r.root };
    if (spec) findings.push({ code: 'TLS_LEGACY_ROOT', severity: spec.severity, message: spec.message(evidence), remediation: spec.remediation(evidence), evidence });
  }
  return findings;
}

/** A TLS check of one port, on the first address the TCP check of that port reached. */
export function tlsCheck(spec: { id: string; title: string; tcpCheck: string; section: 'tls' | 'hub'; host: (ctx: CheckContext) => string; httpPath?: string; inUse: (ctx: CheckContext) => boolean }): Check {
  return {
    id: spec.id,
    title: spec.title,
    section: spec.section,
    dependsOn: [spec.tcpCheck],
    async run(ctx) {
      const tcp = stateOf<TcpState>(ctx, spec.tcpCheck);
      const address = tcp?.reachable[0];
      if (!tcp || !address) return { result: 'skipped', detail: `no address answered on TCP (${spec.tcpCheck})` };
      const ca = caOf(ctx);
      const r = await tlsProbe(address, tcp.port, spec.host(ctx), { timeoutMs: ctx.settings.timeoutMs, ...(ca ? { ca } : {}), ...(spec.httpPath ? { httpPath: spec.httpPath } : {}) });
      ctx.state.set(spec.id, r);
      let findings = tlsFindings(r, ctx.settings.now());
      if (!spec.inUse(ctx)) findings = findings.map((f) => (f.severity === 'error' ? { ...f, severity: 'warning' } : f));
      const legacy = r.root === LEGACY_ROOT;
      const evidence = { ...r, currentAzureRoots: CURRENT_AZURE_ROOTS, legacyRoot: legacy, ...(ca ? { extraCa: ctx.config.caFile } : {}) };
      const detail = r.ok
        ? `${r.protocol} ${r.cipher}, ${r.hostnameMatch ? 'name matches' : 'NAME MISMATCH'}, root "${r.root}"${r.authorized ? '' : ` (${r.authorizationError})`}`
        : `${r.errorCode}: ${r.error}`;
      if (legacy && !findings.some((f) => f.code === 'TLS_LEGACY_ROOT')) {
        return { result: findings.some((f) => f.severity === 'error') ? 'error' : 'warning', findings, evidence, detail: `${detail}; chain ends at the retired ${LEGACY_ROOT}` };
      }
      return { findings, evidence, detail };
    },
  };
}

/** `dps-tls-mqtt`: TLS on the MQTT port. */
export const dpsTlsMqtt = tlsCheck({
  id: 'dps-tls-mqtt',
  title: 'DPS TLS on 8883: TLS 1.2+, name, chain, root, expiry',
  tcpCheck: 'dps-tcp-mqtt',
  section: 'tls',
  host: (ctx) => ctx.config.provisioningHost as string,
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `dps-tls-websocket`: TLS on the WebSocket/HTTPS port. */
export const dpsTlsWebsocket = tlsCheck({
  id: 'dps-tls-websocket',
  title: 'DPS TLS on 443: TLS 1.2+, name, chain, root, expiry',
  tcpCheck: 'dps-tcp-websocket',
  section: 'tls',
  host: (ctx) => ctx.config.provisioningHost as string,
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});

/** `hub-tls-mqtt`: TLS to the assigned hub on 8883 (after --register). */
export const hubTlsMqtt = tlsCheck({
  id: 'hub-tls-mqtt',
  title: 'Assigned hub TLS on 8883: TLS 1.2+, name, chain, root, expiry',
  tcpCheck: 'hub-tcp-mqtt',
  section: 'hub',
  host: (ctx) => stateOf<ProvisioningResult>(ctx, 'dps-register')?.assignedHub ?? '',
  inUse: () => true,
});
