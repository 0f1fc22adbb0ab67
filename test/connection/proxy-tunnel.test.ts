import assert from 'node:assert/strict';
import dns from 'node:dns';
import net from 'node:net';
import { probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { startTestProxy } from '../support/proxy';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

describe('connection: TLS through an HTTP CONNECT proxy', () => {
  const pki = testPki();
  let server: TestTlsServer;
  let wrong: TestTlsServer;
  before(async () => {
    server = await startTlsServer('127.10.4.10', pki.good);
    wrong = await startTlsServer('127.10.4.11', pki.wrongSan);
  });
  after(async () => {
    await server.close();
    await wrong.close();
  });

  it('tunnels to host:port and still verifies TLS against the DNS name inside the tunnel', async () => {
    const proxy = await startTestProxy('127.10.4.1', { [HOST]: '127.10.4.10' });
    try {
      const target: ConnectTarget = {
        host: HOST,
        addresses: [],
        port: server.port,
        minVersion: 'TLSv1.2',
        ca: pki.root.certPem,
        proxy: { address: '127.10.4.1', port: proxy.port },
      };
      const result = await probeTls(target, { kind: 'mqtt-ws' });
      assert.ok(result.ok, result.ok ? '' : result.failure.finding.message);
      assert.deepEqual(proxy.connects, [`${HOST}:${server.port}`]);
      assert.equal(server.servernames.at(-1), HOST);
      assert.equal(result.tls.remoteAddress, '127.10.4.1');
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that lands on a server with the wrong certificate gives TLS_HOSTNAME_MISMATCH', async () => {
    const proxy = await startTestProxy('127.10.4.1', { [HOST]: '127.10.4.11' });
    try {
      const target: ConnectTarget = {
        host: HOST,
        addresses: [],
        port: wrong.port,
        minVersion: 'TLSv1.2',
        ca: pki.root.certPem,
        proxy: { address: '127.10.4.1', port: proxy.port },
      };
      const result = await probeTls(target, { kind: 'mqtt-ws', timeoutMs: 5000 });
      assert.ok(!result.ok);
      assert.equal(result.failure.finding.code, 'TLS_HOSTNAME_MISMATCH');
    } finally {
      await proxy.close();
    }
  });

  it('no name is looked up process-wide on the proxied path (the test proxy resolves from its own map)', async () => {
    const original = dns.lookup;
    const proxy = await startTestProxy('127.10.4.1', { [HOST]: '127.10.4.10' });
    const looked: string[] = [];
    try {
      // A global stand-in would also answer a library-side lookup of HOST and hide a pinning regression.
      assert.equal(dns.lookup, original, 'startTestProxy must not replace dns.lookup');
      // Record every lookup; names are refused (never the system resolver), IP literals pass.
      (dns as { lookup: unknown }).lookup = (name: string, options: unknown, cb?: (...a: unknown[]) => void) => {
        looked.push(name);
        if (net.isIP(name)) return (original as (...a: unknown[]) => void)(name, options, cb);
        const callback = (typeof options === 'function' ? options : cb) as (...a: unknown[]) => void;
        process.nextTick(() => callback(Object.assign(new Error(`test: no lookup of ${name}`), { code: 'ENOTFOUND' })));
      };
      const target: ConnectTarget = {
        host: HOST,
        addresses: [],
        port: server.port,
        minVersion: 'TLSv1.2',
        ca: pki.root.certPem,
        proxy: { address: '127.10.4.1', port: proxy.port },
      };
      const result = await probeTls(target, { kind: 'mqtt-ws', timeoutMs: 5000 });
      assert.ok(result.ok, result.ok ? '' : result.failure.finding.message);
      assert.deepEqual(
        looked.filter((n) => !net.isIP(n)),
        [],
      );
    } finally {
      (dns as { lookup: unknown }).lookup = original;
      await proxy.close();
    }
  });
});
