import { performance } from 'node:perf_hooks';
import { legacyRootFinding } from '../connection/peer-chain';
import { ConnectionSession } from '../connection/session';
import { isInCidrs } from '../endpoint/address';
import { connectableAddresses, verifyEndpoint } from '../endpoint/verify';
import type { EndpointReport } from '../endpoint/types';
import { AbortedError, DpsPrivateLinkError } from '../errors';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { verifyAssignedHub } from '../endpoint/verify-hub';
import { logger } from '../log';
import { credentialFingerprint, readCache, writeCache, type CacheRecord } from './cache';
import { Deadline, type StopReason } from './deadline';
import { ProvisioningError } from './errors';
import { resolveProvisionOptions, type ResolvedProvisionOptions } from './options';
import { parseResponseTopic, RegistrationFailure, runRegistration } from './register';
import { createDpsTransport, type DpsTransport } from './sdk-transport';
import type { ProgressStep, ProvisionOptions, ProvisioningResult } from './types';

const log = logger('provision');

/**
 * Provisions a device through DPS over its private endpoint, and says why when that is not what happens.
 *
 * 1. verifies the DPS name (DNS only) against `network.expectedCidrs`; under `enforce` (default) nothing outside the
 *    ranges is ever dialled — the call fails with the DNS finding before any packet leaves;
 * 2. connects the SDK's own MQTT / MQTT-WS transport through a connection pinned to the verified addresses (no second
 *    DNS lookup), with TLS >= 1.2 enforced on the live socket and the DNS name kept for SNI and certificate checks;
 * 3. registers (X.509 or symmetric key) with one overall deadline, bounded retries honouring retry-after, and
 *    every failure mapped to a finding (401 from a public address ⇒ DPS_UNAUTHORIZED_PUBLIC, …);
 * 4. verifies the assigned hub's name the same way (HUB_* findings) and, with `cache.path`, persists the assignment.
 *
 * Rejects with {@link ProvisioningError} (`code` = primary finding), {@link InvalidOptionError} for bad options, or
 * {@link AbortedError} when `signal` fires. Never leaves a socket or timer behind.
 *
 * @example
 * const result = await provisionDevice({
 *   provisioningHost: 'my-dps.azure-devices-provisioning.net', idScope: '0ne00000A1B', registrationId: 'dev-1',
 *   auth: { cert, key }, network: { expectedCidrs: ['10.1.0.0/16'], dnsServers: ['10.1.0.4'] } });
 */
export async function provisionDevice(options: ProvisionOptions): Promise<ProvisioningResult> {
  const o = resolveProvisionOptions(options);
  // Before any packet: DPS would only refuse this at the TLS handshake, where it looks like a network fault.
  if (o.keyMismatch) throw new ProvisioningError(o.keyMismatch, { step: 'credentials' });
  const started = performance.now();
  const progress = (step: ProgressStep, detail: Record<string, unknown>): void => {
    log('%s %o', step, detail);
    try {
      o.onProgress?.({ step, elapsedMs: Math.round(performance.now() - started), detail });
    } catch {
      // A failing progress callback must not break provisioning.
    }
  };
  const deadline = new Deadline(o.timeoutMs, o.signal);
  let session: ConnectionSession | undefined;
  let transport: DpsTransport | undefined;
  let dps: EndpointReport | undefined;
  let ok = false;
  try {
    const credential = credentialFingerprint(o.auth);
    const extra: Finding[] = [];
    if (o.cachePath && !o.forceReprovision) {
      const read = await deadline.race(
        readCache(o.cachePath, {
          provisioningHost: o.host,
          idScope: o.idScope,
          registrationId: o.registrationId,
          credential,
        }),
      );
      if (read.kind === 'hit') {
        const result = await fromCache(o, read.record, deadline, progress);
        ok = true;
        return result;
      }
      if (read.kind === 'corrupt')
        extra.push(createFinding('DPS_CACHE_CORRUPT', { path: o.cachePath, detail: read.detail }));
      log('cache miss: %s', read.kind === 'miss' ? read.reason : read.detail);
    }

    progress('resolving', { host: o.host, dnsServers: o.networkInput.dnsServers ?? ['system'] });
    deadline.step = 'resolving';
    dps = await deadline.race(verifyEndpoint(o.host, o.networkInput, { role: 'dps', signal: deadline.signal }));
    const report = dps;
    const addresses = connectableAddresses(report, o.network.policy).map((a) => a.address);
    const findings: Finding[] = [...report.findings, ...extra];
    if (addresses.length === 0) {
      // Nothing we may dial: under enforce this is the refusal before any packet; otherwise the name did not resolve.
      const primary =
        report.findings.find((f) => f.severity === 'error') ??
        report.findings[0] ??
        createFinding('TCP_UNREACHABLE', { host: o.host, detail: 'no address to connect to' });
      throw new ProvisioningError(primary, { findings, step: 'resolving', dps: report });
    }
    progress('verified', { host: o.host, verdict: report.verdict, addresses, policy: o.network.policy });

    if (o.proxy) {
      const proxyInRange = isInCidrs(o.proxy.address, o.network.cidrs);
      const severity = o.network.policy === 'enforce' && !proxyInRange ? 'error' : 'warning';
      const finding = createFinding(
        'PROXY_IN_PATH',
        { host: o.host, proxy: `${o.proxy.address}:${o.proxy.port}`, proxyInRange },
        { severity },
      );
      findings.push(finding);
      if (severity === 'error') throw new ProvisioningError(finding, { findings, step: 'connecting', dps: report });
    }

    let tls: { protocol: string; cipher: string } | undefined;
    session = new ConnectionSession(
      {
        host: o.host,
        addresses,
        port: o.transport === 'mqtt' ? o.port : o.wsPort,
        minVersion: o.minVersion,
        ...(o.ca !== undefined ? { ca: o.ca } : {}),
        ...(o.proxy ? { proxy: o.proxy } : {}),
      },
      {
        onAttempt: () => {
          deadline.step = 'connecting';
          progress('connecting', {
            host: o.host,
            addresses,
            port: o.transport === 'mqtt' ? o.port : o.wsPort,
            transport: o.transport,
            ...(o.proxy ? { proxy: `${o.proxy.address}:${o.proxy.port}` } : {}),
          });
        },
        onSecure: (info) => {
          deadline.step = 'tls';
          tls = { protocol: info.protocol, cipher: info.cipher };
          const legacy = legacyRootFinding(o.host, info);
          if (legacy && !findings.some((f) => f.code === legacy.code)) findings.push(legacy);
          progress('tls', { protocol: info.protocol, cipher: info.cipher, remoteAddress: info.remoteAddress });
        },
      },
    );
    const last: { status?: number; retryAfterSeconds?: number } = {};
    transport = await createDpsTransport(
      session,
      o.transport,
      o.auth,
      { registrationId: o.registrationId, idScope: o.idScope },
      {
        tap: (topic, payload) => {
          const response = parseResponseTopic(topic);
          if (response) Object.assign(last, response);
          try {
            // The SDK JSON.parses every response unguarded (an exception there would be uncaught): check first.
            JSON.parse(payload.toString('ascii'));
            return true;
          } catch {
            const finding = createFinding('DPS_MALFORMED_RESPONSE', {
              host: o.host,
              topic,
              excerpt: payload.subarray(0, 40).toString('latin1'),
            });
            deadline.stop({ kind: 'failed', error: new RegistrationFailure(finding, undefined) });
            return false;
          }
        },
        onConnack: () => {
          deadline.step = 'registering';
          progress('registering', { registrationId: o.registrationId, idScope: o.idScope });
        },
      },
    );
    const assignment = await runRegistration({
      transport,
      session,
      deadline,
      dps: report,
      retry: o.retry,
      last,
      request: {
        registrationId: o.registrationId,
        provisioningHost: o.host,
        idScope: o.idScope,
        ...(o.payload !== undefined ? { payload: o.payload as Record<string, unknown> } : {}),
      },
    });
    progress('assigned', { assignedHub: assignment.assignedHub, deviceId: assignment.deviceId });
    await closeTransport(transport, session, true);
    transport = undefined;

    deadline.step = 'verifying hub';
    const hub = await deadline.race(
      verifyAssignedHub(assignment.assignedHub, o.host, o.networkInput, { signal: deadline.signal }),
    );
    progress('hub-verified', {
      hub: hub.report.host,
      verdict: hub.report.verdict,
      addresses: hub.report.addresses.map((a) => a.address),
    });
    const result: ProvisioningResult = {
      assignedHub: assignment.assignedHub,
      deviceId: assignment.deviceId,
      registrationId: o.registrationId,
      fromCache: false,
      dps: report,
      hub: hub.report,
      tls: tls ?? { protocol: 'unknown', cipher: 'unknown' },
      findings: [...findings, ...hub.findings],
      ...(assignment.payload !== undefined ? { payload: assignment.payload } : {}),
      provisionedAt: new Date().toISOString(),
      transport: o.transport,
    };
    if (o.cachePath) {
      try {
        await deadline.race(writeCache(o.cachePath, toRecord(o, result, credential)));
      } catch (err) {
        // DPS has assigned the device: losing that over a cache file would be worse than registering again next time.
        if (deadline.stopped?.kind === 'aborted') throw err;
        const detail = isStopReason(err) ? `stopped: ${err.kind}` : ((err as Error)?.message ?? String(err));
        result.findings.push(createFinding('DPS_CACHE_WRITE_FAILED', { path: o.cachePath, detail }));
      }
    }
    ok = true;
    return result;
  } catch (err) {
    throw toError(err, deadline, o, dps);
  } finally {
    deadline.dispose();
    if (transport || session) await closeTransport(transport, session, ok);
  }
}

async function fromCache(
  o: ResolvedProvisionOptions,
  record: CacheRecord,
  deadline: Deadline,
  progress: (step: ProgressStep, detail: Record<string, unknown>) => void,
): Promise<ProvisioningResult> {
  // DNS only: the cached assignment is used without contacting DPS, but both names are still checked.
  progress('resolving', { host: o.host, fromCache: true });
  const dps = await deadline.race(verifyEndpoint(o.host, o.networkInput, { role: 'dps', signal: deadline.signal }));
  progress('verified', { host: o.host, verdict: dps.verdict, fromCache: true });
  progress('assigned', { assignedHub: record.assignedHub, deviceId: record.deviceId, fromCache: true });
  const hub = await deadline.race(
    verifyAssignedHub(record.assignedHub, o.host, o.networkInput, { signal: deadline.signal }),
  );
  progress('hub-verified', {
    hub: hub.report.host,
    verdict: hub.report.verdict,
    addresses: hub.report.addresses.map((a) => a.address),
  });
  return {
    assignedHub: record.assignedHub,
    deviceId: record.deviceId,
    registrationId: record.registrationId,
    fromCache: true,
    dps,
    hub: hub.report,
    tls: record.tls,
    findings: [...dps.findings, ...hub.findings],
    ...(record.payload !== undefined ? { payload: record.payload } : {}),
    provisionedAt: record.provisionedAt,
    // What the caller asks for now: the hub client reuses it, and the cache records an assignment, not a transport.
    transport: o.transport,
  };
}

function toRecord(o: ResolvedProvisionOptions, r: ProvisioningResult, credential: string): CacheRecord {
  return {
    version: 1,
    provisioningHost: o.host,
    idScope: o.idScope,
    registrationId: r.registrationId,
    assignedHub: r.assignedHub,
    deviceId: r.deviceId,
    provisionedAt: r.provisionedAt,
    credential,
    tls: r.tls,
    transport: r.transport,
    ...(r.payload !== undefined ? { payload: r.payload } : {}),
  };
}

/**
 * Closes the SDK transport and every socket. Graceful (after success): MQTT DISCONNECT first, capped at 1 s. After a
 * failure the sockets go first: a graceful unsubscribe on a hung or refused connection would wait for nothing.
 */
async function closeTransport(
  transport: DpsTransport | undefined,
  session: ConnectionSession | undefined,
  graceful: boolean,
): Promise<void> {
  if (!graceful) {
    transport?.cancel(() => undefined);
    session?.close();
    // Still let the SDK's state machines reach "disconnected" (that clears their timers); nothing to wait for.
    transport?.disconnect(() => undefined);
    return;
  }
  if (transport) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => transport.disconnect(() => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
  }
  session?.close();
}

function isStopReason(x: unknown): x is StopReason {
  return (
    !!x && typeof x === 'object' && 'kind' in x && ['timeout', 'aborted', 'failed'].includes((x as StopReason).kind)
  );
}

/** Maps whatever stopped the run to our error types, with the DNS findings as context. */
function toError(
  err: unknown,
  deadline: Deadline,
  o: ResolvedProvisionOptions,
  dps: EndpointReport | undefined,
): Error {
  const context = dps?.findings ?? [];
  const stop = deadline.stopped ?? (isStopReason(err) ? err : undefined);
  if (stop?.kind === 'timeout') {
    const finding = createFinding('DPS_TIMEOUT', { host: o.host, step: deadline.step, timeoutMs: o.timeoutMs });
    return new ProvisioningError(finding, {
      findings: [finding, ...context],
      step: deadline.step,
      ...(dps ? { dps } : {}),
    });
  }
  if (stop?.kind === 'aborted') return err instanceof AbortedError ? err : new AbortedError(deadline.step, stop.reason);
  const failure = stop?.kind === 'failed' ? stop.error : err;
  if (failure instanceof RegistrationFailure) {
    return new ProvisioningError(failure.finding, {
      findings: [failure.finding, ...context],
      cause: failure.cause,
      step: deadline.step,
      ...(dps ? { dps } : {}),
    });
  }
  if (failure instanceof DpsPrivateLinkError) return failure;
  const finding = createFinding('DPS_CONNECTION_LOST', {
    host: o.host,
    step: deadline.step,
    detail: (failure as Error)?.message ?? String(failure),
  });
  return new ProvisioningError(finding, {
    findings: [finding, ...context],
    cause: failure,
    step: deadline.step,
    ...(dps ? { dps } : {}),
  });
}
