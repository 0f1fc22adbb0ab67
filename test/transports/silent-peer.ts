// Peers that accept a connection and then say nothing, on a loopback address the test chooses (inside the lab VNET),
// for deadlines at the steps before DPS is reached: "connecting" (TCP accepted, no TLS) and "tls" (TLS completed, no
// CONNACK over mqtt, no WebSocket upgrade answer over mqtt-ws).
import net from 'node:net';
import tls from 'node:tls';
import { issueCertificate } from '../../src/lab/certs';

export interface SilentPeer {
  address: string;
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** The CA that issued the TLS peer's certificate (undefined for the TCP peer): pass it as tls.ca. */
  caPem?: string;
  close(): Promise<void>;
}

/**
 * Listens on `address` (loopback only). `kind` 'tcp' never starts TLS; 'tls' completes the handshake with a
 * certificate for `host` issued by a fresh CA, then reads and drops whatever the client sends.
 */
export async function startSilentPeer(kind: 'tcp' | 'tls', address: string, host: string): Promise<SilentPeer> {
  if (!/^127\./.test(address)) throw new Error(`a silent peer binds loopback only, not ${address}`);
  const held = new Set<net.Socket>();
  let accepted = 0;
  const hold = (s: net.Socket): void => {
    accepted++;
    held.add(s);
    s.setNoDelay(true);
    s.on('close', () => held.delete(s));
    s.on('error', () => undefined);
    // Read (and drop) what the client sends, so its close is seen and this side closes too.
    s.resume();
  };
  let server: net.Server;
  let caPem: string | undefined;
  if (kind === 'tcp') {
    server = net.createServer(hold);
  } else {
    const ca = issueCertificate({ commonName: 'Silent Peer Test CA', usage: 'ca', isCa: true });
    const leaf = issueCertificate({ commonName: host, dnsNames: [host], usage: 'server', issuer: ca });
    caPem = ca.certPem;
    server = tls.createServer({ cert: leaf.chainPem, key: leaf.keyPem, minVersion: 'TLSv1.2' }, hold);
    server.on('tlsClientError', () => undefined);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  return {
    address,
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    ...(caPem !== undefined ? { caPem } : {}),
    close: async () => {
      for (const s of held) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
