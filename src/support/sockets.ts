import dgram from 'node:dgram';
import net from 'node:net';

/**
 * The plain sockets of the package: TCP and UDP to IP literals only (whatever dials them never resolves a name).
 * The DNS client and the probes get one of these passed in, so a test can hand them a recording one and count every
 * packet the package sends; the TLS connector (src/connection/connector.ts) extends it.
 */
export interface Sockets {
  /** A TCP connection to an IP literal, TCP_NODELAY on. Throws ERR_INVALID_ADDRESS for anything but an IP literal. */
  openTcp(address: string, port: number): net.Socket;
  /** A UDP socket of the family of `address` (an IP literal), for one exchange; the caller sends and closes. */
  openUdp(address: string): dgram.Socket;
}

/** Refuses anything but an IP literal: these sockets never resolve a name. */
export function ipLiteral(address: string): string {
  if (net.isIP(address) === 0) {
    throw Object.assign(
      new Error(`not an IP address: ${JSON.stringify(address)} (probes and DNS queries dial verified IPs only)`),
      { code: 'ERR_INVALID_ADDRESS' },
    );
  }
  return address;
}

/** Builds the default {@link Sockets}: Node's own net and dgram. */
export function createSockets(): Sockets {
  return {
    openTcp: (address, port) => net.connect({ host: ipLiteral(address), port, noDelay: true }),
    openUdp: (address) => dgram.createSocket(net.isIPv6(ipLiteral(address)) ? 'udp6' : 'udp4'),
  };
}

/** The process-wide default, used when a caller passes none. */
export const systemSockets: Sockets = createSockets();
