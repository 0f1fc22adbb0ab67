import { readFileSync } from 'node:fs';
import { diagnoseConnectionError } from '../connection/diagnose';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { inspectTls, type TlsInspection } from '../connection/probe';
import { CURRENT_AZURE_ROOTS, LEGACY_ROOT } from '../connection/peer-chain';
import type { Check, CheckContext, TcpCheckId, TlsCheckId } from './types';

export { CURRENT_AZURE_ROOTS, LEGACY_ROOT };

/** The --ca file as PEM (read once per run; the CLI already checked it is readable). */
export function caOf(ctx: CheckContext): string | undefined {
  const file = ctx.config.caFile;
  if (!file) return undefined;
  ctx.state.caPem ??= readFileSync(file, 'utf8');
  return ctx.state.caPem;
}

/** Turns a probe result into findings: version, hostname, trust, expiry, legacy root. */
export function tlsFindings(r: TlsInspection, now: Date): Finding[] {
  const target = { host: r.servername, address: r.address, port: r.port, minVersion: 'TLSv1.2' as const };
  if (!r.ok)
    return [
      diagnoseConnectionError(
        Object.assign(new Error(r.error ?? 'TLS handshake failed'), { code: r.errorCode }),
        target,
      ),
    ];
  const findings: Finding[] = [];
  if (!r.hostnameMatch) {
    const sans = r.chain?.[0]?.subjectAltName ?? 'no subjectAltName';
    findings.push(
      createFinding('TLS_HOSTNAME_MISMATCH', {
        host: r.servername,
        address: r.address,
        port: r.port,
        detail: `${r.hostnameError ?? 'no match'} (certificate names: ${sans})`,
      }),
    );
  }
  // Node reports a name mismatch as authorizationError too; it is already a TLS_HOSTNAME_MISMATCH above.
  if (r.authorizationError && r.authorizationError !== 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const f = diagnoseConnectionError(Object.assign(new Error(r.authorizationError), { code: r.authorizationError }), {
      ...target,
      secured: true,
    });
    if (f.code === 'TLS_SERVER_CERT_EXPIRED') {
      const leaf = r.chain?.[0];
      findings.push(
        createFinding('TLS_SERVER_CERT_EXPIRED', {
          host: r.servername,
          address: r.address,
          port: r.port,
          now: now.toISOString(),
          detail: `${r.authorizationError}: valid ${leaf?.notBefore} to ${leaf?.notAfter}`,
        }),
      );
    } else {
      findings.push(
        f.code === 'TCP_UNREACHABLE'
          ? createFinding('TLS_UNTRUSTED_CHAIN', {
              host: r.servername,
              address: r.address,
              port: r.port,
              detail: r.authorizationError,
            })
          : f,
      );
    }
  }
  if (r.root === LEGACY_ROOT)
    findings.push(
      createFinding('TLS_LEGACY_ROOT', { host: r.servername, address: r.address, port: r.port, root: r.root }),
    );
  return findings;
}

/** A TLS check of one port, on the first address the TCP check of that port reached. */
export function tlsCheck(spec: {
  id: TlsCheckId;
  title: string;
  tcpCheck: TcpCheckId;
  section: 'tls' | 'hub';
  host: (ctx: CheckContext) => string;
  httpPath?: string;
  inUse: (ctx: CheckContext) => boolean;
}): Check {
  return {
    id: spec.id,
    title: spec.title,
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
      });
      (ctx.state.tls ??= {})[spec.id] = r;
      let findings = tlsFindings(r, ctx.settings.now());
      if (!spec.inUse(ctx))
        findings = findings.map((f) => (f.severity === 'error' ? { ...f, severity: 'warning' } : f));
      const legacy = r.root === LEGACY_ROOT;
      const evidence = {
        ...r,
        currentAzureRoots: CURRENT_AZURE_ROOTS,
        legacyRoot: legacy,
        ...(ca ? { extraCa: ctx.config.caFile } : {}),
      };
      const detail = r.ok
        ? `${r.protocol} ${r.cipher}, ${r.hostnameMatch ? 'name matches' : 'NAME MISMATCH'}, root "${r.root}"${r.authorized ? '' : ` (${r.authorizationError})`}`
        : `${r.errorCode}: ${r.error}`;
      const result = findings.some((f) => f.severity === 'error')
        ? 'error'
        : findings.some((f) => f.severity === 'warning')
          ? 'warning'
          : 'ok';
      return {
        result,
        findings,
        evidence,
        detail: legacy ? `${detail}; chain ends at the retired ${LEGACY_ROOT}` : detail,
      };
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
  host: (ctx) => ctx.state.registration?.assignedHub ?? '',
  inUse: (ctx) => ctx.config.transport === 'mqtt',
});

/** `hub-tls-websocket`: TLS to the assigned hub on 443 (after --register). */
export const hubTlsWebsocket = tlsCheck({
  id: 'hub-tls-websocket',
  title: 'Assigned hub TLS on 443: TLS 1.2+, name, chain, root, expiry',
  tcpCheck: 'hub-tcp-websocket',
  section: 'hub',
  host: (ctx) => ctx.state.registration?.assignedHub ?? '',
  inUse: (ctx) => ctx.config.transport === 'mqtt-ws',
});
