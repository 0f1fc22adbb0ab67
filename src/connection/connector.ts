import net from 'node:net';
import tls from 'node:tls';
import { InvalidOptionError } from '../errors';
import { logger } from '../log';
import { createSockets, systemSockets, type Sockets } from '../support/sockets';
import { peerRoot, rootOfLeaf } from './peer-chain';
import { pinnedLookup } from './pinned-lookup';
import { maxVersionFor, TLS_VERSION_RANK as RANK } from './tls-versions';
import { sharedContext } from './trust';
import { ProxyTunnelError, proxyLabel, TlsPolicyError } from './diagnose';
import type { ConnectTarget, TlsInfo, TlsMinVersion } from './types';

const log = logger('connection');

/** True when `negotiated` meets `minVersion`. Unknown protocol strings never do. */
export function meetsMinVersion(negotiated: string | null, minVersion: TlsMinVersion): boolean {
  return negotiated !== null && (RANK[negotiated] ?? -1) >= RANK[minVersion];
}

/**
 * Called once per enforced socket when the TLS handshake completed and passed the policy. Such a socket never
 * converts the peer chain to objects (see leanPeer): `info` carries what a finding needs of it.
 */
export type SecureListener = (info: TlsInfo, socket: tls.TLSSocket) => void;

/**
 * Called once per inspection socket ({@link Connector.openTlsInspect}) when the handshake completed: `peer` is the
 * detailed peer certificate the connector already read (converting the chain to objects is not free: read it once).
 */
export type InspectListener = (info: TlsInfo, socket: tls.TLSSocket, peer: tls.DetailedPeerCertificate) => void;

/** `host` as an IP address (brackets and case removed, `::ffff:` kept as written), or undefined for a DNS name. */
function literalOf(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return net.isIP(bare) ? bare.toLowerCase() : undefined;
}

/** Two IP literals naming the same address (`::ffff:10.0.0.1` = `10.0.0.1`, any IPv6 spelling). */
function sameAddress(a: string, b: string): boolean {
  const norm = (x: string): string => {
    const sa = new net.SocketAddress({ address: x, family: net.isIPv6(x) ? 'ipv6' : 'ipv4' }).address;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(sa);
    return (mapped?.[1] ?? sa).toLowerCase();
  };
  try {
    return norm(a) === norm(b);
  } catch {
    return false;
  }
}

/**
 * Where the TCP connection goes: always a verified address, dialled by us, never `target.host` when that is itself
 * an IP literal (Node skips `lookup` for IP literals, so a pinned lookup alone would let the literal be dialled).
 * The DNS name stays in SNI and the certificate check (undici's connector does the same). With several verified
 * addresses the name is dialled through the pinned lookup, so Node's Happy Eyeballs can try each: Node calls
 * `lookup` for every host that is not an IP literal, and a literal never takes this path.
 * @throws InvalidOptionError when `target.host` is an IP literal that is not one of the verified addresses.
 */
function dialOptions(target: ConnectTarget): tls.ConnectionOptions {
  if (target.addresses.length === 0) throw new Error(`no verified address to connect to for ${target.host}`);
  const literal = literalOf(target.host);
  if (literal !== undefined) {
    const verified = target.addresses.find((a) => sameAddress(a, literal));
    if (verified === undefined) {
      throw new InvalidOptionError(
        'target.host',
        `${literal} is an IP address, and not one of the verified addresses (${target.addresses.join(', ')})`,
        'Pass the service DNS name as host; only the verified addresses are ever dialled.',
      );
    }
    return { host: verified, port: target.port };
  }
  if (target.addresses.length === 1) return { host: target.addresses[0], port: target.port };
  return { host: target.host, port: target.port, lookup: pinnedLookup(target.host, target.addresses) };
}

/**
 * What one socket's hostname check read of the peer, kept for its 'secureConnect' handler so the peer is read once.
 * `cert`: the detailed certificate Node built (inspection sockets, which report the whole chain). `leaf`: the leaf
 * alone (enforced sockets, see {@link leanPeer}). Neither when Node skipped the check (a chain that failed
 * verification, a resumed session).
 */
interface PeerSeen {
  cert?: tls.DetailedPeerCertificate;
  leaf?: tls.PeerCertificate;
  /** The socket, once tls.connect returned it: the lean check reads the leaf off it. */
  socket?: tls.TLSSocket;
}

/** Stands in for the detailed certificate Node would build for the check of a {@link leanPeer} socket. */
const NOT_CONVERTED = Object.freeze({}) as tls.DetailedPeerCertificate;

/** The real getPeerCertificate of `socket`, past a {@link leanPeer} override. */
function peerCertificate(socket: tls.TLSSocket, detailed: boolean): tls.PeerCertificate {
  return tls.TLSSocket.prototype.getPeerCertificate.call(socket, detailed);
}

/**
 * Node's handshake turns the whole peer chain into objects for checkServerIdentity (`getPeerCertificate(true)`: every
 * certificate's names, key, fingerprints and DER, and the top's issuer looked up in the trust store) — ~1 ms of CPU a
 * socket on the bench machine, a gateway's largest cost of a registration after the handshake itself (the plain SDK
 * pays it too). Node's check reads only the leaf's names, so this socket answers that one call with a stand-in, and
 * the check reads the leaf alone (~0.1 ms); the root TLS_LEGACY_ROOT needs comes from {@link rootOfLeaf}. The
 * override goes at its first use and in the 'secureConnect' handler: any later caller reads the real certificate.
 */
function leanPeer(socket: tls.TLSSocket, seen: PeerSeen): tls.TLSSocket {
  seen.socket = socket;
  Object.defineProperty(socket, 'getPeerCertificate', {
    configurable: true,
    writable: true,
    value(detailed?: boolean) {
      restorePeerCertificate(socket);
      return detailed === true ? NOT_CONVERTED : peerCertificate(socket, false);
    },
  });
  return socket;
}

function restorePeerCertificate(socket: tls.TLSSocket): void {
  if (Object.prototype.hasOwnProperty.call(socket, 'getPeerCertificate')) {
    delete (socket as { getPeerCertificate?: unknown }).getPeerCertificate;
  }
}

/**
 * SNI and the hostname check: always on `target.host` (no SNI for an IP literal: RFC 6066 forbids it), by Node's own
 * tls.checkServerIdentity. On a {@link leanPeer} socket it is given the leaf alone (all it reads); otherwise the
 * detailed certificate Node built is kept.
 */
function identityOptions(target: ConnectTarget, seen: PeerSeen): tls.ConnectionOptions {
  const literal = literalOf(target.host);
  return {
    ...(literal === undefined ? { servername: target.host } : {}),
    checkServerIdentity: (_dialled, cert) => {
      if (cert === NOT_CONVERTED && seen.socket) {
        const leaf = peerCertificate(seen.socket, false);
        seen.leaf = leaf;
        return tls.checkServerIdentity(literal ?? target.host, leaf);
      }
      seen.cert = cert as tls.DetailedPeerCertificate;
      return tls.checkServerIdentity(literal ?? target.host, cert);
    },
  };
}

function tlsOptions(target: ConnectTarget, seen: PeerSeen): tls.ConnectionOptions {
  const maxVersion = maxVersionFor(target.minVersion);
  const options: tls.ConnectionOptions = {
    ...identityOptions(target, seen),
    // Both set explicitly: tls.DEFAULT_MIN_VERSION / DEFAULT_MAX_VERSION follow node flags (--tls-min-v1.0,
    // --tls-max-v1.2) and any code in the process. The floor is the policy; the ceiling is the process's own, unless
    // that is below the floor (it would leave no version to offer at all).
    minVersion: target.minVersion,
    maxVersion,
    cert: target.cert,
    key: target.key,
    passphrase: target.passphrase,
    rejectUnauthorized: true,
  };
  // `ca` adds to Node's roots (Node's own `ca` option would replace them); the context carries versions and
  // credentials.
  if (target.secureContext) {
    options.secureContext = target.secureContext;
  } else if (target.ca !== undefined) {
    options.secureContext = sharedContext({
      ca: target.ca,
      minVersion: target.minVersion,
      maxVersion,
      cert: target.cert,
      key: target.key,
      passphrase: target.passphrase,
    });
  }
  return options;
}

/** Reads the negotiated protocol off the live socket and destroys it if it is below policy. */
function guard(
  socket: tls.TLSSocket,
  target: ConnectTarget,
  seen: PeerSeen,
  onSecure: SecureListener | InspectListener | undefined,
): tls.TLSSocket {
  socket.setNoDelay(true);
  socket.once('secureConnect', () => {
    // Taken off `seen` at once: the socket's options keep `seen` for the connection's life, and a chain held that long
    // is promoted to the old generation (~4 KB a connection that a gateway's heap then carries until a full GC).
    // A leanPeer socket (enforced) left itself on `seen`; an inspection socket did not.
    const { cert: peer, leaf: seenLeaf, socket: lean } = seen;
    seen.cert = undefined;
    seen.leaf = undefined;
    seen.socket = undefined;
    restorePeerCertificate(socket);
    const protocol = socket.getProtocol();
    if (!meetsMinVersion(protocol, target.minVersion)) {
      log('closing %s: negotiated %s below %s', target.host, protocol, target.minVersion);
      socket.destroy(new TlsPolicyError(protocol ?? 'unknown', target.minVersion));
      return;
    }
    const cipher = socket.getCipher();
    const info: TlsInfo = {
      protocol: protocol ?? 'unknown',
      cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    };
    // The chain's top names the root TLS_LEGACY_ROOT is about. An inspection socket reports the whole chain, in
    // detail; an enforced one reads the leaf (also after a resumed session, where Node runs no check) and the root.
    const detailed = lean ? undefined : (peer ?? socket.getPeerCertificate(true));
    const leaf = detailed ?? seenLeaf ?? socket.getPeerCertificate(false);
    if (leaf?.subjectaltname !== undefined) info.subjectAltName = leaf.subjectaltname;
    const root = detailed ? peerRoot(detailed) : rootOfLeaf(leaf, () => socket.getPeerCertificate(true));
    if (root) info.root = root;
    log('secure %s -> %s:%d %s %s', target.host, info.remoteAddress, info.remotePort, info.protocol, info.cipher);
    if (detailed) (onSecure as InspectListener | undefined)?.(info, socket, detailed);
    else (onSecure as SecureListener | undefined)?.(info, socket);
  });
  return socket;
}

/**
 * How long {@link Connector.openTlsViaProxy} waits for the proxy's answer to CONNECT (including the TCP connect), ms.
 */
export const PROXY_CONNECT_TIMEOUT_MS = 10_000;

/** Options of {@link Connector.openTlsInspect}. */
export interface InspectOptions {
  /** Trust store to report the chain against (default: Node's roots plus the target's `ca`). */
  secureContext?: tls.SecureContext;
}

/**
 * Opens every network connection of the package: pinned TLS, TLS for inspection, TLS through a CONNECT proxy, and the
 * plain TCP/UDP {@link Sockets}. Built by {@link createConnector} and passed in (undici's `buildConnector` pattern):
 * sessions, probes and dps-check take one as an option, so a test hands them a recording connector and sees every
 * attempt — including that a refused endpoint never reaches a socket.
 */
export interface Connector extends Sockets {
  /** TCP+TLS straight to a pinned address. The DNS name stays in SNI and the certificate check. */
  openTls(target: ConnectTarget, onSecure?: SecureListener): tls.TLSSocket;
  /**
   * Like {@link Connector.openTls}, but the chain is reported instead of enforced (`rejectUnauthorized: false`):
   * diagnostics must see an untrusted or expired certificate to explain it. The TLS version floor is still enforced,
   * and nothing but the handshake (and what the caller writes) crosses the socket — no credential is offered.
   */
  openTlsInspect(
    target: Omit<ConnectTarget, 'cert' | 'key' | 'passphrase' | 'proxy'>,
    options?: InspectOptions,
    onSecure?: InspectListener,
  ): tls.TLSSocket;
  /**
   * TCP to the proxy, HTTP CONNECT host:port, then TLS to `host` inside the tunnel. Until the proxy's 2xx answer,
   * every failure is a {@link ProxyTunnelError} naming the proxy: no TCP connection, an error or a close before the
   * status line, a non-2xx answer, or no answer within `options.connectTimeoutMs` (default
   * {@link PROXY_CONNECT_TIMEOUT_MS}). `callback` is called exactly once. `options.onTunnel` is called with the proxy
   * (`address:port`) as soon as it answered 2xx: from then on the proxy did its job, and a silence or failure is about
   * the service behind it.
   */
  openTlsViaProxy(
    target: ConnectTarget & { proxy: NonNullable<ConnectTarget['proxy']> },
    onSecure: SecureListener | undefined,
    callback: (err: Error | null, socket?: tls.TLSSocket) => void,
    options?: TunnelOptions,
  ): net.Socket;
}

/** Options of {@link Connector.openTlsViaProxy}. */
export interface TunnelOptions {
  /** How long to wait for the proxy's answer to CONNECT (including the TCP connect), ms. */
  connectTimeoutMs?: number;
  /** Called once the proxy answered 2xx, with the proxy as `address:port`. */
  onTunnel?: (proxy: string) => void;
}

/**
 * Builds a {@link Connector} on Node's tls over `sockets` (default: Node's net and dgram). Every TCP connection it
 * makes, the proxy's included, goes through `sockets`, so wrapping them counts every one.
 */
export function createConnector(sockets: Sockets = createSockets()): Connector {
  return {
    openTcp(address, port) {
      log('tcp %s port %d', address, port);
      return sockets.openTcp(address, port);
    },
    openUdp: (address) => sockets.openUdp(address),
    openTls: openPinnedTls,
    openTlsInspect: openInspectTls,
    openTlsViaProxy: (target, onSecure, callback, options) =>
      openTunnelledTls(sockets, target, onSecure, callback, options),
  };
}

/**
 * The connector used when a caller passes none. Do not patch it in tests: build a recording connector with
 * {@link createConnector} and pass it in.
 */
export const defaultConnector: Connector = Object.freeze(createConnector(systemSockets));

function openPinnedTls(target: ConnectTarget, onSecure?: SecureListener): tls.TLSSocket {
  const dial = dialOptions(target);
  log('connect %s pinned to %s port %d', target.host, target.addresses.join(','), target.port);
  const seen: PeerSeen = {};
  const socket = leanPeer(tls.connect({ ...tlsOptions(target, seen), ...dial }), seen);
  return guard(socket, target, seen, onSecure);
}

function openInspectTls(
  target: Omit<ConnectTarget, 'cert' | 'key' | 'passphrase' | 'proxy'>,
  options: InspectOptions = {},
  onSecure?: InspectListener,
): tls.TLSSocket {
  const dial = dialOptions(target);
  log('inspect %s pinned to %s port %d', target.host, target.addresses.join(','), target.port);
  const seen: PeerSeen = {};
  const socket = tls.connect({
    minVersion: target.minVersion,
    maxVersion: maxVersionFor(target.minVersion),
    rejectUnauthorized: false,
    ...(options.secureContext
      ? { secureContext: options.secureContext }
      : target.ca !== undefined
        ? { secureContext: sharedContext({ ca: target.ca, minVersion: target.minVersion }) }
        : {}),
    ...identityOptions(target, seen),
    ...dial,
  });
  return guard(socket, target, seen, onSecure);
}

/** The CONNECT tunnel of {@link Connector.openTlsViaProxy}. */
function openTunnelledTls(
  sockets: Sockets,
  target: ConnectTarget & { proxy: NonNullable<ConnectTarget['proxy']> },
  onSecure: SecureListener | undefined,
  callback: (err: Error | null, socket?: tls.TLSSocket) => void,
  options: TunnelOptions = {},
): net.Socket {
  const proxy = proxyLabel(target.proxy);
  const request = `CONNECT ${target.host}:${target.port}`;
  const timeoutMs = options.connectTimeoutMs ?? PROXY_CONNECT_TIMEOUT_MS;
  log('connect %s via proxy %s', target.host, proxy);
  const raw = sockets.openTcp(target.proxy.address, target.proxy.port);
  let buffered = Buffer.alloc(0);
  let connected = false;
  let settled = false;
  const settle = (): void => {
    settled = true;
    clearTimeout(timer);
    raw.off('data', onData);
    raw.off('error', onError);
    raw.off('end', onClosed);
    raw.off('close', onClosed);
  };
  const fail = (err: ProxyTunnelError): void => {
    if (settled) return;
    settle();
    log('proxy %s: %s', proxy, err.message);
    raw.destroy();
    callback(err);
  };
  const unreachable = (detail: string, cause?: unknown): ProxyTunnelError =>
    new ProxyTunnelError('EPROXY_UNREACHABLE', `proxy ${proxy}: ${detail}`, proxy, undefined, { cause });
  const partial = (): string => buffered.toString('latin1').split('\r\n', 1)[0].slice(0, 200);
  const onError = (err: NodeJS.ErrnoException): void => {
    const what = `${err.code ? `${err.code}: ` : ''}${err.message}`;
    if (!connected) fail(unreachable(`no TCP connection (${what})`, err));
    else
      fail(
        new ProxyTunnelError(
          'EPROXY',
          `proxy ${proxy} dropped the connection before answering ${request} (${what})`,
          proxy,
          undefined,
          { cause: err },
        ),
      );
  };
  // Without this a proxy that closes instead of answering would leave the caller waiting for its whole deadline.
  const onClosed = (): void => {
    const how = buffered.length ? `after a partial answer "${partial()}" to` : 'without answering';
    fail(new ProxyTunnelError('EPROXY', `proxy ${proxy} closed the connection ${how} ${request}`, proxy));
  };
  const timer = setTimeout(() => {
    fail(
      unreachable(
        connected ? `no answer to ${request} within ${timeoutMs} ms` : `no TCP connection within ${timeoutMs} ms`,
      ),
    );
  }, timeoutMs);
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buffered.length > 16384)
        fail(
          new ProxyTunnelError(
            'EPROXY',
            `proxy ${proxy} answered ${request} with more than 16 KiB of headers`,
            proxy,
            partial(),
          ),
        );
      return;
    }
    const head = buffered.subarray(0, end).toString('latin1');
    const statusLine = head.split('\r\n', 1)[0].slice(0, 200);
    // RFC 9110 9.3.6: any 2xx answer to CONNECT means the tunnel is open.
    if (!/^HTTP\/1\.[01] 2\d\d(?: |$)/.test(statusLine)) {
      const challenge = /^proxy-authenticate:[ \t]*(.*)$/im.exec(head)?.[1]?.trim().slice(0, 200);
      fail(
        new ProxyTunnelError(
          'EPROXY',
          `proxy ${proxy} refused ${request}: ${statusLine}`,
          proxy,
          statusLine,
          challenge ? { proxyAuthenticate: challenge } : undefined,
        ),
      );
      return;
    }
    settle();
    log('proxy %s opened the tunnel: %s', proxy, statusLine);
    options.onTunnel?.(proxy);
    const rest = buffered.subarray(end + 4);
    if (rest.length) raw.unshift(rest);
    let socket: tls.TLSSocket;
    const seen: PeerSeen = {};
    try {
      socket = leanPeer(tls.connect({ ...tlsOptions(target, seen), socket: raw }), seen);
    } catch (err) {
      // A bad client key or certificate throws here, inside a 'data' handler: hand it back instead of crashing.
      raw.destroy();
      callback(err as Error);
      return;
    }
    callback(null, guard(socket, target, seen, onSecure));
  };
  raw.on('error', onError);
  raw.on('data', onData);
  raw.on('end', onClosed);
  raw.on('close', onClosed);
  raw.once('connect', () => {
    connected = true;
    raw.write(`${request} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n\r\n`);
  });
  return raw;
}
