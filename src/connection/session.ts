import type { TransportName } from '../config/types';
import type net from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import type tls from 'node:tls';
import type WebSocketType from 'ws';
import { logger } from '../log';
import { connector } from './connector';
import { diagnoseConnectionError } from './diagnose';
import type { ConnectTarget, ConnectionFailure, TlsInfo } from './types';

const log = logger('connection');

/** @deprecated the transport name is {@link TransportName}; kept as an alias for existing imports. */
export type MqttTransportKind = TransportName;

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
  /** Number of connection attempts made (sockets opened). */
  attempts = 0;
  private readonly sockets = new Set<net.Socket | Duplex>();
  private closed = false;

  constructor(
    readonly target: Readonly<ConnectTarget>,
    private readonly hooks: { onAttempt?: () => void; onSecure?: (info: TlsInfo) => void } = {},
  ) {}

  /** True after `close()`; later attempts fail at once without a socket. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a byte stream for MQTT (raw TLS) or MQTT-over-WebSockets at `path`. */
  openStream(kind: MqttTransportKind, credentials: ClientCredentials, path = '/$iothub/websocket'): Duplex {
    if (this.closed) {
      const dead = new PassThrough();
      process.nextTick(() =>
        dead.destroy(Object.assign(new Error('connection session closed'), { code: 'ERR_ABORTED' })),
      );
      return dead;
    }
    const target: ConnectTarget = { ...this.target, ...credentials };
    this.failure = undefined;
    this.tunnel = undefined;
    return kind === 'mqtt' ? this.track(this.openTls(target)) : this.openWebSocket(target, path);
  }

  /** Destroys every socket this session opened. Idempotent. */
  close(): void {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private openTls(target: ConnectTarget): tls.TLSSocket {
    this.attempts++;
    this.hooks.onAttempt?.();
    const socket = connector.openTls(target, (info) => this.secured(info));
    this.watch(socket, target, () => socket.remoteAddress ?? undefined);
    return socket;
  }

  private openWebSocket(target: ConnectTarget, path: string): Duplex {
    // Loaded only for mqtt-ws, like the SDK's own transports: an mqtt device never pays for it.
    const WebSocket = require('ws') as typeof WebSocketType;
    const url = `wss://${target.host}:${target.port}${path}`;
    const ws = new WebSocket(url, ['mqtt'], {
      perMessageDeflate: false,
      // Our connector replaces ws's own tls.connect: the pinned address, policy and proxy tunnel apply here too.
      createConnection: ((_opts: unknown, oncreate: (err: Error | null, socket?: net.Socket) => void) => {
        if (!target.proxy) return this.openTls(target);
        this.attempts++;
        this.hooks.onAttempt?.();
        const proxied = { ...target, proxy: target.proxy };
        const onTunnel = (proxy: string): void => {
          this.tunnel = proxy;
        };
        const raw = connector.openTlsViaProxy(
          proxied,
          (info) => this.secured(info),
          (err, socket) => {
            // From here the TLS socket owns the raw one; destroying both separately can crash Node's TLS wrap.
            this.sockets.delete(raw);
            if (err) {
              this.record(err, target, target.proxy?.address, false);
              oncreate(err);
              return;
            }
            if (socket) {
              this.watch(socket, target, () => target.proxy?.address);
              oncreate(null, socket);
            }
          },
          { onTunnel },
        );
        this.sockets.add(raw);
        raw.once('close', () => this.sockets.delete(raw));
        return undefined;
      }) as unknown as typeof import('node:net').createConnection,
    });
    const stream = WebSocket.createWebSocketStream(ws);
    ws.on('close', () => stream.destroy());
    // The stream reports ws errors; keep ws itself from throwing on an unhandled 'error'.
    ws.on('error', (err) => log('websocket %s: %s', target.host, err.message));
    return this.track(stream);
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
