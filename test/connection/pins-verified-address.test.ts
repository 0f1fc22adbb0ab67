import assert from 'node:assert/strict';
import dns from 'node:dns';
import { createConnector, defaultConnector, type Connector } from '../../src/connection/connector';
import { probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

describe('connection: pinned TLS to a verified address', () => {
  const pki = testPki();
  let server: TestTlsServer;
  let decoy: TestTlsServer;
  before(async () => {
    server = await startTlsServer('127.10.1.10', pki.good);
    decoy = await startTlsServer('127.10.1.11', pki.good);
  });
  after(async () => {
    await server.close();
    await decoy.close();
  });

  const target = (over: Partial<ConnectTarget> = {}): ConnectTarget => ({
    host: HOST,
    addresses: ['127.10.1.10'],
    port: server.port,
    minVersion: 'TLSv1.2',
    ca: pki.root.certPem,
    ...over,
  });

  it('connects only to the pinned address, with the DNS name in SNI, and reports protocol and cipher', async () => {
    const lookups: string[] = [];
    const original = dns.lookup;
    // Any system lookup during the connection would be a second DNS query: fail loudly instead of sending it.
    (dns as { lookup: unknown }).lookup = (name: string, ...rest: unknown[]) => {
      lookups.push(name);
      const cb = rest[rest.length - 1] as (err: Error) => void;
      cb(new Error(`unexpected dns.lookup(${name})`));
    };
    try {
      const before = { server: server.connections, decoy: decoy.connections };
      const result = await probeTls(target());
      assert.equal(result.ok, true, result.ok ? '' : result.failure.finding.message);
      assert.ok(result.ok);
      assert.equal(result.tls.remoteAddress, '127.10.1.10');
      assert.match(result.tls.protocol, /^TLSv1\.[23]$/);
      assert.ok(result.tls.cipher.length > 0);
      assert.equal(server.connections, before.server + 1);
      assert.equal(decoy.connections, before.decoy);
      assert.equal(server.servernames.at(-1), HOST);
      assert.deepEqual(lookups, []);
    } finally {
      (dns as { lookup: unknown }).lookup = original;
    }
  });

  it('every socket goes through the connector it is given (openTls, the seam tests pass in)', async () => {
    const calls: ConnectTarget[] = [];
    const real = createConnector();
    const recording: Connector = { ...real, openTls: (t, ...rest) => (calls.push(t), real.openTls(t, ...rest)) };
    const result = await probeTls(target(), { connector: recording });
    assert.equal(result.ok, true);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].addresses, ['127.10.1.10']);
  });

  it('the default connector cannot be patched: tests must pass theirs in', () => {
    assert.ok(Object.isFrozen(defaultConnector));
    assert.throws(() => {
      (defaultConnector as { openTls: unknown }).openTls = () => undefined;
    }, TypeError);
  });

  it('honours minVersion TLSv1.3 when the server offers it', async () => {
    const result = await probeTls(target({ minVersion: 'TLSv1.3' }));
    assert.ok(result.ok);
    assert.equal(result.tls.protocol, 'TLSv1.3');
  });
});
