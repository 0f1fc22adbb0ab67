import assert from 'node:assert/strict';
import tls from 'node:tls';
import { defaultConnector as connector } from '../../src/connection/connector';
import type { TlsInfo } from '../../src/connection/types';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

/**
 * tls.connect already converts the server's whole chain to objects for its hostname check; converting it again costs
 * ~0.6 ms a socket (a tenth of a provisioning on loopback, more on a Pi). The connector keeps Node's conversion.
 */
describe('connection: the peer chain is converted once per socket', () => {
  const pki = testPki();
  let server: TestTlsServer;
  before(async () => {
    server = await startTlsServer('127.0.0.1', pki.good);
  });
  after(() => server.close());

  /** Runs one handshake through `open` and counts getPeerCertificate(true) calls on its socket. */
  async function detailedReads(open: (onSecure: (info: TlsInfo) => void) => tls.TLSSocket): Promise<number> {
    const proto = tls.TLSSocket.prototype as { getPeerCertificate: (detailed?: boolean) => unknown };
    const real = proto.getPeerCertificate;
    let detailed = 0;
    proto.getPeerCertificate = function (this: tls.TLSSocket, d?: boolean) {
      if (d) detailed++;
      return real.call(this, d);
    };
    try {
      const info = await new Promise<TlsInfo>((resolve, reject) => {
        const socket = open((i) => {
          resolve(i);
          socket.destroy();
        });
        socket.once('error', reject);
      });
      assert.equal(info.root, 'dpl test root');
      assert.match(info.subjectAltName ?? '', new RegExp(`DNS:${HOST.replace(/\./g, '\\.')}`));
    } finally {
      proto.getPeerCertificate = real;
    }
    return detailed;
  }

  const target = () => ({
    host: HOST,
    addresses: ['127.0.0.1'],
    port: server.port,
    minVersion: 'TLSv1.2' as const,
    ca: pki.root.certPem,
  });

  it('a pinned socket reads the chain Node built for its hostname check, and still reports the root and SAN', async () => {
    assert.equal(await detailedReads((onSecure) => connector.openTls(target(), onSecure)), 1);
  });

  it('an inspection socket too', async () => {
    assert.equal(await detailedReads((onSecure) => connector.openTlsInspect(target(), {}, onSecure)), 1);
  });

  it('an inspection socket whose chain does not verify reads it itself (Node skipped its check) and reports it', async () => {
    const untrusted = { ...target(), ca: pki.other.certPem };
    assert.equal(await detailedReads((onSecure) => connector.openTlsInspect(untrusted, {}, onSecure)), 1);
  });
});
