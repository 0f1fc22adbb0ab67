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
  /** Leap indicator, 0–3: 3 is the alarm condition, the server's clock is not synchronised. */
  leapIndicator: number;
  /** 1–15 synchronised; 0 unspecified or kiss-of-death; 16 unsynchronised (RFC 5905). */
  stratum: number;
  /** At stratum 0 the reference id is a kiss code in ASCII (RATE, DENY, RSTR…); undefined otherwise. */
  kissCode?: string;
  /**
   * False when the server says its own clock is not synchronised (leap indicator 3, stratum 0 or 16): its time is
   * then whatever its local clock says and must not be used as a reference.
   */
  synchronised: boolean;
}

const NTP_EPOCH_OFFSET = 2_208_988_800; // seconds from 1900-01-01 to 1970-01-01

function ntpToMs(buf: Buffer, at: number): number {
  return (buf.readUInt32BE(at) - NTP_EPOCH_OFFSET) * 1000 + (buf.readUInt32BE(at + 4) / 2 ** 32) * 1000;
}

/** The reference id as the four ASCII letters of a kiss code, unprintable bytes dropped. */
function kissCode(msg: Buffer): string {
  return msg
    .subarray(12, 16)
    .toString('latin1')
    .replace(/[^\x21-\x7e]/g, '');
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
      if (msg.length < 48 || ((msg[0] as number) & 7) !== 4) {
        return finish(new Error(`malformed SNTP answer from ${address}:${port}`));
      }
      const leapIndicator = (msg[0] as number) >> 6;
      const stratum = msg[1] as number;
      const t2 = ntpToMs(msg, 32);
      const t3 = ntpToMs(msg, 40);
      const offset = (t2 - t1 + (t3 - t4)) / 2; // server minus local
      finish(null, {
        server: `${address}:${port}`,
        serverTime: new Date(t4 + offset).toISOString(),
        skewMs: Math.round(-offset),
        roundTripMs: Math.round(t4 - t1 - (t3 - t2)),
        leapIndicator,
        stratum,
        ...(stratum === 0 ? { kissCode: kissCode(msg) } : {}),
        synchronised: leapIndicator !== 3 && stratum !== 0 && stratum < 16,
      });
    });
    socket.send(req, port, address, (err) => {
      if (err) finish(err);
    });
  });
}
