import net from 'node:net';
import tls from 'node:tls';
import { AbortedError, InvalidOptionError } from '../errors';
import { createFinding } from '../findings/finding';
import { connector } from './connector';
import { peerChain, type PeerCert } from './peer-chain';
import { ConnectionSession, type MqttTransportKind } from './session';
import { trustStoreWith } from './trust';
import type { ConnectTarget, ConnectionFailure, TlsInfo } from './types';

/**
 * The outcome of one TLS handshake attempt: `ok: true` with what the socket negotiated, or `ok: false` with the
 * diagnosed failure. Connection problems resolve to a failure; only bad input and aborts reject.
 */
export type ProbeResult = { ok: true; tls: TlsInfo } | { ok: false; failure: ConnectionFailure };

/**
 * Opens one pinned, policy-checked connection to `target`, completes the TLS handshake and closes it again.
 * Used by diagnostics and tests; never sends an MQTT packet or a credential beyond the TLS client certificate.
 *
 * @param options.timeoutMs - Milliseconds until the handshake must be done (TCP, proxy tunnel, TLS); past it the
 *   result is the failure seen so far, else TCP_UNREACHABLE (through a proxy: PROXY_UNREACHABLE before its 2xx to
 *   CONNECT, TLS_HANDSHAKE_FAILED with the proxy as evidence after it). Default 10000.
 * @param options.signal - Cancels the attempt: the socket is closed and the promise rejects with AbortedError.
 * @param options.kind - Which socket to open, as that transport would: `mqtt` (TLS) or `mqtt-ws` (TLS carrying a
 *   WebSocket upgrade to `/$iothub/websocket`); either way the probe ends at the TLS handshake. Default `mqtt`.
 * @throws InvalidOptionError (as a rejection) naming the `target` field that is malformed.
 */
export function probeTls(
  target: ConnectTarget,
  options: { timeoutMs?: number; signal?: AbortSignal; kind?: MqttTransportKind } = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.signal?.aborted) return Promise.reject(new AbortedError('probing TLS'));
  try {
    checkTarget(target);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise<ProbeResult>((resolve, reject) => {
    const session = new ConnectionSession(target, {
      onSecure: (info) => finish({ ok: true, tls: info }),
    });
    const onAbort = (): void => {
      cleanup();
      reject(new AbortedError('probing TLS'));
    };
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      finish({ ok: false, failure: session.failure ?? timedOut(target, error, session.tunnel) });
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      session.close();
    };
    const finish = (result: ProbeResult): void => {
      cleanup();
      resolve(result);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stream = session.openStream(options.kind ?? 'mqtt', {});
    stream.on('error', (err) => {
      // The session has diagnosed the socket error already; fall back to a generic one.
      const failure = session.failure ?? {
        error: err,
        address: target.addresses[0],
        finding: createFinding('TLS_HANDSHAKE_FAILED', {
          host: target.host,
          address: target.addresses[0],
          port: target.port,
          detail: err.message,
        }),
      };
      finish({ ok: false, failure });
    });
    stream.on('close', () => {
      if (session.failure) finish({ ok: false, failure: session.failure });
    });
  });
}

/**
 * The failure for a probe that ran out of time with no socket error. Without a proxy: TCP_UNREACHABLE at the pinned
 * address. Through a proxy that never opened the tunnel: PROXY_UNREACHABLE, since the device only ever dialled the
 * proxy. Through a proxy that did open it (`tunnel`): the proxy worked, and the silence came from the far end of the
 * tunnel, so the finding is TLS_HANDSHAKE_FAILED with the proxy as evidence and a remediation aimed at the proxy's own
 * DNS and route to the private endpoint (the one path the device cannot see from here).
 */
function timedOut(target: ConnectTarget, error: Error, tunnel: string | undefined): ConnectionFailure {
  const proxy = target.proxy
    ? `${net.isIPv6(target.proxy.address) ? `[${target.proxy.address}]` : target.proxy.address}:${target.proxy.port}`
    : undefined;
  if (!proxy) {
    return {
      error,
      address: target.addresses[0],
      finding: createFinding('TCP_UNREACHABLE', {
        host: target.host,
        address: target.addresses[0],
        port: target.port,
        detail: error.message,
      }),
    };
  }
  if (!tunnel) {
    return {
      error,
      address: proxy,
      finding: createFinding('PROXY_UNREACHABLE', {
        host: target.host,
        port: target.port,
        proxy,
        detail: error.message,
      }),
    };
  }
  const evidence = {
    host: target.host,
    port: target.port,
    proxy: tunnel,
    detail: `${error.message} via proxy ${tunnel}, which opened the tunnel (2xx to CONNECT ${target.host}:${target.port}) but nothing answered through it`,
  };
  const finding = createFinding('TLS_HANDSHAKE_FAILED', evidence);
  // The catalogue's generic remediation points at the device's own path; here the device's part worked.
  finding.remediation =
    `The proxy ${tunnel} is reachable and accepted CONNECT ${target.host}:${target.port}; the silence is on the proxy's side of the tunnel. ` +
    `Check the proxy's own DNS for ${target.host} (it must resolve to the private endpoint: a resolver linked to the private DNS zone, or forwarding ` +
    'azure-devices-provisioning.net / azure-devices.net to 168.63.129.16 inside the VNET) and its route and firewall to the private endpoint on that port, ' +
    'or bypass the proxy for the Azure endpoints.';
  return { error, address: proxy, finding };
}

/** probeTls is public API: its target is checked at the door, with an error naming the field and the fix. */
function checkTarget(target: ConnectTarget): void {
  const fix =
    'Pass { host, addresses, port, minVersion } with the addresses from connectableAddresses(report, policy).';
  if (!target || typeof target !== 'object') throw new InvalidOptionError('target', 'expected an object', fix);
  if (typeof target.host !== 'string' || target.host.length === 0)
    throw new InvalidOptionError('target.host', 'expected the service DNS name', fix);
  const addressesOk =
    Array.isArray(target.addresses) && target.addresses.length > 0 && target.addresses.every((a) => net.isIP(a) !== 0);
  if (!target.proxy && !addressesOk) {
    throw new InvalidOptionError(
      'target.addresses',
      'expected at least one IP address',
      'probeTls never resolves names: pass the verified addresses (connectableAddresses(report, policy)).',
    );
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
    throw new InvalidOptionError(
      'target.port',
      'expected a TCP port 1-65535',
      'Use 8883 (MQTT) or 443 (MQTT over WebSockets).',
    );
  if (target.minVersion !== 'TLSv1.2' && target.minVersion !== 'TLSv1.3') {
    throw new InvalidOptionError(
      'target.minVersion',
      `${JSON.stringify(target.minVersion) ?? 'undefined'} is not allowed`,
      "Use 'TLSv1.2' or 'TLSv1.3'; Azure DPS and IoT Hub refuse anything lower.",
    );
  }
}

/** Result of a TCP reach probe. */
export interface TcpProbeResult {
  address: string;
  port: number;
  ok: boolean;
  /** Connect time, ms. */
  durationMs: number;
  /** ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH... */
  error?: string;
}

/** Opens a TCP connection to the IP literal `address`:port through the connector and closes it. Never rejects. */
export function probeTcp(address: string, port: number, timeoutMs: number): Promise<TcpProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let socket: net.Socket | undefined;
    let settled = false;
    const done = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      const r: TcpProbeResult = { address, port, ok: !error, durationMs: Math.round(performance.now() - started) };
      if (error) r.error = error;
      resolve(r);
    };
    const timer = setTimeout(() => done('ETIMEDOUT'), timeoutMs);
    try {
      socket = connector.openTcp(address, port);
    } catch (err) {
      done((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      return;
    }
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** What a diagnostic TLS handshake showed. */
export interface TlsInspection {
  address: string;
  port: number;
  servername: string;
  ok: boolean;
  durationMs: number;
  protocol?: string | null;
  cipher?: string;
  /** Chain validates against the trust store (Node's roots plus the extra CA). */
  authorized?: boolean;
  authorizationError?: string;
  /** The certificate covers servername (RFC 6125 check on the SANs). */
  hostnameMatch?: boolean;
  hostnameError?: string;
  /** Leaf first, as sent (plus the trust anchor Node resolved, if any). */
  chain?: PeerCert[];
  /** Common name of the top of the chain (the root, or the issuer of the last certificate sent). */
  root?: string;
  /** The handshake failed (no TLS at all), e.g. a protocol version refusal or the policy floor. */
  error?: string;
  errorCode?: string;
  /** Date header from an HTTP request made over this connection (httpPath option), and when it was received. */
  httpDate?: { date: string; receivedAt: string };
}

/** Options of {@link inspectTls}. */
export interface InspectTlsOptions {
  /** Extra trust anchor (PEM). Node's roots are kept, as the device's would be. */
  ca?: string;
  timeoutMs: number;
  /** After the handshake, send `GET path` and record the HTTP Date header (an honest server clock). */
  httpPath?: string;
}

function readHttpDate(
  socket: tls.TLSSocket,
  host: string,
  path: string,
  timeoutMs: number,
): Promise<{ date: string; receivedAt: string } | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const finish = (v?: { date: string; receivedAt: string }): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve(v);
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0 && buf.length < 16_384) return;
      const m = /^date:\s*(.+)$/im.exec(buf.slice(0, end < 0 ? buf.length : end));
      finish(m?.[1] ? { date: m[1].trim(), receivedAt: new Date().toISOString() } : undefined);
    });
    socket.once('end', () => finish());
    socket.once('error', () => finish());
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: dps-check\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * A diagnostic TLS handshake with `address`:port through {@link connector.openTlsInspect}: `servername` in SNI and the
 * hostname check, TLS 1.2 minimum (as the device must). Unauthorized chains are reported, not refused. Never rejects.
 */
export function inspectTls(
  address: string,
  port: number,
  servername: string,
  options: InspectTlsOptions,
): Promise<TlsInspection> {
  const started = performance.now();
  const base = { address, port, servername };
  return new Promise((resolve) => {
    let socket: tls.TLSSocket | undefined;
    let settled = false;
    let secured = false;
    const done = (r: TlsInspection): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(r);
    };
    // An error after the handshake (e.g. during the HTTP read) does not undo it: readHttpDate settles that case.
    const failed = (err: NodeJS.ErrnoException): void => {
      if (secured) return;
      done({
        ...base,
        ok: false,
        durationMs: Math.round(performance.now() - started),
        error: err.message,
        errorCode: err.code ?? 'ERR_TLS',
      });
    };
    const timer = setTimeout(
      () =>
        done({
          ...base,
          ok: false,
          durationMs: Math.round(performance.now() - started),
          error: `no TLS handshake within ${options.timeoutMs} ms`,
          errorCode: 'ETIMEDOUT',
        }),
      options.timeoutMs,
    );
    const target = { host: servername, addresses: [address], port, minVersion: 'TLSv1.2' as const };
    const onSecure = (_info: TlsInfo, s: tls.TLSSocket, peer: tls.DetailedPeerCertificate): void => {
      secured = true;
      const durationMs = Math.round(performance.now() - started);
      const { chain, root } = peerChain(peer);
      const identityError = tls.checkServerIdentity(servername, peer);
      const r: TlsInspection = {
        ...base,
        ok: true,
        durationMs,
        protocol: s.getProtocol(),
        cipher: s.getCipher().name,
        authorized: s.authorized,
        hostnameMatch: identityError === undefined,
        chain,
        root,
      };
      if (s.authorizationError) r.authorizationError = String(s.authorizationError);
      if (identityError) r.hostnameError = identityError.message;
      if (!options.httpPath) return done(r);
      void readHttpDate(s, servername, options.httpPath, options.timeoutMs).then((d) => {
        if (d) r.httpDate = d;
        done(r);
      });
    };
    try {
      socket = connector.openTlsInspect(
        target,
        options.ca ? { secureContext: trustStoreWith(options.ca) } : {},
        onSecure,
      );
    } catch (err) {
      failed(err as NodeJS.ErrnoException);
      return;
    }
    socket.once('error', failed);
  });
}
