// Test helpers for the connection module: a small PKI and TLS servers bound to loopback addresses only.
import net from 'node:net';
import tls from 'node:tls';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { issueCertificate, rsaKey, type LabCertificate } from '../../src/lab/certs';

export const HOST = 'svc.dpl-test.azure-devices-provisioning.net';

/** One root CA and server certificates for HOST: good, wrong SAN, expired; plus an unrelated root. */
export function testPki(): {
  root: LabCertificate;
  other: LabCertificate;
  good: LabCertificate;
  wrongSan: LabCertificate;
  expired: LabCertificate;
} {
  const root = issueCertificate({ commonName: 'dpl test root', usage: 'ca' }, rsaKey(0));
  const other = issueCertificate({ commonName: 'dpl unrelated root', usage: 'ca' }, rsaKey(1));
  const key = rsaKey(2);
  const good = issueCertificate({ commonName: HOST, dnsNames: [HOST], usage: 'server', issuer: root }, key);
  const wrongSan = issueCertificate(
    { commonName: 'wrong.example.net', dnsNames: ['wrong.example.net'], usage: 'server', issuer: root },
    key,
  );
  const expired = issueCertificate(
    {
      commonName: HOST,
      dnsNames: [HOST],
      usage: 'server',
      issuer: root,
      notBefore: new Date(Date.now() - 10 * 86400_000),
      notAfter: new Date(Date.now() - 86400_000),
    },
    key,
  );
  return { root, other, good, wrongSan, expired };
}

/** A TLS echo-less server on a loopback address that records every connection and the SNI it saw. */
export interface TestTlsServer {
  address: string;
  port: number;
  connections: number;
  servernames: (string | false | null)[];
  close(): Promise<void>;
}

export async function startTlsServer(
  address: string,
  cert: LabCertificate,
  options: tls.TlsOptions = {},
): Promise<TestTlsServer> {
  const context = tls.createSecureContext({ cert: cert.chainPem, key: cert.keyPem });
  const handle: TestTlsServer = { address, port: 0, connections: 0, servernames: [], close: async () => undefined };
  // SNI is recorded from the ClientHello: the client may close right after its own handshake completes.
  const server = tls.createServer({
    cert: cert.chainPem,
    key: cert.keyPem,
    SNICallback: (name, cb) => {
      handle.servernames.push(name);
      cb(null, context);
    },
    ...options,
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    handle.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: tls.TLSSocket) => s.on('error', () => undefined));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  handle.port = (server.address() as net.AddressInfo).port;
  handle.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return handle;
}

/** A free TCP port on `address` (bound, then released). */
export async function freePort(address: string): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, address, resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** `openssl s_server` speaking only TLS 1.1 (OpenSSL 3 needs SECLEVEL=0 for it) on address:port. */
export async function startLegacyTlsServer(
  address: string,
  cert: Pick<LabCertificate, 'chainPem' | 'keyPem'>,
): Promise<{ port: number; child: ChildProcess; close(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dpl-legacy-'));
  writeFileSync(path.join(dir, 'cert.pem'), cert.chainPem);
  writeFileSync(path.join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  const port = await freePort(address);
  const child = spawn(
    'openssl',
    [
      's_server',
      '-tls1_1',
      '-cipher',
      'DEFAULT:@SECLEVEL=0',
      '-accept',
      `${address}:${port}`,
      '-cert',
      'cert.pem',
      '-key',
      'key.pem',
      '-naccept',
      '1000',
    ],
    { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${out}`)), 5000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`openssl s_server exited ${code}: ${out}`)));
  });
  return { port, child, close: () => child.kill() };
}
