// One SNTP (RFC 4330) exchange with an NTP server inside the VNET: a clock source that works without internet.
import type { Sockets } from '../support/sockets';
import { defaultConnector } from './connector';

/** An SNTP answer. */
export interface SntpResult {
  server: string;
  /** Server time at the middle of the exchange, ISO 8601. */
  serverTime: string;
  /** Local clock minus server clock, in ms (RFC 4330 offset, sign flipped: positive = device ahead). */
  skewMs: number;
  roundTripMs: number;
}

const NTP_EPOCH_OFFSET = 2_208_988_800; // seconds from 1900-01-01 to 1970-01-01

function ntpToMs(buf: Buffer, at: number): number {
  return (buf.readUInt32BE(at) - NTP_EPOCH_OFFSET) * 1000 + (buf.readUInt32BE(at + 4) / 2 ** 32) * 1000;
}

/** One SNTP query to an IP address through the connector; rejects on timeout or a malformed answer. */
export function sntpQuery(
  address: string,
  port: number,
  timeoutMs: number,
  now: () => number = Date.now,
  sockets: Sockets = defaultConnector,
): Promise<SntpResult> {
  return new Promise((resolve, reject) => {
    const socket = sockets.openUdp(address);
    const req = Buffer.alloc(48);
    req[0] = (0 << 6) | (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
    const t1 = now();
    let settled = false;
    const finish = (err: Error | null, r?: SntpResult): void => {
      if (settled) return; // a late answer after the timeout must not close the socket twice
      settled = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(r as SntpResult);
    };
    const timer = setTimeout(
      () =>
        finish(
          Object.assign(new Error(`no SNTP answer from ${address}:${port} within ${timeoutMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      timeoutMs,
    );
    socket.once('error', (err) => finish(err));
    socket.on('message', (msg) => {
      const t4 = now();
      if (msg.length < 48 || ((msg[0] as number) & 7) !== 4 || msg[1] === 0) {
        return finish(new Error(`malformed or kiss-of-death SNTP answer from ${address}:${port}`));
      }
      const t2 = ntpToMs(msg, 32);
      const t3 = ntpToMs(msg, 40);
      const offset = (t2 - t1 + (t3 - t4)) / 2; // server minus local
      finish(null, {
        server: `${address}:${port}`,
        serverTime: new Date(t4 + offset).toISOString(),
        skewMs: Math.round(-offset),
        roundTripMs: Math.round(t4 - t1 - (t3 - t2)),
      });
    });
    socket.send(req, port, address, (err) => {
      if (err) finish(err);
    });
  });
}
