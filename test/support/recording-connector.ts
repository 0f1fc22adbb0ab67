// A connector that records every socket the package opens and then opens it for real (undici's pattern: the client
// is given a connector; nothing global is patched). Every argument is passed on untouched.
import { createConnector, type Connector } from '../../src/connection/connector';
import { createSockets } from '../../src/support/sockets';

/** One line per socket: `tls host addresses:port`, `proxy a:p -> host:port`, `tcp a:p`, `udp a`, `inspect …`. */
export interface RecordingConnector {
  connector: Connector;
  calls: string[];
}

/** Which kinds of socket to record (default: all). */
export type SocketKind = 'tls' | 'inspect' | 'proxy' | 'tcp' | 'udp';

export function recordingConnector(
  kinds: readonly SocketKind[] = ['tls', 'inspect', 'proxy', 'tcp', 'udp'],
): RecordingConnector {
  const all: string[] = [];
  const calls = {
    push: (line: string) => (kinds.includes(line.split(' ', 1)[0] as SocketKind) ? all.push(line) : all.length),
  };
  const sockets = createSockets();
  const inner = createConnector({
    openTcp: (address, port) => (calls.push(`tcp ${address}:${port}`), sockets.openTcp(address, port)),
    openUdp: (address) => (calls.push(`udp ${address}`), sockets.openUdp(address)),
  });
  const connector: Connector = {
    ...inner,
    openTls: (...args) => {
      const [t] = args;
      calls.push(`tls ${t.host} ${t.addresses.join(',')}:${t.port}`);
      return inner.openTls(...args);
    },
    openTlsInspect: (...args) => {
      const [t] = args;
      calls.push(`inspect ${t.host} ${t.addresses.join(',')}:${t.port}`);
      return inner.openTlsInspect(...args);
    },
    openTlsViaProxy: (...args) => {
      const [t] = args;
      calls.push(`proxy ${t.proxy.address}:${t.proxy.port} -> ${t.host}:${t.port}`);
      return inner.openTlsViaProxy(...args);
    },
  };
  return { connector, calls: all };
}
