import assert from 'node:assert/strict';
import tls from 'node:tls';
import { defaultConnector as connector } from '../../src/connection/connector';
import type { TlsInfo } from '../../src/connection/types';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

/**
 * tls.connect converts the server's whole chain to objects for its hostname check (~1 ms of CPU a socket on the
 * bench machine, more on a Pi). An enforced socket has it converted once per server certificate (for the root's name)
 * and checks the name on the leaf alone; an inspection socket, which reports the chain, keeps Node's conversion and
 * never converts it twice.
 */
describe('connection: the peer chain is converted at most once per socket', () => {
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

  it('pinned sockets to one server convert its chain once, and each still reports the root and SAN', async () => {
    const reads = [];
    for (let i = 0; i < 3; i++) reads.push(await detailedReads((onSecure) => connector.openTls(target(), onSecure)));
    assert.equal(
      reads.reduce((a, b) => a + b),
      1,
      `detailed reads per socket: ${reads.join(', ')}`,
    );
  });

  it('an inspection socket too', async () => {
    assert.equal(await detailedReads((onSecure) => connector.openTlsInspect(target(), {}, onSecure)), 1);
  });

  it('an inspection socket whose chain does not verify reads it itself (Node skipped its check) and reports it', async () => {
    const untrusted = { ...target(), ca: pki.other.certPem };
    assert.equal(await detailedReads((onSecure) => connector.openTlsInspect(untrusted, {}, onSecure)), 1);
  });
});
