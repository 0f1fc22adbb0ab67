import { connectableAddresses } from '../endpoint/verify';
import type { Finding } from '../findings/types';
import type { DeviceAuth, ProvisionOptions, ProvisioningResult } from '../provision/types';
import { caOf } from './tls-handshake';
import type { Check, CheckContext, CheckOutcome, TcpCheckId } from './types';

function authOf(ctx: CheckContext): DeviceAuth {
  const id = ctx.identity;
  if (id?.key) {
    // The key is already decrypted (the passphrase was checked at the door); PKCS#8 PEM is what the TLS stack takes.
    return { cert: id.certPem, key: id.key.export({ type: 'pkcs8', format: 'pem' }) as string };
  }
  return { symmetricKey: ctx.loaded.symmetricKey as string };
}

/**
 * The findings worth showing for a failed registration: its own (DPS_*), else the primary one it failed with
 * (a DNS, TLS or HUB_* finding that the earlier checks may not have seen the same way).
 */
function ownFindings(findings: readonly Finding[]): Finding[] {
  const own = findings.filter((f) => f.code.startsWith('DPS_'));
  return own.length ? own : findings.slice(0, 1);
}

/**
 * The registration's whole deadline: a registration is several network steps (DNS, TCP, TLS, CONNECT, register,
 * polls), so it gets four of --timeout-ms, never under 10 s. The --help text and the check's evidence say so.
 */
export function registrationTimeoutMs(stepTimeoutMs: number): number {
  return Math.max(stepTimeoutMs * 4, 10_000);
}

/** The TCP check of the port the registration would use. */
function tcpCheckOf(ctx: CheckContext): TcpCheckId {
  return ctx.config.transport === 'mqtt-ws' ? 'dps-tcp-websocket' : 'dps-tcp-mqtt';
}

/**
 * Why a registration cannot get anywhere, from what the earlier checks found (undefined: try it). Running it anyway
 * only waits for its own deadline and reports the same cause a second time.
 */
function blockedBy(ctx: CheckContext): string | undefined {
  const dns = ctx.state.dpsEndpoint;
  if (dns && connectableAddresses(dns, ctx.config.policy).length === 0) {
    return `no address a registration may use under --policy ${ctx.config.policy} (dps-dns: ${dns.verdict})`;
  }
  const id = tcpCheckOf(ctx);
  const tcp = ctx.state.tcp?.[id];
  if (tcp && tcp.reachable.length === 0) {
    return `not tried: ${id} reached no address on port ${tcp.port}, so a registration could only time out`;
  }
  return undefined;
}

/** provisionDevice's options for this run: the configured device, network and policy, a bounded retry. */
function registrationOptions(ctx: CheckContext): ProvisionOptions {
  const { config } = ctx;
  const ca = caOf(ctx);
  return {
    provisioningHost: config.provisioningHost as string,
    idScope: config.idScope as string,
    registrationId: config.registrationId as string,
    auth: authOf(ctx),
    network: {
      expectedCidrs: config.expectedCidrs,
      policy: config.policy,
      ...(config.dnsServers.length ? { dnsServers: config.dnsServers } : {}),
    },
    transport: config.transport,
    ...(ca ? { tls: { ca } } : {}),
    ...(config.proxy ? { proxy: config.proxy } : {}),
    timeoutMs: registrationTimeoutMs(ctx.settings.timeoutMs),
    retry: { maxAttempts: 2 },
    port: config.port,
    wsPort: config.wsPort,
    ...(ctx.settings.signal ? { signal: ctx.settings.signal } : {}),
    ...(ctx.settings.connector ? { connector: ctx.settings.connector } : {}),
  };
}

/**
 * What a fresh registration says about the cached assignment: nothing when there is none or it agrees; else that the
 * cache is stale (DPS now assigns another hub or device id), which is the cache's problem, not DPS's.
 */
function cacheVerdict(ctx: CheckContext, result: ProvisioningResult): string | undefined {
  const cached = ctx.state.cachedAssignment;
  if (!cached) return undefined;
  if (cached.assignedHub.toLowerCase() === result.assignedHub.toLowerCase() && cached.deviceId === result.deviceId)
    return undefined;
  return `the cache is stale: it names ${cached.assignedHub} as ${cached.deviceId}`;
}

function registered(result: ProvisioningResult, started: number, timeoutMs: number, stale?: string): CheckOutcome {
  const evidence = {
    registrationId: result.registrationId,
    assignedHub: result.assignedHub,
    deviceId: result.deviceId,
    transport: result.transport,
    tls: result.tls,
    dpsAddresses: result.dps.addresses.map((a) => a.address),
    durationMs: Math.round(performance.now() - started),
    timeoutMs,
    ...(stale ? { cache: stale } : {}),
  };
  return {
    ...(stale ? { result: 'warning' as const } : {}),
    findings: result.findings.filter((f) => f.code.startsWith('DPS_')),
    evidence,
    detail: `assigned to ${result.assignedHub} as ${result.deviceId} (${result.tls.protocol})${stale ? `; ${stale}` : ''}`,
  };
}

function refused(err: unknown, started: number, timeoutMs: number): CheckOutcome {
  const e = err as { code?: string; message?: string; findings?: Finding[]; step?: string };
  return {
    result: 'error',
    findings: ownFindings(e.findings ?? []),
    evidence: {
      code: e.code ?? null,
      step: e.step ?? null,
      durationMs: Math.round(performance.now() - started),
      timeoutMs,
    },
    detail: `${e.code ?? 'failed'}${e.step ? ` while ${e.step}` : ''}`,
  };
}

/**
 * `dps-register` (with --register): a real registration through provisionDevice — the same pinned, policy-checked
 * path the device's firmware would take — and the hub DPS assigns.
 */
export const dpsRegister: Check = {
  id: 'dps-register',
  title: 'Registration with DPS succeeds (--register)',
  section: 'provisioning',
  async run(ctx) {
    if (!ctx.settings.register) return { result: 'skipped', detail: 'pass --register to run a real registration' };
    const blocked = blockedBy(ctx);
    if (blocked) return { result: 'skipped', detail: blocked };
    const timeoutMs = registrationTimeoutMs(ctx.settings.timeoutMs);
    const started = performance.now();
    try {
      // Loaded on demand: the Azure SDK behind provisionDevice doubles dps-check's start-up time, and only --register
      // needs it.
      const { provisionDevice } = require('../provision/provision') as typeof import('../provision/provision');
      const result = await provisionDevice(registrationOptions(ctx));
      ctx.state.registration = result;
      return registered(result, started, timeoutMs, cacheVerdict(ctx, result));
    } catch (err) {
      return refused(err, started, timeoutMs);
    }
  },
};
