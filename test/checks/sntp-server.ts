// A minimal SNTP server for tests (RFC 4330 server mode), on loopback, whose clock is off by `offsetMs`.
import dgram from 'node:dgram';

const NTP_EPOCH_OFFSET = 2_208_988_800;

function writeNtp(buf: Buffer, at: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  buf.writeUInt32BE(seconds + NTP_EPOCH_OFFSET, at);
  buf.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), at + 4);
}

/** A running test SNTP server. */
export interface SntpServer {
  /** `127.0.0.1:port`, the form --ntp-server takes. */
  endpoint: string;
  queries: number;
  setOffset(ms: number): void;
  close(): Promise<void>;
}

/** Starts an SNTP server on 127.0.0.1 (ephemeral port). */
export function startSntpServer(offsetMs = 0): Promise<SntpServer> {
  let offset = offsetMs;
  const socket = dgram.createSocket('udp4');
  const handle = { endpoint: '', queries: 0 };
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 48) return;
    handle.queries++;
    const now = Date.now() + offset;
    const res = Buffer.alloc(48);
    res[0] = (0 << 6) | (4 << 3) | 4; // LI 0, version 4, mode 4 (server)
    res[1] = 1; // stratum 1
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
          close: () => new Promise<void>((r) => socket.close(() => r())),
        }),
      );
    });
  });
}
