import assert from 'node:assert/strict';
import { probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { freePort, HOST, startTlsServer, testPki, type TestTlsServer } from './support';

describe('connection: TLS and TCP failures become findings', () => {
  const pki = testPki();
  const servers: TestTlsServer[] = [];
  let good: TestTlsServer;
  let wrongSan: TestTlsServer;
  let expired: TestTlsServer;
  let tls12only: TestTlsServer;
  before(async () => {
    good = await startTlsServer('127.10.2.10', pki.good);
    wrongSan = await startTlsServer('127.10.2.11', pki.wrongSan);
    expired = await startTlsServer('127.10.2.12', pki.expired);
    tls12only = await startTlsServer('127.10.2.13', pki.good, { maxVersion: 'TLSv1.2' });
    servers.push(good, wrongSan, expired, tls12only);
  });
  after(async () => Promise.all(servers.map((s) => s.close())));

  const target = (s: TestTlsServer, over: Partial<ConnectTarget> = {}): ConnectTarget => ({
    host: HOST,
    addresses: [s.address],
    port: s.port,
    minVersion: 'TLSv1.2',
    ca: pki.root.certPem,
    ...over,
  });

  const failureOf = async (t: ConnectTarget): Promise<{ code: string; message: string }> => {
    const result = await probeTls(t, { timeoutMs: 5000 });
    assert.equal(result.ok, false, 'expected the connection to be refused');
    assert.ok(!result.ok);
    return { code: result.failure.finding.code, message: result.failure.finding.message };
  };

  it('a certificate that does not cover the name gives TLS_HOSTNAME_MISMATCH', async () => {
    const f = await failureOf(target(wrongSan));
    assert.equal(f.code, 'TLS_HOSTNAME_MISMATCH');
    assert.match(f.message, new RegExp(HOST.replace(/\./g, '\\.')));
    assert.match(f.message, /127\.10\.2\.11/);
  });

  it('a chain from an untrusted CA gives TLS_UNTRUSTED_CHAIN', async () => {
    const f = await failureOf(target(good, { ca: pki.other.certPem }));
    assert.equal(f.code, 'TLS_UNTRUSTED_CHAIN');
  });

  it('an expired server certificate gives TLS_SERVER_CERT_EXPIRED', async () => {
    const f = await failureOf(target(expired));
    assert.equal(f.code, 'TLS_SERVER_CERT_EXPIRED');
  });

  it('a TLS 1.2-only server under a TLSv1.3 policy gives TLS_VERSION_TOO_LOW', async () => {
    const f = await failureOf(target(tls12only, { minVersion: 'TLSv1.3' }));
    assert.equal(f.code, 'TLS_VERSION_TOO_LOW');
  });

  it('a closed port gives TCP_REFUSED naming the address', async () => {
    const port = await freePort('127.10.2.14');
    const f = await failureOf({
      host: HOST,
      addresses: ['127.10.2.14'],
      port,
      minVersion: 'TLSv1.2',
      ca: pki.root.certPem,
    });
    assert.equal(f.code, 'TCP_REFUSED');
    assert.match(f.message, /127\.10\.2\.14/);
  });
});
