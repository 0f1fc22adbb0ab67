import assert from 'node:assert/strict';
import net from 'node:net';
import { probeTls } from '../../src/connection/probe';
import { HOST } from './support';

/** A TCP server on loopback that accepts connections and never sends a byte (a service that does not answer TLS). */
async function silentPeer(address: string): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A CONNECT proxy on loopback that ignores the requested host, answers 200 and relays to `peer` (loopback only). */
async function relayingProxy(
  address: string,
  peer: { address: string; port: number },
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): net.Socket => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
    return s;
  };
  const server = net.createServer((client) => {
    track(client);
    client.once('data', () => {
      const upstream = track(net.connect({ host: peer.address, port: peer.port }));
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        client.pipe(upstream).pipe(client);
      });
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

describe('connection: a proxy that opened the tunnel is not blamed for the silence behind it', () => {
  it("200 to CONNECT, then a silent peer: TLS_HANDSHAKE_FAILED via the proxy, with advice on the proxy's DNS and route", async () => {
    const peer = await silentPeer('127.10.5.30');
    const proxy = await relayingProxy('127.10.5.3', { address: '127.10.5.30', port: peer.port });
    try {
      const result = await probeTls(
        {
          host: HOST,
          addresses: [],
          port: 443,
          minVersion: 'TLSv1.2',
          proxy: { address: '127.10.5.3', port: proxy.port },
        },
        { kind: 'mqtt-ws', timeoutMs: 600 },
      );
      assert.ok(!result.ok, 'nothing answered TLS');
      assert.equal(peer.accepted(), 1, 'the proxy relayed the tunnel to the peer');
      const f = result.failure.finding;
      assert.equal(f.code, 'TLS_HANDSHAKE_FAILED');
      assert.equal(f.evidence['proxy'], `127.10.5.3:${proxy.port}`);
      assert.match(f.message, /via proxy 127\.10\.5\.3:\d+, which opened the tunnel/);
      assert.doesNotMatch(f.message, /never reached/);
      assert.match(f.remediation, /proxy's own DNS/);
      assert.match(f.remediation, /route/);
      assert.equal(result.failure.address, `127.10.5.3:${proxy.port}`);
    } finally {
      await proxy.close();
      await peer.close();
    }
  });

  it('a proxy that accepts and never answers CONNECT still gives PROXY_UNREACHABLE', async () => {
    const hanging = await silentPeer('127.10.5.4');
    try {
      const result = await probeTls(
        {
          host: HOST,
          addresses: [],
          port: 443,
          minVersion: 'TLSv1.2',
          proxy: { address: '127.10.5.4', port: hanging.port },
        },
        { kind: 'mqtt-ws', timeoutMs: 600 },
      );
      assert.ok(!result.ok);
      assert.equal(result.failure.finding.code, 'PROXY_UNREACHABLE');
      assert.equal(result.failure.finding.evidence['proxy'], `127.10.5.4:${hanging.port}`);
    } finally {
      await hanging.close();
    }
  });
});
