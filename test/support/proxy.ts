// A loopback HTTP CONNECT proxy for tests. Node's http server parses the CONNECT request; the tunnel is ours.
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** The test proxy: where it listens, every CONNECT target it was asked for, and how to stop it. */
export interface TestProxy {
  port: number;
  /** `host:port` of every CONNECT request, in order (including refused ones). */
  connects: string[];
  close(): Promise<void>;
}

const isLoopback = (ip: string): boolean => (net.isIPv4(ip) ? ip.startsWith('127.') : ip === '::1');

/**
 * A loopback CONNECT proxy whose name resolution is the fixed map `names` (name → IP), looked up in its own CONNECT
 * handler. It never touches the process-wide `dns.lookup`: replacing that for the whole mocha process would also answer
 * a library-side lookup of the DPS name, hiding exactly the pinning regression the proxy tests exist to catch.
 * Names not in the map get 404 (as a real proxy answers a name its resolver does not know); targets that are not
 * loopback get 403, so a test can never make it send a packet off the host.
 */
export async function startTestProxy(address: string, names: Record<string, string>): Promise<TestProxy> {
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  const connects: string[] = [];
  const open = new Set<Duplex>();
  const track = (s: Duplex): void => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    client.on('error', () => undefined);
    const target = req.url ?? '';
    connects.push(target);
    const m = /^(.+):(\d{1,5})$/.exec(target);
    const name = m?.[1]?.replace(/^\[|\]$/g, '') ?? '';
    const ip = net.isIP(name) ? name : names[name];
    if (!m || !ip) {
      client.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!isLoopback(ip)) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect({ host: ip, port: Number(m[2]), noDelay: true });
    track(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => {
      if (connected) client.destroy();
      else client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    });
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
