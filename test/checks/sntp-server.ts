// A minimal SNTP server for tests (RFC 4330 server mode), on loopback, whose clock is off by `offsetMs`.
import dgram from 'node:dgram';

const NTP_EPOCH_OFFSET = 2_208_988_800;

function writeNtp(buf: Buffer, at: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  buf.writeUInt32BE(seconds + NTP_EPOCH_OFFSET, at);
  buf.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), at + 4);
}

/** The header fields a test can change; the defaults are a healthy stratum 1 server. */
export interface SntpHeader {
  leap?: number;
  stratum?: number;
  refId?: string;
}

/** A running test SNTP server. */
export interface SntpServer {
  /** `127.0.0.1:port`, the form --ntp-server takes. */
  endpoint: string;
  queries: number;
  setOffset(ms: number): void;
  /**
   * What the server says about its own synchronisation: leap indicator (3 = alarm, not synchronised), stratum (0 =
   * unspecified or kiss-of-death, 16 = unsynchronised) and the 4-character reference id (a kiss code at stratum 0).
   */
  setHeader(header: SntpHeader): void;
  close(): Promise<void>;
}

/** Starts an SNTP server on 127.0.0.1 (ephemeral port). */
export function startSntpServer(offsetMs = 0): Promise<SntpServer> {
  let offset = offsetMs;
  let header: Required<SntpHeader> = { leap: 0, stratum: 1, refId: 'GPS' };
  const socket = dgram.createSocket('udp4');
  const handle = { endpoint: '', queries: 0 };
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 48) return;
    handle.queries++;
    const now = Date.now() + offset;
    const res = Buffer.alloc(48);
    res[0] = ((header.leap & 3) << 6) | (4 << 3) | 4; // version 4, mode 4 (server)
    res[1] = header.stratum;
    res.write(header.refId.padEnd(4, '\0').slice(0, 4), 12, 'latin1');
    msg.copy(res, 24, 40, 48); // originate = client's transmit
    writeNtp(res, 32, now); // receive
    writeNtp(res, 40, now); // transmit
    socket.send(res, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () => {
      handle.endpoint = `127.0.0.1:${socket.address().port}`;
      resolve(
        Object.assign(handle, {
          setOffset: (ms: number) => {
            offset = ms;
          },
          setHeader: (h: SntpHeader) => {
            header = { leap: 0, stratum: 1, refId: 'GPS', ...h };
          },
          close: () => new Promise<void>((r) => socket.close(() => r())),
        }),
      );
    });
  });
}
