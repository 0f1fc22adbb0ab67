import assert from 'node:assert/strict';
import net from 'node:net';
import { defaultConnector as connector } from '../../src/connection/connector';
import { diagnoseConnectionError, ProxyTunnelError } from '../../src/connection/diagnose';
import { probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { provisionDevice, type LabHandle, type ProvisioningError } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';
import { startTestProxy } from '../support/proxy';
import { freePort, HOST, startTlsServer, testPki, type TestTlsServer } from './support';

/** A fake proxy on loopback that reacts to the CONNECT request with `answer` (a raw reply, 'close', or 'hang'). */
async function fakeProxy(
  address: string,
  answer: string | 'close' | 'hang',
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
    s.once('data', () => {
      if (answer === 'close') s.end();
      else if (answer !== 'hang') s.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connection: a proxy that does not open the tunnel is named, quickly', () => {
  const pki = testPki();
  let server: TestTlsServer;
  before(async () => {
    server = await startTlsServer('127.10.5.10', pki.good);
  });
  after(() => server.close());

  const viaProxy = (proxyAddress: string, proxyPort: number): ConnectTarget => ({
    host: HOST,
    // The DPS address is deliberately present: a finding must name the proxy, not this.
    addresses: ['127.10.5.10'],
    port: server.port,
    minVersion: 'TLSv1.2',
    ca: pki.root.certPem,
    proxy: { address: proxyAddress, port: proxyPort },
  });

  const failure = async (
    target: ConnectTarget,
  ): Promise<{ code: string; message: string; remediation: string; evidence: Record<string, unknown>; ms: number }> => {
    const started = Date.now();
    const result = await probeTls(target, { kind: 'mqtt-ws', timeoutMs: 5000 });
    assert.ok(!result.ok, 'the tunnel must fail');
    return { ...result.failure.finding, ms: Date.now() - started };
  };

  it('a proxy that closes without answering CONNECT gives PROXY_REFUSED at once, not a timeout', async () => {
    const proxy = await fakeProxy('127.10.5.1', 'close');
    try {
      const f = await failure(viaProxy('127.10.5.1', proxy.port));
      assert.equal(f.code, 'PROXY_REFUSED');
      assert.ok(f.ms < 2000, `took ${f.ms} ms`);
      assert.equal(f.evidence['proxy'], `127.10.5.1:${proxy.port}`);
      assert.match(f.message, /127\.10\.5\.1:\d+ .*closed the connection without answering/);
      assert.doesNotMatch(f.message, /127\.10\.5\.10/);
    } finally {
      await proxy.close();
    }
  });

  it('407 Proxy Authentication Required gives PROXY_REFUSED with the status line and proxy-auth advice', async () => {
    const proxy = await fakeProxy(
      '127.10.5.1',
      'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n',
    );
    try {
      const f = await failure(viaProxy('127.10.5.1', proxy.port));
      assert.equal(f.code, 'PROXY_REFUSED');
      assert.equal(f.evidence['statusLine'], 'HTTP/1.1 407 Proxy Authentication Required');
      assert.equal(f.evidence['status'], 407);
      assert.equal(f.evidence['proxyAuthenticate'], 'Basic realm="corp"');
      assert.match(f.remediation, /authentication/);
      assert.doesNotMatch(f.remediation, /VPN|NSG/);
    } finally {
      await proxy.close();
    }
  });

  it('403 Forbidden gives PROXY_REFUSED with allow-list advice for the Azure name on the port', async () => {
    const proxy = await fakeProxy('127.10.5.1', 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    try {
      const f = await failure(viaProxy('127.10.5.1', proxy.port));
      assert.equal(f.code, 'PROXY_REFUSED');
      assert.equal(f.evidence['status'], 403);
      assert.match(f.remediation, /allow list/);
      assert.ok(f.remediation.includes(`${HOST} and`), f.remediation);
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that cannot resolve the name (404 from the test proxy) gives PROXY_REFUSED', async () => {
    const proxy = await startTestProxy('127.10.5.1', {});
    try {
      const f = await failure(viaProxy('127.10.5.1', proxy.port));
      assert.equal(f.code, 'PROXY_REFUSED');
      assert.equal(f.evidence['status'], 404);
      assert.deepEqual(proxy.connects, [`${HOST}:${server.port}`]);
    } finally {
      await proxy.close();
    }
  });

  it('no proxy listening gives PROXY_UNREACHABLE naming the proxy, not TCP_UNREACHABLE for the service', async () => {
    const port = await freePort('127.10.5.2');
    const f = await failure(viaProxy('127.10.5.2', port));
    assert.equal(f.code, 'PROXY_UNREACHABLE');
    assert.match(f.message, new RegExp(`127\\.10\\.5\\.2:${port}.*ECONNREFUSED`));
    assert.doesNotMatch(f.message, /127\.10\.5\.10/);
  });

  it('a proxy that accepts but never answers CONNECT fails after the CONNECT timeout with PROXY_UNREACHABLE', async () => {
    const proxy = await fakeProxy('127.10.5.1', 'hang');
    try {
      const started = Date.now();
      const err = await new Promise<Error | null>((resolve) => {
        connector.openTlsViaProxy(
          { ...viaProxy('127.10.5.1', proxy.port), proxy: { address: '127.10.5.1', port: proxy.port } },
          undefined,
          (e, socket) => {
            socket?.destroy();
            resolve(e);
          },
          { connectTimeoutMs: 200 },
        );
      });
      const ms = Date.now() - started;
      assert.ok(err instanceof ProxyTunnelError, String(err));
      assert.equal(err.code, 'EPROXY_UNREACHABLE');
      assert.ok(ms >= 190 && ms < 2000, `took ${ms} ms`);
      const f = diagnoseConnectionError(err, {
        host: HOST,
        address: '127.10.5.1',
        port: server.port,
        minVersion: 'TLSv1.2',
      });
      assert.equal(f.code, 'PROXY_UNREACHABLE');
      assert.match(f.message, /no answer to CONNECT .* within 200 ms/);
    } finally {
      await proxy.close();
    }
  });

  it('a client key that cannot be loaded inside the tunnel reaches the callback instead of being thrown from a socket event', async () => {
    const proxy = await startTestProxy('127.10.5.1', { [HOST]: '127.10.5.10' });
    try {
      const err = await new Promise<Error | null>((resolve) => {
        const t = {
          ...viaProxy('127.10.5.1', proxy.port),
          cert: pki.good.certPem,
          key: 'not a key',
          proxy: { address: '127.10.5.1', port: proxy.port },
        };
        connector.openTlsViaProxy(t, undefined, (e, socket) => {
          socket?.destroy();
          resolve(e);
        });
      });
      assert.ok(err instanceof Error, 'expected the key error in the callback');
      assert.ok(!(err instanceof ProxyTunnelError), 'the tunnel itself opened');
      assert.deepEqual(proxy.connects, [`${HOST}:${server.port}`]);
    } finally {
      await proxy.close();
    }
  });

  describe('provisionDevice through a proxy that closes without answering', () => {
    let lab: LabHandle;
    before(async () => {
      lab = await startTestLab();
    });
    after(() => lab.close());

    it('fails with PROXY_REFUSED long before the deadline instead of DPS_TIMEOUT "stuck at connecting"', async () => {
      const device = await lab.createDevice('proxy-fin-device', 'symmetric-key');
      const proxy = await fakeProxy('127.10.0.99', 'close');
      try {
        const started = Date.now();
        await assert.rejects(
          provisionDevice(
            optionsFor(lab, device, {
              transport: 'mqtt-ws',
              proxy: `http://127.10.0.99:${proxy.port}`,
              timeoutMs: 8000,
            }),
          ),
          (e: ProvisioningError) => e.code === 'PROXY_REFUSED' && e.message.includes(`127.10.0.99:${proxy.port}`),
        );
        assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
      } finally {
        await proxy.close();
      }
    });
  });
});
