// A loopback HTTP CONNECT proxy for tests, built on the `proxy` package.
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';

/** A loopback CONNECT proxy (the `proxy` package) whose name resolution is a fixed map: no system DNS. */
export async function startTestProxy(address: string, names: Record<string, string>): Promise<{ port: number; connects: string[]; close(): Promise<void> }> {
  // `proxy` is an ES module; this package is CommonJS, so load it with import().
  const { createProxy } = await import('proxy');
  const server = createProxy(http.createServer());
  const connects: string[] = [];
  server.prependListener('connect', (req: http.IncomingMessage) => connects.push(req.url ?? ''));
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const original = dns.lookup;
  // The proxy's net.connect resolves the target with dns.lookup; answer from the map, refuse everything else.
  (dns as { lookup: unknown }).lookup = (name: string, options: unknown, cb?: (...a: unknown[]) => void) => {
    const callback = (typeof options === 'function' ? options : cb) as (...a: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    // IP literals (dgram and net look those up too) resolve to themselves without any query.
    if (net.isIP(name)) return (original as (...a: unknown[]) => void)(name, options, cb);
    const ip = names[name];
    if (!ip) return process.nextTick(() => callback(Object.assign(new Error(`test proxy: ${name} not in map`), { code: 'ENOTFOUND' })));
    process.nextTick(() => (all ? callback(null, [{ address: ip, family: 4 }]) : callback(null, ip, 4)));
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        (dns as { lookup: unknown }).lookup = original;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

