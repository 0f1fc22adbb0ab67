import { performance } from 'node:perf_hooks';
import { proxyInPathFinding, proxyLabel } from '../connection/diagnose';
import { legacyRootFinding } from '../connection/peer-chain';
import { ConnectionSession } from '../connection/session';
import { tlsEnvironmentFinding } from '../connection/tls-environment';
import type { TlsInfo } from '../connection/types';
import { connectableAddresses, verifyHost } from '../endpoint/verify';
import type { EndpointReport } from '../endpoint/types';
import { AbortedError, DpsPrivateLinkError } from '../errors';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { verifyAssignedHub, type HubVerification } from '../endpoint/verify-hub';
import { logger } from '../log';
import { within } from '../support/abort';
import { credentialFingerprint, readCache, writeCache, type CacheRecord } from './cache';
import { Deadline, type StopReason } from './deadline';
import { ProvisioningError } from './errors';
import { lateKeyMismatch } from './credentials';
import { resolveProvisionOptions, type ResolvedProvisionOptions } from './options';
import { RegistrationFailure, runRegistration, screenResponse } from './register';
import { createDpsTransport, type DpsTransport } from './sdk-transport';
import type { ProgressStep, ProvisionOptions, ProvisioningResult } from './types';
import type { Connector } from '../connection/connector';
import type { EndpointCache } from '../endpoint/types';

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
  const run = new Run(o);
  try {
    const cached = await cachedAssignment(run);
    if (cached) return cached;
    const dps = await resolveDps(run);
    checkProxyPolicy(run, dps);
    const assignment = await register(run, dps);
    // The graceful MQTT disconnect and the hub's DNS verification overlap: neither needs the other, and the hub's
    // round trip would otherwise be paid after DPS has already answered.
    const closing = run.closeConnection(true);
    const hub = await overlapping(closing, () => verifyHub(run, assignment.assignedHub), run.deadline);
    const result = assembleResult(run, dps, assignment, hub);
    await persist(run, result);
    run.ok = true;
    return result;
  } catch (err) {
    throw toError(err, run);
  } finally {
    await run.dispose();
  }
}

/**
 * Runs `next` while `pending` (which never rejects) finishes, and settles with `next` once `pending` has finished
 * too — or with the deadline's stop reason if it fires first: the call keeps its deadline even when a graceful
 * disconnect hangs.
 */
async function overlapping<T>(pending: Promise<void>, next: () => Promise<T>, deadline: Deadline): Promise<T> {
  let result: T;
  try {
    result = await next();
  } catch (err) {
    await deadline.race(pending).catch(() => undefined);
    throw err;
  }
  await deadline.race(pending);
  return result;
}

/** How every DNS verification of a call runs: under its deadline, through its connector, with its cache if any. */
function dnsOptions(
  o: ResolvedProvisionOptions,
  deadline: Deadline,
): { signal: AbortSignal; sockets: Connector; cache?: EndpointCache } {
  return { signal: deadline.signal, sockets: o.connector, ...(o.endpointCache ? { cache: o.endpointCache } : {}) };
}

/** What one provisionDevice call owns while it runs: the deadline, progress, findings so far and open connections. */
class Run {
  readonly deadline: Deadline;
  /** Every finding of the call so far (DNS, cache, proxy, TLS); the hub's are added at the end. */
  readonly findings: Finding[] = [];
  /** The DPS endpoint report, once resolved: context for every later error. */
  dps: EndpointReport | undefined;
  /** What the live TLS socket to DPS negotiated. */
  tls: { protocol: string; cipher: string } | undefined;
  session: ConnectionSession | undefined;
  transport: DpsTransport | undefined;
  /** True once the call succeeded: the connection is then closed gracefully. */
  ok = false;
  private readonly started = performance.now();

  constructor(readonly o: ResolvedProvisionOptions) {
    this.deadline = new Deadline(o.timeoutMs, o.signal);
    // Once per call: our sockets ignore these settings, the caller's other TLS clients in this process do not.
    const env = tlsEnvironmentFinding(process.env);
    if (env) this.findings.push(env);
  }

  progress(step: ProgressStep, detail: Record<string, unknown>): void {
    log('%s %o', step, detail);
    try {
      this.o.onProgress?.({ step, elapsedMs: Math.round(performance.now() - this.started), detail });
    } catch {
      // A failing progress callback must not break provisioning.
    }
  }

  /** The graceful close under way, with the session it closes last: cut short if the call fails meanwhile. */
  private closing: { done: Promise<void>; session: ConnectionSession | undefined } | undefined;

  async closeConnection(graceful: boolean): Promise<void> {
    const { transport, session } = this;
    this.transport = undefined;
    this.session = undefined;
    if (!transport && !session) return;
    const done = closeTransport(transport, session, graceful);
    if (graceful) this.closing = { done, session };
    await done;
  }

  async dispose(): Promise<void> {
    this.deadline.dispose();
    // A deadline or failure during the graceful close (a DPS ignoring DISCONNECT): the call must not return while
    // that close still holds the socket and its timer; destroying the socket lets the SDK's disconnect call back.
    if (!this.ok) this.closing?.session?.close();
    await this.closeConnection(this.ok);
    await this.closing?.done;
  }
}

/** Step 0: a cached assignment for these credentials (DNS is still verified); a corrupt cache is a finding. */
async function cachedAssignment(run: Run): Promise<ProvisioningResult | undefined> {
  const { o, deadline } = run;
  if (!o.cachePath || o.forceReprovision) return undefined;
  const key = {
    provisioningHost: o.host,
    idScope: o.idScope,
    registrationId: o.registrationId,
    credential: credentialFingerprint(o.auth),
  };
  const read = await deadline.race(readCache(o.cachePath, key));
  if (read.kind === 'hit') {
    const result = await fromCache(o, read.record, deadline, (step, detail) => run.progress(step, detail));
    result.findings.push(...run.findings);
    run.ok = true;
    return result;
  }
  if (read.kind === 'corrupt' || read.kind === 'untrusted') {
    const code = read.kind === 'corrupt' ? 'DPS_CACHE_CORRUPT' : 'DPS_CACHE_UNTRUSTED';
    run.findings.push(createFinding(code, { path: o.cachePath, detail: read.detail }));
  }
  log('cache miss: %s', read.kind === 'miss' ? read.reason : read.detail);
  return undefined;
}

/**
 * Step 1: resolve and classify the DPS name; the addresses the policy lets us dial. Under enforce, none outside the
 * ranges: this is the refusal before any packet.
 */
async function resolveDps(run: Run): Promise<{ report: EndpointReport; addresses: string[] }> {
  const { o, deadline } = run;
  const dnsServers = o.network.dnsServers.length ? o.network.dnsServers.map((d) => d.label) : ['system'];
  run.progress('resolving', { host: o.host, dnsServers });
  deadline.step = 'resolving';
  const report = await deadline.race(verifyHost(o.host, o.network, { role: 'dps', ...dnsOptions(o, deadline) }));
  run.dps = report;
  run.findings.unshift(...report.findings);
  const addresses = connectableAddresses(report, o.network.policy).map((a) => a.address);
  if (addresses.length === 0) {
    const primary =
      report.findings.find((f) => f.severity === 'error') ??
      report.findings[0] ??
      createFinding('TCP_UNREACHABLE', { host: o.host, detail: 'no address to connect to' });
    throw new ProvisioningError(primary, { findings: run.findings, step: 'resolving', dps: report });
  }
  run.progress('verified', { host: o.host, verdict: report.verdict, addresses, policy: o.network.policy });
  return { report, addresses };
}

/** Step 2: a CONNECT proxy resolves the name itself: under enforce it must sit inside the ranges. */
function checkProxyPolicy(run: Run, dps: { report: EndpointReport }): void {
  const { o } = run;
  if (!o.proxy) return;
  const finding = proxyInPathFinding(o.host, o.proxy, o.network.cidrs, o.network.policy);
  run.findings.push(finding);
  if (finding.severity === 'error') {
    throw new ProvisioningError(finding, { findings: run.findings, step: 'connecting', dps: dps.report });
  }
}

/** Step 3: connect pinned to the verified addresses and register through the SDK's own transport (left open). */
async function register(
  run: Run,
  dps: { report: EndpointReport; addresses: string[] },
): Promise<Awaited<ReturnType<typeof runRegistration>>> {
  const { o, deadline } = run;
  const session = openSession(run, dps.addresses);
  run.session = session;
  const last: { status?: number; retryAfterSeconds?: number } = {};
  run.transport = await createDpsTransport(
    session,
    o.transport,
    o.auth,
    { registrationId: o.registrationId, idScope: o.idScope },
    {
      tap: (topic, payload) => checkResponse(run, last, topic, payload),
      onUnsafeTopic: (topic, reason) => malformed(run, topic, reason),
      onFrameViolation: (violation) => malformed(run, `the MQTT connection (${violation.reason})`, violation.excerpt),
      onConnack: () => {
        deadline.step = 'registering';
        run.progress('registering', { registrationId: o.registrationId, idScope: o.idScope });
      },
    },
  );
  const assignment = await runRegistration({
    transport: run.transport,
    session,
    deadline,
    dps: dps.report,
    retry: o.retry,
    last,
    request: {
      registrationId: o.registrationId,
      provisioningHost: o.host,
      idScope: o.idScope,
      ...(o.payload !== undefined ? { payload: o.payload as Record<string, unknown> } : {}),
    },
  });
  run.progress('assigned', { assignedHub: assignment.assignedHub, deviceId: assignment.deviceId });
  return assignment;
}

/** The pinned connection to DPS, reporting each attempt and each completed handshake as progress. */
function openSession(run: Run, addresses: string[]): ConnectionSession {
  const { o, deadline } = run;
  const target = {
    host: o.host,
    addresses,
    port: o.servicePort,
    minVersion: o.minVersion,
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
    ...(o.proxy ? { proxy: o.proxy } : {}),
    ...(o.secureContext ? { secureContext: o.secureContext } : {}),
  };
  const onAttempt = (): void => {
    deadline.step = 'connecting';
    run.progress('connecting', {
      host: o.host,
      addresses,
      port: o.servicePort,
      transport: o.transport,
      ...(o.proxy ? { proxy: proxyLabel(o.proxy) } : {}),
    });
  };
  // From TCP connected (or the proxy's tunnel open) until CONNACK the step is "tls": a silence then is not the route.
  const onConnect = (): void => {
    deadline.step = 'tls';
  };
  const onSecure = (info: TlsInfo): void => {
    deadline.step = 'tls';
    run.tls = { protocol: info.protocol, cipher: info.cipher };
    const legacy = legacyRootFinding(o.host, info);
    if (legacy && !run.findings.some((f) => f.code === legacy.code)) run.findings.push(legacy);
    run.progress('tls', { protocol: info.protocol, cipher: info.cipher, remoteAddress: info.remoteAddress });
  };
  return new ConnectionSession(target, { onAttempt, onConnect, onSecure }, o.connector);
}

/** Reads each DPS response before the SDK does (see {@link screenResponse}); returns false to swallow it. */
function checkResponse(
  run: Run,
  last: { status?: number; retryAfterSeconds?: number },
  topic: string,
  payload: Buffer,
): boolean {
  const problem = screenResponse(topic, payload, last);
  if (problem !== undefined) malformed(run, topic, problem);
  return problem === undefined;
}

/** Stops the run with DPS_MALFORMED_RESPONSE: a reply the SDK must not see (bad JSON, a topic that would crash it). */
function malformed(run: Run, topic: string, excerpt: string): void {
  const finding = createFinding('DPS_MALFORMED_RESPONSE', { host: run.o.host, topic, excerpt });
  run.deadline.stop({ kind: 'failed', error: new RegistrationFailure(finding, undefined) });
}

/** Step 4: the assigned hub's name, verified like the DPS name (HUB_* findings; no connection). */
async function verifyHub(run: Run, assignedHub: string): Promise<HubVerification> {
  const { o, deadline } = run;
  deadline.step = 'verifying hub';
  const hub = await deadline.race(verifyAssignedHub(assignedHub, o.host, o.network, dnsOptions(o, deadline)));
  run.progress('hub-verified', {
    hub: hub.report.host,
    verdict: hub.report.verdict,
    addresses: hub.report.addresses.map((a) => a.address),
  });
  return hub;
}

function assembleResult(
  run: Run,
  dps: { report: EndpointReport },
  assignment: Awaited<ReturnType<typeof runRegistration>>,
  hub: HubVerification,
): ProvisioningResult {
  return {
    assignedHub: assignment.assignedHub,
    deviceId: assignment.deviceId,
    registrationId: run.o.registrationId,
    fromCache: false,
    dps: dps.report,
    hub: hub.report,
    tls: run.tls ?? { protocol: 'unknown', cipher: 'unknown' },
    findings: [...run.findings, ...hub.findings],
    ...(assignment.payload !== undefined ? { payload: assignment.payload } : {}),
    provisionedAt: new Date().toISOString(),
    transport: run.o.transport,
  };
}

/**
 * Step 5: with `cache.path`, persist the assignment. A failed write is a warning: DPS has assigned the device, and
 * losing that over a cache file would be worse than registering again next time.
 */
async function persist(run: Run, result: ProvisioningResult): Promise<void> {
  const { o, deadline } = run;
  if (!o.cachePath) return;
  try {
    await deadline.race(writeCache(o.cachePath, toRecord(o, result, credentialFingerprint(o.auth))));
  } catch (err) {
    if (deadline.stopped?.kind === 'aborted') throw err;
    const detail = isStopReason(err) ? `stopped: ${err.kind}` : ((err as Error)?.message ?? String(err));
    result.findings.push(createFinding('DPS_CACHE_WRITE_FAILED', { path: o.cachePath, detail }));
  }
}

async function fromCache(
  o: ResolvedProvisionOptions,
  record: CacheRecord,
  deadline: Deadline,
  progress: (step: ProgressStep, detail: Record<string, unknown>) => void,
): Promise<ProvisioningResult> {
  // DNS only: the cached assignment is used without contacting DPS, but both names are still checked — at once,
  // since neither answer depends on the other: a boot from the cache pays one DNS round trip, not two.
  progress('resolving', { host: o.host, fromCache: true });
  const dpsReport = deadline.race(verifyHost(o.host, o.network, { role: 'dps', ...dnsOptions(o, deadline) }));
  const hubReport = deadline.race(verifyAssignedHub(record.assignedHub, o.host, o.network, dnsOptions(o, deadline)));
  // Awaited below unless the DPS verification fails first; then this keeps its rejection from going unhandled.
  void hubReport.catch(() => undefined);
  const dps = await dpsReport;
  progress('verified', { host: o.host, verdict: dps.verdict, fromCache: true });
  progress('assigned', { assignedHub: record.assignedHub, deviceId: record.deviceId, fromCache: true });
  const hub = await hubReport;
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
  if (transport) await within(new Promise<void>((resolve) => transport.disconnect(() => resolve())), 1000);
  session?.close();
}

function isStopReason(x: unknown): x is StopReason {
  return (
    !!x && typeof x === 'object' && 'kind' in x && ['timeout', 'aborted', 'failed'].includes((x as StopReason).kind)
  );
}

/**
 * Maps whatever stopped the run to our error types, with every finding of the call so far (DNS, cache, proxy,
 * environment) as context.
 */
function toError(err: unknown, run: Run): Error {
  const { deadline, o, dps } = run;
  const context = run.findings;
  const stop = deadline.stopped ?? (isStopReason(err) ? err : undefined);
  if (stop?.kind === 'timeout') {
    const finding = createFinding('DPS_TIMEOUT', {
      host: o.host,
      step: deadline.step,
      timeoutMs: o.timeoutMs,
      ...(deadline.step === 'tls' ? { tlsCompleted: run.tls !== undefined } : {}),
      ...(deadline.step === 'tls' && o.proxy ? { proxy: proxyLabel(o.proxy) } : {}),
    });
    const stalled = run.session?.stalledHandshake(`no TLS answer within the ${o.timeoutMs} ms deadline`)?.finding;
    return new ProvisioningError(finding, {
      findings: [finding, ...(stalled ? [stalled] : []), ...context],
      step: deadline.step,
      ...(dps ? { dps } : {}),
    });
  }
  if (stop?.kind === 'aborted') return err instanceof AbortedError ? err : new AbortedError(deadline.step, stop.reason);
  const failure = stop?.kind === 'failed' ? stop.error : err;
  // A key of another algorithm than the certificate's passes the door (see checkX509) and shows only here, as a
  // refused or failed connection: the credential, not the network, is then the cause to name.
  const foreignKey = o.secureContext && run.session?.attempts && 'cert' in o.auth ? lateKeyMismatch(o.auth) : undefined;
  if (foreignKey) {
    return new ProvisioningError(foreignKey, {
      findings: [foreignKey, ...context],
      cause: failure,
      step: 'credentials',
      ...(dps ? { dps } : {}),
    });
  }
  if (failure instanceof RegistrationFailure) {
    return new ProvisioningError(failure.finding, {
      findings: [failure.finding, ...failure.related, ...context],
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
