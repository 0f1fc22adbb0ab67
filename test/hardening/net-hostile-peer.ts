// A hostile DPS or hub on loopback, built in the test: a TLS server speaking MQTT through mqtt-packet, whose every
// answer the test script decides (the lab cannot be told to send `$rid=__proto__` or to ignore DISCONNECT). With its
// own CA and its own DNS server answering the name with the peer's loopback address.
import net from 'node:net';
import tls from 'node:tls';
import * as mqttPacket from 'mqtt-packet';
import { issueCertificate } from '../../src/lab/certs';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';
import type { ProvisioningResult } from '../../src/index';

/** What the peer does with each packet it receives; `conn` writes packets back or ends the connection. */
export interface PeerScript {
  /** CONNECT: default CONNACK 0. Return false to send nothing (a peer that closes before CONNACK ends `conn`). */
  onConnect?(conn: PeerConnection, packet: mqttPacket.IConnectPacket): void | false;
  /** SUBSCRIBE: default SUBACK granting what was asked. Return false to send nothing (the script answers itself). */
  onSubscribe?(conn: PeerConnection, packet: mqttPacket.ISubscribePacket): void | false;
  /** Every PUBLISH from the device (register, poll, telemetry). */
  onPublish?(conn: PeerConnection, packet: mqttPacket.IPublishPacket): void;
  /**
   * DISCONNECT: default close the socket. Return false to keep it open (a peer ignoring the goodbye: it also ignores
   * the device's FIN, the connection stays half-open).
   */
  onDisconnect?(conn: PeerConnection): void | false;
}

export interface PeerConnection {
  socket: tls.TLSSocket;
  send(packet: Partial<mqttPacket.Packet> & { cmd: string }): void;
  /** Publishes `payload` on `topic` (QoS 0). */
  publish(topic: string, payload: string | Buffer): void;
  /** Destroys the socket (a reset, as a NAT timing out or a crashed peer). */
  drop(): void;
}

export interface HostilePeer {
  /** The name it serves (certificate SAN and DNS name). */
  host: string;
  /** Its loopback address. */
  address: string;
  port: number;
  /** The CA that issued its certificate (pass as tls.ca). */
  caPem: string;
  /** A DNS server answering `host` (and any extra records) with `address`. */
  dns: DnsServer;
  /** TCP connections accepted. */
  connections: number;
  /** PUBLISH topics received, in order. */
  published: string[];
  /** The connections open now (to push a message to the device). */
  live(): PeerConnection[];
  /** Destroys the peer's side of every connection (before counting the device's handles: these are the peer's). */
  dropAll(): void;
  close(): Promise<void>;
}

let nextOctet = 1;

/**
 * Starts a hostile peer for `host` on 127.77.<n>.1 (a fresh address per peer, so ports never collide across peers),
 * with its own CA and DNS server. `extraNames` are answered with the same address (e.g. the hub name).
 */
export async function startHostilePeer(
  host: string,
  script: PeerScript,
  extraNames: Record<string, { a?: string[]; aaaa?: string[] }> = {},
): Promise<HostilePeer> {
  const address = `127.77.${nextOctet++ % 250}.1`;
  const ca = issueCertificate({ commonName: 'hostile peer CA', usage: 'ca' });
  const cert = issueCertificate({ commonName: host, dnsNames: [host], usage: 'server', issuer: ca });
  const sockets = new Set<net.Socket>();
  const conns = new Set<PeerConnection>();
  const peer = { connections: 0, published: [] as string[] };
  const options = { key: cert.keyPem, cert: cert.certPem, minVersion: 'TLSv1.2' as const, allowHalfOpen: true };
  const server = tls.createServer(options, (socket) => {
    peer.connections++;
    let holding = false;
    socket.on('end', () => {
      if (!holding) socket.end();
    });
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    const conn: PeerConnection = {
      socket,
      send: (packet) => {
        if (!socket.destroyed) socket.write(mqttPacket.generate(packet as mqttPacket.Packet));
      },
      publish: (topic, payload) =>
        conn.send({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false } as mqttPacket.IPublishPacket),
      drop: () => socket.destroy(),
    };
    conns.add(conn);
    socket.on('close', () => conns.delete(conn));
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('error', () => socket.destroy());
    parser.on('packet', (p: mqttPacket.Packet) => {
      switch (p.cmd) {
        case 'connect':
          if (script.onConnect?.(conn, p) === false) return;
          conn.send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
          return;
        case 'subscribe':
          if (script.onSubscribe?.(conn, p) === false) return;
          conn.send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map((s) => s.qos) });
          return;
        case 'unsubscribe':
          conn.send({ cmd: 'unsuback', messageId: p.messageId });
          return;
        case 'pingreq':
          conn.send({ cmd: 'pingresp' });
          return;
        case 'publish':
          peer.published.push(p.topic);
          if (p.qos === 1) conn.send({ cmd: 'puback', messageId: p.messageId });
          script.onPublish?.(conn, p);
          return;
        case 'disconnect':
          if (script.onDisconnect?.(conn) === false) {
            holding = true;
            return;
          }
          socket.end();
          return;
        default:
          return;
      }
    });
    socket.on('data', (d: Buffer) => parser.parse(d));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const zone: Record<string, { a?: string[]; aaaa?: string[] }> = { [host]: { a: [address] }, ...extraNames };
  const dns = await startDnsServer({ zone });
  return Object.assign(peer, {
    host,
    address,
    port,
    caPem: ca.certPem,
    dns,
    live: () => [...conns],
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dns.close();
    },
  });
}

/** The `$rid` of a DPS request topic (`…/?$rid=<rid>…`). */
export function ridOf(topic: string): string {
  return /[?&]\$rid=([^&]*)/.exec(topic)?.[1] ?? '';
}

/** A DPS "assigned" body for `hub`. */
export function assignedBody(registrationId: string, hub: string): string {
  return JSON.stringify({
    operationId: 'op-1',
    status: 'assigned',
    registrationState: { registrationId, assignedHub: hub, deviceId: registrationId, status: 'assigned' },
  });
}

/**
 * A stored provisioning result assigning `hub` (served at `address`, inside 127.77.0.0/16) to dev-1: what a hub
 * client is built from when the test plays the hub itself.
 */
export function resultFor(dps: string, hub: string, address: string): ProvisioningResult {
  return {
    assignedHub: hub,
    deviceId: 'dev-1',
    registrationId: 'dev-1',
    fromCache: false,
    transport: 'mqtt',
    tls: { protocol: 'TLSv1.3', cipher: 'x' },
    findings: [],
    dps: { host: dps, addresses: [], expectedCidrs: ['127.77.0.0/16'] },
    hub: {
      host: hub,
      verdict: 'private-in-vnet',
      expectedCidrs: ['127.77.0.0/16'],
      addresses: [{ address, addressClass: 'loopback', inExpectedRange: true }],
      findings: [],
      trace: [],
    },
    provisionedAt: new Date().toISOString(),
  } as unknown as ProvisioningResult;
}
