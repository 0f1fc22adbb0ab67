import dgram from 'node:dgram';
import net from 'node:net';

/** Active handles that are sockets or servers, TCP or UDP (timers and the process's own pipes aside). */
export function netHandles(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (h) =>
      h instanceof net.Socket ||
      h instanceof net.Server ||
      (h as { constructor?: { name?: string } }).constructor?.name === 'Socket',
  ).length;
}

/** Bind a TCP server on `address:port` (0 = ephemeral); rejects with the errno error when it cannot. */
export function bindTcp(address: string, port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

/** Bind a UDP socket on `address:port`; rejects with the errno error when it cannot. */
export function bindUdp(address: string, port = 0): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, address, () => resolve(socket));
  });
}

export function portOf(server: net.Server | dgram.Socket): number {
  return server instanceof net.Server ? (server.address() as net.AddressInfo).port : server.address().port;
}

export function closeTcp(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** A port that was free on `address` a moment ago (the tests run in their own network namespace as root). */
export async function freeTcpPort(address: string): Promise<number> {
  const server = await bindTcp(address);
  const port = portOf(server);
  await closeTcp(server);
  return port;
}
