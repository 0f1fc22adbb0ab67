import net from 'node:net';
import tls from 'node:tls';
import { AbortedError, InvalidOptionError } from '../errors';
import { createFinding } from '../findings/finding';
import type { Sockets } from '../support/sockets';
import { defaultConnector, type Connector } from './connector';
import { proxyLabel, TLS_STALLED_CODE } from './diagnose';
import { peerChain, type PeerCert } from './peer-chain';
import type { TransportName } from '../config/types';
import { ConnectionSession } from './session';
import { trustStoreWith } from './trust';
import type { ConnectTarget, ConnectionFailure, TlsInfo } from './types';

/**
 * The outcome of one TLS handshake attempt: `ok: true` with what the socket negotiated, or `ok: false` with the
 * diagnosed failure. Connection problems resolve to a failure; only bad input and aborts reject.
 */
export type ProbeResult = { ok: true; tls: TlsInfo } | { ok: false; failure: ConnectionFailure };

/** Options of {@link probeTls}, whichever the mode. */
export interface ProbeTlsOptions {
  /**
   * Milliseconds until the handshake must be done (TCP, proxy tunnel, TLS); past it the result is the failure seen so
   * far, else TLS_HANDSHAKE_STALLED once TCP connected and TCP_UNREACHABLE before (through a proxy: PROXY_UNREACHABLE
   * before its 2xx to CONNECT, TLS_HANDSHAKE_FAILED with the proxy as evidence after it); in `inspect` mode a result
   * with `errorCode` {@link TLS_STALLED_CODE} (TCP connected) or `'ETIMEDOUT'`. Default 10000.
   */
  timeoutMs?: number;
  /** Cancels the attempt: the socket is closed and the promise rejects with AbortedError. */
  signal?: AbortSignal;
  /** Opens the socket (default: the package's own connector); tests pass a recording one. */
  connector?: Connector;
}

/** {@link probeTls} as the device connects: the chain must be trusted, the result is a {@link ProbeResult}. */
export interface VerifyProbeOptions extends ProbeTlsOptions {
  /** `verify` (default): the handshake the device itself makes (connector.openTls / openTlsViaProxy). */
  mode?: 'verify';
  /**
   * Which socket to open, as that transport would: `mqtt` (TLS) or `mqtt-ws` (TLS carrying a WebSocket upgrade to
   * `/$iothub/websocket`); either way the probe ends at the TLS handshake. Default `mqtt`.
   */
  kind?: TransportName;
}

/** {@link probeTls} for diagnostics: the chain is reported, not enforced; the result is a {@link TlsInspection}. */
export interface InspectProbeOptions extends ProbeTlsOptions {
  /**
   * `inspect`: the same pinned handshake with the same TLS floor through connector.openTlsInspect, but an untrusted,
   * expired or misnamed certificate is reported (chain, root, name match) instead of failing it; no client
   * certificate is offered. Never through a proxy.
   */
  mode: 'inspect';
  /** Extra trust anchor (PEM) the chain is reported against, besides Node's roots. */
  ca?: string;
  /** After the handshake, send `GET path` and record the HTTP Date header (an honest server clock). */
  httpPath?: string;
}

// The verify signature last: it is the one `ReturnType<typeof probeTls>` names, as before there was a mode.
/**
 * The TLS probe: opens one pinned, policy-checked connection to `target` (never resolving a name), completes the TLS
 * handshake, reports what it saw and closes the connection. Never sends an MQTT packet or a credential beyond the TLS
 * client certificate (none in `inspect` mode). Connection problems resolve to a failure; only bad input and aborts
 * reject. dps-check's TLS checks and clock-skew use it in `inspect` mode (see {@link inspectTls}).
 *
 * @throws InvalidOptionError (as a rejection) naming the `target` field that is malformed.
 */
export function probeTls(target: ConnectTarget, options: InspectProbeOptions): Promise<TlsInspection>;
export function probeTls(target: ConnectTarget, options?: VerifyProbeOptions): Promise<ProbeResult>;
export function probeTls(
  target: ConnectTarget,
  options: VerifyProbeOptions | InspectProbeOptions = {},
): Promise<ProbeResult | TlsInspection> {
  if (options.signal?.aborted) return Promise.reject(new AbortedError('probing TLS'));
  try {
    checkTarget(target);
    if (options.mode === 'inspect' && target.proxy)
      throw new InvalidOptionError('target.proxy', 'inspect mode dials the pinned address itself', 'Leave out proxy.');
  } catch (err) {
    return Promise.reject(err);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  return options.mode === 'inspect'
    ? handshake(inspectAttempt(target, options, timeoutMs), timeoutMs, options.signal)
    : handshake(verifyAttempt(target, options, timeoutMs), timeoutMs, options.signal);
}

/** One handshake attempt: how to open it, and what it yields when the time is up. */
interface Attempt<R> {
  /** Opens the socket; `settle` may be called more than once (the first call wins). Returns how to close it. */
  open(settle: (result: R) => void): () => void;
  timedOut(): R;
}

/** Runs an attempt once: the first result, the timeout or the abort wins; the socket is closed whichever it is. */
function handshake<R>(attempt: Attempt<R>, timeoutMs: number, signal: AbortSignal | undefined): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    // Until open() returns there is no socket to close; a result settled during open() closes it right after.
    let close = (): void => undefined;
    let settled = false;
    const end = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      close();
      return true;
    };
    const settle = (result: R): void => {
      if (end()) resolve(result);
    };
    const onAbort = (): void => {
      if (end()) reject(new AbortedError('probing TLS'));
    };
    const timer = setTimeout(() => settle(attempt.timedOut()), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    close = attempt.open(settle);
    if (settled) close();
  });
}

/** `verify` mode: the device's own session and socket (connector.openTls, or openTlsViaProxy through a proxy). */
function verifyAttempt(target: ConnectTarget, options: VerifyProbeOptions, timeoutMs: number): Attempt<ProbeResult> {
  let session: ConnectionSession | undefined;
  return {
    open(settle) {
      const onSecure = (info: TlsInfo): void => settle({ ok: true, tls: info });
      const s = new ConnectionSession(target, { onSecure }, options.connector ?? defaultConnector);
      session = s;
      const stream = s.openStream(options.kind ?? 'mqtt', {});
      stream.on('error', (err) => {
        // The session has diagnosed the socket error already; fall back to a generic one.
        settle({ ok: false, failure: s.failure ?? handshakeFailed(target, err) });
      });
      stream.on('close', () => {
        if (s.failure) settle({ ok: false, failure: s.failure });
      });
      return () => s.close();
    },
    timedOut() {
      const error = Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      const failure =
        session?.failure ??
        session?.stalledHandshake(`no TLS answer within ${timeoutMs} ms`) ??
        timedOut(target, error, session?.tunnel);
      return { ok: false, failure };
    },
  };
}

function handshakeFailed(target: ConnectTarget, err: Error): ConnectionFailure {
  return {
    error: err,
    address: target.addresses[0],
    finding: createFinding('TLS_HANDSHAKE_FAILED', {
      host: target.host,
      address: target.addresses[0],
      port: target.port,
      detail: err.message,
    }),
  };
}

/**
 * The failure for a probe that ran out of time with no socket error and no TCP connection. Without a proxy:
 * TCP_UNREACHABLE at the pinned address. Through a proxy that never opened the tunnel: PROXY_UNREACHABLE, since the
 * device only ever dialled the proxy. Through a proxy that did open it (`tunnel`): the proxy worked, and the silence
 * came from the far end of the tunnel, so the finding is TLS_HANDSHAKE_FAILED with the proxy as evidence and a
 * remediation aimed at the proxy's own DNS and route to the private endpoint (the one path the device cannot see).
 */
function timedOut(target: ConnectTarget, error: Error, tunnel: string | undefined): ConnectionFailure {
  const proxy = target.proxy ? proxyLabel(target.proxy) : undefined;
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
export function probeTcp(
  address: string,
  port: number,
  timeoutMs: number,
  sockets: Sockets = defaultConnector,
): Promise<TcpProbeResult> {
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
      socket = sockets.openTcp(address, port);
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
  /** Set on a failure after TCP connected: the peer took the connection (a timeout then is a stalled handshake). */
  tcpConnected?: boolean;
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
 * `inspect` mode: connector.openTlsInspect to the first address, `host` in SNI and the hostname check, the target's
 * TLS floor; what the handshake showed becomes a {@link TlsInspection}.
 */
function inspectAttempt(
  target: ConnectTarget,
  options: InspectProbeOptions,
  timeoutMs: number,
): Attempt<TlsInspection> {
  const started = performance.now();
  const address = target.addresses[0] as string;
  const base = { address, port: target.port, servername: target.host };
  let tcpConnected = false;
  const failure = (error: string, errorCode: string): TlsInspection => ({
    ...base,
    ok: false,
    durationMs: Math.round(performance.now() - started),
    error,
    errorCode,
    ...(tcpConnected ? { tcpConnected } : {}),
  });
  return {
    open(settle) {
      let secured = false;
      let socket: tls.TLSSocket | undefined;
      const onSecure = (_info: TlsInfo, s: tls.TLSSocket, peer: tls.DetailedPeerCertificate): void => {
        secured = true;
        const r = inspection(base, Math.round(performance.now() - started), s, peer);
        if (!options.httpPath) return settle(r);
        void readHttpDate(s, target.host, options.httpPath, timeoutMs).then((d) => {
          if (d) r.httpDate = d;
          settle(r);
        });
      };
      // An error after the handshake (e.g. during the HTTP read) does not undo it: readHttpDate settles that case.
      const failed = (err: NodeJS.ErrnoException): void => {
        if (!secured) settle(failure(err.message, err.code ?? 'ERR_TLS'));
      };
      const pinned = {
        host: target.host,
        addresses: [address],
        port: target.port,
        minVersion: target.minVersion,
        ...(target.ca !== undefined ? { ca: target.ca } : {}),
      };
      try {
        socket = (options.connector ?? defaultConnector).openTlsInspect(
          pinned,
          options.ca ? { secureContext: trustStoreWith(options.ca) } : {},
          onSecure,
        );
      } catch (err) {
        failed(err as NodeJS.ErrnoException);
        return () => undefined;
      }
      socket.once('connect', () => {
        tcpConnected = true;
      });
      socket.once('error', failed);
      return () => socket?.destroy();
    },
    timedOut: () =>
      tcpConnected
        ? failure(`TCP connected, no TLS answer within ${timeoutMs} ms`, TLS_STALLED_CODE)
        : failure(`no TLS handshake within ${timeoutMs} ms`, 'ETIMEDOUT'),
  };
}

/** What a completed diagnostic handshake showed: protocol, cipher, trust, name match, chain and root. */
function inspection(
  base: Pick<TlsInspection, 'address' | 'port' | 'servername'>,
  durationMs: number,
  s: tls.TLSSocket,
  peer: tls.DetailedPeerCertificate,
): TlsInspection {
  const { chain, root } = peerChain(peer);
  const identityError = tls.checkServerIdentity(base.servername, peer);
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
  return r;
}

/**
 * {@link probeTls} in `inspect` mode with `address`:port and `servername`, TLS 1.2 minimum (as the device must), as
 * dps-check calls it. Unauthorized chains are reported, not refused. Never rejects: bad input is a failed inspection.
 */
export function inspectTls(
  address: string,
  port: number,
  servername: string,
  options: InspectTlsOptions,
): Promise<TlsInspection> {
  const target: ConnectTarget = { host: servername, addresses: [address], port, minVersion: 'TLSv1.2' };
  return probeTls(target, { mode: 'inspect', ...options }).catch((err: NodeJS.ErrnoException) => ({
    address,
    port,
    servername,
    ok: false,
    durationMs: 0,
    error: err.message,
    errorCode: err.code ?? 'ERR_TLS',
  }));
}
