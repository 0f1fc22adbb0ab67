import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import * as mqttPacket from 'mqtt-packet';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { logger } from '../log';
import { LabListenError } from './errors';

/** The WebSocket path the Azure SDK dials for MQTT over WebSockets. */
export const WEBSOCKET_PATH = '/$iothub/websocket';

/** What the lab learned about a client from its TLS handshake. */
export interface PeerInfo {
  transport: 'mqtt' | 'mqtt-ws';
  remoteAddress: string;
  /** Present when the client sent a certificate. */
  certificate?: {
    commonName: string;
    /** SHA-256 thumbprint of the leaf, upper-case hex. */
    thumbprint: string;
    /** Thumbprints of every certificate in the chain the server built (leaf first). */
    chainThumbprints: string[];
    /** The chain verified against the lab root CA. */
    chainTrusted: boolean;
    validFrom: string;
    validTo: string;
  };
}

/**
 * Callbacks a protocol (DPS, hub) plugs into a listener. Return a CONNACK return code from `connect` (0 = accepted;
 * -1 = send no CONNACK and leave the client waiting, a fault).
 */
export interface SessionHandler {
  connect(session: MqttSession, packet: mqttPacket.IConnectPacket): number;
  publish(session: MqttSession, packet: mqttPacket.IPublishPacket): void;
  /** Called once the session ends, for whatever reason. */
  closed?(session: MqttSession): void;
  /** Called when the client is dropped for a protocol error (garbage, no CONNECT, MQTT 5, a second CONNECT). */
  protocolError?(session: MqttSession): void;
}

const log = logger('lab:mqtt');
const CONNECT_TIMEOUT_MS = 10_000;

let nextSessionId = 1;

/** One MQTT 3.1.1 client connection: parser and generator from mqtt-packet, over TLS or WebSocket-over-TLS. */
export class MqttSession {
  readonly id = nextSessionId++;
  clientId = '';
  username = '';
  connected = false;
  private ended = false;
  private nextMessageId = 1;

  constructor(
    readonly listener: string,
    readonly peer: PeerInfo,
    private readonly stream: Duplex,
    private readonly handler: SessionHandler,
  ) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const timer = setTimeout(() => this.protocolError('no CONNECT within 10 s'), CONNECT_TIMEOUT_MS);
    timer.unref();
    parser.on('packet', (packet: mqttPacket.Packet) => {
      if (this.ended) return;
      try {
        if (!this.connected && packet.cmd !== 'connect')
          return this.protocolError(`first packet is ${packet.cmd}, not CONNECT`);
        this.onPacket(packet, timer);
      } catch (err) {
        // A handler bug must not take the lab down: drop this client and keep serving the others.
        this.drop(`internal error handling ${packet.cmd}: ${(err as Error).message}`);
      }
    });
    parser.on('error', (err: Error) => this.protocolError(`not MQTT: ${err.message}`));
    stream.on('data', (chunk: Buffer) => {
      if (!this.ended) parser.parse(chunk);
    });
    stream.on('error', (err) => log('%s #%d stream error: %s', listener, this.id, err.message));
    stream.on('close', () => {
      clearTimeout(timer);
      const first = !this.ended;
      this.ended = true;
      if (first || this.connected) this.handler.closed?.(this);
    });
  }

  private onPacket(packet: mqttPacket.Packet, timer: NodeJS.Timeout): void {
    switch (packet.cmd) {
      case 'connect':
        return this.onConnect(packet, timer);
      case 'subscribe':
        // Grant what was asked, capped at QoS 1 like IoT Hub and DPS: the SDK must never hang waiting for a SUBACK.
        this.send({
          cmd: 'suback',
          messageId: packet.messageId ?? 0,
          granted: packet.subscriptions.map((s) => (s.qos > 1 ? 1 : s.qos)),
        });
        return;
      case 'unsubscribe':
        this.send({ cmd: 'unsuback', messageId: packet.messageId ?? 0, granted: [] });
        return;
      case 'publish':
        if (packet.qos > 0) this.send({ cmd: 'puback', messageId: packet.messageId ?? 0 });
        this.handler.publish(this, packet);
        return;
      case 'pingreq':
        this.send({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        this.end();
        return;
      default:
        return; // PUBACKs for our QoS 1 publishes and anything else harmless
    }
  }

  /** MQTT 3.1.1 only; the handler decides the CONNACK code, and a refused client is dropped after it. */
  private onConnect(packet: mqttPacket.IConnectPacket, timer: NodeJS.Timeout): void {
    if (this.connected) return this.protocolError('second CONNECT');
    clearTimeout(timer);
    if (packet.protocolVersion !== 4) {
      this.send({ cmd: 'connack', returnCode: 1, sessionPresent: false });
      return this.protocolError(`unsupported protocol version ${String(packet.protocolVersion)}`, true);
    }
    this.clientId = packet.clientId;
    this.username = packet.username ?? '';
    const returnCode = this.handler.connect(this, packet);
    if (this.ended || returnCode < 0) return;
    this.send({ cmd: 'connack', returnCode, sessionPresent: false });
    if (returnCode !== 0) return this.drop(`CONNACK return code ${returnCode}`, true);
    this.connected = true;
  }

  /** Write one packet. */
  send(packet: mqttPacket.Packet): void {
    if (this.ended || this.stream.destroyed) return;
    this.stream.write(mqttPacket.generate(packet));
  }

  /** Publish to the client with QoS 1 (as DPS does for responses). */
  publish(topic: string, payload: string | Buffer): void {
    const messageId = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 65535) + 1;
    this.send({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false, messageId });
  }

  /** Close gracefully (after pending writes). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stream.end();
  }

  /** Drop a client that broke the protocol (counted by the handler), logging why. */
  protocolError(reason: string, flush = false): void {
    if (this.ended) return;
    this.handler.protocolError?.(this);
    this.drop(reason, flush);
  }

  /** Drop the client: log why, then destroy the stream (flushing a final CONNACK when `flush`). */
  drop(reason: string, flush = false): void {
    if (this.ended) return;
    log(
      '%s #%d from %s (client %s) dropped: %s',
      this.listener,
      this.id,
      this.peer.remoteAddress,
      this.clientId || '-',
      reason,
    );
    this.ended = true;
    if (flush) this.stream.end();
    else this.stream.destroy();
  }
}

/** Options of one listener: a TLS port and, optionally, a WebSocket-over-TLS port on the same loopback address. */
export interface ListenerOptions {
  /** For logs: 'dps', 'public-twin', 'hub', 'hub-public'. */
  name: string;
  address: string;
  port: number;
  /** undefined = no WebSocket listener. */
  wsPort?: number;
  cert: { certPem: string; keyPem: string };
  /** CAs client certificate chains are verified against. */
  clientCas: string[];
  handler: SessionHandler;
  /** Counts each accepted TCP connection (before TLS). */
  onConnection?(): void;
  /**
   * Answers plain HTTPS requests (no WebSocket upgrade) on the WebSocket port, except at the WebSocket path, which
   * always answers 426. Default: 426 for every plain request.
   */
  onHttpRequest?(req: IncomingMessage, res: ServerResponse): void;
  /** The clock for the `Date` header of the 426 answer (ms since the epoch). Default Date.now. */
  now?(): number;
}

/** A running listener. */
export interface Listener {
  port: number;
  wsPort: number;
  /** Serve a different certificate from the next handshake on (certificate faults). */
  setCertificate(cert: { certPem: string; keyPem: string }): void;
  /** From the next connection on, accept TCP and never answer TLS (the tls-stall fault); false serves TLS again. */
  setStalled(stalled: boolean): void;
  close(): Promise<void>;
}

type ServerCert = ListenerOptions['cert'];

/** Start an MQTT-over-TLS listener (and MQTT over WebSockets over TLS when `wsPort` is set). */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    // Without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms to every request/response on loopback.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    options.onConnection?.();
  };
  let stalled = false;
  const tlsServer = await startTlsServer(options, track);
  holdWhenStalled(tlsServer, () => stalled, track);
  let ws: WebSocketFace | undefined;
  try {
    ws = options.wsPort === undefined ? undefined : await startWebSocketServer(options, options.wsPort, track);
  } catch (err) {
    // The WebSocket port could not be bound: release the TLS port this listener already holds.
    await close(tlsServer);
    throw err;
  }
  if (ws) holdWhenStalled(ws.https, () => stalled, track);
  return {
    port: (tlsServer.address() as net.AddressInfo).port,
    wsPort: ws ? (ws.https.address() as net.AddressInfo).port : 0,
    setCertificate(cert) {
      tlsServer.setSecureContext(secureContext(options, cert));
      ws?.https.setSecureContext(secureContext(options, cert));
    },
    setStalled(value) {
      stalled = value;
    },
    async close() {
      for (const s of sockets) s.destroy();
      ws?.wss.close();
      await Promise.all([close(tlsServer), ws ? close(ws.https) : undefined]);
    },
  };
}

/**
 * While `stalled()`, a new connection is accepted and tracked but never reaches TLS: what the client sends is read
 * and discarded, nothing is ever sent back. The server's TLS connection listeners are moved behind this gate.
 */
function holdWhenStalled(server: net.Server, stalled: () => boolean, track: (socket: net.Socket) => void): void {
  const tlsListeners = server.listeners('connection').filter((l) => l !== track) as ((socket: net.Socket) => void)[];
  for (const l of tlsListeners) server.off('connection', l);
  server.on('connection', (socket: net.Socket) => {
    if (!stalled()) {
      for (const l of tlsListeners) l.call(server, socket);
      return;
    }
    socket.on('error', (err) => log('held connection from %s: %s', socket.remoteAddress ?? '?', err.message));
    socket.resume();
  });
}

/** TLS options of every lab listener, for `cert`. */
function secureContext(options: ListenerOptions, cert: ServerCert): tls.SecureContextOptions & tls.TlsOptions {
  return {
    key: cert.keyPem,
    cert: cert.certPem,
    ca: options.clientCas,
    requestCert: true,
    // The lab checks client certificates itself, against enrollments, the way DPS does: a self-signed individual
    // enrollment certificate is fine, so OpenSSL must not reject the handshake.
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  };
}

function logTlsError(name: string): (err: Error, socket: tls.TLSSocket) => void {
  return (err, socket) => log('%s: TLS handshake with %s failed: %s', name, socket.remoteAddress ?? '?', err.message);
}

/** MQTT over TLS on `port`. */
async function startTlsServer(options: ListenerOptions, track: (socket: net.Socket) => void): Promise<tls.Server> {
  const server = tls.createServer(secureContext(options, options.cert), (socket) => {
    new MqttSession(options.name, peerInfo(socket, 'mqtt'), socket, options.handler);
  });
  server.on('connection', track);
  server.on('tlsClientError', logTlsError(options.name));
  await listen(server, options.port, options.address, options.name, 'mqttPort');
  return server;
}

/** The WebSocket port: an HTTPS server and the WebSocket server riding on it. */
interface WebSocketFace {
  https: https.Server;
  wss: WebSocketServer;
}

/** MQTT over WebSockets over TLS on `wsPort`, at {@link WEBSOCKET_PATH}; plain HTTPS requests get an answer. */
async function startWebSocketServer(
  options: ListenerOptions,
  wsPort: number,
  track: (socket: net.Socket) => void,
): Promise<WebSocketFace> {
  const server = https.createServer(secureContext(options, options.cert), (req, res) =>
    answerPlainHttps(options, req, res),
  );
  server.on('connection', track);
  server.on('tlsClientError', logTlsError(options.name));
  const wss = new WebSocketServer({
    server,
    path: WEBSOCKET_PATH,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    new MqttSession(options.name, peerInfo(req.socket as tls.TLSSocket, 'mqtt-ws'), stream, options.handler);
  });
  wss.on('error', (err) => log('%s: websocket server error: %s', options.name, err.message));
  await listen(server, wsPort, options.address, options.name, 'wsPort');
  return { https: server, wss };
}

/** Plain HTTPS requests (no WebSocket upgrade) get an answer instead of a socket left hanging. */
function answerPlainHttps(options: ListenerOptions, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (options.onHttpRequest && path !== WEBSOCKET_PATH) return options.onHttpRequest(req, res);
  log('%s: plain HTTPS %s %s from %s: 426', options.name, req.method, req.url, req.socket.remoteAddress);
  const date = new Date((options.now ?? Date.now)()).toUTCString();
  res.writeHead(426, { date, 'content-type': 'text/plain', upgrade: 'websocket' });
  res.end(`MQTT over WebSockets only, at ${WEBSOCKET_PATH} (subprotocol mqtt)\n`);
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function listen(server: net.Server, port: number, address: string, name: string, option: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      log('%s cannot listen on %s:%d: %s', name, address, port, err.code ?? err.message);
      reject(new LabListenError(option, address, port, err));
    };
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      server.on('error', (err) => log('%s: server error: %s', name, err.message));
      resolve();
    });
  });
}

export function peerInfo(socket: tls.TLSSocket, transport: PeerInfo['transport']): PeerInfo {
  const info: PeerInfo = { transport, remoteAddress: socket.remoteAddress ?? '?' };
  const peer = socket.getPeerCertificate(true);
  if (peer && peer.fingerprint256) {
    const chain: string[] = [];
    let c: tls.DetailedPeerCertificate | undefined = peer;
    const seen = new Set<string>();
    while (c && c.fingerprint256 && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      chain.push(c.fingerprint256.replace(/:/g, '').toUpperCase());
      c = c.issuerCertificate;
    }
    const cn = peer.subject?.CN;
    info.certificate = {
      commonName: Array.isArray(cn) ? cn[0] : (cn ?? ''),
      thumbprint: chain[0],
      chainThumbprints: chain,
      chainTrusted: socket.authorized,
      validFrom: peer.valid_from,
      validTo: peer.valid_to,
    };
  }
  return info;
}
