import { connectableAddresses } from '../endpoint/verify';
import type { Finding } from '../findings/types';
import type { CacheRecord } from '../provision/cache';
import type { ProvisionOptions, ProvisioningResult } from '../provision/types';
import { tryCachedIdentity, type CachedIdentity } from './cached-identity';
import { authOf, registrationTimeoutMs } from './registration';
import { caOf } from './tls-handshake';
import type { Check, CheckContext, CheckOutcome, TcpCheckId } from './types';

/**
 * The findings worth showing for a failed registration: its own (DPS_*), else the primary one it failed with
 * (a DNS, TLS or HUB_* finding that the earlier checks may not have seen the same way).
 */
function ownFindings(findings: readonly Finding[]): Finding[] {
  const own = findings.filter((f) => f.code.startsWith('DPS_'));
  return own.length ? own : findings.slice(0, 1);
}

/**
 * The findings a successful registration shows: its own (DPS_*), and PROXY_IN_PATH, which only the registration sees
 * (the probes before it dial directly) and which says the proxy's DNS, not the device's, chose the address.
 */
function ownOnSuccess(f: Finding): boolean {
  return f.code.startsWith('DPS_') || f.code === 'PROXY_IN_PATH';
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

/** What the cached identity's try says, for the detail; `stale` turns an ok registration into a warning. */
interface CacheNote {
  text: string;
  stale: boolean;
  evidence: { cachedIdentity: CachedIdentity['kind']; code?: string };
}

function sameAssignment(cached: CacheRecord, result: ProvisioningResult): boolean {
  return cached.assignedHub.toLowerCase() === result.assignedHub.toLowerCase() && cached.deviceId === result.deviceId;
}

/**
 * What the cached identity's try on the cached hub, next to the fresh registration (undefined: it failed or was not
 * run), says about the cache: stale (the hub refuses the cached identity, or DPS now assigns another), fine (the hub
 * lets it in, so a failing DPS is DPS's problem), or not known (the cached hub could not be asked).
 */
function cacheNote(
  ctx: CheckContext,
  tried: CachedIdentity | undefined,
  result?: ProvisioningResult,
): CacheNote | undefined {
  const cached = ctx.state.cachedAssignment;
  if (!cached || !tried) return undefined;
  const names = `${cached.assignedHub} as ${cached.deviceId}`;
  const fix = `delete ${ctx.config.cacheFile} and the device app registers with DPS again on its next start`;
  const evidence = { cachedIdentity: tried.kind, ...(tried.kind === 'accepted' ? {} : { code: tried.code }) };
  if (tried.kind === 'refused') {
    const dps = result ? 'while DPS registers the device' : 'and DPS fails too (above)';
    return {
      text: `the cache is stale: it names ${names}, that hub refused the identity (${tried.code}) ${dps}; ${fix}`,
      stale: true,
      evidence,
    };
  }
  if (tried.kind === 'unknown') {
    return { text: `the cached identity (${names}) could not be tried: ${tried.code}`, stale: !!result, evidence };
  }
  if (!result) {
    return {
      text: `a DPS problem, the cache is fine: ${names} connects, so the device keeps working from its cache until it must register again`,
      stale: false,
      evidence,
    };
  }
  if (sameAssignment(cached, result)) return { text: `the cached identity ${names} connects`, stale: false, evidence };
  return {
    text: `the cache is stale: it names ${names}, DPS now assigns ${result.assignedHub} as ${result.deviceId}; ${fix}`,
    stale: true,
    evidence,
  };
}

function registered(result: ProvisioningResult, started: number, timeoutMs: number, note?: CacheNote): CheckOutcome {
  const evidence = {
    registrationId: result.registrationId,
    assignedHub: result.assignedHub,
    deviceId: result.deviceId,
    transport: result.transport,
    tls: result.tls,
    dpsAddresses: result.dps.addresses.map((a) => a.address),
    durationMs: Math.round(performance.now() - started),
    timeoutMs,
    ...(note ? { cache: note.text, ...note.evidence } : {}),
  };
  return {
    ...(note?.stale ? { result: 'warning' as const } : {}),
    findings: result.findings.filter(ownOnSuccess),
    evidence,
    detail: `assigned to ${result.assignedHub} as ${result.deviceId} (${result.tls.protocol})${note ? `; ${note.text}` : ''}`,
  };
}

function refused(err: unknown, started: number, timeoutMs: number, note?: CacheNote): CheckOutcome {
  const e = err as { code?: string; message?: string; findings?: Finding[]; step?: string };
  return {
    result: 'error',
    findings: ownFindings(e.findings ?? []),
    evidence: {
      code: e.code ?? null,
      step: e.step ?? null,
      durationMs: Math.round(performance.now() - started),
      timeoutMs,
      ...(note ? { cache: note.text, ...note.evidence } : {}),
    },
    detail: `${e.code ?? 'failed'}${e.step ? ` while ${e.step}` : ''}${note ? `; ${note.text}` : ''}`,
  };
}

/** Skipped (DPS cannot be reached), with what the cached identity's try says: whether the device still connects. */
async function blockedOutcome(ctx: CheckContext, blocked: string): Promise<CheckOutcome> {
  const note = cacheNote(ctx, await tryCachedIdentity(ctx));
  return {
    result: 'skipped',
    ...(note ? { evidence: { cache: note.text, ...note.evidence } } : {}),
    detail: note ? `${blocked}; ${note.text}` : blocked,
  };
}

/**
 * `dps-register` (with --register): a real registration through provisionDevice — the same pinned, policy-checked
 * path the device's firmware would take — and the hub DPS assigns. With a usable cached assignment (dps-cache), the
 * cached identity is also tried on the cached hub: that tells a stale cache from a DPS problem.
 */
export const dpsRegister: Check = {
  id: 'dps-register',
  title: 'Registration with DPS succeeds (--register)',
  section: 'provisioning',
  async run(ctx) {
    if (!ctx.settings.register) return { result: 'skipped', detail: 'pass --register to run a real registration' };
    const blocked = blockedBy(ctx);
    if (blocked) return blockedOutcome(ctx, blocked);
    const timeoutMs = registrationTimeoutMs(ctx.settings.timeoutMs);
    const started = performance.now();
    try {
      // Loaded on demand: the Azure SDK behind provisionDevice doubles dps-check's start-up time, and only --register
      // needs it.
      const { provisionDevice } = require('../provision/provision') as typeof import('../provision/provision');
      const result = await provisionDevice(registrationOptions(ctx));
      ctx.state.registration = result;
      return registered(result, started, timeoutMs, cacheNote(ctx, await tryCachedIdentity(ctx), result));
    } catch (err) {
      return refused(err, started, timeoutMs, cacheNote(ctx, await tryCachedIdentity(ctx)));
    }
  },
};
