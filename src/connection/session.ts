import type { TransportName } from '../config/types';
import type net from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { logger } from '../log';
import { defaultConnector, type Connector } from './connector';
import { TRANSPORTS, type StreamOpener } from './transports';
import { diagnoseConnectionError, proxyLabel, TLS_STALLED_CODE } from './diagnose';
import type { ConnectTarget, ConnectionFailure, TlsInfo } from './types';

const log = logger('connection');

/** Client credentials that the SDK hands to the provider at connect time. */
export interface ClientCredentials {
  cert?: ConnectTarget['cert'];
  key?: ConnectTarget['key'];
  passphrase?: string;
}

/**
 * One logical connection to one service (DPS or a hub) under one policy: it opens every socket through the
 * connector, remembers what the live TLS socket negotiated and why the last attempt failed, and can close
 * everything at once (abort, deadline).
 */
export class ConnectionSession {
  /** What the last successful handshake negotiated. */
  tls: TlsInfo | undefined;
  /** The first diagnosed failure of the latest attempt. */
  failure: ConnectionFailure | undefined;
  /**
   * The proxy (`address:port`) that opened a CONNECT tunnel for the latest attempt, once it answered 2xx; undefined
   * without a proxy or before its answer. Tells "the proxy failed" apart from "the service behind it did".
   */
  tunnel: string | undefined;
  /**
   * Where the latest attempt's TCP connection got through: the service address, or the proxy (`address:port`) once it
   * opened the tunnel. Set before TLS starts, so a handshake that then goes silent is told apart from no TCP at all.
   */
  connected: string | undefined;
  /** Number of connection attempts made (sockets opened). */
  attempts = 0;
  private readonly sockets = new Set<net.Socket | Duplex>();
  private closed = false;

  /**
   * @param target where to connect (pinned addresses, TLS policy, proxy).
   * @param hooks called at each connection attempt, each TCP connection (or opened tunnel) and each completed,
   *   policy-checked handshake.
   * @param connector opens the sockets (default {@link defaultConnector}); tests pass a recording one.
   */
  constructor(
    private pinned: Readonly<ConnectTarget>,
    private readonly hooks: {
      onAttempt?: () => void;
      onConnect?: () => void;
      onSecure?: (info: TlsInfo) => void;
    } = {},
    private readonly connector: Connector = defaultConnector,
  ) {}

  /** Where the next attempt connects: the host, the verified addresses it is pinned to, the TLS policy. */
  get target(): Readonly<ConnectTarget> {
    return this.pinned;
  }

  /**
   * Pin later attempts to other verified addresses (the hub client's re-verification after its private endpoint
   * moved); open sockets are left alone. With none, later attempts fail at once without a socket.
   */
  repin(addresses: readonly string[]): void {
    this.pinned = { ...this.pinned, addresses: [...addresses] };
  }

  /** True after `close()`; later attempts fail at once without a socket. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens the byte stream of transport `kind` (raw TLS, or WebSockets at `path`). */
  openStream(kind: TransportName, credentials: ClientCredentials, path = '/$iothub/websocket'): Duplex {
    // Through a proxy there is nothing to pin (the proxy resolves the name); without one, no address = no attempt.
    if (this.closed || (this.pinned.addresses.length === 0 && !this.pinned.proxy)) {
      const dead = new PassThrough();
      const why = this.closed ? 'connection session closed' : `no verified address for ${this.pinned.host}`;
      process.nextTick(() => dead.destroy(Object.assign(new Error(why), { code: 'ERR_ABORTED' })));
      return dead;
    }
    const target: ConnectTarget = { ...this.target, ...credentials };
    this.failure = undefined;
    this.tunnel = undefined;
    this.connected = undefined;
    return TRANSPORTS[kind].openStream(this.opener, target, path);
  }

  /**
   * Where the latest connection went, as a finding's evidence: through a CONNECT tunnel the proxy — the socket's peer,
   * whose far end the device cannot see, so no service address is claimed — else the address TLS reached; nothing
   * before a handshake completed.
   */
  get peerEvidence(): { proxy: string } | { address: string } | Record<string, never> {
    if (this.pinned.proxy) return { proxy: proxyLabel(this.pinned.proxy) };
    return this.tls ? { address: this.tls.remoteAddress } : {};
  }

  /**
   * TLS_HANDSHAKE_STALLED, with `detail`, when the latest attempt's TCP connection got through directly and its
   * handshake neither completed nor failed: for a deadline that passed in between. Undefined otherwise, and through a
   * proxy, whose side of the tunnel the device cannot see.
   */
  stalledHandshake(detail: string): ConnectionFailure | undefined {
    const address = this.connected;
    if (!address || this.tls || this.failure || this.pinned.proxy) return undefined;
    const error = Object.assign(new Error(detail), { code: TLS_STALLED_CODE });
    const { host, port, minVersion } = this.pinned;
    return { error, address, finding: diagnoseConnectionError(error, { host, address, port, minVersion }) };
  }

  /** Destroys every socket this session opened. Idempotent. */
  close(): void {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** What transports build their streams with: every socket is counted, watched and closed with the session. */
  private readonly opener: StreamOpener = {
    openTls: (target) => {
      this.attempt();
      const socket = this.connector.openTls(target, (info) => this.secured(info));
      socket.once('connect', () => this.tcpConnected(socket.remoteAddress ?? target.addresses[0]));
      this.watch(socket, target, () => socket.remoteAddress ?? undefined);
      return socket;
    },
    openTunnel: (target, callback) => {
      const proxy = target.proxy;
      if (!proxy) throw new Error('openTunnel needs a proxy');
      this.attempt();
      const onTunnel = (address: string): void => {
        this.tunnel = address;
        this.tcpConnected(address);
      };
      const raw = this.connector.openTlsViaProxy(
        { ...target, proxy },
        (info) => this.secured(info),
        (err, socket) => {
          // From here the TLS socket owns the raw one; destroying both separately can crash Node's TLS wrap.
          this.sockets.delete(raw);
          if (err || !socket) {
            if (err) this.record(err, target, proxy.address, false);
            callback(err ?? new Error('no socket from the proxy tunnel'));
            return;
          }
          this.watch(socket, target, () => proxy.address);
          callback(null, socket);
        },
        { onTunnel },
      );
      this.sockets.add(raw);
      raw.once('close', () => this.sockets.delete(raw));
    },
    track: (stream) => this.track(stream),
  };

  private attempt(): void {
    this.attempts++;
    this.hooks.onAttempt?.();
  }

  private tcpConnected(address: string | undefined): void {
    this.connected = address;
    this.hooks.onConnect?.();
  }

  private secured(info: TlsInfo): void {
    this.tls = info;
    this.hooks.onSecure?.(info);
  }

  private watch(socket: net.Socket, target: ConnectTarget, address: () => string | undefined): void {
    this.track(socket);
    let secured = false;
    socket.once('secureConnect', () => {
      secured = true;
    });
    socket.on('error', (err) => this.record(err, target, address() ?? target.addresses[0], secured));
  }

  private record(err: Error, target: ConnectTarget, address: string | undefined, secured: boolean): void {
    if (this.failure || this.closed) return;
    const finding = diagnoseConnectionError(err, {
      host: target.host,
      address,
      port: target.port,
      minVersion: target.minVersion,
      secured,
      ...(target.proxy ? { proxy: target.proxy } : {}),
    });
    log('connection to %s failed: %s (%s)', target.host, finding.code, err.message);
    this.failure = { finding, error: err, address };
  }

  private track<S extends net.Socket | Duplex>(s: S): S {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    return s;
  }
}
