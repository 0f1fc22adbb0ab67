// A TCP peer on loopback that accepts and never answers: a TLS handshake to it stalls after TCP connected.
import net from 'node:net';

/** A TCP server on a loopback address that accepts, reads and drops what it gets, and never sends a byte. */
export async function silentTcpPeer(
  address: string,
): Promise<{ address: string; port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.resume();
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    address,
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
